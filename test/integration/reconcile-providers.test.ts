/**
 * Reconciliation against the providers' own statement formats, served by
 * their simulators (WeChat Pay's downloadbill, Alipay's zipped trade bill),
 * on both databases: a test-mode day of POS sales and a partial refund is
 * clean with totals that add up; with one difference of each kind planted in
 * the simulator's statement, each is reported exactly, for the order it was
 * planted on.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dayOf } from '../../src/reconcile/days.js';
import { type RunResult, reconcileRun } from '../../src/reconcile/run.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { claimRunNow, ensureRun, itemsOf } from '../../src/store/reconciliation.js';
import { call, refundBody, saleBody, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

const PROVIDERS = [
  { provider: 'wechatpay', gateway: 'wechatpay_cn_domestic', authCode: '134567890123456789' },
  { provider: 'alipay', gateway: 'alipay_cn_domestic', authCode: '286543210987654321' },
] as const;

const AMOUNTS = [10_000, 5000, 3000, 2000, 1234] as const;

for (const kind of DB_KINDS) {
  describe(`reconciliation with the providers' statements (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_RECONCILE_EVERY_MS: '0' });
      m = await t.merchant();
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

    for (const { provider, gateway, authCode } of PROVIDERS) {
      test(`${provider}: a clean day, then each planted difference reported exactly`, async () => {
        const orders = new Map<number, string>();
        let firstSale = '';
        for (const amount of AMOUNTS) {
          const id = uniqueId('sale');
          const response = await post(saleBody(id, amount, { payment_gateway: gateway, payment_auth_key: authCode }));
          assert.equal(response.body.data.attributes.state, 'succeeded', response.text);
          orders.set(amount, await orderNoOf(id));
          if (amount === 10_000) firstSale = id;
        }
        const refunded = await post(refundBody(uniqueId('refund'), firstSale, 1000));
        assert.equal(refunded.body.data.attributes.state, 'succeeded', refunded.text);
        const day = dayOf(Date.now(), 'Asia/Shanghai');

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
        assert.equal(clean.result.summary.totals_agree, true);
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
          [['CNY', 21_234, 1000, 6, 21_234, 1000]],
        );

        const ledger = SimulatorLedger.open(join(t.database.dataDir, 'simulator.sqlite'));
        const ghost = `ghost${provider}${Date.now()}`;
        try {
          ledger.plant({ provider, day, kind: 'extra_payment', orderNo: ghost, amount: 888, currency: 'CNY' });
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
        assert.equal(planted.result.summary.totals_agree, true, JSON.stringify(planted.result.summary.currencies));
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
