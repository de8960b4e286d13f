/**
 * Live WeChat Pay end to end, as in production: CanCan (`cancan serve`, its
 * own process) with live keys and live credentials set through the CLI, and
 * the WeChat Pay simulator as the live host in another process, over HTTPS,
 * with a CA the test makes. CanCan trusts that CA the way a deployment
 * would (NODE_EXTRA_CA_CERTS) and presents the merchant's API certificate on
 * reverse and refund, in service-provider mode (sub_mch_id). A merchant
 * without a certificate has its refund fail at once, saying why.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { tlsFetch } from '../../src/providers/wechatpay/transport.js';
import { type ApiResponse, type LedgerEntry, call, refundBody, saleBody, uniqueId, voidBody, waitFinal } from '../support/client.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';
import { type TestCa, createTestCa } from '../support/test-ca.js';

const SIMULATOR_SCRIPT = fileURLToPath(new URL('../support/wechatpay-tls-simulator.js', import.meta.url));

/** An institution (service-provider mode) with its sub-merchant, and a merchant of its own that has no certificate. */
const INSTITUTION = {
  appId: 'wx8888888888888888',
  mchId: '1900009191',
  apiKey: 'liveinstitutionapikey00000000032',
  signType: 'HMAC-SHA256',
  subMchId: '1900000100',
};
const NO_CERT_MERCHANT = { appId: 'wx2421b1c4370ec43b', mchId: '1900009192', apiKey: 'livemerchantwithoutcert000000032', signType: 'MD5' };

