/**
 * Reconciliation against the providers' own statement formats, served by
 * their simulators (WeChat Pay's downloadbill, Alipay's zipped trade bill,
 * Antom's settlement details report), on both databases: a test-mode day of
 * POS sales (Antom: paid hosted-checkout charges) and a partial refund is
 * clean with totals that add up; with one difference of each kind planted in
 * the simulator's statement, each is reported exactly, for the order it was
 * planted on.
 *
 * UnionPay's file and the card acquirer's batch, published for past days
 * only, are reconciled end to end in reconcile-unionpay-card.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { dayOf } from '../../src/reconcile/days.js';
import { type RunResult, reconcileRun } from '../../src/reconcile/run.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { claimRunNow, ensureRun, itemsOf } from '../../src/store/reconciliation.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitInquire } from '../support/chop.js';
import { call, refundBody, saleBody, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

const PROVIDERS = [
  {
    provider: 'wechatpay',
    gateway: 'wechatpay_cn_domestic',
    method: null,
    authCode: '134567890123456789',
    currency: 'CNY',
    timeZone: 'Asia/Shanghai',
    totals: true,
  },
  { provider: 'alipay', gateway: 'alipay_cn_domestic', method: null, authCode: '286543210987654321', currency: 'CNY', timeZone: 'Asia/Shanghai', totals: true },
  // Antom serves hosted checkout only: paid QR charges of Alipay HK.
  { provider: 'alipayplus', gateway: null, method: 'alipay_hk', authCode: '', currency: 'HKD', timeZone: 'Asia/Singapore', totals: false },
] as const;

const AMOUNTS = [10_000, 5000, 3000, 2000, 1234] as const;
const DAY_MS = 86_400_000;

for (const kind of DB_KINDS) {
  describe(`reconciliation with the providers' statements (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_RECONCILE_EVERY_MS: '0' });
      m = await t.merchant([...CHOP_METHODS, 'wechatpay_cn_domestic', 'alipay_cn_domestic']);
    });
    after(() => t.close());

    const post = (body: unknown) => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body, headers: { prefer: 'wait=10' } });
    const orderNoOf = async (clientId: string): Promise<string> => {
      const row = await t.app.deps.store.db.selectFrom('transactions').select('provider_order_no').where('client_id', '=', clientId).executeTakeFirstOrThrow();
      return row.provider_order_no ?? '';
    };
    const runNow = async (provider: string, day: string): Promise<{ result: RunResult; runId: number }> => {
      const now = Date.now();
      const stored = await ensureRun(t.app.deps.store.db, { provider, mode: 'test', merchantId: null, day }, now, now);
      const run = await claimRunNow(t.app.deps.store.db, stored.id, 'test-owner', now, 60_000);
      assert.ok(run);
      return { result: await reconcileRun(t.app.deps, run), runId: stored.id };
    };

    /** A paid hosted-checkout QR charge (scanned by the sandbox wallet); answers its id and order number. */
    const paidCharge = async (method: string, amount: number, currency: string): Promise<{ id: string; orderNo: string }> => {
      const response = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: method, amount, currency, reference: uniqueId('order') });
      assert.equal(response.status, 200, response.text);
      const id = idFromUrl(response.body.url);
      let qr: string | null = null;
      while (qr === null) {
        const row = await t.app.deps.store.db.selectFrom('transactions').select(['qr_code', 'provider_order_no']).where('ref', '=', id).executeTakeFirst();
        qr = row?.qr_code ?? null;
        if (qr === null) await new Promise((r) => setTimeout(r, 30));
      }
      assert.equal((await scan(t.url, qr, 'approve')).status, 200);
      assert.equal((await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null)).notify_result, 'success');
      const row = await t.app.deps.store.db.selectFrom('transactions').select('provider_order_no').where('ref', '=', id).executeTakeFirstOrThrow();
      return { id, orderNo: row.provider_order_no ?? '' };
    };
    const refundCharge = async (id: string, amount: number, currency: string): Promise<void> => {
      const response = await chop(t.url, '/chop/refund', m.apiKey, { transaction_id: id, amount, currency, reason: 'test' });
      assert.equal(response.status, 200, response.text);
      for (;;) {
        const row = await t.app.deps.store.db
          .selectFrom('transactions')
          .select('state')
          .where('sale_seq', 'is not', null)
          .where('type', '=', 'refund')
          .where('sale_client_id', '=', id)
          .executeTakeFirst();
        if (row?.state === 'succeeded') return;
        assert.notEqual(row?.state, 'failed');
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const moveBack = async (provider: string, orderNos: readonly string[], ms: number): Promise<void> => {
      const file = new Database(join(t.database.dataDir, 'simulator.sqlite'));
      try {
        for (const orderNo of orderNos) {
          file.prepare('UPDATE sim_orders SET paid_at = paid_at - ? WHERE provider = ? AND order_no = ?').run(ms, provider, orderNo);
          file.prepare('UPDATE sim_refunds SET settled_at = settled_at - ? WHERE provider = ? AND order_no = ?').run(ms, provider, orderNo);
        }
      } finally {
        file.close();
      }
      const db = t.app.deps.store.db;
      const charges = await db
        .selectFrom('transactions')
        .select('seq')
        .where('provider_order_no', 'in', [...orderNos])
        .execute();
      const seqs = charges.map((c) => Number(c.seq));
      await db
        .updateTable('transactions')
        .set((eb) => ({ finalized_at: eb('finalized_at', '-', ms) }))
        .where((eb) => eb.or([eb('seq', 'in', seqs), eb('sale_seq', 'in', seqs)]))
        .execute();
    };

    for (const { provider, gateway, method, authCode, currency, timeZone, totals } of PROVIDERS) {
      // Antom's settlement details report prints no totals: nothing to compare (null).
      const totalsAgree = totals ? true : null;
      test(`${provider}: a clean day, then each planted difference reported exactly`, async () => {
        const orders = new Map<number, string>();
        let firstSale = '';
        for (const amount of AMOUNTS) {
          if (method !== null) {
            const charge = await paidCharge(method, amount, currency);
            orders.set(amount, charge.orderNo);
            if (amount === 10_000) firstSale = charge.id;
            continue;
          }
          const id = uniqueId('sale');
          const response = await post(saleBody(id, amount, { payment_gateway: gateway ?? '', payment_auth_key: authCode }));
          assert.equal(response.body.data.attributes.state, 'succeeded', response.text);
          orders.set(amount, await orderNoOf(id));
          if (amount === 10_000) firstSale = id;
        }
        if (method !== null) await refundCharge(firstSale, 1000, currency);
        else {
          const refunded = await post(refundBody(uniqueId('refund'), firstSale, 1000));
          assert.equal(refunded.body.data.attributes.state, 'succeeded', refunded.text);
        }
        let day = dayOf(Date.now(), timeZone);
        if (method !== null) {
          // Antom's report and the acquirer's batch exist only hours after the day is over: the business moves back two days, in both books.
          await moveBack(provider, [...orders.values()], 2 * DAY_MS);
          day = dayOf(Date.now() - 2 * DAY_MS, timeZone);
        }

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
        assert.equal(clean.result.summary.totals_agree, totalsAgree);
        assert.equal(clean.result.summary.clean, true);
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
          matched: 2,
          missing_in_cancan: 1,
          missing_at_provider: 1,
          amount_mismatch: 1,
          status_mismatch: 1,
          fee_only: 1,
        });
        assert.equal(planted.result.summary.totals_agree, totalsAgree, JSON.stringify(planted.result.summary.currencies));
        const items = await itemsOf(t.app.deps.store.db, planted.runId);
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
        assert.deepEqual(byClass('fee_only'), [['payment', orders.get(2000), 2000, 2000]]);
        assert.equal(Number(items.find((i) => i.class === 'fee_only')?.fee), 999);
        assert.deepEqual(
          byClass('matched').sort(),
          [
            ['payment', orders.get(10_000), 10_000, 10_000],
            ['refund', orders.get(10_000), 1000, 1000],
          ].sort(),
        );
      });
    }
  });
}
