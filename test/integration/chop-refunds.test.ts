/** CHOP refunds and cancels, on both databases: the seed's rules and refusals, open balance, the provider's books. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ledger, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitInquire } from '../support/chop.js';

for (const kind of DB_KINDS) {
  describe(`CHOP refunds and cancels (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant(CHOP_METHODS);
    });
    after(() => t.close());

    const db = () => t.app.deps.store.db;
    const qrOf = async (id: string): Promise<string> => {
      for (;;) {
        const row = await db().selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst();
        if (row?.qr_code) return row.qr_code;
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    const newCharge = async (amount: number, method = 'wechatpay', merchant = m) => {
      const reference = uniqueId('order');
      const response = await chop(t.url, '/chop/chop', merchant.apiKey, { payment_method: method, amount, currency: 'USD', reference });
      assert.equal(response.status, 200, response.text);
      return { id: idFromUrl(response.body.url), reference };
    };
    const paidCharge = async (amount: number, method = 'wechatpay', merchant = m) => {
      const charge = await newCharge(amount, method, merchant);
      assert.equal((await scan(t.url, await qrOf(charge.id), 'approve')).status, 200);
      const paid = await waitInquire(t.url, merchant.apiKey, charge.id, (b) => b.notify_result !== null);
      assert.equal(paid.notify_result, 'success');
      return charge;
    };
    const refund = (fields: Record<string, string | number>, merchant = m) =>
      chop(t.url, '/chop/refund', merchant.apiKey, { currency: 'USD', reason: 'test', ...fields });
    const cancel = (fields: Record<string, string | number>, merchant = m) => chop(t.url, '/chop/cancel', merchant.apiKey, { reason: 'test', ...fields });
    const ledgerOf = async (amount: number) => (await ledger(t.url)).filter((e) => e.amount === amount);

    test('amounts stored before the maximum existed, summing past 2^63, never make a refund or cancel fail', async () => {
      const huge = await t.merchant(CHOP_METHODS);
      const { id } = await paidCharge(2000, 'wechatpay', huge);
      // Two of today's charges of 9e18 minor units each: SQLite's plain sum() would fail with "integer overflow".
      for (const _ of [1, 2]) {
        const other = await newCharge(1000, 'wechatpay', huge);
        await sql`update transactions set amount = 9000000000000000000, state = 'succeeded', finalized_at = ${Date.now()} where ref = ${other.id}`.execute(
          db(),
        );
      }
      const refunded = await refund({ transaction_id: id, amount: 500 }, huge);
      assert.equal(refunded.status, 200, refunded.text);
      assert.equal(refunded.body.refunded, true);
      const over = await refund({ transaction_id: id, amount: 1501 }, huge);
      assert.deepEqual([over.status, over.body.code, over.body.refunded], [200, '4071', false]);
      const cancelled = await cancel({ transaction_id: id }, huge);
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.equal(cancelled.body.cancelled, true);
    });

    test('partial refunds up to the charge, then "Refund amount greater than allowed."', async () => {
      const { id } = await paidCharge(3000);
      const first = await refund({ transaction_id: id, amount: 1000 });
      assert.equal(first.status, 200);
      assert.deepEqual(Object.keys(first.body).sort(), ['id', 'refunded', 'status', 'transaction_id']);
      assert.equal(first.body.refunded, true);
      assert.equal(first.body.status, 'success');
      assert.equal(first.body.transaction_id, id);
      assert.notEqual(first.body.id, id);
      const second = await refund({ transaction_id: id, trans_amount: 2000, trans_currency: 'USD' });
      assert.equal(second.body.refunded, true);
      const over = await refund({ transaction_id: id, amount: 1 });
      assert.equal(over.status, 200);
      assert.deepEqual(over.body, { code: '4071', refunded: false, status: 'Refund amount greater than allowed.' });
      const entry = (await ledgerOf(3000))[0];
      assert.equal(entry?.refunded_amount, 3000);
      const inquired = await chop(t.url, '/chop/inquire', m.apiKey, { q: first.body.id });
      assert.equal(inquired.body.type, 'refund');
      assert.equal(inquired.body.amount, 1000);
      assert.equal(inquired.body.note, 'test');
      assert.equal(inquired.body.notify_result, 'success');
    });

    test('an over-refund, a refund in another currency and a refund of an unpaid charge change nothing', async () => {
      const { id, reference } = await paidCharge(3100);
      assert.equal((await refund({ transaction_id: id, amount: 3101 })).body.code, '4071');
      const currency = await refund({ transaction_reference: reference, amount: 100, currency: 'EUR' });
      assert.equal(currency.body.refunded, false);
      assert.equal(currency.body.code, '4072');
      const unpaid = await newCharge(3200);
      assert.deepEqual((await refund({ transaction_id: unpaid.id, amount: 100 })).body, {
        code: '4071',
        refunded: false,
        status: 'Refund amount greater than allowed.',
      });
      assert.equal((await ledgerOf(3100))[0]?.refunded_amount, 0);
      const refunds = await db().selectFrom('transactions').select('seq').where('sale_client_id', 'in', [id, unpaid.id]).execute();
      assert.equal(refunds.length, 0);
    });

    test('refund parameters: one of transaction_id/transaction_reference, amount and currency required; unknown charge 404', async () => {
      const { id, reference } = await paidCharge(3300);
      const both = await refund({ transaction_id: id, transaction_reference: reference, amount: 100 });
      assert.equal(both.status, 400);
      assert.equal(both.body.code, 'conflicting_parameters');
      const none = await chop(t.url, '/chop/refund', m.apiKey, {});
      assert.equal(none.status, 400);
      assert.match(none.body.error, /transaction_id or transaction_reference/);
      assert.match(none.body.error, /amount/);
      const unknown = await refund({ transaction_id: 'e'.repeat(32), amount: 100 });
      assert.equal(unknown.status, 404);
      const byReference = await refund({ transaction_reference: reference, amount: 300 });
      assert.equal(byReference.body.refunded, true);
    });

    test('a refund the provider refuses answers refunded:false with its reason', async () => {
      const { id } = await paidCharge(3459);
      const refused = await refund({ transaction_id: id, amount: 100 });
      assert.equal(refused.status, 200);
      assert.equal(refused.body.refunded, false);
      assert.equal(typeof refused.body.status, 'string');
      assert.equal((await ledgerOf(3459))[0]?.refunded_amount, 0);
    });

    test('a refund the provider declines answers the documented codes: 4074 past its refund period, 4071 otherwise; the detail in status', async () => {
      // WeChat Pay's test value 59 answers TRADE_OVERDUE (past its refund period); Alipay's, ACQ.TRADE_NOT_ALLOW_REFUND.
      const overdue = await paidCharge(4159, 'wechatpay');
      assert.deepEqual((await refund({ transaction_id: overdue.id, amount: 100 })).body, {
        code: '4074',
        refunded: false,
        status: 'Refund for this transaction is not allowed',
      });
      const notAllowed = await paidCharge(4259, 'alipay');
      assert.deepEqual((await refund({ transaction_id: notAllowed.id, amount: 100 })).body, {
        code: '4071',
        refunded: false,
        status: 'Refund for this transaction is not allowed',
      });
      assert.equal((await ledgerOf(4159))[0]?.refunded_amount, 0);
      assert.equal((await ledgerOf(4259))[0]?.refunded_amount, 0);
    });

    test("4074: past the payment method's refund period (365 days for WeChat Pay), refused before the provider is asked", async () => {
      const { id } = await paidCharge(4360, 'wechatpay');
      const day = 86_400_000;
      const paidAt = async (ago: number) => {
        await db()
          .updateTable('transactions')
          .set({ finalized_at: Date.now() - ago })
          .where('ref', '=', id)
          .execute();
      };
      await paidAt(366 * day);
      assert.deepEqual((await refund({ transaction_id: id, amount: 100 })).body, { code: '4074', refunded: false, status: 'Refund period has expired.' });
      assert.equal((await ledgerOf(4360))[0]?.refunded_amount, 0);
      // Inside the period (and with today's takings to cover it) the same refund goes through.
      await paidAt(364 * day);
      await paidCharge(5000, 'wechatpay');
      const inside = await refund({ transaction_id: id, amount: 100 });
      assert.equal(inside.body.refunded, true, inside.text);
    });

    test("open balance: a refund beyond today's takings is refused unless the merchant is exempt", async () => {
      const shop = await t.merchant(CHOP_METHODS);
      const old = await paidCharge(5000, 'alipay', shop);
      // The charge was paid "yesterday": today's open balance starts at zero.
      await db()
        .updateTable('transactions')
        .set({ finalized_at: Date.now() - 2 * 86_400_000 })
        .where('ref', '=', old.id)
        .execute();
      const refused = await refund({ transaction_id: old.id, amount: 1000 }, shop);
      assert.deepEqual(refused.body, { code: '4073', refunded: false, status: 'Insufficient open balance' });
      // Today's sale adds to the balance; refunds take from it.
      await paidCharge(1500, 'alipay', shop);
      assert.equal((await refund({ transaction_id: old.id, amount: 1000 }, shop)).body.refunded, true);
      assert.equal((await refund({ transaction_id: old.id, amount: 600 }, shop)).body.code, '4073');
      await db().updateTable('merchants').set({ refund_balance_exempt: 1 }).where('id', '=', shop.id).execute();
      assert.equal((await refund({ transaction_id: old.id, amount: 600 }, shop)).body.refunded, true);
    });

    test('cancel of a pending charge closes the order: the QR stops working; a second cancel is a duplicate', async () => {
      const { id, reference } = await newCharge(3600, 'alipay');
      const qr = await qrOf(id);
      const cancelled = await cancel({ transaction_id: id });
      assert.deepEqual(cancelled.body, { transaction_id: id, transaction_reference: reference, cancelled: true, status: 'Order cancelled' });
      assert.equal((await scan(t.url, qr, 'approve')).status, 409);
      const inquired = await chop(t.url, '/chop/inquire', m.apiKey, { q: id });
      assert.equal(inquired.body.status, 'cancelled');
      assert.equal(inquired.body.notify_result, 'fail');
      const again = await cancel({ transaction_reference: reference });
      assert.equal(again.body.cancelled, false);
      assert.equal(again.body.status, 'Duplicate cancellation');
    });

    test('cancel of a paid charge refunds it in full', async () => {
      const { id } = await paidCharge(3700, 'wechatpay');
      const cancelled = await cancel({ transaction_id: id });
      assert.equal(cancelled.body.cancelled, true);
      assert.equal(cancelled.body.status, 'Order cancelled');
      const entry = (await ledgerOf(3700))[0];
      assert.equal(entry?.refunded_amount, 3700);
      const inquired = await chop(t.url, '/chop/inquire', m.apiKey, { q: id });
      assert.equal(inquired.body.refunded_amount, 3700);
      assert.equal(inquired.body.cancelled, true);
      assert.equal((await cancel({ transaction_id: id })).body.status, 'Duplicate cancellation');
      assert.equal((await refund({ transaction_id: id, amount: 1 })).body.code, '4071');
    });

    test('cancel outside the window, and of methods without cancel, is refused', async () => {
      const { id } = await newCharge(3800, 'wechatpay');
      await db()
        .updateTable('transactions')
        .set({ created_at: Date.now() - 25 * 3_600_000 })
        .where('ref', '=', id)
        .execute();
      const late = await cancel({ transaction_id: id });
      assert.equal(late.body.cancelled, false);
      assert.equal(late.body.status, 'Not in cancellation window');
      const card = await newCharge(3900, 'cc');
      const unsupported = await cancel({ transaction_id: card.id });
      assert.equal(unsupported.body.cancelled, false);
      assert.equal(unsupported.body.status, 'Cancel not supported for this payment method');
      const unknown = await cancel({ transaction_id: 'd'.repeat(32) });
      assert.equal(unknown.status, 404);
    });
  });
}