interface Simulator {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startTlsSimulator(ca: TestCa, dataDir: string): Promise<Simulator> {
  const child = spawn(process.execPath, [SIMULATOR_SCRIPT], {
    env: { ...process.env, WECHAT_SIM_TLS_DIR: ca.dir, WECHAT_SIM_MERCHANTS: JSON.stringify([INSTITUTION, NO_CERT_MERCHANT]), CANCAN_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (https:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', () => reject(new Error(`the simulator exited:\n${output}`)));
  });
  return { child, url };
}

describe('live WeChat Pay over TLS: CanCan and the provider as separate processes', () => {
  let ca: TestCa;
  let dir: string;
  let simulator: Simulator;
  let cancan: ServerProcess;
  let env: Record<string, string>;
  let withCertKey = '';
  let withoutCertKey = '';

  /** Creates a merchant with a live key and the given live WeChat Pay credentials; returns the key. */
  function liveMerchant(name: string, credentials: Record<string, unknown>, extraArgs: readonly string[] = []): string {
    const created = cli(env, ['merchant', 'create', '--name', name, '--gateways', 'all', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const merchantId = JSON.parse(created.stdout).merchant.id as string;
    const key = cli(env, ['key', 'create', '--merchant', merchantId, '--mode', 'live', '--json']);
    assert.equal(key.status, 0, key.stderr);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(credentials));
    const stored = cli(env, ['provider', 'set-credentials', '--merchant', merchantId, 'wechatpay', '--file', file, ...extraArgs, '--json']);
    assert.equal(stored.status, 0, stored.stderr);
    return JSON.parse(key.stdout).api_key as string;
  }

  before(async () => {
    ca = createTestCa();
    dir = mkdtempSync(join(tmpdir(), 'cancan-wechat-live-'));
    const appDir = join(dir, 'cancan');
    mkdirSync(appDir);
    simulator = await startTlsSimulator(ca, dir);
    env = {
      CANCAN_DATA_DIR: appDir,
      CANCAN_MASTER_KEY: randomBytes(32).toString('hex'),
      CANCAN_DEMO: 'off',
      CANCAN_WECHATPAY_URL: `${simulator.url}/_sim/wechatpay`,
      CANCAN_ALLOW_PRIVATE_URLS: 'on',
      CANCAN_CONFIRM_WINDOW_MS: '2500',
      CANCAN_POLL_INTERVAL_MS: '100',
      CANCAN_PROVIDER_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'warn',
      // How a deployment trusts a private CA; CanCan's own code has no test switch for it.
      NODE_EXTRA_CA_CERTS: ca.caFile,
    };
    cancan = await startServer(env, await freePort());
    const client = ca.client(INSTITUTION.mchId);
    // The certificate as WeChat issues it: apiclient_cert.p12, given to the CLI as a file.
    const p12File = join(dir, 'apiclient_cert.p12');
    writeFileSync(p12File, Buffer.from(client.p12Base64, 'base64'));
    withCertKey = liveMerchant('institution', INSTITUTION, ['--cert-p12', p12File]);
    withoutCertKey = liveMerchant('nocert', NO_CERT_MERCHANT);
  });

  after(async () => {
    await cancan?.kill('SIGTERM');
    if (simulator && simulator.child.exitCode === null) simulator.child.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
    ca?.remove();
  });

  const pos = (key: string, body: unknown): Promise<ApiResponse> =>
    call(cancan.url, 'POST', '/api/v2/transactions', { key, body, headers: { prefer: 'wait=10' } });
  const final = async (key: string, id: string): Promise<ApiResponse> => waitFinal(cancan.url, key, id, 20_000);
  const simFetch = (): typeof fetch => tlsFetch({ ca: ca.caPem });
  /** The live provider's one order of this amount (each test uses amounts of its own). */
  async function ledgerEntry(amount: number): Promise<LedgerEntry | undefined> {
    const response = await simFetch()(`${simulator.url}/_sandbox/ledger`, { method: 'GET' });
    const entries = ((await response.json()) as { entries: LedgerEntry[] }).entries.filter((entry) => entry.amount === amount);
    assert.equal(entries.length, 1, `one order of ${amount}: ${JSON.stringify(entries)}`);
    return entries[0];
  }

  test('set-credentials refuses a certificate of another merchant with one line saying so', () => {
    const created = cli(env, ['merchant', 'create', '--name', 'refused', '--gateways', 'all', '--json']);
    const merchantId = JSON.parse(created.stdout).merchant.id as string;
    const file = join(dir, 'wrong.json');
    writeFileSync(file, JSON.stringify({ ...INSTITUTION, certP12: ca.client('1900000999').p12Base64, certPassphrase: '1900000999' }));
    const refused = cli(env, ['provider', 'set-credentials', '--merchant', merchantId, 'wechatpay', '--file', file]);
    assert.notEqual(refused.status, 0);
    const lines = refused.stderr.trim().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0] ?? '', /the WeChat Pay API certificate was issued to merchant 1900000999, not to mchId 1900009191/);
  });

  test('sale, partial refund and a void of another sale go through with the API certificate', async () => {
    const saleId = uniqueId('live-sale');
    const sale = await pos(withCertKey, saleBody(saleId, 1_000));
    assert.equal(sale.status, 201, sale.text);
    assert.equal(sale.body.data.attributes.state, 'succeeded');

    const refundId = uniqueId('live-refund');
    assert.equal((await pos(withCertKey, refundBody(refundId, saleId, 400))).status, 201);
    const refund = await final(withCertKey, refundId);
    assert.deepEqual([refund.body.data.attributes.state, refund.body.data.attributes.failure_code], ['succeeded', null], refund.text);

    const voidedId = uniqueId('live-voided');
    const voided = await pos(withCertKey, saleBody(voidedId, 2_000));
    assert.equal(voided.body.data.attributes.state, 'succeeded');
    const voidId = uniqueId('live-void');
    assert.equal((await pos(withCertKey, voidBody(voidId, voidedId))).status, 201);
    const done = await final(withCertKey, voidId);
    assert.deepEqual([done.body.data.attributes.state, done.body.data.attributes.failure_code], ['succeeded', null]);

    const ledger = await ledgerEntry(1_000);
    assert.deepEqual([ledger?.status, ledger?.refunded_amount], ['partially_refunded', 400]);
    assert.equal((await ledgerEntry(2_000))?.status, 'reversed');
  });

  test('a sale the provider never confirms (test value 61) is reversed over secapi and fails', async () => {
    const id = uniqueId('live-unpaid');
    assert.equal((await pos(withCertKey, saleBody(id, 2_061))).status, 201);
    const sale = await final(withCertKey, id);
    assert.equal(sale.body.data.attributes.state, 'failed');
    assert.equal(sale.body.data.attributes.failure_code, 'payment_gateway_failure');
    assert.equal((await ledgerEntry(2_061))?.status, 'reversed');
  });

  test('without a certificate a live refund fails at once, and the failure says why', async () => {
    const saleId = uniqueId('nocert-sale');
    const sale = await pos(withoutCertKey, saleBody(saleId, 1_500));
    assert.equal(sale.body.data.attributes.state, 'succeeded', sale.text);
    const refundId = uniqueId('nocert-refund');
    assert.equal((await pos(withoutCertKey, refundBody(refundId, saleId, 500))).status, 201);
    const refund = await final(withoutCertKey, refundId);
    assert.equal(refund.body.data.attributes.state, 'failed');
    assert.equal(refund.body.data.attributes.failure_code, 'payment_gateway_failure');
    assert.match(refund.body.data.attributes.failure_detail, /NO_CLIENT_CERTIFICATE: reverse and refund need the merchant API certificate/);
    const ledger = await ledgerEntry(1_500);
    assert.deepEqual([ledger?.status, ledger?.refunded_amount], ['paid', 0]);
  });
});
