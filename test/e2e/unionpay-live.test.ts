/**
 * UnionPay live mode end to end, every part in a process of its own: the
 * simulators (own data directory, signing with a certificate from a CA this
 * test makes with openssl) play the live gateway; CanCan (PostgreSQL) has
 * the merchant's live credentials set through the CLI, which refuses ones
 * that do not belong together. A live charge is paid on UnionPay's page;
 * CanCan is killed and started again, and a refund — which must name the
 * consume by the txnTime the first process sent — goes through. A cancel is
 * refused (Citcon's cancel serves Alipay and WeChat Pay only).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadOrCreateUnionPaySandboxKeys, UNIONPAY_SANDBOX_MER_ID, UNIONPAY_SIGNING_CERT_FILE } from '../../src/providers/unionpay/keys.js';
import { chop, idFromUrl, scan, waitFor } from '../support/chop.js';
import { ledger } from '../support/client.js';
import { type TestDatabase, createTestDatabase } from '../support/databases.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';
import { createTestCa, type TestCa } from '../contract/unionpay-ca.js';

describe('UnionPay live mode against the simulators in a process of their own', () => {
  let database: TestDatabase;
  let db: pg.Client;
  let simDir: string;
  let ca: TestCa;
  const processes: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
    db = new pg.Client({ connectionString: database.databaseUrl ?? '' });
    await db.connect();
    simDir = mkdtempSync(join(tmpdir(), 'cancan-unionpay-live-sims-'));
    ca = createTestCa('Live Test CA');
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await db.end();
    await database.drop();
    ca.dispose();
    rmSync(simDir, { recursive: true, force: true });
  });

  test('credentials checked by the CLI; paid, restarted, refunded with the original txnTime; cancel refused', async () => {
    // The simulators' own keys, and their signing certificate from the test CA, in their own data directory.
    const keys = loadOrCreateUnionPaySandboxKeys(simDir);
    writeFileSync(join(simDir, UNIONPAY_SIGNING_CERT_FILE), ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem }));
    const simPort = await freePort();
    const simEnv = {
      CANCAN_DATA_DIR: simDir,
      CANCAN_SIMULATORS: 'on',
      CANCAN_DEMO: 'off',
      LOG_LEVEL: 'warn',
      CANCAN_MASTER_KEY: randomBytes(32).toString('hex'),
    };
    const simulator = await startServer(simEnv, simPort, { command: 'simulators', waitFor: { path: '/_sandbox/ledger' }, timeoutMs: 60_000 });
    processes.push(simulator);

    const env: Record<string, string> = {
      DATABASE_URL: database.databaseUrl ?? '',
      CANCAN_DATA_DIR: database.dataDir,
      CANCAN_MASTER_KEY: randomBytes(32).toString('hex'),
      CANCAN_DEMO: 'off',
      CANCAN_SIMULATORS: 'off',
      CANCAN_SIMULATOR_URL: simulator.url,
      CANCAN_UNIONPAY_URL: `${simulator.url}/_sim/unionpay/`,
      CANCAN_POLL_INTERVAL_MS: '150',
      LOG_LEVEL: 'warn',
    };
    const created = cli(env, ['merchant', 'create', '--name', 'UnionPay Live Shop', '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const merchantId = (JSON.parse(created.stdout) as { merchant: { id: string } }).merchant.id;
    const liveKeyCreated = cli(env, ['key', 'create', '--merchant', merchantId, '--mode', 'live', '--json']);
    assert.equal(liveKeyCreated.status, 0, liveKeyCreated.stderr);
    const liveKey = (JSON.parse(liveKeyCreated.stdout) as { api_key: string }).api_key;

    const credentials = {
      merId: UNIONPAY_SANDBOX_MER_ID,
      certId: '880011223344',
      merchantPrivateKeyPem: keys.merchant.privateKeyPem,
      merchantCertPem: ca.issue({ privateKeyPem: keys.merchant.privateKeyPem, identity: UNIONPAY_SANDBOX_MER_ID, serial: 880011223344n }),
      rootCertPem: ca.rootCertPem,
      middleCertPem: ca.middleCertPem,
    };
    const file = join(simDir, 'unionpay-credentials.json');
    writeFileSync(file, JSON.stringify({ ...credentials, certId: '880011223345' }), { mode: 0o600 });
    const refused = cli(env, ['provider', 'set-credentials', '--merchant', merchantId, 'unionpay', '--file', file]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /invalid unionpay credentials: certId is not the serial number of merchantCertPem/);
    writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
    const stored = cli(env, ['provider', 'set-credentials', '--merchant', merchantId, 'unionpay', '--file', file, '--json']);
    assert.equal(stored.status, 0, stored.stderr);
    assert.deepEqual(JSON.parse(stored.stdout), { merchant: merchantId, provider: 'unionpay', stored: true });

    let server = await startServer(env, await freePort(), { timeoutMs: 60_000 });
    processes.push(server);
    const charge = await chop(server.url, '/chop/chop', liveKey, { payment_method: 'upop', amount: 3456, currency: 'CNY', reference: 'live-upop-1' });
    assert.equal(charge.status, 200, charge.text);
    const ref = idFromUrl(charge.body.url);
    const row = await waitFor(async () => {
      const result = await db.query<{ seq: string; pay_form: string | null; qr_code: string | null; mode: string }>(
        'select seq, pay_form, qr_code, mode from transactions where ref = $1',
        [ref],
      );
      const found = result.rows[0];
      return found?.pay_form && found.qr_code ? found : undefined;
    }, 15_000);
    assert.equal(row.mode, 'live');
    const form = JSON.parse(row.pay_form ?? '') as { action: string; fields: Record<string, string> };
    assert.equal(form.action, `${simulator.url}/_sim/unionpay/gateway/api/frontTransReq.do`, 'the live URL setting is used');
    assert.equal(form.fields['certId'], credentials.certId);
    const page = await fetch(form.action, { method: 'POST', body: new URLSearchParams(form.fields) });
    assert.equal(page.status, 200, await page.text());
    const scanned = await scan(simulator.url, row.qr_code ?? '', 'approve');
    assert.equal(scanned.status, 200, scanned.text);
    const state = await waitFor(async () => {
      const result = await db.query<{ state: string }>('select state from transactions where ref = $1', [ref]);
      const value = result.rows[0]?.state;
      return value === 'pending' ? undefined : value;
    }, 20_000);
    assert.equal(state, 'succeeded', 'the live answers verified through the test CA chain');

    // A new process knows nothing but what the database holds.
    await server.kill('SIGKILL');
    server = await startServer(env, await freePort(), { timeoutMs: 60_000 });
    processes.push(server);
    const cancel = await chop(server.url, '/chop/cancel', liveKey, { transaction_id: ref, reason: 'test' });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(cancel.body.cancelled, false, cancel.text);
    const refund = await chop(server.url, '/chop/refund', liveKey, { transaction_id: ref, amount: 1000, currency: 'CNY', reason: 'test' });
    assert.equal(refund.status, 200, refund.text);
    const refundState = await waitFor(async () => {
      const result = await db.query<{ state: string }>("select state from transactions where sale_seq = $1 and type = 'refund' and state != 'pending'", [
        row.seq,
      ]);
      return result.rows[0]?.state;
    }, 20_000);
    assert.equal(refundState, 'succeeded');
    const entries = (await ledger(simulator.url)).filter((entry) => entry.provider === 'unionpay' && entry.amount === 3456);
    assert.deepEqual(
      entries.map((entry) => [entry.status, entry.refunded_amount]),
      [['partially_refunded', 1000]],
    );
  });
});
