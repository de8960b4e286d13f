/**
 * `payment_gateway: "auto"` over HTTP on both databases: the gateway is
 * chosen by the code's shape among the merchant's enabled gateways in the
 * sale's currency, paid at that provider's simulator and shown as chosen in
 * GET and the list; none or several is a 400 naming them; a retry of an
 * "auto" sale is its replay; the code never reaches the logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { GATEWAYS, WECHAT_AUTH_CODE, call, ledger, saleBody, uniqueId, voidBody } from '../support/client.js';
import { setMerchantGatewayCurrencies } from '../../src/store/gateway-currencies.js';
import { createApiKey } from '../../src/store/merchants.js';
import { findByClientId } from '../../src/store/transactions.js';

const ALIPAY_CODE = '286543210987654321';
const LINEPAY_TH_CODE = '081149423436';
/** 18 digits starting 12: WeChat Pay's shape and LINE Pay TW's. */
const EIGHTEEN_STARTING_1X = '123456789012345678';
const CODES = [WECHAT_AUTH_CODE, ALIPAY_CODE, LINEPAY_TH_CODE, EIGHTEEN_STARTING_1X];

const GATEWAY = '/data/attributes/payment_gateway';
const error = (detail: string, pointer = GATEWAY) => [{ status: '400', code: 'attribute_error', detail, source: { pointer } }];
const notEnabled = (code: string) => `${code} is not enabled for this merchant`;

