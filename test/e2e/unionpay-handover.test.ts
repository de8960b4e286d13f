/**
 * A UnionPay charge handed from one worker process to another on PostgreSQL:
 * worker A creates the order and polls it while the shopper's payment page is
 * open, A is killed with SIGKILL, worker B takes the job over once A's lease
 * expires, and the shopper pays. B queries with the txnTime A's attempt
 * stored, so the charge succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { chop, idFromUrl, scan, waitFor } from '../support/chop.js';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { type ServerProcess, cli, freePort, sharedDatabaseProcesses, startServer } from '../support/process.js';

describe('a UnionPay charge taken over by another worker process (PostgreSQL)', () => {
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

  test('worker A dies with the payment page open; worker B sees the payment and the charge succeeds', async () => {
    const { env, simulator } = await sharedDatabaseProcesses(database, {
      CANCAN_POLL_INTERVAL_MS: '150',
      CANCAN_PROVIDER_TIMEOUT_MS: '1000',
      CANCAN_JOB_LEASE_MS: '2500',
    });
    processes.push(simulator);
    const created = cli(env, ['merchant', 'create', '--name', 'Handover Shop', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const { api_key: apiKey } = JSON.parse(created.stdout) as { api_key: string };
    const start = async (role: string) => {
      const server = await startServer(env, await freePort(), { args: ['--role', role] });
      processes.push(server);
      return server;
    };
    const api = await start('api');
    const workerA = await start('worker');

    const charge = await chop(api.url, '/chop/chop', apiKey, { payment_method: 'upop', amount: 2468, currency: 'CNY', reference: 'handover-1' });
    assert.equal(charge.status, 200, charge.text);
    const ref = idFromUrl(charge.body.url);
    const row = await waitFor(async () => {
      const result = await db.query<{ seq: string; pay_form: string | null; qr_code: string | null }>(
        'select seq, pay_form, qr_code from transactions where ref = $1',
        [ref],
      );
      const found = result.rows[0];
      return found?.pay_form && found.qr_code ? found : undefined;
    }, 15_000);
    const form = JSON.parse(row.pay_form ?? '') as { action: string; fields: Record<string, string> };
    const page = await fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form.fields).toString(),
    });
    assert.equal(page.status, 200, await page.text());

    // Worker A polls the open order, and dies holding the job.
    const leasedByA = `worker-${workerA.child.pid}-%`;
    await waitFor(async () => {
      const polled = await db.query('select 1 from provider_attempts where transaction_seq = $1 and call = $2', [row.seq, 'queryTrans']);
      const held = await db.query('select 1 from jobs where transaction_seq = $1 and done_at is null and lease_owner like $2', [row.seq, leasedByA]);
      return polled.rows.length > 0 && held.rows.length > 0 ? true : undefined;
    }, 15_000);
    await workerA.kill('SIGKILL');
    await start('worker');

    const scanned = await scan(simulator.url, row.qr_code ?? '', 'approve');
    assert.equal(scanned.status, 200, scanned.text);
    const state = await waitFor(async () => {
      const result = await db.query<{ state: string }>('select state from transactions where ref = $1', [ref]);
      const value = result.rows[0]?.state;
      return value === 'pending' ? undefined : value;
    }, 20_000);
    assert.equal(state, 'succeeded');
    const paid = await db.query<{ outcome: string }>('select outcome from provider_attempts where transaction_seq = $1 order by id desc limit 1', [row.seq]);
    assert.deepEqual(paid.rows, [{ outcome: 'paid' }]);
    const job = await db.query<{ lease_owner: string | null; done_at: string | null }>(
      'select lease_owner, done_at from jobs where transaction_seq = $1 and kind = $2',
      [row.seq, 'transaction'],
    );
    assert.notEqual(job.rows[0]?.done_at ?? null, null, 'the job is done');
  });
});
