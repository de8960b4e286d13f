/**
 * Live keys use the merchant's own sealed provider credentials and the live
 * endpoints. Here the "live" endpoints are the simulators, run as a server of
 * their own, so the whole live path runs without the internet.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { LINEPAY_SANDBOX_CREDENTIALS } from '../../src/providers/linepay/adapter.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { type SimulatorServer, startSimulatorServer } from '../../src/simulators/server.js';
import { FAST_ENV, type TestApp, startTestApp } from '../support/harness.js';
import { GATEWAYS, call, ledger, saleBody, uniqueId } from '../support/client.js';
import { cli } from '../support/process.js';

describe('live mode', () => {
  let simDir: string;
  let sims: SimulatorServer;
  let t: TestApp;
  before(async () => {
    simDir = mkdtempSync(join(tmpdir(), 'cancan-sims-'));
    sims = await startSimulatorServer(loadConfig({ ...FAST_ENV, PORT: '0', CANCAN_DATA_DIR: simDir, LOG_LEVEL: 'warn' }));
    t = await startTestApp('sqlite', {
      CANCAN_SIMULATORS: 'off',
      CANCAN_SIMULATOR_URL: sims.url,
      CANCAN_WECHATPAY_URL: `${sims.url}/_sim/wechatpay`,
      CANCAN_ALIPAY_URL: `${sims.url}/_sim/alipay/gateway.do`,
      CANCAN_LINEPAY_URL: `${sims.url}/_sim/linepay`,
    });
  });
  after(async () => {
    await t.close();
    await sims.close();
    rmSync(simDir, { recursive: true, force: true });
  });

  test('live keys need stored credentials; with them, every provider is paid through its live endpoint', async () => {
    const test1 = await t.merchant();
    const env = { CANCAN_DATA_DIR: t.database.dataDir };
    const key = JSON.parse(cli(env, ['key', 'create', '--merchant', test1.id, '--mode', 'live', '--json']).stdout).api_key as string;
    const refused = await call(t.url, 'POST', '/api/v2/transactions', { key, body: saleBody(uniqueId('sale'), 100) });
    assert.equal(refused.status, 403);
    assert.match(refused.body.errors[0].detail, /no wechatpay credentials/);

    const alipayKeys = loadOrCreateAlipaySandboxKeys(simDir);
    const credentials = {
      wechatpay: WECHATPAY_SANDBOX_CREDENTIALS,
      alipay: { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: alipayKeys.app.privateKeyPem, alipayPublicKeyPem: alipayKeys.platform.publicKeyPem },
      linepay: LINEPAY_SANDBOX_CREDENTIALS,
    };
    for (const [provider, value] of Object.entries(credentials)) {
      const file = join(simDir, `${provider}.json`);
      writeFileSync(file, JSON.stringify(value));
      const stored = cli(env, ['provider', 'set-credentials', '--merchant', test1.id, provider, '--file', file, '--json']);
      assert.equal(stored.status, 0, stored.stderr);
    }
    for (const [index, g] of GATEWAYS.entries()) {
      const amount = 900_000 + index * 100;
      const sale = await call(t.url, 'POST', '/api/v2/transactions', {
        key,
        body: saleBody(uniqueId('live'), amount, { payment_gateway: g.code, currency: g.currency, payment_auth_key: g.authCode }),
        headers: { prefer: 'wait=10' },
      });
      assert.equal(sale.body.data.attributes.state, 'succeeded', `${g.code}: ${sale.text}`);
      assert.deepEqual((await ledger(sims.url)).filter((e) => e.amount === amount).map((e) => e.provider), [g.provider]);
    }

    // Credentials are stored sealed and checked before they are stored.
    const rows = JSON.stringify(await t.app.deps.store.db.selectFrom('provider_credentials').selectAll().execute());
    assert.ok(!rows.includes(WECHATPAY_SANDBOX_CREDENTIALS.apiKey));
    assert.ok(!rows.includes('BEGIN'));
    const bad = join(simDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ appId: 'x' }));
    const invalid = cli(env, ['provider', 'set-credentials', '--merchant', test1.id, 'wechatpay', '--file', bad]);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /mchId is required/);
  });

  test('test keys reach simulators running as a separate server', async () => {
    const merchant = await t.merchant();
    const sale = await call(t.url, 'POST', '/api/v2/transactions', { key: merchant.apiKey, body: saleBody(uniqueId('sale'), 4321), headers: { prefer: 'wait=10' } });
    assert.equal(sale.body.data.attributes.state, 'succeeded');
    assert.equal((await ledger(sims.url)).filter((e) => e.amount === 4321).length, 1);
  });
});
