/**
 * Every gateway end to end over HTTP against its provider's simulator, on
 * both databases: sale, void, partial and full refunds, and the test values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { GATEWAYS, call, ledger, refundBody, saleBody, uniqueId, voidBody, waitFinal } from '../support/client.js';

for (const kind of DB_KINDS) {
  describe(`gateways end to end (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
    });
    after(() => t.close());

    const post = (body: unknown) => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body, headers: { prefer: 'wait=10' } });

    GATEWAYS.forEach((gateway, index) => {
      const attrs = { payment_gateway: gateway.code, currency: gateway.currency, payment_auth_key: gateway.authCode };
      // Whole units, distinct per gateway, so ledger entries can be told apart (TWD is taken in whole dollars).
      const base = 100_000 * (index + 1);

      test(`${gateway.code}: sale, void, partial and full refund`, async () => {
        const saleId = uniqueId('sale');
        const sale = await post(saleBody(saleId, base, attrs));
        assert.equal(sale.status, 201);
        assert.equal(sale.body.data.attributes.state, 'succeeded', sale.text);
        assert.equal(sale.body.data.attributes.payment_gateway, gateway.code);

        const refundedSaleId = uniqueId('sale');
        await post(saleBody(refundedSaleId, base + 1000, attrs));
        const partial = await post(refundBody(uniqueId('refund'), refundedSaleId, 300));
        assert.equal(partial.body.data.attributes.state, 'succeeded', partial.text);
        const rest = await post(refundBody(uniqueId('refund'), refundedSaleId, base + 1000 - 300));
        assert.equal(rest.body.data.attributes.state, 'succeeded', rest.text);
        const after = await call(t.url, 'GET', `/api/v2/transactions/${refundedSaleId}`, { key: m.apiKey });
        assert.equal(after.body.data.attributes.refunded_amount, base + 1000);

        const voided = await post(voidBody(uniqueId('void'), saleId));
        assert.equal(voided.body.data.attributes.state, 'succeeded', voided.text);

        const entries = (await ledger(t.url)).filter((e) => e.provider === gateway.provider);
        // LINE Pay only voids payments it has not captured; a captured one is given back by a full refund.
        const voidedStatus = gateway.provider === 'linepay' ? 'refunded' : 'reversed';
        assert.deepEqual(
          entries.filter((e) => e.amount === base).map((e) => e.status),
          [voidedStatus],
        );
        assert.deepEqual(
          entries.filter((e) => e.amount === base + 1000).map((e) => [e.status, e.refunded_amount]),
          [['refunded', base + 1000]],
        );
      });
    });

    // Test values through the POS API, with each provider's own codes on the wire.
    const outcomes: Array<[number, string, string | null]> = [
      [51, 'failed', 'customer_insufficient_balance_failure'],
      [52, 'failed', 'payment_auth_key_failure'],
      [53, 'succeeded', null],
      [54, 'failed', 'payment_password_failure'],
      [55, 'succeeded', null],
      [56, 'succeeded', null],
      [57, 'failed', 'customer_not_allowed_to_pay_failure'],
      [58, 'failed', 'merchant_not_allowed_to_sell_failure'],
      [61, 'failed', 'payment_gateway_failure'],
    ];
    for (const gateway of GATEWAYS.filter((g) => g.code === 'alipay_cn_domestic' || g.code === 'linepay_th_domestic')) {
      test(`${gateway.code}: every test value`, async () => {
        const attrs = { payment_gateway: gateway.code, currency: gateway.currency, payment_auth_key: gateway.authCode };
        const results = await Promise.all(
          outcomes.map(async ([suffix]) => {
            const id = uniqueId('sale');
            const created = await post(saleBody(id, 7000 + suffix, attrs));
            return created.body.data.attributes.state === 'pending'
              ? (await waitFinal(t.url, m.apiKey, id)).body.data.attributes
              : created.body.data.attributes;
          }),
        );
        outcomes.forEach(([suffix, state, code], i) => {
          assert.equal(results[i]?.state, state, `ends in ${suffix}`);
          assert.equal(results[i]?.failure_code, code, `ends in ${suffix}`);
        });
        const saleId = uniqueId('sale');
        await post(saleBody(saleId, 8059, attrs));
        const refused = await post(refundBody(uniqueId('refund'), saleId, 100));
        assert.equal(refused.body.data.attributes.failure_code, 'refund_not_allowed_failure');
      });
    }

    test('LINE Pay (no refund key): concurrent refunds of the same amount each move money, once', async () => {
      const gateway = GATEWAYS.find((g) => g.code === 'linepay_th_domestic');
      if (!gateway) throw new Error('missing gateway');
      const saleId = uniqueId('sale');
      await post(saleBody(saleId, 12_300, { payment_gateway: gateway.code, currency: gateway.currency, payment_auth_key: gateway.authCode }));
      const refunds = await Promise.all([1, 2, 3].map(() => post(refundBody(uniqueId('refund'), saleId, 1_000))));
      for (const refund of refunds) {
        const final = refund.body.data.attributes.state === 'pending' ? (await waitFinal(t.url, m.apiKey, refund.body.data.id)).body : refund.body;
        assert.equal(final.data.attributes.state, 'succeeded');
      }
      const entry = (await ledger(t.url)).filter((e) => e.provider === 'linepay' && e.amount === 12_300);
      assert.deepEqual(
        entry.map((e) => [e.status, e.refunded_amount]),
        [['partially_refunded', 3_000]],
      );
      const sale = await call(t.url, 'GET', `/api/v2/transactions/${saleId}`, { key: m.apiKey });
      assert.equal(sale.body.data.attributes.refunded_amount, 3_000);
    });

    test('a malformed code for the chosen provider fails fast; a wrong currency names the allowed ones', async () => {
      for (const gateway of GATEWAYS) {
        const created = await post(saleBody(uniqueId('sale'), 100, { payment_gateway: gateway.code, currency: gateway.currency, payment_auth_key: '12345' }));
        assert.equal(created.body.data.attributes.failure_code, 'payment_auth_key_failure', gateway.code);
      }
      const wrong = await post(saleBody(uniqueId('sale'), 100, { payment_gateway: 'linepay_th_domestic', currency: 'JPY', payment_auth_key: '081149423436' }));
      assert.equal(wrong.status, 400);
      assert.match(wrong.body.errors[0].detail, /allowed: THB/);
    });
  });
}
