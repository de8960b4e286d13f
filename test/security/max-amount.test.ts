/**
 * One transaction's amount has a maximum per currency (Stripe's: 99,999,999.99
 * in a two-decimal currency, 99,999,999 in a zero-decimal one): the maximum is
 * accepted and one minor unit more is refused as bad input, with nothing
 * stored, on the POS API (sales, refunds) and the CHOP / Online APIs (charges,
 * refunds), on both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CHOP_METHODS, chop, idFromUrl } from '../support/chop.js';
import { type ApiResponse, call, refundBody, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

const MAX = { CNY: 9_999_999_999, USD: 9_999_999_999, JPY: 99_999_999 } as const;

/** The POS API's one refusal: 400 attribute_error at the amount, saying the maximum in major units. */
function assertAmountRefused(response: ApiResponse, detail: string): void {
  assert.equal(response.status, 400, response.text);
  assert.deepEqual(response.body, { errors: [{ status: '400', code: 'attribute_error', detail, source: { pointer: '/data/attributes/amount' } }] });
}

/** The CHOP envelope's refusal of an amount over the maximum. */
function assertChopRefused(response: ApiResponse, error: string): void {
  assert.equal(response.status, 400, response.text);
  assert.deepEqual(response.body, { result: 'fail', error, code: 'invalid_parameter' });
}

for (const kind of DB_KINDS) {
  describe(`maximum amount per transaction (${kind})`, () => {
    let t: TestApp;
    let pos: TestMerchant;
    let shop: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      pos = await t.merchant();
      shop = await t.merchant(CHOP_METHODS);
    });
    after(() => t.close());

    const rows = async (merchant: TestMerchant): Promise<number> => {
      const db = t.app.deps.store.db;
      const { n } = await db
        .selectFrom('transactions')
        .select(db.fn.countAll<number>().as('n'))
        .where('merchant_id', '=', merchant.id)
        .executeTakeFirstOrThrow();
      return Number(n);
    };
    const post = (body: unknown) => call(t.url, 'POST', '/api/v2/transactions', { key: pos.apiKey, body });

    test('POS sale, two decimals (CNY): the maximum is taken, one more is refused and not stored', async () => {
      const atMax = await post(saleBody(uniqueId('max'), MAX.CNY));
      assert.equal(atMax.status, 201, atMax.text);
      assert.equal(atMax.body.data.attributes.amount, MAX.CNY);

      const before = await rows(pos);
      const id = uniqueId('over');
      assertAmountRefused(await post(saleBody(id, MAX.CNY + 1)), '`amount` must be at most 99999999.99 CNY (9999999999 in the smallest unit), got 10000000000');
      assert.equal(await rows(pos), before);
      assert.equal((await call(t.url, 'GET', `/api/v2/transactions/${id}`, { key: pos.apiKey })).status, 404);
    });

    test('POS sale, no decimals (JPY): the maximum passes the amount check, one more is refused', async () => {
      // No POS gateway takes JPY: at the maximum the refusal is the currency's, not the amount's.
      const atMax = await post(saleBody(uniqueId('max'), MAX.JPY, { currency: 'JPY' }));
      assert.equal(atMax.status, 400, atMax.text);
      assert.deepEqual(
        atMax.body.errors.map((e: { source: { pointer: string } }) => e.source.pointer),
        ['/data/attributes/currency'],
      );
      const before = await rows(pos);
      assertAmountRefused(
        await post(saleBody(uniqueId('over'), MAX.JPY + 1, { currency: 'JPY' })),
        '`amount` must be at most 99999999 JPY (99999999 in the smallest unit), got 100000000',
      );
      assert.equal(await rows(pos), before);
    });

    test("POS refund: held to the sale's currency's maximum, one more is refused and not stored", async () => {
      const saleId = uniqueId('sale');
      assert.equal((await post(saleBody(saleId, 1000))).status, 201);
      assert.equal((await waitFinal(t.url, pos.apiKey, saleId)).body.data.attributes.state, 'succeeded');

      // The maximum is a valid refund amount: recorded, and refused only for exceeding the sale.
      const atMax = await post(refundBody(uniqueId('refund'), saleId, MAX.CNY));
      assert.equal(atMax.status, 201, atMax.text);
      assert.equal(atMax.body.data.attributes.failure_code, 'refund_exceeds_sale_amount_failure');

      const before = await rows(pos);
      const id = uniqueId('refund');
      assertAmountRefused(
        await post(refundBody(id, saleId, MAX.CNY + 1)),
        '`amount` must be at most 99999999.99 CNY (9999999999 in the smallest unit), got 10000000000',
      );
      assert.equal(await rows(pos), before);
      assert.equal((await call(t.url, 'GET', `/api/v2/transactions/${id}`, { key: pos.apiKey })).status, 404);
    });

    for (const currency of ['USD', 'JPY'] as const) {
      const max = MAX[currency];
      const major = currency === 'USD' ? '99999999.99' : '99999999';
      const overMessage = `amount must be at most ${major} ${currency}, that is ${max} in the smallest unit; got ${max + 1}`;

      test(`CHOP charge and refund, ${currency}: the maximum is taken, one more is refused and not stored`, async () => {
        const charge = (amount: number, reference: string) =>
          chop(t.url, '/chop/chop', shop.apiKey, { payment_method: 'wechatpay', amount, currency, reference });
        const atMax = await charge(max, uniqueId('order'));
        assert.equal(atMax.status, 200, atMax.text);
        assert.equal(atMax.body.result, 'success');
        const chargeId = idFromUrl(atMax.body.url);
        const stored = await t.app.deps.store.db
          .selectFrom('transactions')
          .select(['amount', 'currency'])
          .where('ref', '=', chargeId)
          .executeTakeFirstOrThrow();
        assert.deepEqual({ ...stored, amount: Number(stored.amount) }, { amount: max, currency });

        const before = await rows(shop);
        const reference = uniqueId('order');
        assertChopRefused(await charge(max + 1, reference), overMessage);
        const payQr = await chop(t.url, '/payment/pay_qr', shop.apiKey, { vendor: 'wechatpay', amount: max + 1, currency, reference });
        assertChopRefused(payQr, overMessage);

        // A refund of the maximum is weighed (the unpaid charge has nothing to refund: 4071), one more is bad input.
        const refund = (path: string, amount: number) => chop(t.url, path, shop.apiKey, { transaction_id: chargeId, amount, currency, reason: 'test' });
        const refundAtMax = await refund('/chop/refund', max);
        assert.equal(refundAtMax.status, 200, refundAtMax.text);
        assert.equal(refundAtMax.body.refunded, false);
        assert.equal(refundAtMax.body.code, '4071');
        assertChopRefused(await refund('/chop/refund', max + 1), overMessage);
        assertChopRefused(await refund('/payment/refund', max + 1), overMessage);
        assert.equal(await rows(shop), before, 'nothing stored');
      });
    }
  });
}
