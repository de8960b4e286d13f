/** Voids and refunds through the POS API, on both databases. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { call, ledger, refundBody, saleBody, uniqueId, voidBody, waitFinal } from '../support/client.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

for (const kind of DB_KINDS) {
  describe(`POS voids and refunds (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
    });
    after(() => t.close());

    const post = (body: unknown, wait = true) =>
      call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body, ...(wait ? { headers: { prefer: 'wait=10' } } : {}) });
    const paidSale = async (amount: number) => {
      const id = uniqueId('sale');
      const response = await post(saleBody(id, amount));
      assert.equal(response.body.data.attributes.state, 'succeeded');
      return id;
    };
    const get = async (id: string) => (await call(t.url, 'GET', `/api/v2/transactions/${id}`, { key: m.apiKey })).body.data.attributes;
    const ledgerFor = async (amount: number) => (await ledger(t.url)).filter((e) => e.amount === amount);

    test('void of a succeeded sale reverses it at the provider', async () => {
      const saleId = await paidSale(2100);
      const voidId = uniqueId('void');
      const response = await post(voidBody(voidId, saleId));
      assert.equal(response.status, 201);
      assert.equal(response.body.data.type, 'void');
      assert.equal(response.body.data.attributes.sale, saleId);
      assert.equal(response.body.data.attributes.state, 'succeeded');
      const saleNow = await get(saleId);
      assert.equal(saleNow.state, 'succeeded');
      assert.equal(saleNow.voided, true);
      assert.deepEqual(
        (await ledgerFor(2100)).map((e) => e.status),
        ['reversed'],
      );

      const again = await post(voidBody(uniqueId('void'), saleId));
      assert.equal(again.body.data.attributes.state, 'failed');
      assert.equal(again.body.data.attributes.failure_code, 'void_not_allowed_failure');
      const refund = await post(refundBody(uniqueId('refund'), saleId, 100));
      assert.equal(refund.body.data.attributes.failure_code, 'refund_not_allowed_failure');
    });

    test('void of a pending sale stops it and reverses at the provider', async () => {
      const saleId = uniqueId('sale');
      const created = await post(saleBody(saleId, 2254), false);
      assert.equal(created.body.data.attributes.state, 'pending');
      // Let the pay call reach the provider (the customer never confirms 54).
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while ((await ledgerFor(2254)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const voided = await post(voidBody(uniqueId('void'), saleId));
      assert.equal(voided.body.data.attributes.state, 'succeeded');
      const saleNow = await waitFinal(t.url, m.apiKey, saleId);
      assert.equal(saleNow.body.data.attributes.state, 'failed');
      assert.equal(saleNow.body.data.attributes.failure_code, 'sale_voided_failure');
      // The void succeeded, so the sale says so, as after a void of a succeeded sale.
      assert.equal(saleNow.body.data.attributes.voided, true);
      assert.deepEqual(
        (await ledgerFor(2254)).map((e) => e.status),
        ['reversed'],
      );
    });

    test('void of a failed or unknown sale is recorded as failed', async () => {
      const failedSale = uniqueId('sale');
      await post(saleBody(failedSale, 2351));
      const v1 = await post(voidBody(uniqueId('void'), failedSale));
      assert.equal(v1.status, 201);
      assert.equal(v1.body.data.attributes.failure_code, 'void_not_allowed_failure');
      const v2 = await post(voidBody(uniqueId('void'), 'no-such-sale'));
      assert.equal(v2.status, 201);
      assert.equal(v2.body.data.attributes.state, 'failed');
      assert.equal(v2.body.data.attributes.failure_code, 'sale_not_found_failure');
    });

    test('partial then full refunds, and nothing beyond the sale amount', async () => {
      const saleId = await paidSale(3000);
      const r1 = await post(refundBody(uniqueId('refund'), saleId, 1000));
      assert.equal(r1.status, 201);
      assert.equal(r1.body.data.type, 'refund');
      assert.equal(r1.body.data.attributes.amount, 1000);
      assert.equal(r1.body.data.attributes.state, 'succeeded');
      assert.equal((await get(saleId)).refunded_amount, 1000);
      assert.deepEqual(
        (await ledgerFor(3000)).map((e) => [e.status, e.refunded_amount]),
        [['partially_refunded', 1000]],
      );

      const tooMuch = await post(refundBody(uniqueId('refund'), saleId, 2001));
      assert.equal(tooMuch.body.data.attributes.state, 'failed');
      assert.equal(tooMuch.body.data.attributes.failure_code, 'refund_exceeds_sale_amount_failure');
      assert.match(tooMuch.body.data.attributes.failure_detail, /2000/);

      const r2 = await post(refundBody(uniqueId('refund'), saleId, 2000));
      assert.equal(r2.body.data.attributes.state, 'succeeded');
      assert.equal((await get(saleId)).refunded_amount, 3000);
      assert.deepEqual(
        (await ledgerFor(3000)).map((e) => [e.status, e.refunded_amount]),
        [['refunded', 3000]],
      );

      const voidAfterRefund = await post(voidBody(uniqueId('void'), saleId));
      assert.equal(voidAfterRefund.body.data.attributes.failure_code, 'void_not_allowed_failure');
    });

    test('concurrent refunds never exceed the sale amount', async () => {
      const saleId = await paidSale(1000);
      const responses = await Promise.all(Array.from({ length: 6 }, () => post(refundBody(uniqueId('refund'), saleId, 300))));
      const succeeded = responses.filter((r) => r.body.data.attributes.state === 'succeeded');
      const exceeded = responses.filter((r) => r.body.data.attributes.failure_code === 'refund_exceeds_sale_amount_failure');
      assert.equal(succeeded.length, 3);
      assert.equal(exceeded.length, 3);
      assert.equal((await get(saleId)).refunded_amount, 900);
    });

    test('the provider refusing a refund (59) fails it as refund_not_allowed', async () => {
      const saleId = await paidSale(4059);
      const refund = await post(refundBody(uniqueId('refund'), saleId, 4059));
      assert.equal(refund.body.data.attributes.state, 'failed');
      assert.equal(refund.body.data.attributes.failure_code, 'refund_not_allowed_failure');
      assert.equal((await get(saleId)).refunded_amount, 0);
    });

    test('refunds of failed, pending or unknown sales are refused', async () => {
      const failedSale = uniqueId('sale');
      await post(saleBody(failedSale, 1151));
      const r1 = await post(refundBody(uniqueId('refund'), failedSale, 10));
      assert.equal(r1.body.data.attributes.failure_code, 'refund_not_allowed_failure');
      const pendingSale = uniqueId('sale');
      await post(saleBody(pendingSale, 1154), false);
      const r2 = await post(refundBody(uniqueId('refund'), pendingSale, 10), false);
      assert.equal(r2.body.data.attributes.failure_code, 'refund_not_allowed_failure');
      const r3 = await post(refundBody(uniqueId('refund'), 'missing-sale', 10));
      assert.equal(r3.body.data.attributes.failure_code, 'sale_not_found_failure');
    });

    test('a void past the merchant void window is refused', async () => {
      const saleId = await paidSale(1200);
      await t.app.deps.store.db.updateTable('merchants').set({ void_window_ms: 0 }).where('id', '=', m.id).execute();
      try {
        await new Promise((r) => setTimeout(r, 5));
        const v = await post(voidBody(uniqueId('void'), saleId));
        assert.equal(v.body.data.attributes.failure_code, 'void_not_allowed_failure');
        assert.match(v.body.data.attributes.failure_detail, /window/);
      } finally {
        await t.app.deps.store.db
          .updateTable('merchants')
          .set({ void_window_ms: 15 * 60_000 })
          .where('id', '=', m.id)
          .execute();
      }
    });
  });
}
