/** Matching a statement against CanCan's books: every class, refunds, partial refunds, currencies, fees, totals, a clean day. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Statement, StatementLine } from '../../src/providers/statements.js';
import { dayRateCheck } from '../../src/reconcile/fees.js';
import { type BookPayment, type BookRefund, type Books, type MatchItem, countClasses, matchStatement } from '../../src/reconcile/match.js';
import { summarise } from '../../src/reconcile/summary.js';

const AT = Date.UTC(2026, 11, 3, 4, 0, 0);

function line(kind: 'payment' | 'refund', orderNo: string, amountMinor: number, extra: Partial<StatementLine> = {}): StatementLine {
  return {
    kind,
    orderNo,
    refundNo: null,
    providerTxnId: null,
    amountMinor,
    currency: 'CNY',
    feeMinor: null,
    netMinor: null,
    providerStatus: kind === 'payment' ? 'SUCCESS' : 'REFUND',
    settled: true,
    at: AT,
    ...extra,
  };
}

let nextSeq = 1;
function payment(orderNo: string, amountMinor: number, extra: Partial<BookPayment> = {}): BookPayment {
  return {
    seq: nextSeq++,
    merchantId: 'm1',
    orderNos: [orderNo],
    amountMinor,
    currency: 'CNY',
    state: 'succeeded',
    voided: false,
    ofDay: true,
    code: 'wechatpay',
    ...extra,
  };
}
function refund(refundNo: string, orderNo: string, amountMinor: number, extra: Partial<BookRefund> = {}): BookRefund {
  return { seq: nextSeq++, merchantId: 'm1', refundNo, orderNo, amountMinor, currency: 'CNY', state: 'succeeded', ofDay: true, code: 'wechatpay', ...extra };
}

const statement = (lines: StatementLine[], totals: Statement['totals'] = []): Statement => ({ lines, totals });
const books = (payments: BookPayment[], refunds: BookRefund[] = []): Books => ({ payments, refunds });
const classes = (items: readonly MatchItem[]) => items.map((item) => [item.class, item.kind, item.orderNo, item.refundNo]);

describe('reconciliation matching', () => {
  test('a clean day: every payment and refund matched, figures per currency, totals agree', () => {
    const p1 = payment('o1', 1000);
    const p2 = payment('o2', 2500);
    const r1 = refund('r1', 'o2', 500);
    const s = statement(
      [line('payment', 'o1', 1000), line('payment', 'o2', 2500), line('refund', 'o2', 500, { refundNo: 'r1' })],
      [{ currency: 'CNY', paymentsMinor: 3500, refundsMinor: 500, feesMinor: null, lineCount: 3 }],
    );
    const b = books([p1, p2], [r1]);
    const items = matchStatement(s, b);
    assert.deepEqual(classes(items), [
      ['matched', 'payment', 'o1', null],
      ['matched', 'payment', 'o2', null],
      ['matched', 'refund', 'o2', 'r1'],
    ]);
    assert.deepEqual(items[0], {
      class: 'matched',
      kind: 'payment',
      merchantId: 'm1',
      transactionSeq: p1.seq,
      orderNo: 'o1',
      refundNo: null,
      currency: 'CNY',
      providerAmount: 1000,
      cancanAmount: 1000,
      fee: null,
      net: null,
      providerStatus: 'SUCCESS',
      cancanState: 'succeeded',
      detail: null,
    });
    const summary = summarise('statement', s, b, items);
    assert.deepEqual(summary, {
      source: 'statement',
      counts: { matched: 3, missing_in_cancan: 0, missing_at_provider: 0, amount_mismatch: 0, status_mismatch: 0, fee_only: 0 },
      currencies: [
        {
          currency: 'CNY',
          provider: { payments: 3500, refunds: 500, fees: 0, net: 3000, lines: 3 },
          printed: { payments: 3500, refunds: 500, fees: null, lines: 3 },
          totals_agree: true,
          cancan: { payments: 3500, refunds: 500 },
        },
      ],
      totals_agree: true,
      clean: true,
      empty: false,
      note: null,
    });
  });

  test('missing_in_cancan: a settled line for an order CanCan never made, and a refund CanCan never sent', () => {
    const items = matchStatement(statement([line('payment', 'ghost', 700), line('refund', 'o1', 100, { refundNo: 'ghost-r' })]), books([payment('o1', 1000)]));
    assert.deepEqual(classes(items), [
      ['missing_in_cancan', 'payment', 'ghost', null],
      ['missing_in_cancan', 'refund', 'o1', 'ghost-r'],
      ['missing_at_provider', 'payment', 'o1', null],
    ]);
    assert.equal(items[0]?.merchantId, null);
    assert.equal(items[0]?.transactionSeq, null);
    assert.equal(items[0]?.detail, 'no CanCan payment has this order number');
  });

  test('missing_in_cancan: a second payment line for the same order', () => {
    const items = matchStatement(statement([line('payment', 'o1', 1000), line('payment', 'o1', 1000)]), books([payment('o1', 1000)]));
    assert.deepEqual(classes(items), [
      ['matched', 'payment', 'o1', null],
      ['missing_in_cancan', 'payment', 'o1', null],
    ]);
  });

  test('missing_at_provider: a succeeded payment and refund of the day without lines; failed, pending and other days are not reported', () => {
    const p = payment('o1', 1000);
    const items = matchStatement(
      statement([]),
      books(
        [p, payment('failed', 500, { state: 'failed' }), payment('pending', 500, { state: 'pending' }), payment('yesterday', 500, { ofDay: false })],
        [refund('r1', 'o1', 300), refund('r-failed', 'o1', 200, { state: 'failed' })],
      ),
    );
    assert.deepEqual(classes(items), [
      ['missing_at_provider', 'payment', 'o1', null],
      ['missing_at_provider', 'refund', 'o1', 'r1'],
    ]);
    assert.deepEqual(items[0], {
      class: 'missing_at_provider',
      kind: 'payment',
      merchantId: 'm1',
      transactionSeq: p.seq,
      orderNo: 'o1',
      refundNo: null,
      currency: 'CNY',
      providerAmount: null,
      cancanAmount: 1000,
      fee: null,
      net: null,
      providerStatus: null,
      cancanState: 'succeeded',
      detail: 'CanCan recorded this payment; the statement has no line for it',
    });
  });

  test('amount_mismatch: a different amount, or a different currency', () => {
    const items = matchStatement(
      statement([
        line('payment', 'o1', 1200),
        line('payment', 'o2', 1000, { currency: 'USD' }),
        line('payment', 'o3', 900),
        line('refund', 'o3', 400, { refundNo: 'r3' }),
      ]),
      books([payment('o1', 1000), payment('o2', 1000), payment('o3', 900)], [refund('r3', 'o3', 300)]),
    );
    assert.deepEqual(
      items.map((item) => [item.class, item.orderNo, item.providerAmount, item.cancanAmount, item.detail]),
      [
        ['amount_mismatch', 'o1', 1200, 1000, "the provider's amount is 1200, CanCan's 1000"],
        ['amount_mismatch', 'o2', 1000, 1000, "the provider's currency is USD, CanCan's CNY"],
        ['matched', 'o3', 900, 900, null],
        ['amount_mismatch', 'o3', 400, 300, "the provider's amount is 400, CanCan's 300"],
      ],
    );
  });

  test('status_mismatch: the provider says not settled but CanCan succeeded, and the reverse', () => {
    const items = matchStatement(
      statement([
        line('payment', 'o1', 1000, { settled: false, providerStatus: 'NOTPAY' }),
        line('payment', 'o2', 1000),
        line('payment', 'o3', 900),
        line('refund', 'o3', 100, { refundNo: 'r3', settled: false, providerStatus: 'PROCESSING' }),
      ]),
      books([payment('o1', 1000), payment('o2', 1000, { state: 'failed' }), payment('o3', 900)], [refund('r3', 'o3', 100)]),
    );
    assert.deepEqual(
      items.map((item) => [item.class, item.kind, item.orderNo, item.providerStatus, item.cancanState, item.detail]),
      [
        ['status_mismatch', 'payment', 'o1', 'NOTPAY', 'succeeded', 'the provider says it is not settled; CanCan has it succeeded'],
        ['status_mismatch', 'payment', 'o2', 'SUCCESS', 'failed', 'the provider settled it; CanCan has it failed'],
        ['matched', 'payment', 'o3', 'SUCCESS', 'succeeded', null],
        ['status_mismatch', 'refund', 'o3', 'PROCESSING', 'succeeded', 'the provider says it is not settled; CanCan has it succeeded'],
      ],
    );
  });

  test('a voided sale: an unsettled line or a full refund line matches; a settled line alone is a status mismatch', () => {
    const items = matchStatement(
      statement([
        line('payment', 'v1', 1000, { settled: false, providerStatus: 'REVOKED' }),
        line('payment', 'v2', 800),
        line('refund', 'v2', 800),
        line('payment', 'v3', 600),
      ]),
      books([payment('v1', 1000, { voided: true }), payment('v2', 800, { voided: true }), payment('v3', 600, { voided: true })]),
    );
    assert.deepEqual(
      items.map((item) => [item.class, item.kind, item.orderNo, item.cancanState]),
      [
        ['matched', 'payment', 'v1', 'voided'],
        ['status_mismatch', 'payment', 'v2', 'voided'],
        ['matched', 'refund', 'v2', 'voided'],
        ['status_mismatch', 'payment', 'v3', 'voided'],
      ],
    );
  });

  test('partial refunds: several refunds of one order, by refund number or by order and amount', () => {
    const p = payment('o1', 10_000);
    const r1 = refund('r1', 'o1', 2000);
    const r2 = refund('r2', 'o1', 3000);
    const r3 = refund('r3', 'o1', 2000);
    const items = matchStatement(
      statement([line('payment', 'o1', 10_000), line('refund', 'o1', 3000, { refundNo: 'r2' }), line('refund', 'o1', 2000), line('refund', 'o1', 2000)]),
      books([p], [r1, r2, r3]),
    );
    assert.deepEqual(
      items.map((item) => [item.class, item.kind, item.refundNo, item.transactionSeq]),
      [
        ['matched', 'payment', null, p.seq],
        ['matched', 'refund', 'r2', r2.seq],
        // No refund number on the line: the order's refunds of that amount, oldest first.
        ['matched', 'refund', null, r1.seq],
        ['matched', 'refund', null, r3.seq],
      ],
    );
  });

  test("a card charge's earlier attempt's number finds the charge; such a line should say nothing moved", () => {
    const charge = payment('ref-3', 5000, { orderNos: ['ref-3', 'ref'] });
    const items = matchStatement(
      statement([line('payment', 'ref', 5000, { settled: false, providerStatus: 'DECLINED' }), line('payment', 'ref-3', 5000)]),
      books([charge]),
    );
    assert.deepEqual(
      items.map((item) => [item.class, item.orderNo, item.transactionSeq]),
      [
        ['matched', 'ref', charge.seq],
        ['matched', 'ref-3', charge.seq],
      ],
    );
  });

  test('fee_only: net that is not amount less fee, and a fee off the rate most lines share', () => {
    const s = statement([
      line('payment', 'o1', 10_000, { feeMinor: 60, netMinor: 9940 }),
      line('payment', 'o2', 5000, { feeMinor: 30, netMinor: 4970 }),
      line('payment', 'o3', 1234, { feeMinor: 7, netMinor: 1227 }),
      line('payment', 'o4', 2000, { feeMinor: 999, netMinor: 1001 }),
      line('payment', 'o5', 3000, { feeMinor: 18, netMinor: 2900 }),
    ]);
    const b = books([payment('o1', 10_000), payment('o2', 5000), payment('o3', 1234), payment('o4', 2000), payment('o5', 3000)]);
    const items = matchStatement(s, b, dayRateCheck(s));
    assert.deepEqual(
      items.map((item) => [item.class, item.orderNo, item.fee, item.detail]),
      [
        ['matched', 'o1', 60, null],
        ['matched', 'o2', 30, null],
        ['matched', 'o3', 7, null],
        ['fee_only', 'o4', 999, "the provider's fee 999 is not the day's rate (about 0.60%: 12)"],
        ['fee_only', 'o5', 18, "the provider's net 2900 is not its amount 3000 less its fee 18"],
      ],
    );
    const summary = summarise('statement', s, b, items);
    assert.deepEqual(summary.currencies[0]?.provider, { payments: 21_234, refunds: 0, fees: 1114, net: 20_038, lines: 5 });
    assert.equal(summary.clean, false);
  });

  test('fees: without a majority rate (fewer than three lines) nothing is questioned', () => {
    const s = statement([line('payment', 'o1', 10_000, { feeMinor: 60 }), line('payment', 'o2', 2000, { feeMinor: 999 })]);
    const items = matchStatement(s, books([payment('o1', 10_000), payment('o2', 2000)]), dayRateCheck(s));
    assert.deepEqual(
      items.map((item) => item.class),
      ['matched', 'matched'],
    );
  });

  test('several currencies: figures per currency, each against its own printed totals', () => {
    const s = statement(
      [line('payment', 'c1', 1000), line('payment', 'u1', 250, { currency: 'USD' }), line('refund', 'u1', 50, { currency: 'USD', refundNo: 'ur1' })],
      [
        { currency: 'CNY', paymentsMinor: 1000, refundsMinor: 0, feesMinor: 0, lineCount: 1 },
        { currency: 'USD', paymentsMinor: 250, refundsMinor: 60, feesMinor: null, lineCount: 2 },
      ],
    );
    const b = books([payment('c1', 1000), payment('u1', 250, { currency: 'USD' })], [refund('ur1', 'u1', 50, { currency: 'USD' })]);
    const items = matchStatement(s, b);
    const summary = summarise('statement', s, b, items);
    assert.deepEqual(countClasses(items), { matched: 3, missing_in_cancan: 0, missing_at_provider: 0, amount_mismatch: 0, status_mismatch: 0, fee_only: 0 });
    assert.deepEqual(
      summary.currencies.map((c) => [
        c.currency,
        c.provider.payments,
        c.provider.refunds,
        c.provider.lines,
        c.totals_agree,
        c.cancan.payments,
        c.cancan.refunds,
      ]),
      [
        ['CNY', 1000, 0, 1, true, 1000, 0],
        ['USD', 250, 50, 2, false, 250, 50],
      ],
    );
    // Every line matched, but the statement's own totals do not add up: not clean.
    assert.equal(summary.totals_agree, false);
    assert.equal(summary.clean, false);
  });

  test('an empty day: no lines and no CanCan business is clean; printed totals absent means nothing to compare', () => {
    const items = matchStatement(statement([]), books([]));
    const summary = summarise('statement', statement([]), books([]), items, true);
    assert.deepEqual(summary, {
      source: 'statement',
      counts: { matched: 0, missing_in_cancan: 0, missing_at_provider: 0, amount_mismatch: 0, status_mismatch: 0, fee_only: 0 },
      currencies: [],
      totals_agree: null,
      clean: true,
      empty: true,
      note: null,
    });
  });

  test('the query source says what it cannot see', () => {
    const summary = summarise('query', statement([]), books([]), []);
    assert.match(summary.note ?? '', /missing_in_cancan\) cannot be found/);
  });
});
