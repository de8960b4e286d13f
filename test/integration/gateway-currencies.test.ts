/**
 * A merchant's currency list for the cross-border gateways, on both
 * databases: USD by default, set with the real `cancan merchant currencies`
 * binary on the server's database, then held to by POS sales (a currency not
 * in the list is 400 as any unsupported currency).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { GATEWAYS, call, saleBody, uniqueId } from '../support/client.js';
import { cli } from '../support/process.js';
import { HttpSession, PASSWORD } from '../support/dashboard.js';
import { createUser } from '../../src/dashboard/accounts.js';

for (const kind of DB_KINDS) {
  describe(`gateway currencies (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let env: Record<string, string>;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
      env = { CANCAN_DATA_DIR: t.database.dataDir, ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}) };
    });
    after(() => t.close());

    const sell = (code: string, currency: string, merchant = m) => {
      const gateway = GATEWAYS.find((g) => g.code === code);
      if (!gateway) throw new Error(`no gateway ${code}`);
      const attrs = { payment_gateway: code, currency, payment_auth_key: gateway.authCode };
      return call(t.url, 'POST', '/api/v2/transactions', {
        key: merchant.apiKey,
        body: saleBody(uniqueId('sale'), 1_000, attrs),
        headers: { prefer: 'wait=10' },
      });
    };
    const currencyError = (currency: string, code: string, allowed: string) => [
      {
        status: '400',
        code: 'attribute_error',
        detail: `Currency ${currency} is not allowed for ${code}; allowed: ${allowed}`,
        source: { pointer: '/data/attributes/currency' },
      },
    ];

    test('USD by default; the list the CLI sets is what sales may use, per merchant and gateway', async () => {
      const before = await sell('wechatpay_international', 'EUR');
      assert.equal(before.status, 400);
      assert.deepEqual(before.body.errors, currencyError('EUR', 'wechatpay_international', 'USD'));

      const shown = cli(env, ['merchant', 'currencies', '--merchant', m.id, '--gateway', 'wechatpay_international', '--json']);
      assert.equal(shown.status, 0, shown.stderr);
      assert.deepEqual(JSON.parse(shown.stdout), { merchant: m.id, gateway: 'wechatpay_international', currencies: ['USD'] });

      const set = cli(env, ['merchant', 'currencies', '--merchant', m.id, '--gateway', 'wechatpay_international', '--currencies', 'eur, USD,eur', '--json']);
      assert.equal(set.status, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { merchant: m.id, gateway: 'wechatpay_international', currencies: ['EUR', 'USD'] });
      const text = cli(env, ['merchant', 'currencies', '--merchant', m.id, '--gateway', 'wechatpay_international']);
      assert.equal(text.stdout.trim(), `${m.id}: wechatpay_international sells in EUR, USD`);

      for (const currency of ['EUR', 'USD']) {
        const sold = await sell('wechatpay_international', currency);
        assert.equal(sold.status, 201, sold.text);
        assert.equal(sold.body.data.attributes.state, 'succeeded', sold.text);
        assert.equal(sold.body.data.attributes.currency, currency);
      }
      const gbp = await sell('wechatpay_international', 'GBP');
      assert.deepEqual(gbp.body.errors, currencyError('GBP', 'wechatpay_international', 'EUR, USD'));
      // The other cross-border gateway and the other merchants keep USD.
      assert.deepEqual((await sell('alipay_international', 'EUR')).body.errors, currencyError('EUR', 'alipay_international', 'USD'));
      const other = await t.merchant();
      assert.deepEqual((await sell('wechatpay_international', 'EUR', other)).body.errors, currencyError('EUR', 'wechatpay_international', 'USD'));

      const alipay = cli(env, ['merchant', 'currencies', '--merchant', m.id, '--gateway', 'alipay_international', '--currencies', 'HKD', '--json']);
      assert.equal(alipay.status, 0, alipay.stderr);
      const hkd = await sell('alipay_international', 'HKD');
      assert.equal(hkd.body.data.attributes.state, 'succeeded', hkd.text);
      assert.deepEqual((await sell('alipay_international', 'USD')).body.errors, currencyError('USD', 'alipay_international', 'HKD'));
    });

    test("the operator console shows the merchant's list beside each cross-border gateway", async () => {
      const merchant = await t.merchant();
      const set = cli(env, ['merchant', 'currencies', '--merchant', merchant.id, '--gateway', 'alipay_international', '--currencies', 'JPY,SGD']);
      assert.equal(set.status, 0, set.stderr);
      const email = `${uniqueId('ops')}@example.com`;
      await createUser(t.app.deps.store.db, { email, password: PASSWORD, role: 'operator', merchantId: null, now: Date.now() });
      const operator = new HttpSession(t.url);
      assert.equal(await operator.signIn({ email, password: PASSWORD }), 303);
      const page = await operator.get(`/dashboard/merchants/${merchant.id}`);
      assert.equal(page.status, 200);
      const shown = (code: string) => new RegExp(`<span class="mono">${code}</span> <span class="muted" data-currencies>([^<]*)</span>`).exec(page.text)?.[1];
      assert.equal(shown('alipay_international'), 'JPY, SGD');
      assert.equal(shown('wechatpay_international'), 'USD');
      assert.equal(shown('linepay_tw_domestic'), 'TWD');
    });

    test('the CLI refuses a gateway without a choice and a currency the gateway cannot take, changing nothing', async () => {
      const domestic = cli(env, ['merchant', 'currencies', '--merchant', m.id, '--gateway', 'wechatpay_cn_domestic', '--currencies', 'USD']);
      assert.notEqual(domestic.status, 0);
      assert.match(
        domestic.stderr,
        /--gateway: the currencies of wechatpay_cn_domestic are not configurable; gateways that take a list: wechatpay_international, alipay_international/,
      );
      const merchant = await t.merchant();
      const thb = cli(env, ['merchant', 'currencies', '--merchant', merchant.id, '--gateway', 'alipay_international', '--currencies', 'USD,THB,XYZ']);
      assert.notEqual(thb.status, 0);
      assert.match(thb.stderr, /--currencies: alipay_international cannot take THB, XYZ; choose among USD, CAD, EUR, GBP, HKD, JPY, CNY, AUD, NZD, SGD/);
      const empty = cli(env, ['merchant', 'currencies', '--merchant', merchant.id, '--gateway', 'alipay_international', '--currencies', ' , ']);
      assert.notEqual(empty.status, 0);
      assert.match(empty.stderr, /--currencies: name at least one currency of USD/);
      const unchanged = cli(env, ['merchant', 'currencies', '--merchant', merchant.id, '--gateway', 'alipay_international', '--json']);
      assert.deepEqual(JSON.parse(unchanged.stdout).currencies, ['USD']);
      const missing = cli(env, ['merchant', 'currencies', '--merchant', 'mch_nope', '--gateway', 'alipay_international', '--currencies', 'EUR']);
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /no merchant mch_nope/);
    });
  });
}
