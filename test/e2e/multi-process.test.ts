/**
 * Production mode on PostgreSQL: one `cancan simulators` process, two API
 * processes (--role api) and two workers (--role worker) on one database.
 * Concurrent sales spread over both APIs and the three providers (including
 * test values that need queries and reversals), one id sent to both APIs at
 * once, and one worker killed with SIGKILL while it holds job leases. Then:
 * one transaction per id, every acknowledged sale final, the final states in
 * agreement with the simulators' ledger, no pay call sent twice, and the
 * killed worker's jobs taken over by the other.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { GATEWAYS, call, ledger, saleBody } from '../support/client.js';
import { type ServerProcess, cli, freePort, sharedDatabaseProcesses, startServer } from '../support/process.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const SALES = 60;
const SUFFIXES = [0, 53, 55, 56, 54, 61, 51, 0, 53, 56];
const SALE_GATEWAYS = GATEWAYS.filter((g) => g.currency !== 'TWD');
/** The pay call of each provider, as recorded in provider attempts. */
const PAY_CALLS = ['micropay', 'alipay.trade.pay', 'oneTimeKeys/pay'];

describe('several API and worker processes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let db: pg.Client;
  const processes: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
    db = new pg.Client({ connectionString: database.databaseUrl ?? '' });
    await db.connect();
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await db.end();
    await database.drop();
  });

  test('every sale once, final, and in agreement with the provider ledger after a worker is killed', async () => {
    const { env, simulator } = await sharedDatabaseProcesses(database, {
      CANCAN_CONFIRM_WINDOW_MS: '4000',
      CANCAN_POLL_INTERVAL_MS: '150',
      CANCAN_PROVIDER_TIMEOUT_MS: '700',
      CANCAN_SIM_CONFIRM_DELAY_MS: '400',
      CANCAN_JOB_LEASE_MS: '2500',
      CANCAN_WORKER_CONCURRENCY: '8',
      CANCAN_RATE_LIMIT_PER_SECOND: '10000',
      CANCAN_RATE_LIMIT_BURST: '10000',
    });
    processes.push(simulator);
    const created = cli(env, ['merchant', 'create', '--name', 'Many Shops', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const { api_key: apiKey, merchant } = JSON.parse(created.stdout) as { api_key: string; merchant: { id: string } };

    const start = async (role: string) => startServer(env, await freePort(), { args: ['--role', role] });
    // Every process that did start is stopped in `after`, even when another failed to start.
    const started = await Promise.allSettled([start('api'), start('api'), start('worker'), start('worker')]);
    for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
    const [apiA, apiB, workerA, workerB] = started.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
    if (!apiA || !apiB || !workerA || !workerB) throw new Error('a process did not start');
    const apis = [apiA, apiB];
    assert.equal((await call(workerA.url, 'GET', '/api/v2/transactions', { key: apiKey })).status, 404, 'a worker serves no API');

    // Kill worker A as soon as it holds a lease, while the sales are being processed.
    const victim = { jobs: [] as { id: number; attempts: number }[] };
    const killing = (async () => {
      const deadline = Date.now() + 15_000;
      while (victim.jobs.length === 0 && Date.now() < deadline) {
        const leased = await db.query<{ id: string; attempts: number }>('select id, attempts from jobs where done_at is null and lease_owner like $1', [
          `worker-${workerA.child.pid}-%`,
        ]);
        victim.jobs = leased.rows.map((row) => ({ id: Number(row.id), attempts: row.attempts }));
        if (victim.jobs.length === 0) await new Promise((r) => setTimeout(r, 10));
      }
      await workerA.kill('SIGKILL');
    })();

    const acknowledged = new Map<string, number>();
    const sales = Array.from({ length: SALES }, async (_, i) => {
      const amount = 20_000 + i * 100 + (SUFFIXES[i % SUFFIXES.length] ?? 0);
      const gateway = SALE_GATEWAYS[i % SALE_GATEWAYS.length];
      if (!gateway) throw new Error('no gateway');
      const id = `multi-${i}`;
      const attributes = { payment_gateway: gateway.code, currency: gateway.currency, payment_auth_key: gateway.authCode };
      const response = await call(apis[i % 2]?.url ?? '', 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(id, amount, attributes) });
      assert.equal(response.status, 201, response.text);
      acknowledged.set(id, amount);
    });
    // The same sale sent to both API processes at once.
    const duplicateBody = saleBody('multi-duplicate', 90_000);
    const duplicates = Promise.all(apis.map((api) => call(api.url, 'POST', '/api/v2/transactions', { key: apiKey, body: duplicateBody })));
    await Promise.all(sales);
    const [first, second] = await duplicates;
    await killing;
    assert.ok(victim.jobs.length > 0, 'the killed worker held leases');

    assert.deepEqual([first?.status, second?.status].sort(), [200, 201], 'one creates, the other replays');
    assert.equal(first?.body.data.id, 'multi-duplicate');
    assert.equal(second?.body.data.id, 'multi-duplicate');
    assert.equal(first?.body.data.attributes.amount, second?.body.data.attributes.amount);
    acknowledged.set('multi-duplicate', 90_000);

    const rowsPerId = await db.query<{ client_id: string; n: string }>(
      'select client_id, count(*) as n from transactions where merchant_id = $1 group by client_id',
      [merchant.id],
    );
    assert.equal(rowsPerId.rows.length, SALES + 1);
    assert.ok(
      rowsPerId.rows.every((row) => row.n === '1'),
      'exactly one transaction per id',
    );

    // Every acknowledged sale ends final, processed by the surviving worker.
    const states = new Map<string, string>();
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (Date.now() < deadline) {
      const result = await db.query<{ client_id: string; state: string }>('select client_id, state from transactions where merchant_id = $1', [merchant.id]);
      for (const row of result.rows) states.set(row.client_id, row.state);
      if ([...acknowledged.keys()].every((id) => states.get(id) !== 'pending')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const pending = [...acknowledged.keys()].filter((id) => states.get(id) !== 'succeeded' && states.get(id) !== 'failed');
    assert.deepEqual(pending, [], 'every acknowledged sale is final');

    // The killed worker's jobs were claimed again and finished by the other one.
    const victimJobs = await db.query<{ id: string; attempts: number; done_at: string | null }>('select id, attempts, done_at from jobs where id = any($1)', [
      victim.jobs.map((job) => job.id),
    ]);
    assert.ok(
      victimJobs.rows.every((row) => row.done_at !== null),
      "the killed worker's jobs are done",
    );
    const reclaimed = victimJobs.rows.filter((row) => row.attempts > (victim.jobs.find((job) => job.id === Number(row.id))?.attempts ?? 0));
    assert.ok(reclaimed.length > 0, 'a job leased by the killed worker was claimed again after its lease expired');

    // At most one pay call per sale: a worker that resumes a sent pay queries instead.
    const payCalls = await db.query<{ client_id: string; n: string }>(
      `select t.client_id, sum(a.repeat_count) as n from provider_attempts a join transactions t on t.seq = a.transaction_seq
       where t.merchant_id = $1 and a.call = any($2) group by t.client_id`,
      [merchant.id, PAY_CALLS],
    );
    assert.ok(payCalls.rows.length > SALES / 2, 'pay calls were recorded');
    for (const row of payCalls.rows) assert.equal(row.n, '1', `one pay call for ${row.client_id}`);

    // The provider's books agree with the final states: one order per sale, paid exactly when it succeeded.
    const entries = await ledger(simulator.url);
    for (const [id, amount] of acknowledged) {
      const orders = entries.filter((entry) => entry.amount === amount);
      assert.ok(orders.length <= 1, `${id}: one provider order at most, got ${orders.length}`);
      const paid = orders.filter((entry) => entry.status === 'paid').length;
      assert.equal(paid, states.get(id) === 'succeeded' ? 1 : 0, `${id} (${amount}) is ${states.get(id)}; ledger: ${orders[0]?.status}`);
    }
    const saleAmounts = new Set(acknowledged.values());
    for (const entry of entries.filter((e) => e.status === 'paid')) assert.ok(saleAmounts.has(entry.amount), `paid order ${entry.amount} belongs to a sale`);
    // Refusals and unconfirmed payments fail whatever happened to the worker.
    for (const [id, amount] of acknowledged) {
      if ([51, 54, 61].includes(amount % 100)) assert.equal(states.get(id), 'failed', `${id} (${amount})`);
    }
    assert.ok([...states.values()].filter((s) => s === 'succeeded').length > SALES / 3, 'most sales succeeded');
  });

  test('roles: a bad --role is a usage error; api and worker roles need PostgreSQL', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cancan-roles-'));
    try {
      const bad = cli({ CANCAN_DATA_DIR: dataDir }, ['serve', '--role', 'boss']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--role must be one of api, worker, all/);
      // The flag wins over CANCAN_ROLE; without the flag, CANCAN_ROLE counts.
      for (const [env, args] of [
        [{ CANCAN_ROLE: 'all' }, ['--role', 'worker']],
        [{ CANCAN_ROLE: 'api' }, []],
      ] as const) {
        const refused = cli({ CANCAN_DATA_DIR: dataDir, ...env }, ['serve', ...args]);
        assert.equal(refused.status, 1, refused.stderr);
        assert.match(refused.stderr, /roles need PostgreSQL \(DATABASE_URL\); the embedded SQLite database serves one process/);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
