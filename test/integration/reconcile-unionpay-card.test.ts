/**
 * Reconciliation of UnionPay's file transfer (ZM file) and the card
 * acquirer's settled batch (Converge txnquery) through the engine, on both
 * databases: a day of paid hosted-checkout charges (UnionPay: the signed
 * front form posted and the code scanned; card: the card page submitted) and
 * a partial refund is clean, with figures per currency equal to the
 * statement's lines; with one difference of each kind planted, each is
 * reported exactly for the order it was planted on.
 *
 * Both statements are published for past days only (UnionPay 10 hours after
 * the China day, the card batch 6 hours after the UTC day): the business
 * moves back two days, in the simulator ledger (payment and settlement
 * times, which date both simulators' lines) and in CanCan's books.
 *
 * The card batch lists no fees (Converge has none per transaction): a
 * planted `fee` changes nothing there, and the test says so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { invoiceNumberFor } from '../../src/providers/card/transformers.js';
import { dayOf } from '../../src/reconcile/days.js';
import { type RunResult, reconcileRun } from '../../src/reconcile/run.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { claimRunNow, ensureRun, itemsOf } from '../../src/store/reconciliation.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitFor, waitInquire } from '../support/chop.js';
import { uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

const PROVIDERS = [
  { provider: 'unionpay', method: 'upop', currency: 'CNY', timeZone: 'Asia/Shanghai', fees: true },
  { provider: 'card', method: 'cc', currency: 'USD', timeZone: 'UTC', fees: false },
] as const;

const AMOUNTS = [10_000, 5000, 3000, 2000, 1234] as const;
const DAY_MS = 86_400_000;
const FORM = 'application/x-www-form-urlencoded';
/** The acquirer keeps our order number as its invoice number, cut to 25 characters. */
const providerNumber = (provider: string, orderNo: string): string => (provider === 'card' ? invoiceNumberFor(orderNo) : orderNo);

