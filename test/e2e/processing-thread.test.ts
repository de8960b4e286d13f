/**
 * `cancan serve` (role all) runs the job worker in a thread of its own: sales
 * processed end to end through it, its metrics on /metrics, its log lines in
 * the process's log, a graceful SIGTERM, and a clean WAL after it. On
 * PostgreSQL, a worker process whose idle poll is ten minutes away still
 * processes a sale at once: the API's NOTIFY wakes it.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { call, saleBody, waitFinal } from '../support/client.js';
import { type ServerProcess, cli, freePort, sharedDatabaseProcesses, startServer } from '../support/process.js';

const QUICK = {
  CANCAN_DEMO: 'off',
  CANCAN_POLL_INTERVAL_MS: '150',
  CANCAN_PROVIDER_TIMEOUT_MS: '2000',
  CANCAN_SIM_CONFIRM_DELAY_MS: '300',
  CANCAN_RATE_LIMIT_PER_SECOND: '10000',
  CANCAN_RATE_LIMIT_BURST: '10000',
};

const metricValue = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('processing thread (SQLite, cancan serve)', () => {
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('sqlite');
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await database.drop();
  });

  test('sales processed by the thread, its metrics and log lines in the process, a graceful stop and an empty WAL', async () => {
    const env = { ...QUICK, CANCAN_DATA_DIR: database.dataDir, LOG_LEVEL: 'info' };
    const created = cli(env, ['merchant', 'create', '--name', 'Thread Shop', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const apiKey = (JSON.parse(created.stdout) as { api_key: string }).api_key;
    const server = await startServer(env, await freePort());
    servers.push(server);

    const health = await call(server.url, 'GET', '/healthz');
    assert.deepEqual(health.body, { status: 'ok', role: 'all', database: 'sqlite', processing: 'thread' });
    const ready = await call(server.url, 'GET', '/readyz');
    assert.deepEqual(ready.body.checks, { migrations: 'ok', database: 'ok', worker: 'ok' });

    const held = await call(server.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody('thread-1', 1000), headers: { prefer: 'wait=20' } });
    assert.equal(held.status, 201, held.text);
    assert.equal(held.body.data.attributes.state, 'succeeded');
    const plain = await call(server.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody('thread-2', 2000) });
    assert.equal(plain.status, 201, plain.text);
    assert.equal((await waitFinal(server.url, apiKey, 'thread-2')).body.data.attributes.state, 'succeeded');

    // Counted in the processing thread, shown by the HTTP thread's /metrics.
    const metrics = (await call(server.url, 'GET', '/metrics')).text;
    assert.equal(metricValue(metrics, 'cancan_provider_calls_total{provider="wechatpay",call="micropay",outcome="paid"}'), 2, metrics);
    assert.equal(metricValue(metrics, 'cancan_transactions_finalised_total{type="sale",gateway="wechatpay_cn_domestic",state="succeeded",mode="test"}'), 2);
    assert.equal(metricValue(metrics, 'cancan_transactions_created_total{type="sale",gateway="wechatpay_cn_domestic",channel="pos",mode="test"}'), 2);

    server.child.kill('SIGTERM');
    await server.exited;
    assert.equal(server.child.exitCode, 0, server.output().slice(-2000));
    const lines = server.output().split('\n');
    const finished = lines.find((line) => line.includes('"msg":"shutdown: jobs finished"'));
    assert.ok(finished?.includes('"thread":"processing"'), 'the processing thread stopped its worker and logged it');
    assert.ok(lines.some((line) => line.includes('"msg":"shutdown: database pool closed"')));
    const wal = join(database.dataDir, 'cancan.sqlite-wal');
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'a clean stop leaves an empty WAL');
  });

  test('CANCAN_PROCESSING=inline keeps the worker on the HTTP thread', async () => {
    const server = await startServer({ ...QUICK, CANCAN_DATA_DIR: database.dataDir, CANCAN_PROCESSING: 'inline', LOG_LEVEL: 'warn' }, await freePort());
    servers.push(server);
    assert.deepEqual((await call(server.url, 'GET', '/healthz')).body, { status: 'ok', role: 'all', database: 'sqlite' });
    assert.deepEqual((await call(server.url, 'GET', '/readyz')).body.checks, { migrations: 'ok', database: 'ok', worker: 'ok' });
  });
});

describe('job wake-ups by LISTEN/NOTIFY (PostgreSQL)', () => {
  let database: TestDatabase;
  const processes: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await database.drop();
  });

  test('a worker whose next poll is ten minutes away processes each sale: the API process NOTIFYs it', async () => {
    const { env, simulator } = await sharedDatabaseProcesses(database, QUICK);
    processes.push(simulator);
    const created = cli(env, ['merchant', 'create', '--name', 'Notify Shop', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const apiKey = (JSON.parse(created.stdout) as { api_key: string }).api_key;
    const api = await startServer(env, await freePort(), { args: ['--role', 'api'] });
    processes.push(api);
    const worker = await startServer({ ...env, CANCAN_WORKER_IDLE_MS: '600000' }, await freePort(), { args: ['--role', 'worker'] });
    processes.push(worker);

    for (const [i, amount] of [1000, 2000, 3000].entries()) {
      const id = `notify-${i}`;
      const sale = await call(api.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(id, amount) });
      assert.equal(sale.status, 201, sale.text);
      // Without the notification this would wait for the worker's poll, ten minutes away.
      const final = await waitFinal(api.url, apiKey, id, 60_000);
      assert.equal(final.body.data.attributes.state, 'succeeded', final.text);
    }
  });
});
