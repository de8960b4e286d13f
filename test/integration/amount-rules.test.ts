/**
 * Amount rules declared by gateways and payment methods, over real HTTP on
 * both databases: an amount the provider cannot take is refused with 400 in
 * the POS, CHOP and Online APIs and never reaches a simulator; and every test
 * value works in a whole-unit currency (TWD at LINE Pay and JKOPAY) read on
 * the whole amount, as it does in a two-decimal one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { GATEWAYS, call, ledger, refundBody, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitFor, waitInquire } from '../support/chop.js';

const LINEPAY_TW = GATEWAYS.find((g) => g.code === 'linepay_tw_domestic');
const LINEPAY_TH = GATEWAYS.find((g) => g.code === 'linepay_th_domestic');

for (const kind of DB_KINDS) {
  describe(`amount rules (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant([...GATEWAYS.map((g) => g.code), ...CHOP_METHODS]);
    });
    after(() => t.close());

    const sale = (id: string, amount: number, gateway: (typeof GATEWAYS)[number] | undefined) => {
      if (!gateway) throw new Error('missing gateway');
      const attrs = { payment_gateway: gateway.code, currency: gateway.currency, payment_auth_key: gateway.authCode };
      return call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, amount, attrs), headers: { prefer: 'wait=10' } });
    };
    const charge = (fields: Record<string, string | number>) => chop(t.url, '/chop/chop', m.apiKey, { reference: uniqueId('order'), ...fields });
    const amountsSent = async (provider: string, amount: number) => (await ledger(t.url)).filter((e) => e.provider === provider && e.amount === amount).length;

    test('POS: TWD with cents at LINE Pay Taiwan is refused with 400 naming the rule, never sent', async () => {
      const id = uniqueId('sale');
      const refused = await sale(id, 12_345, LINEPAY_TW);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.errors, [
        {
          status: '400',
          code: 'attribute_error',
          detail: 'linepay_tw_domestic takes TWD in whole units only (rule whole_units): `amount` must be a multiple of 100, got 12345 (123.45 TWD)',
          source: { pointer: '/data/attributes/amount' },
        },
      ]);
      assert.equal((await call(t.url, 'GET', `/api/v2/transactions/${id}`, { key: m.apiKey })).status, 404, 'no transaction recorded');
      assert.equal(await amountsSent('linepay', 12_345), 0);
      // THB has satang: the same amount is sold at LINE Pay Thailand.
      const thb = await sale(uniqueId('sale'), 12_345, LINEPAY_TH);
      assert.equal(thb.status, 201, thb.text);
      assert.equal(thb.body.data.attributes.state, 'succeeded');
    });

    test('POS: every test value in whole TWD at LINE Pay Taiwan behaves as in THB', async () => {
      const values = [51, 52, 53, 54, 55, 56, 57, 58, 61];
      const outcome = async (gateway: (typeof GATEWAYS)[number] | undefined, amount: number) => {
        const id = uniqueId('sale');
        const created = await sale(id, amount, gateway);
        assert.equal(created.status, 201, created.text);
        const final = created.body.data.attributes.state === 'pending' ? (await waitFinal(t.url, m.apiKey, id)).body : created.body;
        return [final.data.attributes.state, final.data.attributes.failure_code];
      };
      // One gateway at a time, as many sales at once as the gateway test does (a busy machine must not turn a value into a timeout).
      const twd = await Promise.all(values.map((v) => outcome(LINEPAY_TW, (7_000 + v) * 100)));
      const thb = await Promise.all(values.map((v) => outcome(LINEPAY_TH, 7_000 + v)));
      assert.deepEqual(twd, thb);
      // The THB outcomes are the documented ones, so the comparison is not of two defaults.
      assert.deepEqual(thb[0], ['failed', 'customer_insufficient_balance_failure']);
      assert.deepEqual(thb[7], ['failed', 'merchant_not_allowed_to_sell_failure']);
    });

    test('CHOP: JKOPAY whole TWD, and the minimums of DANA, GCash and Kakao Pay, refused with 400 naming the rule', async () => {
      const cases: Array<[Record<string, string | number>, string]> = [
        [
          { payment_method: 'jkopay', amount: 12_345, currency: 'TWD' },
          'jkopay takes TWD in whole units only (rule whole_units): amount must be a multiple of 100, got 12345 (123.45 TWD)',
        ],
        [
          { payment_method: 'dana', amount: 29_999, currency: 'IDR' },
          'dana takes at least 300.00 IDR (rule minimum_amount): amount must be at least 30000, got 29999 (299.99 IDR)',
        ],
        [
          { payment_method: 'gcash', trans_amount: 99, trans_currency: 'PHP' },
          'gcash takes at least 1.00 PHP (rule minimum_amount): amount must be at least 100, got 99 (0.99 PHP)',
        ],
        [
          { payment_method: 'kakaopay', amount: 49, currency: 'KRW' },
          'kakaopay takes at least 50 KRW (rule minimum_amount): amount must be at least 50, got 49 (49 KRW)',
        ],
      ];
      for (const [fields, error] of cases) {
        const refused = await charge(fields);
        assert.equal(refused.status, 400, String(fields.payment_method));
        assert.deepEqual(refused.body, { result: 'fail', error, code: 'invalid_parameter' });
      }
      for (const amount of [12_345, 29_999, 99, 49]) assert.equal(await amountsSent('alipayplus', amount), 0, `${amount} never sent`);
      // At the rule's edge the charge is made.
      for (const fields of [
        { payment_method: 'jkopay', amount: 12_300, currency: 'TWD' },
        { payment_method: 'dana', amount: 30_000, currency: 'IDR' },
        { payment_method: 'gcash', amount: 100, currency: 'PHP' },
        { payment_method: 'kakaopay', amount: 50, currency: 'KRW' },
      ]) {
        const made = await charge(fields);
        assert.equal(made.status, 200, made.text);
        assert.equal(made.body.result, 'success');
      }
    });

    test('Online API: pay_qr refuses a Kakao Pay amount under its minimum with 400 naming the rule', async () => {
      const refused = await chop(t.url, '/payment/pay_qr', m.apiKey, { vendor: 'kakaopay', amount: 10, currency: 'KRW', reference: uniqueId('qr') });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, {
        result: 'fail',
        error: 'kakaopay takes at least 50 KRW (rule minimum_amount): amount must be at least 50, got 10 (10 KRW)',
        code: 'invalid_parameter',
      });
      const made = await chop(t.url, '/payment/pay_qr', m.apiKey, { vendor: 'kakaopay', amount: 50, currency: 'KRW', reference: uniqueId('qr') });
      assert.equal(made.status, 200);
    });

    test('CHOP: the wallet test values in whole TWD at JKOPAY behave as in HKD at AlipayHK', async () => {
      const qrOf = async (id: string): Promise<string | null> => {
        for (;;) {
          const row = await t.app.deps.store.db.selectFrom('transactions').select(['qr_code', 'state']).where('ref', '=', id).executeTakeFirst();
          if (row?.qr_code) return row.qr_code;
          if (row && row.state !== 'pending') return null;
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const outcome = async (fields: Record<string, string | number>) => {
        const made = await charge(fields);
        assert.equal(made.status, 200, made.text);
        const id = idFromUrl(made.body.url);
        const qr = await qrOf(id);
        if (qr) assert.equal((await scan(t.url, qr, 'approve')).status, 200);
        const final = await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null);
        return final.notify_result;
      };
      const values = [0, 51, 53, 57, 58];
      const twd = await Promise.all(values.map((v) => outcome({ payment_method: 'jkopay', amount: (8_000 + v) * 100, currency: 'TWD' })));
      const hkd = await Promise.all(values.map((v) => outcome({ payment_method: 'alipay_hk', amount: 8_000 + v, currency: 'HKD' })));
      assert.deepEqual(twd, hkd);
      assert.deepEqual(hkd, ['success', 'fail', 'success', 'fail', 'fail']);
    });

    test('POS: a refund with cents of a TWD sale at LINE Pay Taiwan is refused with 400 naming the rule; a whole one is taken', async () => {
      const saleId = uniqueId('sale');
      const sold = await sale(saleId, 50_000, LINEPAY_TW);
      assert.equal(sold.body.data.attributes.state, 'succeeded', sold.text);
      const refundId = uniqueId('refund');
      const refund = (id: string, amount: number) =>
        call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: refundBody(id, saleId, amount), headers: { prefer: 'wait=10' } });
      const refused = await refund(refundId, 12_345);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.errors, [
        {
          status: '400',
          code: 'attribute_error',
          detail: 'linepay_tw_domestic takes TWD in whole units only (rule whole_units): `amount` must be a multiple of 100, got 12345 (123.45 TWD)',
          source: { pointer: '/data/attributes/amount' },
        },
      ]);
      assert.equal((await call(t.url, 'GET', `/api/v2/transactions/${refundId}`, { key: m.apiKey })).status, 404, 'no refund recorded');
      const whole = await refund(uniqueId('refund'), 12_300);
      assert.equal(whole.status, 201, whole.text);
      assert.equal(whole.body.data.attributes.state, 'succeeded');
    });

    test('CHOP: a refund with cents of a JKOPAY charge in TWD is refused with 400 naming the rule', async () => {
      const made = await charge({ payment_method: 'jkopay', amount: 40_000, currency: 'TWD' });
      assert.equal(made.status, 200, made.text);
      const id = idFromUrl(made.body.url);
      const qr = await waitFor(
        async () => (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
      );
      assert.equal((await scan(t.url, qr, 'approve')).status, 200);
      assert.equal((await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null)).notify_result, 'success');
      const refused = await chop(t.url, '/chop/refund', m.apiKey, { transaction_id: id, amount: 12_345, currency: 'TWD', reason: 'cents' });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.code, 'invalid_parameter');
      assert.equal(refused.body.error, 'jkopay takes TWD in whole units only (rule whole_units): amount must be a multiple of 100, got 12345 (123.45 TWD)');
      const refunds = await t.app.deps.store.db
        .selectFrom('transactions')
        .select('seq')
        .where('type', '=', 'refund')
        .where('currency', '=', 'TWD')
        .where('amount', '=', 12_345)
        .execute();
      assert.deepEqual(refunds, []);
      const whole = await chop(t.url, '/chop/refund', m.apiKey, { transaction_id: id, amount: 12_300, currency: 'TWD', reason: 'whole' });
      assert.equal(whole.status, 200, whole.text);
    });
  });
}