for (const kind of DB_KINDS) {
  describe(`reconciliation of UnionPay and the card acquirer (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_RECONCILE_EVERY_MS: '0' });
      m = await t.merchant([...CHOP_METHODS]);
    });
    after(() => t.close());

    const db = () => t.app.deps.store.db;
    const runNow = async (provider: string, day: string): Promise<{ result: RunResult; runId: number }> => {
      const now = Date.now();
      const stored = await ensureRun(db(), { provider, mode: 'test', merchantId: null, day }, now, now);
      const run = await claimRunNow(db(), stored.id, 'test-owner', now, 60_000);
      assert.ok(run);
      return { result: await reconcileRun(t.app.deps, run), runId: stored.id };
    };

    /** The shopper pays: UnionPay's signed form is posted to its gateway, then the code scanned; the card page is submitted. */
    async function pay(method: string, id: string): Promise<void> {
      if (method === 'upop') {
        const row = await waitFor(async () => {
          const found = await db().selectFrom('transactions').select(['qr_code', 'pay_form']).where('ref', '=', id).executeTakeFirst();
          return found?.qr_code && found.pay_form ? found : undefined;
        });
        const form = JSON.parse(row.pay_form ?? '') as { action: string; fields: Record<string, string> };
        const page = await fetch(form.action, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams(form.fields).toString() });
        assert.equal(page.status, 200, await page.text());
        assert.equal((await scan(t.url, row.qr_code ?? '', 'approve')).status, 200);
        return;
      }
      const card = new URLSearchParams({
        q: id,
        lang: 'en',
        number: '4111 1111 1111 1111',
        expiry: '12/39',
        cvc: '123',
        name: 'Ada Lovelace',
        postal_code: '',
      });
      const page = await fetch(`${t.url}/chop/landing/card`, { method: 'POST', headers: { 'content-type': FORM }, body: card.toString(), redirect: 'manual' });
      assert.equal(page.status, 303, await page.text());
    }

    /** A paid hosted-checkout charge; answers its id and order number. */
    async function paidCharge(method: string, amount: number, currency: string): Promise<{ id: string; orderNo: string }> {
      const response = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: method, amount, currency, reference: uniqueId('order') });
      assert.equal(response.status, 200, response.text);
      const id = idFromUrl(response.body.url);
      await pay(method, id);
      assert.equal((await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null)).notify_result, 'success');
      const row = await db().selectFrom('transactions').select('provider_order_no').where('ref', '=', id).executeTakeFirstOrThrow();
      return { id, orderNo: row.provider_order_no ?? '' };
    }

    /** Refunds part of a charge; answers the refund's own number. */
    async function refundCharge(id: string, amount: number, currency: string): Promise<string> {
      const response = await chop(t.url, '/chop/refund', m.apiKey, { transaction_id: id, amount, currency, reason: 'test' });
      assert.equal(response.status, 200, response.text);
      return waitFor(async () => {
        const row = await db()
          .selectFrom('transactions')
          .select(['state', 'provider_order_no'])
          .where('type', '=', 'refund')
          .where('sale_client_id', '=', id)
          .executeTakeFirst();
        assert.notEqual(row?.state, 'failed');
        return row?.state === 'succeeded' ? (row.provider_order_no ?? '') : undefined;
      });
    }

    /** Moves the orders' payments and refunds back by `ms`, in the simulator ledger and in CanCan's books. */
    async function moveBack(provider: string, orderNos: readonly string[], ms: number): Promise<void> {
      const file = new Database(join(t.database.dataDir, 'simulator.sqlite'));
      try {
        for (const orderNo of orderNos.map((n) => providerNumber(provider, n))) {
          assert.equal(file.prepare('UPDATE sim_orders SET paid_at = paid_at - ? WHERE provider = ? AND order_no = ?').run(ms, provider, orderNo).changes, 1);
          file.prepare('UPDATE sim_refunds SET settled_at = settled_at - ? WHERE provider = ? AND order_no = ?').run(ms, provider, orderNo);
        }
      } finally {
        file.close();
      }
      const seqs = (
        await db()
          .selectFrom('transactions')
          .select('seq')
          .where('provider_order_no', 'in', [...orderNos])
          .execute()
      ).map((c) => Number(c.seq));
      await db()
        .updateTable('transactions')
        .set((eb) => ({ finalized_at: eb('finalized_at', '-', ms) }))
        .where((eb) => eb.or([eb('seq', 'in', seqs), eb('sale_seq', 'in', seqs)]))
        .execute();
    }

    for (const { provider, method, currency, timeZone, fees } of PROVIDERS) {
      test(`${provider}: a clean day, then each planted difference reported exactly`, async () => {
        // Our order numbers, and the same as the provider prints them (the acquirer: cut to its 25-character invoice number).
        const ours: string[] = [];
        const orders = new Map<number, string>();
        let firstCharge = '';
        for (const amount of AMOUNTS) {
          const charge = await paidCharge(method, amount, currency);
          ours.push(charge.orderNo);
          orders.set(amount, providerNumber(provider, charge.orderNo));
          if (amount === 10_000) firstCharge = charge.id;
        }
        const refundNo = await refundCharge(firstCharge, 1000, currency);
        await moveBack(provider, ours, 2 * DAY_MS);
        const day = dayOf(Date.now() - 2 * DAY_MS, timeZone);

        const clean = await runNow(provider, day);
        assert.ok(clean.result.state === 'done', JSON.stringify(clean.result));
        assert.deepEqual(clean.result.summary.counts, {
          matched: 6,
          missing_in_cancan: 0,
          missing_at_provider: 0,
          amount_mismatch: 0,
          status_mismatch: 0,
          fee_only: 0,
        });
        assert.equal(clean.result.summary.clean, true);
        // Neither prints totals of its own: the figures are the sums of the statement's lines.
        assert.equal(clean.result.summary.totals_agree, null);
        assert.deepEqual(
          clean.result.summary.currencies.map((c) => [
            c.currency,
            c.provider.payments,
            c.provider.refunds,
            c.provider.lines,
            c.cancan.payments,
            c.cancan.refunds,
          ]),
          [[currency, 21_234, 1000, 6, 21_234, 1000]],
        );

        const ledger = SimulatorLedger.open(join(t.database.dataDir, 'simulator.sqlite'));
        const ghost = `ghost${provider}${Date.now()}`;
        try {
          ledger.plant({ provider, day, kind: 'extra_payment', orderNo: ghost, amount: 888, currency });
          ledger.plant({ provider, day, kind: 'drop', orderNo: orders.get(1234) ?? '' });
          ledger.plant({ provider, day, kind: 'amount', orderNo: orders.get(5000) ?? '', amount: 5100 });
          ledger.plant({ provider, day, kind: 'status', orderNo: orders.get(3000) ?? '' });
          ledger.plant({ provider, day, kind: 'fee', orderNo: orders.get(2000) ?? '', amount: 999 });
        } finally {
          ledger.close();
        }
        const planted = await runNow(provider, day);
        assert.equal(planted.runId, clean.runId);
        assert.ok(planted.result.state === 'done', JSON.stringify(planted.result));
        assert.deepEqual(planted.result.summary.counts, {
          matched: fees ? 2 : 3,
          missing_in_cancan: 1,
          missing_at_provider: 1,
          amount_mismatch: 1,
          status_mismatch: 1,
          fee_only: fees ? 1 : 0,
        });
        const items = await itemsOf(db(), planted.runId);
        const byClass = (cls: string) =>
          items
            .filter((i) => i.class === cls)
            .map((i) => [
              i.kind,
              i.order_no,
              i.provider_amount === null ? null : Number(i.provider_amount),
              i.cancan_amount === null ? null : Number(i.cancan_amount),
            ]);
        assert.deepEqual(byClass('missing_in_cancan'), [['payment', ghost, 888, null]]);
        assert.deepEqual(byClass('missing_at_provider'), [['payment', orders.get(1234), null, 1234]]);
        assert.deepEqual(byClass('amount_mismatch'), [['payment', orders.get(5000), 5100, 5000]]);
        assert.deepEqual(byClass('status_mismatch'), [['payment', orders.get(3000), 3000, 3000]]);
        const feePlanted = ['payment', orders.get(2000), 2000, 2000];
        const matched = [
          ['payment', orders.get(10_000), 10_000, 10_000],
          // The acquirer's RETURN carries the refund's number only; UnionPay's refund names its consume's order too.
          ['refund', provider === 'card' ? providerNumber(provider, refundNo) : orders.get(10_000), 1000, 1000],
        ];
        if (fees) {
          assert.deepEqual(byClass('fee_only'), [feePlanted]);
          assert.equal(Number(items.find((i) => i.class === 'fee_only')?.fee), 999);
          assert.deepEqual(byClass('matched').sort(), matched.sort());
        } else {
          // The batch prints no fee: the planted one has nowhere to go, the sale matches with no fee.
          assert.deepEqual(byClass('fee_only'), []);
          assert.deepEqual(byClass('matched').sort(), [...matched, feePlanted].sort());
          assert.equal(items.find((i) => i.order_no === orders.get(2000))?.fee, null);
        }
      });
    }
  });
}