for (const kind of DB_KINDS) {
  describe(`payment_gateway "auto" (${kind})`, () => {
    let t: TestApp;
    let all: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      all = await t.merchant();
    });
    after(() => t.close());

    const sell = (merchant: TestMerchant, id: string, amount: number, payment_auth_key: string, currency: string, payment_gateway = 'auto') =>
      call(t.url, 'POST', '/api/v2/transactions', {
        key: merchant.apiKey,
        body: saleBody(id, amount, { payment_gateway, payment_auth_key, currency }),
        headers: { prefer: 'wait=10' },
      });
    const get = (merchant: TestMerchant, id: string) => call(t.url, 'GET', `/api/v2/transactions/${id}`, { key: merchant.apiKey });
    const currencies = (merchant: TestMerchant, gateway: string, list: string[]) =>
      setMerchantGatewayCurrencies(t.app.deps.store.db, merchant.id, gateway, list as never, Date.now());

    test('every gateway is chosen by its code and currency, paid at its provider, and shown as chosen in GET and the list', async () => {
      for (const [index, gateway] of GATEWAYS.entries()) {
        const id = uniqueId('auto');
        // Whole units (TWD at LINE Pay TW), distinct per gateway so the ledger entries can be told apart.
        const amount = 310_000 + 100 * index;
        const sale = await sell(all, id, amount, gateway.authCode, gateway.currency);
        assert.equal(sale.status, 201, sale.text);
        assert.equal(sale.body.data.attributes.state, 'succeeded', sale.text);
        assert.equal(sale.body.data.attributes.payment_gateway, gateway.code);

        const shown = await get(all, id);
        assert.equal(shown.body.data.attributes.payment_gateway, gateway.code);
        const listed = await call(t.url, 'GET', `/api/v2/transactions?filter[payment_gateway]=${gateway.code}&filter[type]=sale`, { key: all.apiKey });
        assert.equal(listed.status, 200);
        assert.deepEqual(
          listed.body.data
            .filter((row: { id: string }) => row.id === id)
            .map((row: { attributes: { payment_gateway: string } }) => row.attributes.payment_gateway),
          [gateway.code],
        );
        const paid = (await ledger(t.url)).filter((e) => e.amount === amount);
        assert.deepEqual(
          paid.map((e) => [e.provider, e.currency, e.status]),
          [[gateway.provider, gateway.currency, 'paid']],
          gateway.code,
        );
      }
      // Nothing lists "auto": it is never stored.
      const autoListed = await call(t.url, 'GET', '/api/v2/transactions?filter[payment_gateway]=auto', { key: all.apiKey });
      assert.deepEqual(autoListed.body.data, []);
    });

    test('an 18-digit code starting 1x: WeChat Pay in CNY, LINE Pay TW in TWD (the currency tells them apart)', async () => {
      const inCny = await sell(all, uniqueId('auto'), 320_000, EIGHTEEN_STARTING_1X, 'CNY');
      assert.equal(inCny.body.data.attributes.payment_gateway, 'wechatpay_cn_domestic', inCny.text);
      const inTwd = await sell(all, uniqueId('auto'), 320_100, EIGHTEEN_STARTING_1X, 'TWD');
      assert.equal(inTwd.body.data.attributes.payment_gateway, 'linepay_tw_domestic', inTwd.text);
    });

    test('a void and a refund of an "auto" sale go to the chosen gateway', async () => {
      const voided = uniqueId('auto');
      await sell(all, voided, 330_000, ALIPAY_CODE, 'USD');
      const voidAnswer = await call(t.url, 'POST', '/api/v2/transactions', {
        key: all.apiKey,
        body: voidBody(uniqueId('void'), voided),
        headers: { prefer: 'wait=10' },
      });
      assert.equal(voidAnswer.body.data.attributes.state, 'succeeded', voidAnswer.text);
      assert.deepEqual(
        (await ledger(t.url)).filter((e) => e.amount === 330_000).map((e) => [e.provider, e.status]),
        [['alipay', 'reversed']],
      );
    });

    test('every ambiguity: a cross-border gateway that also sells in CNY shares the code with the domestic one', async () => {
      const both = await t.merchant();
      await currencies(both, 'wechatpay_international', ['CNY', 'USD']);
      await currencies(both, 'alipay_international', ['USD', 'CNY']);
      const cases: Array<[string, string]> = [
        [WECHAT_AUTH_CODE, 'wechatpay_cn_domestic and wechatpay_international'],
        [EIGHTEEN_STARTING_1X, 'wechatpay_cn_domestic and wechatpay_international'],
        [ALIPAY_CODE, 'alipay_cn_domestic and alipay_international'],
        ['25000000000000000000', 'alipay_cn_domestic and alipay_international'],
      ];
      for (const [code, named] of cases) {
        const id = uniqueId('auto');
        const refused = await sell(both, id, 340_000, code, 'CNY');
        assert.equal(refused.status, 400, refused.text);
        assert.deepEqual(
          refused.body.errors,
          error(
            `\`payment_gateway\` "auto" cannot choose: ${named} both take a payment code of this shape in CNY for this merchant; name the gateway in \`payment_gateway\``,
          ),
        );
        assert.equal((await get(both, id)).status, 404, 'nothing is stored');
      }
      // In USD only the cross-border gateways sell: no ambiguity.
      const usd = await sell(both, uniqueId('auto'), 340_100, WECHAT_AUTH_CODE, 'USD');
      assert.equal(usd.body.data.attributes.payment_gateway, 'wechatpay_international', usd.text);
      // Naming the gateway settles it.
      const named = await sell(both, uniqueId('auto'), 340_200, WECHAT_AUTH_CODE, 'CNY', 'wechatpay_international');
      assert.equal(named.status, 201, named.text);
      assert.equal(named.body.data.attributes.payment_gateway, 'wechatpay_international');
    });

    test('a code whose gateways the merchant has not enabled: 400 naming them', async () => {
      const alipayOnly = await t.merchant(['alipay_cn_domestic', 'linepay_th_domestic']);
      const wechat = await sell(alipayOnly, uniqueId('auto'), 350_000, WECHAT_AUTH_CODE, 'CNY');
      assert.equal(wechat.status, 400);
      assert.deepEqual(
        wechat.body.errors,
        error(
          '`payment_gateway` "auto": no gateway enabled for this merchant takes a payment code of this shape in CNY: ' +
            `${notEnabled('wechatpay_cn_domestic')}, ${notEnabled('wechatpay_international')} and ${notEnabled('linepay_tw_domestic')}`,
        ),
      );
      const twd = await sell(alipayOnly, uniqueId('auto'), 350_100, EIGHTEEN_STARTING_1X, 'TWD');
      assert.deepEqual(
        twd.body.errors,
        error(
          '`payment_gateway` "auto": no gateway enabled for this merchant takes a payment code of this shape in TWD: ' +
            `${notEnabled('wechatpay_cn_domestic')}, ${notEnabled('wechatpay_international')} and ${notEnabled('linepay_tw_domestic')}`,
        ),
      );
      // Its own gateways are still chosen.
      const alipay = await sell(alipayOnly, uniqueId('auto'), 350_200, ALIPAY_CODE, 'CNY');
      assert.equal(alipay.body.data.attributes.payment_gateway, 'alipay_cn_domestic', alipay.text);
    });

    test('a currency no gateway of that shape takes: 400 naming what each sells in', async () => {
      const refused = await sell(all, uniqueId('auto'), 360_000, WECHAT_AUTH_CODE, 'THB');
      assert.deepEqual(
        refused.body.errors,
        error(
          '`payment_gateway` "auto": no gateway enabled for this merchant takes a payment code of this shape in THB: ' +
            'wechatpay_cn_domestic does not sell in THB (sells in CNY), wechatpay_international does not sell in THB (sells in USD) ' +
            'and linepay_tw_domestic does not sell in THB (sells in TWD)',
        ),
      );
      const lineTh = await sell(all, uniqueId('auto'), 360_100, LINEPAY_TH_CODE, 'JPY');
      assert.deepEqual(
        lineTh.body.errors,
        error(
          '`payment_gateway` "auto": no gateway enabled for this merchant takes a payment code of this shape in JPY: linepay_th_domestic does not sell in JPY (sells in THB)',
        ),
      );
    });

    test('a code of no known shape: 400 on payment_auth_key; the chosen gateway holds its amount rules', async () => {
      const shapeless = await sell(all, uniqueId('auto'), 370_000, '12345', 'CNY');
      assert.deepEqual(
        shapeless.body.errors,
        error(
          '`payment_gateway` "auto": `payment_auth_key` has the shape of no gateway\'s payment code; the shapes known: ' +
            '18 digits starting 10–15 (wechatpay_cn_domestic, wechatpay_international); 16–24 digits starting 25–30 (alipay_cn_domestic, alipay_international); ' +
            '12 digits (linepay_th_domestic); 18 digits (linepay_tw_domestic)',
          '/data/attributes/payment_auth_key',
        ),
      );
      // "auto" is lower case, as every gateway code.
      const upper = await sell(all, uniqueId('auto'), 370_100, WECHAT_AUTH_CODE, 'CNY', 'AUTO');
      assert.deepEqual(
        upper.body.errors,
        error(
          'Unknown payment_gateway "AUTO"; known gateways: wechatpay_cn_domestic, wechatpay_international, alipay_cn_domestic, alipay_international, ' +
            'linepay_th_domestic, linepay_tw_domestic, or auto to choose by the code',
        ),
      );
      // LINE Pay TW takes TWD in whole dollars, chosen or named.
      const fraction = await sell(all, uniqueId('auto'), 370_150, EIGHTEEN_STARTING_1X, 'TWD');
      assert.equal(fraction.status, 400, fraction.text);
      assert.equal(fraction.body.errors[0].source.pointer, '/data/attributes/amount');
      const named = await sell(all, uniqueId('auto'), 370_150, EIGHTEEN_STARTING_1X, 'TWD', 'linepay_tw_domestic');
      assert.deepEqual(named.body.errors, fraction.body.errors);
    });

    test('a retry of an "auto" sale is its replay, even if the choice would now differ; naming the chosen gateway is another body (409)', async () => {
      const merchant = await t.merchant();
      const id = uniqueId('auto');
      const first = await sell(merchant, id, 380_000, WECHAT_AUTH_CODE, 'CNY');
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.data.attributes.payment_gateway, 'wechatpay_cn_domestic');
      // The timeline says the gateway was chosen, not named.
      const row = await findByClientId(t.app.deps.store.db, merchant.id, 'test', id);
      const created = await t.app.deps.store.db
        .selectFrom('transaction_events')
        .select('data')
        .where('transaction_seq', '=', Number(row?.seq))
        .where('kind', '=', 'created')
        .execute();
      assert.deepEqual(
        created.map((e) => JSON.parse(e.data)),
        [{ type: 'sale', gateway: 'wechatpay_cn_domestic', amount: 380_000, currency: 'CNY', gateway_chosen_by: 'auto' }],
      );

      const again = await sell(merchant, id, 380_000, WECHAT_AUTH_CODE, 'CNY');
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body.data, (await get(merchant, id)).body.data);
      assert.equal(again.body.data.attributes.payment_gateway, 'wechatpay_cn_domestic');

      // "auto" would now be ambiguous in CNY; the retry is still the request already answered.
      await currencies(merchant, 'wechatpay_international', ['CNY']);
      const later = await sell(merchant, id, 380_000, WECHAT_AUTH_CODE, 'CNY');
      assert.equal(later.status, 200, later.text);
      assert.equal(later.body.data.attributes.payment_gateway, 'wechatpay_cn_domestic');

      const concrete = await sell(merchant, id, 380_000, WECHAT_AUTH_CODE, 'CNY', 'wechatpay_cn_domestic');
      assert.equal(concrete.status, 409, concrete.text);
      assert.equal(concrete.body.errors[0].code, 'conflict_error');
      // And the other way round: a sale that named its gateway is not replayed by "auto".
      const namedId = uniqueId('named');
      assert.equal((await sell(merchant, namedId, 380_100, ALIPAY_CODE, 'CNY', 'alipay_cn_domestic')).status, 201);
      assert.equal((await sell(merchant, namedId, 380_100, ALIPAY_CODE, 'CNY')).status, 409);

      assert.deepEqual(
        (await ledger(t.url)).filter((e) => e.amount === 380_000).map((e) => [e.provider, e.status]),
        [['wechatpay', 'paid']],
        'charged once',
      );
    });

    test("a live key chooses only among gateways with the merchant's live credentials", async () => {
      const merchant = await t.merchant(['wechatpay_cn_domestic', 'wechatpay_international']);
      const live = await createApiKey(t.app.deps.store.db, t.app.deps.secrets, { merchantId: merchant.id, mode: 'live', now: Date.now() });
      const refused = await sell({ id: merchant.id, apiKey: live.apiKey }, uniqueId('auto'), 390_000, WECHAT_AUTH_CODE, 'CNY');
      assert.deepEqual(
        refused.body.errors,
        error(
          '`payment_gateway` "auto": no gateway enabled for this merchant takes a payment code of this shape in CNY: ' +
            'wechatpay_cn_domestic has no live wechatpay credentials for this merchant, wechatpay_international does not sell in CNY (sells in USD) ' +
            `and ${notEnabled('linepay_tw_domestic')}`,
        ),
      );
    });

    test('the OpenAPI document describes "auto" as an extension', async () => {
      const doc = (await (await fetch(`${t.url}/docs/json`)).json()) as {
        components: {
          schemas: { SaleRequest: { properties: { data: { properties: { attributes: { properties: Record<string, { description: string }> } } } } } };
        };
        paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
      };
      const gateway = doc.components.schemas.SaleRequest.properties.data.properties.attributes.properties.payment_gateway;
      assert.match(gateway?.description ?? '', /Or `auto` \(an extension beyond the blueprint\): CanCan picks the gateway by the shape of `payment_auth_key`/);
      assert.match(gateway?.description ?? '', /12 digits \(linepay_th_domestic\)/);
      assert.match(doc.paths['/api/v2/transactions']?.post?.responses['400']?.description ?? '', /`payment_gateway` `auto`/);
    });

    test('the codes never reach the logs', () => {
      const logs = t.logs.join('');
      for (const code of CODES) assert.equal(logs.includes(code), false, `a code of ${code.length} digits was logged`);
    });
  });
}
