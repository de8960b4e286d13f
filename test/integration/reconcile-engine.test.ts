/**
 * Reconciliation end to end on both databases, with the real simulators: a
 * test-mode day of POS sales and (partial) refunds reconciles clean; each
 * kind of planted statement difference is then reported exactly; the daily
 * schedule creates and runs the day's runs once; a statement not published
 * yet and a failing fetch are retried, then the run fails visibly; LINE Pay
 * (no statement interface) is reconciled from its query API; the metrics
 * show the latest day per class.
 *
 * WeChat Pay's own statement format is being written beside this; until it
 * lands, the test gives WeChat Pay a statement source of its own that prints
 * the simulator ledger's settled payments and refunds of the day (plants
 * applied, a 0.6% fee rounded half up), as the real producers do.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AnyProviderDescriptor, ProviderList } from '../../src/providers/descriptor.js';
import { PROVIDERS } from '../../src/providers/list.js';
import type { StatementFetch, StatementLine, StatementSource } from '../../src/providers/statements.js';
import { dayBounds, dayOf, publishedAt } from '../../src/reconcile/days.js';
import { FIRST_RETRY_MS, MAX_RUN_ATTEMPTS, NOT_READY_RETRY_MS, type RunResult, reconcileRun } from '../../src/reconcile/run.js';
import { reconcileDue, scheduleRuns } from '../../src/reconcile/schedule.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { claimRunNow, ensureRun, findRun, itemsOf } from '../../src/store/reconciliation.js';
import { call, refundBody, saleBody, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

const SHANGHAI = 'Asia/Shanghai';
const PUBLICATION = { timeZone: SHANGHAI, hoursAfterDay: 1 };

/** What the test's statement source answers: the ledger's statement, or a simulated outage. */
const source = { ledgerFile: '', answer: 'ledger' as 'ledger' | 'not_ready' | 'failed' };

const feeOf = (amount: number): number => Math.floor((amount * 6 + 500) / 1000);

/** The simulator ledger's statement of a day, plants applied, as a provider's statement producer prints it. */
const ledgerStatements: StatementSource<object> = {
  publication: PUBLICATION,
  async fetch(_context, day): Promise<StatementFetch> {
    if (source.answer === 'not_ready') return { kind: 'not_ready', reason: 'bill not generated yet' };
    if (source.answer === 'failed') return { kind: 'failed', reason: 'simulated outage' };
    const ledger = SimulatorLedger.open(source.ledgerFile);
    try {
      const { fromMs, toMs } = dayBounds(day, SHANGHAI);
      const { payments, refunds } = ledger.settledBetween('wechatpay', fromMs, toMs);
      const plants = ledger.plantsFor('wechatpay', day);
      const planted = (kind: string, orderNo: string) => plants.find((p) => p.kind === kind && p.orderNo === orderNo);
      const lines: StatementLine[] = [];
      for (const p of payments) {
        if (planted('drop', p.orderNo)) continue;
        const amount = planted('amount', p.orderNo)?.amount ?? p.amount;
        const fee = planted('fee', p.orderNo)?.amount ?? feeOf(amount);
        const settled = planted('status', p.orderNo) === undefined;
        lines.push({
          kind: 'payment',
          orderNo: p.orderNo,
          refundNo: null,
          providerTxnId: p.providerTxnId,
          amountMinor: amount,
          currency: p.currency,
          feeMinor: settled ? fee : 0,
          netMinor: settled ? amount - fee : 0,
          providerStatus: settled ? 'SUCCESS' : 'NOTPAY',
          settled,
          at: p.paidAt,
        });
      }
      for (const extra of plants.filter((p) => p.kind === 'extra_payment')) {
        const amount = extra.amount ?? 0;
        lines.push({
          kind: 'payment',
          orderNo: extra.orderNo,
          refundNo: null,
          providerTxnId: null,
          amountMinor: amount,
          currency: extra.currency ?? 'CNY',
          feeMinor: feeOf(amount),
          netMinor: amount - feeOf(amount),
          providerStatus: 'SUCCESS',
          settled: true,
          at: fromMs,
        });
      }
      for (const r of refunds) {
        if (planted('drop', r.orderNo)) continue;
        lines.push({
          kind: 'refund',
          orderNo: r.orderNo,
          refundNo: r.refundNo,
          providerTxnId: r.providerRefundId,
          amountMinor: r.amount,
          currency: r.currency,
          feeMinor: null,
          netMinor: null,
          providerStatus: 'REFUND',
          settled: true,
          at: r.settledAt,
        });
      }
      const currencies = [...new Set(lines.map((l) => l.currency))];
      const totals = currencies.map((currency) => {
        const of = lines.filter((l) => l.currency === currency && l.settled);
        return {
          currency,
          paymentsMinor: of.filter((l) => l.kind === 'payment').reduce((sum, l) => sum + l.amountMinor, 0),
          refundsMinor: of.filter((l) => l.kind === 'refund').reduce((sum, l) => sum + l.amountMinor, 0),
          feesMinor: of.reduce((sum, l) => sum + (l.feeMinor ?? 0), 0),
          lineCount: lines.filter((l) => l.currency === currency).length,
        };
      });
      return lines.length === 0 ? { kind: 'empty' } : { kind: 'statement', statement: { lines, totals } };
    } finally {
      ledger.close();
    }
  },
};

