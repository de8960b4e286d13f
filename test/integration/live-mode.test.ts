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
import { alipaySandboxCredentials, loadOrCreateAlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { LINEPAY_SANDBOX_CREDENTIALS } from '../../src/providers/linepay/adapter.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { type SimulatorServer, startSimulatorServer } from '../../src/simulators/server.js';
import { FAST_ENV, type TestApp, startTestApp } from '../support/harness.js';
import { GATEWAYS, call, ledger, saleBody, uniqueId } from '../support/client.js';
import { CHOP_METHODS, chop } from '../support/chop.js';
import { cli } from '../support/process.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

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
      // The CLI runs synchronously (spawnSync) and blocks this process, server included, for seconds: a
      // kept-alive connection must not time out meanwhile, or the next request meets the close (ECONNRESET).
      CANCAN_KEEP_ALIVE_TIMEOUT_MS: '600000',
    });
  });
  after(async () => {
    await t.close();
    await sims.close();
    rmSync(simDir, { recursive: true, force: true });
  });

  /** Stores the simulators' credentials as a merchant's live credentials, through the CLI. */
  function storeCredentials(merchantId: string, providers: ReadonlyArray<'wechatpay' | 'alipay' | 'linepay'>): void {
    const credentials = {
      wechatpay: WECHATPAY_SANDBOX_CREDENTIALS,
      alipay: alipaySandboxCredentials(loadOrCreateAlipaySandboxKeys(simDir)),
      linepay: LINEPAY_SANDBOX_CREDENTIALS,
    };
    for (const provider of providers) {
      const file = join(simDir, `${provider}.json`);
      writeFileSync(file, JSON.stringify(credentials[provider]));
      const stored = cli({ CANCAN_DATA_DIR: t.database.dataDir }, [
        'provider',
        'set-credentials',
        '--merchant',
        merchantId,
        provider,
        '--file',
        file,
        '--json',
      ]);
      assert.equal(stored.status, 0, stored.stderr);
    }
  }

  const liveKey = (merchantId: string): string =>
    JSON.parse(cli({ CANCAN_DATA_DIR: t.database.dataDir }, ['key', 'create', '--merchant', merchantId, '--mode', 'live', '--json']).stdout).api_key as string;

  test('live keys need stored credentials; with them, every provider is paid through its live endpoint', async () => {
    const test1 = await t.merchant();
    const env = { CANCAN_DATA_DIR: t.database.dataDir };
    const key = liveKey(test1.id);
    const refused = await call(t.url, 'POST', '/api/v2/transactions', { key, body: saleBody(uniqueId('sale'), 100) });
    assert.equal(refused.status, 403);
    assert.match(refused.body.errors[0].detail, /no wechatpay credentials/);

    storeCredentials(test1.id, ['wechatpay', 'alipay', 'linepay']);
    for (const [index, g] of GATEWAYS.entries()) {
      const amount = 900_000 + index * 100;
      const sale = await call(t.url, 'POST', '/api/v2/transactions', {
        key,
        body: saleBody(uniqueId('live'), amount, { payment_gateway: g.code, currency: g.currency, payment_auth_key: g.authCode }),
        headers: { prefer: 'wait=10' },
      });
      assert.equal(sale.body.data.attributes.state, 'succeeded', `${g.code}: ${sale.text}`);
      assert.deepEqual(
        (await ledger(sims.url)).filter((e) => e.amount === amount).map((e) => e.provider),
        [g.provider],
      );
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

  test('live hosted checkout: wallet orders are created through the live endpoints with the stored credentials', async () => {
    const merchant = await t.merchant(CHOP_METHODS);
    const key = liveKey(merchant.id);
    const charge = (paymentMethod: string, amount: number, currency = 'USD') =>
      chop(t.url, '/chop/chop', key, { payment_method: paymentMethod, amount, currency, reference: uniqueId('live') });

    const missing = await charge('wechatpay', 100);
    assert.equal(missing.status, 403, missing.text);
    assert.equal(missing.body.code, 'payment_method_not_configured');

    storeCredentials(merchant.id, ['wechatpay', 'alipay']);
    for (const [method, amount] of [
      ['wechatpay', 910_100],
      ['alipay', 910_200],
    ] as const) {
      const created = await charge(method, amount);
      assert.equal(created.status, 200, created.text);
      const deadline = Date.now() + WAIT_LIMIT_MS;
      let providers: string[] = [];
      while (providers.length === 0 && Date.now() < deadline) {
        providers = (await ledger(sims.url)).filter((e) => e.amount === amount).map((e) => e.provider);
        if (providers.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(providers, [method], `${method}: the order reached the live endpoint`);
    }

    // A provider with a live credential store but none stored for this merchant.
    const unsupported = await charge('alipay_hk', 100, 'HKD');
    assert.equal(unsupported.status, 403, unsupported.text);
    assert.equal(unsupported.body.code, 'payment_method_not_configured');
  });

  test('test keys reach simulators running as a separate server', async () => {
    const merchant = await t.merchant();
    const sale = await call(t.url, 'POST', '/api/v2/transactions', {
      key: merchant.apiKey,
      body: saleBody(uniqueId('sale'), 4321),
      headers: { prefer: 'wait=10' },
    });
    assert.equal(sale.body.data.attributes.state, 'succeeded');
    assert.equal((await ledger(sims.url)).filter((e) => e.amount === 4321).length, 1);
  });
});
