/**
 * The real `cancan serve` on PostgreSQL when the database is not there or
 * goes away, and at SIGTERM:
 * - started before its database exists: alive, not ready, 503 envelopes;
 *   migrated and serving by itself once the database is created;
 * - every connection terminated while sales are sent: each request answers
 *   201 or 503 (never 500, never a hang), every 201 ends final, and the server
 *   keeps serving;
 * - SIGTERM with a `Prefer: wait` request in flight: the request gets its
 *   answer and the process exits 0 within the grace period;
 * - SIGTERM with a pay call in flight past the grace period: the job's lease
 *   is released, and the next process resumes it with a query, not a second pay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { call, ledger, saleBody } from '../support/client.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const ADMIN_URL = process.env.CANCAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T extends pg.QueryResultRow>(statement: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query<T>(statement, values)).rows;
  } finally {
    await client.end();
  }
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = WAIT_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A POST that must answer: a hang fails the test instead of stalling it. */
async function postSale(url: string, key: string, body: unknown): Promise<number> {
  const response = await fetch(`${url}/api/v2/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status === 503) assert.equal(JSON.parse(text).errors[0].code, 'service_unavailable_error');
  return response.status;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('database outages and shutdown (PostgreSQL)', () => {
  let database: TestDatabase;
  let name: string;
  let env: Record<string, string>;
  let apiKey = '';
  const servers: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
    name = new URL(database.databaseUrl ?? '').pathname.slice(1);
    // The server starts before its database exists.
    await admin(`drop database ${name}`);
    env = {
      DATABASE_URL: database.databaseUrl ?? '',
      CANCAN_DATA_DIR: database.dataDir,
      CANCAN_DEMO: 'off',
      CANCAN_CONFIRM_WINDOW_MS: '3000',
      CANCAN_POLL_INTERVAL_MS: '150',
      CANCAN_PROVIDER_TIMEOUT_MS: '1000',
      CANCAN_SIM_CONFIRM_DELAY_MS: '300',
      CANCAN_JOB_LEASE_MS: '3000',
      CANCAN_RATE_LIMIT_PER_SECOND: '10000',
      CANCAN_RATE_LIMIT_BURST: '10000',
      CANCAN_SHUTDOWN_GRACE_MS: '8000',
      LOG_LEVEL: 'info',
    };
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await database.drop();
  });

  test('started before the database exists: alive, not ready, 503; serving once it is created', async () => {
    const server = await startServer(env, await freePort(), { waitFor: 'healthz' });
    servers.push(server);
    const health = await call(server.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    const ready = await call(server.url, 'GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.ok(ready.body.failed.includes('database') && ready.body.failed.includes('migrations'), ready.text);
    const refused = await call(server.url, 'POST', '/api/v2/transactions', { key: 'sk_test_nobody', body: saleBody('early-1', 1000) });
    assert.equal(refused.status, 503);
    assert.deepEqual(Object.keys(refused.body.errors[0]).sort(), ['code', 'detail', 'status']);
    assert.equal(refused.body.errors[0].status, '503');
    assert.equal(refused.body.errors[0].code, 'service_unavailable_error');

    await admin(`create database ${name}`);
    await until(async () => ((await call(server.url, 'GET', '/readyz')).status === 200 ? true : undefined), 'readyz 200');
    const created = cli(env, ['merchant', 'create', '--name', 'Outage Shop', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    apiKey = JSON.parse(created.stdout).api_key as string;
    const sale = await call(server.url, 'POST', '/api/v2/transactions', {
      key: apiKey,
      body: saleBody('after-outage-1', 1000),
      headers: { prefer: 'wait=10' },
    });
    assert.equal(sale.status, 201, sale.text);
    assert.equal(sale.body.data.attributes.state, 'succeeded');
    assert.equal(server.child.exitCode, null, 'the process never exited');
    assert.equal(count(server.output(), 'database unreachable'), 1, 'the outage is logged once');
    assert.equal(count(server.output(), 'database reachable again'), 1);
  });

  test('every connection terminated while sales are sent: 201 or 503, never 500 or a hang; every 201 ends final', async (t) => {
    const server = servers[0];
    assert.ok(server && apiKey, 'the first test started the server');
    // Later tests need this process's worker gone, whatever happens here.
    t.after(() => server.kill('SIGKILL'));
    const acknowledged: string[] = [];
    const statuses: number[] = [];
    let terminated = 0;
    const terminations = (async () => {
      for (let round = 0; round < 4; round += 1) {
        await new Promise((r) => setTimeout(r, 250));
        const rows = await admin<{ ok: boolean }>('select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = $1', [name]);
        terminated += rows.filter((row) => row.ok).length;
      }
    })();
    const waves = Array.from({ length: 5 }, async (_, wave) => {
      await new Promise((r) => setTimeout(r, wave * 250));
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const id = `load-${wave}-${i}`;
          const body = saleBody(id, 30_000 + wave * 1_000 + i * 100 + (i % 4 === 1 ? 53 : 0));
          // A POS retries a 503 with the same id until it is acknowledged.
          for (let attempt = 0; attempt < 20; attempt += 1) {
            const status = await postSale(server.url, apiKey, body);
            statuses.push(status);
            assert.ok([200, 201, 503].includes(status), `sale ${id} answered ${status}`);
            if (status !== 503) {
              acknowledged.push(id);
              return;
            }
            await new Promise((r) => setTimeout(r, 200));
          }
          assert.fail(`sale ${id} was never acknowledged`);
        }),
      );
    });
    await Promise.all([...waves, terminations]);
    assert.ok(terminated > 0, 'connections were terminated');
    assert.equal(acknowledged.length, 40);
    assert.ok(statuses.every((status) => status !== 500));

    for (const id of acknowledged) {
      const final = await until(
        async () => {
          const response = await call(server.url, 'GET', `/api/v2/transactions/${id}`, { key: apiKey });
          return response.status === 200 && response.body.data.attributes.state !== 'pending' ? response : undefined;
        },
        `${id} final`,
        20_000,
      );
      assert.equal(final.body.data.attributes.state, 'succeeded', id);
    }
    assert.equal((await call(server.url, 'GET', '/readyz')).status, 200);
    const later = await call(server.url, 'POST', '/api/v2/transactions', {
      key: apiKey,
      body: saleBody('after-terminations', 39_900),
      headers: { prefer: 'wait=10' },
    });
    assert.equal(later.status, 201);
    assert.equal(later.body.data.attributes.state, 'succeeded');
    assert.equal(server.child.exitCode, null);
  });

  test('SIGTERM with a held request in flight: it gets its answer, and the process exits 0 within the grace period', async () => {
    assert.ok(apiKey);
    const server = await startServer(env, await freePort());
    servers.push(server);
    // Amounts ending in 54 are never confirmed: the sale stays pending while the request holds for 3 s.
    const held = call(server.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody('held-1', 40_054), headers: { prefer: 'wait=3' } });
    await until(async () => (server.output().includes('"url":"/api/v2/transactions"') ? true : undefined), 'the request to arrive');
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    // The signal reaches the process asynchronously: wait for it to say so, not for time.
    await until(async () => (server.output().includes('shutdown: not ready any more') ? true : undefined), 'the signal to be handled');
    const readyAfter = await call(server.url, 'GET', '/readyz').then(
      (r) => r.status,
      () => 'refused',
    );
    assert.notEqual(readyAfter, 200, 'not ready once shutting down');
    const answer = await held;
    assert.equal(answer.status, 201);
    assert.equal(answer.body.data.attributes.state, 'pending');
    await server.exited;
    assert.equal(server.child.exitCode, 0, server.output().slice(-2000));
    assert.ok(Date.now() - signalled < 8_000 + 1_000, 'exited within the grace period');
    for (const phase of ['shutdown: not ready any more', 'shutdown: HTTP server closed', 'shutdown: database pool closed']) {
      assert.ok(server.output().includes(phase), phase);
    }
  });

  test('a pay call still in flight after the grace period: lease released, the next process queries instead of paying again', async () => {
    const slow = { ...env, CANCAN_PROVIDER_TIMEOUT_MS: '4000' };
    const simulatorPort = await freePort();
    const simulators = await startServer({ ...slow, CANCAN_SIMULATORS: 'on' }, simulatorPort, { command: 'simulators', waitFor: { path: '/_sandbox/ledger' } });
    servers.push(simulators);
    const external = { CANCAN_SIMULATORS: 'off', CANCAN_SIMULATOR_URL: `http://127.0.0.1:${simulatorPort}` };
    const server = await startServer({ ...slow, ...external, CANCAN_SHUTDOWN_GRACE_MS: '500' }, await freePort());
    servers.push(server);
    const db = new pg.Client({ connectionString: database.databaseUrl ?? '' });
    await db.connect();
    try {
      // Amounts ending in 56: the provider pays, and answers only after the 4 s timeout.
      const created = await call(server.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody('slow-1', 50_056) });
      assert.equal(created.status, 201);
      const sentAt = await until(
        async () => {
          const rows = await db.query<{ provider_sent_at: string | null }>("select provider_sent_at from transactions where client_id = 'slow-1'");
          return rows.rows[0]?.provider_sent_at ?? undefined;
        },
        'the pay call to be sent',
        10_000,
      );
      assert.ok(sentAt);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      await server.exited;
      assert.equal(server.child.exitCode, 0, server.output().slice(-2000));
      assert.ok(Date.now() - signalled < 500 + 2_000, 'exited soon after the grace period');
      assert.match(server.output(), /released the leases of unfinished jobs/);
      const job = await db.query<{ lease_owner: string | null; done_at: string | null }>(
        "select j.lease_owner, j.done_at from jobs j join transactions t on t.seq = j.transaction_seq where t.client_id = 'slow-1'",
      );
      assert.deepEqual(job.rows, [{ lease_owner: null, done_at: null }], 'released, not finished');

      const next = await startServer({ ...env, ...external }, await freePort());
      servers.push(next);
      const final = await until(
        async () => {
          const response = await call(next.url, 'GET', '/api/v2/transactions/slow-1', { key: apiKey });
          return response.body.data.attributes.state !== 'pending' ? response : undefined;
        },
        'slow-1 final',
        20_000,
      );
      assert.equal(final.body.data.attributes.state, 'succeeded');
      const calls = await db.query<{ call: string }>(
        `select a.call from provider_attempts a join transactions t on t.seq = a.transaction_seq where t.client_id = 'slow-1'`,
      );
      assert.ok(
        calls.rows.every((row) => row.call !== 'micropay'),
        `no second pay: ${calls.rows.map((r) => r.call)}`,
      );
      assert.ok(
        calls.rows.some((row) => row.call === 'orderquery'),
        'the order was queried',
      );
      const orders = (await ledger(simulators.url)).filter((entry) => entry.amount === 50_056);
      assert.deepEqual(
        orders.map((entry) => entry.status),
        ['paid'],
      );
    } finally {
      await db.end();
    }
  });
});