const TEST_PROVIDERS: ProviderList = PROVIDERS.map((p): AnyProviderDescriptor => (p.name === 'wechatpay' ? { ...p, statements: ledgerStatements } : p));

type Tuple = [string, string, string, number | null, number | null];
const tuples = (
  items: ReadonlyArray<{ class: string; kind: string; order_no: string; provider_amount: number | null; cancan_amount: number | null }>,
): Tuple[] =>
  items
    .map((i): Tuple => [
      i.class,
      i.kind,
      i.order_no,
      i.provider_amount === null ? null : Number(i.provider_amount),
      i.cancan_amount === null ? null : Number(i.cancan_amount),
    ])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

for (const kind of DB_KINDS) {
  describe(`reconciliation (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let day: string;
    /** Order numbers of the day's sales, by amount. */
    const orders = new Map<number, string>();
    const refundNos: string[] = [];

    before(async () => {
      t = await startTestApp(kind, { CANCAN_RECONCILE_EVERY_MS: '0' }, { providers: TEST_PROVIDERS });
      source.ledgerFile = join(t.database.dataDir, 'simulator.sqlite');
      source.answer = 'ledger';
      m = await t.merchant();
    });
    after(() => t.close());

    const post = (body: unknown) => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body, headers: { prefer: 'wait=10' } });
    const orderNoOf = async (clientId: string): Promise<string> => {
      const row = await t.app.deps.store.db.selectFrom('transactions').select('provider_order_no').where('client_id', '=', clientId).executeTakeFirstOrThrow();
      return row.provider_order_no ?? '';
    };
    const sale = async (amount: number, overrides: Record<string, unknown> = {}): Promise<string> => {
      const id = uniqueId('sale');
      const response = await post(saleBody(id, amount, overrides));
      assert.equal(response.body.data.attributes.state, 'succeeded', response.text);
      return id;
    };
    const refund = async (saleId: string, amount: number): Promise<string> => {
      const id = uniqueId('refund');
      const response = await post(refundBody(id, saleId, amount));
      assert.equal(response.body.data.attributes.state, 'succeeded', response.text);
      return id;
    };
    const runNow = async (provider: string, runDay: string): Promise<{ result: RunResult; runId: number }> => {
      const now = Date.now();
      const stored = await ensureRun(t.app.deps.store.db, { provider, mode: 'test', merchantId: null, day: runDay }, now, now);
      const run = await claimRunNow(t.app.deps.store.db, stored.id, 'test-owner', now, 60_000);
      assert.ok(run, 'the run is free to claim');
      return { result: await reconcileRun(t.app.deps, run), runId: stored.id };
    };

    test('a day of sales and partial refunds reconciles clean, with the figures per currency', async () => {
      const sales = new Map<number, string>();
      for (const amount of [10_000, 5000, 3000, 2000, 1234]) {
        const id = await sale(amount);
        sales.set(amount, id);
        orders.set(amount, await orderNoOf(id));
      }
      refundNos.push(await orderNoOf(await refund(sales.get(10_000) ?? '', 1000)));
      refundNos.push(await orderNoOf(await refund(sales.get(5000) ?? '', 500)));
      day = dayOf(Date.now(), SHANGHAI);

      const { result, runId } = await runNow('wechatpay', day);
      assert.equal(result.state, 'done');
      assert.ok(result.state === 'done');
      assert.deepEqual(result.summary, {
        source: 'statement',
        counts: { matched: 7, missing_in_cancan: 0, missing_at_provider: 0, amount_mismatch: 0, status_mismatch: 0, fee_only: 0 },
        currencies: [
          {
            currency: 'CNY',
            provider: { payments: 21_234, refunds: 1500, fees: 127, net: 19_607, lines: 7 },
            printed: { payments: 21_234, refunds: 1500, fees: 127, lines: 7 },
            totals_agree: true,
            cancan: { payments: 21_234, refunds: 1500 },
          },
        ],
        totals_agree: true,
        clean: true,
        empty: false,
        note: null,
      });
      const stored = await findRun(t.app.deps.store.db, { provider: 'wechatpay', mode: 'test', merchantId: null, day });
      assert.equal(stored?.state, 'done');
      assert.equal(stored?.source, 'statement');
      assert.equal(stored?.merchant_id, null);
      assert.deepEqual(JSON.parse(stored?.summary ?? '{}'), result.summary);
      const items = await itemsOf(t.app.deps.store.db, runId);
      assert.equal(items.length, 7);
      assert.ok(items.every((item) => item.class === 'matched' && item.merchant_id === m.id && item.transaction_seq !== null));
      assert.deepEqual(
        items
          .filter((i) => i.kind === 'refund')
          .map((i) => i.refund_no)
          .sort(),
        [...refundNos].sort(),
      );
    });

    test('LINE Pay, with no statement interface, is reconciled from its query API', async () => {
      const id = await sale(4000, { payment_gateway: 'linepay_th_domestic', payment_auth_key: '081149423436', currency: 'THB' });
      await refund(id, 1000);
      const { result } = await runNow('linepay', dayOf(Date.now(), 'UTC'));
      assert.ok(result.state === 'done', JSON.stringify(result));
      assert.equal(result.summary.source, 'query');
      assert.deepEqual(result.summary.counts, {
        matched: 2,
        missing_in_cancan: 0,
        missing_at_provider: 0,
        amount_mismatch: 0,
        status_mismatch: 0,
        fee_only: 0,
      });
      assert.deepEqual(result.summary.currencies, [
        {
          currency: 'THB',
          provider: { payments: 4000, refunds: 1000, fees: 0, net: 3000, lines: 2 },
          printed: null,
          totals_agree: null,
          cancan: { payments: 4000, refunds: 1000 },
        },
      ]);
      assert.equal(result.summary.clean, true);
      assert.match(result.summary.note ?? '', /cannot be found this way/);
    });

    test('each planted difference is reported exactly; the re-run replaces the clean run', async () => {
      const ledger = SimulatorLedger.open(source.ledgerFile);
      try {
        ledger.plant({ provider: 'wechatpay', day, kind: 'extra_payment', orderNo: 'ghost-order-1', amount: 888, currency: 'CNY' });
        ledger.plant({ provider: 'wechatpay', day, kind: 'drop', orderNo: orders.get(1234) ?? '' });
        ledger.plant({ provider: 'wechatpay', day, kind: 'amount', orderNo: orders.get(5000) ?? '', amount: 5100 });
        ledger.plant({ provider: 'wechatpay', day, kind: 'status', orderNo: orders.get(3000) ?? '' });
        ledger.plant({ provider: 'wechatpay', day, kind: 'fee', orderNo: orders.get(2000) ?? '', amount: 999 });
      } finally {
        ledger.close();
      }
      const { result, runId } = await runNow('wechatpay', day);
      assert.ok(result.state === 'done');
      assert.deepEqual(result.summary.counts, {
        matched: 3,
        missing_in_cancan: 1,
        missing_at_provider: 1,
        amount_mismatch: 1,
        status_mismatch: 1,
        fee_only: 1,
      });
      assert.equal(result.summary.clean, false);
      assert.equal(result.summary.totals_agree, true);
      const items = await itemsOf(t.app.deps.store.db, runId);
      assert.deepEqual(
        tuples(items),
        tuples([
          { class: 'matched', kind: 'payment', order_no: orders.get(10_000) ?? '', provider_amount: 10_000, cancan_amount: 10_000 },
          { class: 'matched', kind: 'refund', order_no: orders.get(10_000) ?? '', provider_amount: 1000, cancan_amount: 1000 },
          { class: 'matched', kind: 'refund', order_no: orders.get(5000) ?? '', provider_amount: 500, cancan_amount: 500 },
          { class: 'amount_mismatch', kind: 'payment', order_no: orders.get(5000) ?? '', provider_amount: 5100, cancan_amount: 5000 },
          { class: 'status_mismatch', kind: 'payment', order_no: orders.get(3000) ?? '', provider_amount: 3000, cancan_amount: 3000 },
          { class: 'fee_only', kind: 'payment', order_no: orders.get(2000) ?? '', provider_amount: 2000, cancan_amount: 2000 },
          { class: 'missing_in_cancan', kind: 'payment', order_no: 'ghost-order-1', provider_amount: 888, cancan_amount: null },
          { class: 'missing_at_provider', kind: 'payment', order_no: orders.get(1234) ?? '', provider_amount: null, cancan_amount: 1234 },
        ]),
      );
      const ghost = items.find((i) => i.class === 'missing_in_cancan');
      assert.equal(ghost?.merchant_id, null);
      assert.equal(ghost?.transaction_seq, null);
      const fee = items.find((i) => i.class === 'fee_only');
      assert.equal(Number(fee?.fee), 999);
      assert.equal(fee?.merchant_id, m.id);
      // The provider's figures still add up to its printed totals.
      assert.deepEqual(result.summary.currencies[0]?.provider, {
        payments: 10_000 + 5100 + 2000 + 888,
        refunds: 1500,
        fees: 60 + 31 + 999 + 5,
        net: 17_988 - 1500 - 1095,
        lines: 7,
      });
      assert.equal(result.summary.currencies[0]?.totals_agree, true);
      // One run per account and day: the same row, its items replaced.
      const runs = await t.app.deps.store.db.selectFrom('reconciliation_runs').select('id').where('provider', '=', 'wechatpay').execute();
      assert.deepEqual(
        runs.map((r) => Number(r.id)),
        [runId],
      );
    });

    test('the metrics show the latest day per class and the runs by state', async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const line = (cls: string) => text.split('\n').find((l) => l.startsWith(`cancan_reconciliation_items{provider="wechatpay",mode="test",class="${cls}"}`));
      assert.equal(line('fee_only'), 'cancan_reconciliation_items{provider="wechatpay",mode="test",class="fee_only"} 1');
      assert.equal(line('matched'), 'cancan_reconciliation_items{provider="wechatpay",mode="test",class="matched"} 3');
      assert.ok(
        text.split('\n').includes('cancan_reconciliation_runs{state="done"} 2'),
        text
          .split('\n')
          .filter((l) => l.startsWith('cancan_reconciliation_runs'))
          .join('\n'),
      );
    });

    test('the schedule creates each day run once, due at publication, and the worker pass runs it', async () => {
      const db = t.app.deps.store.db;
      await db.deleteFrom('reconciliation_items').execute();
      await db.deleteFrom('reconciliation_runs').execute();
      const wechatDue = publishedAt(day, PUBLICATION);
      const linepayDue = publishedAt(dayOf(Date.now(), 'UTC'), { timeZone: 'UTC', hoursAfterDay: 1 });
      const later = Math.max(wechatDue, linepayDue) + 60_000;
      const deps = { ...t.app.deps, clock: { now: () => later } };
      await scheduleRuns(deps, later);
      await scheduleRuns(deps, later);
      const scheduled = await db
        .selectFrom('reconciliation_runs')
        .select(['provider', 'mode', 'merchant_id', 'day', 'state', 'run_at'])
        .orderBy('provider')
        .execute();
      assert.deepEqual(
        scheduled.map((r) => ({ ...r, run_at: Number(r.run_at) })),
        [
          { provider: 'linepay', mode: 'test', merchant_id: null, day: dayOf(Date.now(), 'UTC'), state: 'due', run_at: linepayDue },
          { provider: 'wechatpay', mode: 'test', merchant_id: null, day, state: 'due', run_at: wechatDue },
        ],
      );
      assert.equal(await reconcileDue(deps, 'worker-a'), 2);
      assert.equal(await reconcileDue(deps, 'worker-a'), 0);
      const done = await db.selectFrom('reconciliation_runs').select(['provider', 'state', 'lease_owner']).orderBy('provider').execute();
      assert.deepEqual(done, [
        { provider: 'linepay', state: 'done', lease_owner: null },
        { provider: 'wechatpay', state: 'done', lease_owner: null },
      ]);
    });

    test('not published yet: rescheduled; a failing fetch: retried with backoff, then failed and visible', async () => {
      const account = { provider: 'wechatpay', mode: 'test' as const, merchantId: null, day };
      source.answer = 'not_ready';
      const before = Date.now();
      const { result } = await runNow('wechatpay', day);
      assert.equal(result.state, 'not_ready');
      let stored = await findRun(t.app.deps.store.db, account);
      assert.equal(stored?.state, 'not_ready');
      assert.equal(stored?.last_error, 'bill not generated yet');
      assert.ok(Number(stored?.run_at) >= before + NOT_READY_RETRY_MS);

      source.answer = 'failed';
      for (let attempt = 1; attempt < MAX_RUN_ATTEMPTS; attempt += 1) {
        const started = Date.now();
        const { result: retried } = await runNow('wechatpay', day);
        assert.equal(retried.state, 'due');
        stored = await findRun(t.app.deps.store.db, account);
        assert.equal(stored?.attempts, attempt);
        assert.equal(stored?.last_error, 'simulated outage');
        assert.ok(Number(stored?.run_at) >= started + FIRST_RETRY_MS * 2 ** (attempt - 1) || Number(stored?.run_at) >= started + 3_600_000);
      }
      const { result: last } = await runNow('wechatpay', day);
      assert.deepEqual(last, { state: 'failed', error: 'simulated outage', runAt: null });
      stored = await findRun(t.app.deps.store.db, account);
      assert.equal(stored?.state, 'failed');
      assert.equal(stored?.attempts, MAX_RUN_ATTEMPTS);
      assert.equal(stored?.lease_owner, null);

      // A re-run after the outage starts afresh and replaces everything.
      source.answer = 'ledger';
      const { result: again } = await runNow('wechatpay', day);
      assert.equal(again.state, 'done');
      stored = await findRun(t.app.deps.store.db, account);
      assert.equal(stored?.state, 'done');
      assert.equal(stored?.attempts, 0);
      assert.equal(stored?.last_error, null);
    });
  });
}
