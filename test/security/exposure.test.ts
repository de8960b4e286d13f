/**
 * What a server shows to anyone: the /_sandbox pages can be turned off
 * (CANCAN_SANDBOX_ROUTES=off) while test-mode payments still reach the
 * simulated providers, and /metrics must be protected (token or private
 * port) before a server listens beyond loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp } from '../../src/app.js';
import { paymentMethodCodes } from '../../src/chop/methods.js';
import { gatewayCodes } from '../../src/providers/registry.js';
import { ConfigError, checkMetricsExposure, isLoopbackHost, loadConfig } from '../../src/config.js';
import { call, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

for (const kind of DB_KINDS) {
  describe(`CANCAN_SANDBOX_ROUTES=off (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_SANDBOX_ROUTES: 'off' });
      m = await t.merchant([...gatewayCodes(), ...paymentMethodCodes()]);
    });
    after(() => t.close());

    test('the sandbox wallet and ledger are gone', async () => {
      assert.equal((await call(t.url, 'GET', '/_sandbox/ledger')).status, 404);
      const scan = await call(t.url, 'POST', '/_sandbox/wallet/scan', { body: { qr_code: 'weixin://wxpay/bizpayurl?pr=x', action: 'approve' } });
      assert.equal(scan.status, 404);
      assert.equal(scan.body.errors[0].code, 'not_found_error');
    });

    test('test-mode payments still reach the simulated providers', async () => {
      const id = uniqueId('sandbox-off');
      assert.equal((await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, 1000) })).status, 201);
      assert.equal((await waitFinal(t.url, m.apiKey, id)).body.data.attributes.state, 'succeeded');
    });

    test('the hosted payment page has no simulate buttons, and their endpoint is not found', async () => {
      const created = await call(t.url, 'POST', '/chop/chop', {
        key: m.apiKey,
        body: { payment_method: 'wechatpay', amount: 999, currency: 'USD', reference: uniqueId('ref') },
      });
      assert.equal(created.status, 200, created.text);
      const q = new URL(created.body.url as string).searchParams.get('q') ?? '';
      const page = await fetch(`${t.url}/chop/landing?q=${q}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.ok(html.includes(q), 'the page of this charge');
      assert.ok(!html.includes('/chop/landing/sandbox'), 'no simulate buttons');
      const simulate = await fetch(`${t.url}/chop/landing/sandbox`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${q}&action=approve`,
      });
      assert.equal(simulate.status, 404);
      const row = await t.app.deps.store.db.selectFrom('transactions').select('state').where('ref', '=', q).executeTakeFirstOrThrow();
      assert.equal(row.state, 'pending', 'nothing approved it');
    });
  });
}

describe('sandbox routes by default', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(() => t.close());

  test('are served', async () => {
    assert.equal((await call(t.url, 'GET', '/_sandbox/ledger')).status, 200);
  });
});

describe('/metrics beyond loopback', () => {
  const base = { PORT: '0', CANCAN_DATA_DIR: '/nonexistent-cancan-dir' };

  test('loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '127.0.0.1.example.com', ''])
      assert.equal(isLoopbackHost(host), false, host);
  });

  test('a server refuses to start on a public address without the metrics token or port, saying what to set', async () => {
    const config = loadConfig({ ...base, HOST: '0.0.0.0' });
    assert.throws(
      () => checkMetricsExposure(config),
      (error: unknown) =>
        error instanceof ConfigError &&
        /HOST 0\.0\.0\.0 .*\/metrics would answer anyone: set CANCAN_METRICS_TOKEN .* or CANCAN_METRICS_PORT/.test(error.message),
    );
    // Before it opens the database or listens.
    await assert.rejects(startApp(config), ConfigError);
  });

  test('with the token, a private metrics port, or on loopback, it starts', () => {
    checkMetricsExposure(loadConfig({ ...base, HOST: '0.0.0.0', CANCAN_METRICS_TOKEN: 'scrape-secret' }));
    checkMetricsExposure(loadConfig({ ...base, HOST: '::', CANCAN_METRICS_PORT: '9464' }));
    checkMetricsExposure(loadConfig({ ...base, HOST: '127.0.0.1' }));
    checkMetricsExposure(loadConfig(base));
  });
});

test('settings: defaults, and out-of-range values refused', () => {
  const config = loadConfig({});
  assert.deepEqual(
    [
      config.requestTimeoutMs,
      config.headersTimeoutMs,
      config.keepAliveTimeoutMs,
      config.maxConnectionsPerIp,
      config.authFailuresPerMinute,
      config.sandboxRoutes,
    ],
    [30_000, 10_000, 5_000, 256, 30, true],
  );
  assert.equal(loadConfig({ CANCAN_REQUEST_TIMEOUT_MS: '5000' }).headersTimeoutMs, 5_000, 'the headers timeout never exceeds the request timeout');
  assert.throws(
    () => loadConfig({ CANCAN_REQUEST_TIMEOUT_MS: '5000', CANCAN_HEADERS_TIMEOUT_MS: '6000' }),
    /CANCAN_HEADERS_TIMEOUT_MS must be a whole number from 100 to 5000/,
  );
  assert.throws(() => loadConfig({ CANCAN_SANDBOX_ROUTES: 'maybe' }), /CANCAN_SANDBOX_ROUTES must be on or off/);
  assert.equal(loadConfig({ CANCAN_MAX_CONNECTIONS_PER_IP: '0' }).maxConnectionsPerIp, 0, '0 turns the cap off');
});
