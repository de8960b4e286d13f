/** Refunds (refund → refund_query): of POS sales, of CHOP charges, and the cancel of a paid charge (a full refund). */
import assert from 'node:assert/strict';
import { type EngineWorld, createRefund, row, runDueStep } from '../support/engine.js';
import {
  CHARGE_AMOUNT,
  CHARGE_REFUND_AMOUNT,
  REFUND_AMOUNT,
  SALE_AMOUNT,
  chargeRefundAtRefund,
  paidChargeCancelAtQuery,
  paidChargeCancelled,
  refundAtQuery,
  refundAtRefund,
} from './arrange.js';
import { type Case, type Subject, answer, assertRow, outcomeClassCases, related, script, stepCase } from './case.js';

const NOT_ALLOWED = { code: 'refund_not_allowed_failure', detail: 'Refund for this transaction is not allowed' } as const;
const refunded = answer('refund', { kind: 'succeeded' });
const querySucceeded = answer('refundQuery', { kind: 'succeeded' });
const saleRefunded = (amount: number) => (w: EngineWorld, s: Subject) =>
  assertRow(w, related(s, 'sale'), { state: 'succeeded', refunded_amount: amount, voided: 0 });

const posRefund: Case[] = [
  stepCase('refund', 'refund', 'definite', 'succeeded: the sale counts the refund; the call names the sale, the refund and the amounts', {
    arrange: refundAtRefund,
    script: [refunded],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refund'] },
    async also(w, s) {
      const [sale, refund] = [await row(w, related(s, 'sale')), await row(w, s.seq)];
      assert.deepEqual(w.provider.calls.at(-1)?.request, {
        orderNo: sale.provider_order_no,
        refundNo: refund.provider_order_no,
        saleMoney: { amount: SALE_AMOUNT, currency: 'CNY' },
        refundMoney: { amount: REFUND_AMOUNT, currency: 'CNY' },
        reason: 'Engine test',
        settledRefunds: [],
        providerData: {},
      });
      await saleRefunded(REFUND_AMOUNT)(w, s);
    },
  }),
  stepCase('refund', 'refund', 'definite', 'declined: failed with the mapped failure; the sale keeps its amount', {
    arrange: refundAtRefund,
    script: [answer('refund', { kind: 'declined', code: 'REFUND_TOO_LATE', message: 'past the refund period' })],
    expect: { state: 'failed', step: 'done', failure: NOT_ALLOWED, next: 'done', calls: ['refund'] },
    also: saleRefunded(0),
  }),
  stepCase('refund', 'refund', 'definite', 'accepted for later: query the refund', {
    arrange: refundAtRefund,
    script: [answer('refund', { kind: 'processing' })],
    expect: { state: 'pending', step: 'refund_query', next: 'poll', calls: ['refund'] },
  }),
  stepCase('refund', 'refund', 'unknown', 'an unknown answer: sent again later with the same refund number', {
    arrange: refundAtRefund,
    script: [answer('refund', { kind: 'unknown', reason: 'SYSTEMERROR' }), refunded],
    async act(w, s) {
      await runDueStep(w, s.seq);
      const [first] = w.provider.calls.slice(-1);
      await runDueStep(w, s.seq);
      assert.deepEqual(w.provider.calls.at(-1)?.request, first?.request);
    },
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refund', 'refund'] },
    also: saleRefunded(REFUND_AMOUNT),
  }),
  stepCase('refund', 'refund', 'unknown', 'an unknown answer: retried after a growing delay', {
    arrange: refundAtRefund,
    script: [answer('refund', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'refund', next: 'backoff', calls: ['refund'] },
  }),
  stepCase('refund', 'refund', 'definite', 'one refund of a sale at a time: a second waits, without a call, while the first is pending', {
    async arrange(w) {
      const first = await refundAtQuery(w);
      const second = await createRefund(w, await row(w, related(first, 'sale')), 100);
      return { seq: second.seq, related: first.related };
    },
    expect: { state: 'pending', step: 'refund', next: 'poll', calls: [] },
  }),
  stepCase('refund', 'refund', 'definite', 'a later refund tells the provider which refunds already went through', {
    async arrange(w) {
      const first = await refundAtRefund(w);
      script(w, [refunded]);
      await runDueStep(w, first.seq);
      const second = await createRefund(w, await row(w, related(first, 'sale')), 100);
      return { seq: second.seq, related: first.related };
    },
    script: [refunded],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refund'] },
    async also(w, s) {
      const request = w.provider.calls.at(-1)?.request as { settledRefunds: unknown; refundMoney: unknown };
      assert.deepEqual(request.settledRefunds, [{ amount: REFUND_AMOUNT, currency: 'CNY' }]);
      assert.deepEqual(request.refundMoney, { amount: 100, currency: 'CNY' });
      await saleRefunded(REFUND_AMOUNT + 100)(w, s);
    },
  }),
  ...outcomeClassCases({
    kind: 'refund',
    step: 'refund',
    storedStep: 'refund',
    arrange: refundAtRefund,
    call: 'refund',
    afterUnknown: { step: 'refund', next: 'backoff' },
    definite: refunded,
    // The refund number makes the provider refund at most once: sending it again is safe.
    resume: { lines: [refunded], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
  stepCase('refund', 'refund_query', 'definite', 'succeeded: the sale counts the refund', {
    arrange: refundAtQuery,
    script: [querySucceeded],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refundQuery'] },
    also: saleRefunded(REFUND_AMOUNT),
  }),
  stepCase('refund', 'refund_query', 'definite', 'failed: failed with the mapped failure', {
    arrange: refundAtQuery,
    script: [answer('refundQuery', { kind: 'failed', code: 'REFUND_TOO_LATE', message: 'past the refund period' })],
    expect: { state: 'failed', step: 'done', failure: NOT_ALLOWED, next: 'done', calls: ['refundQuery'] },
    also: saleRefunded(0),
  }),
  stepCase('refund', 'refund_query', 'definite', 'the provider has no such refund: send it again at once', {
    arrange: refundAtQuery,
    script: [answer('refundQuery', { kind: 'not_found' })],
    expect: { state: 'pending', step: 'refund', next: 'now', calls: ['refundQuery'] },
  }),
  stepCase('refund', 'refund_query', 'unknown', 'still processing: query again', {
    arrange: refundAtQuery,
    script: [answer('refundQuery', { kind: 'processing' })],
    expect: { state: 'pending', step: 'refund_query', next: 'poll', calls: ['refundQuery'] },
  }),
  stepCase('refund', 'refund_query', 'unknown', 'an unknown answer: query again', {
    arrange: refundAtQuery,
    script: [answer('refundQuery', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'refund_query', next: 'poll', calls: ['refundQuery'] },
  }),
  ...outcomeClassCases({
    kind: 'refund',
    step: 'refund_query',
    storedStep: 'refund_query',
    arrange: refundAtQuery,
    call: 'refundQuery',
    afterUnknown: { step: 'refund_query', next: 'poll' },
    definite: querySucceeded,
    resume: { lines: [querySucceeded], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

const chargeRefund: Case[] = [
  stepCase('charge refund', 'refund', 'definite', 'succeeded: the charge counts the refund and stays paid', {
    arrange: chargeRefundAtRefund,
    script: [refunded],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refund'] },
    also: (w, s) => assertRow(w, related(s, 'charge'), { state: 'succeeded', refunded_amount: CHARGE_REFUND_AMOUNT, cancelled: 0, cancel_seq: null }),
  }),
  stepCase('charge refund', 'refund', 'definite', 'declined: failed with the mapped failure', {
    arrange: chargeRefundAtRefund,
    script: [answer('refund', { kind: 'declined', code: 'REFUND_TOO_LATE', message: 'past the refund period' })],
    expect: { state: 'failed', step: 'done', failure: NOT_ALLOWED, next: 'done', calls: ['refund'] },
    also: (w, s) => assertRow(w, related(s, 'charge'), { refunded_amount: 0 }),
  }),
  stepCase('charge refund', 'refund', 'unknown', 'an unknown answer: retried after a growing delay', {
    arrange: chargeRefundAtRefund,
    script: [answer('refund', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'refund', next: 'backoff', calls: ['refund'] },
  }),
];

/** A cancel that refunded the charge marks it cancelled; one that failed releases it. */
const chargeCancelled = (w: EngineWorld, s: Subject) =>
  assertRow(w, related(s, 'charge'), { state: 'succeeded', refunded_amount: CHARGE_AMOUNT, cancelled: 1, cancel_seq: s.seq });
const chargeReleased = (w: EngineWorld, s: Subject) =>
  assertRow(w, related(s, 'charge'), { state: 'succeeded', refunded_amount: 0, cancelled: 0, cancel_seq: null });

const cancelOfPaidCharge: Case[] = [
  stepCase('cancel', 'refund', 'definite', 'succeeded: the cancel succeeds and the charge is cancelled, refunded in full', {
    arrange: paidChargeCancelled,
    script: [refunded],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refund'] },
    async also(w, s) {
      assert.deepEqual((w.provider.calls.at(-1)?.request as { refundMoney: unknown }).refundMoney, { amount: CHARGE_AMOUNT, currency: 'USD' });
      await chargeCancelled(w, s);
    },
  }),
  stepCase('cancel', 'refund', 'definite', 'declined: the cancel fails and releases the charge', {
    arrange: paidChargeCancelled,
    script: [answer('refund', { kind: 'declined', code: 'REFUND_TOO_LATE', message: 'past the refund period' })],
    expect: { state: 'failed', step: 'done', failure: NOT_ALLOWED, next: 'done', calls: ['refund'] },
    also: chargeReleased,
  }),
  stepCase('cancel', 'refund', 'definite', 'accepted for later: query the refund', {
    arrange: paidChargeCancelled,
    script: [answer('refund', { kind: 'processing' })],
    expect: { state: 'pending', step: 'refund_query', next: 'poll', calls: ['refund'] },
  }),
  stepCase('cancel', 'refund', 'unknown', 'an unknown answer: retried after a growing delay; the charge stays claimed', {
    arrange: paidChargeCancelled,
    script: [answer('refund', { kind: 'unknown', reason: 'SYSTEMERROR' })],
    expect: { state: 'pending', step: 'refund', next: 'backoff', calls: ['refund'] },
    also: (w, s) => assertRow(w, related(s, 'charge'), { cancelled: 0, cancel_seq: s.seq }),
  }),
  ...outcomeClassCases({
    kind: 'cancel',
    step: 'refund',
    storedStep: 'refund',
    arrange: paidChargeCancelled,
    call: 'refund',
    afterUnknown: { step: 'refund', next: 'backoff' },
    definite: refunded,
    resume: { lines: [refunded], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
  stepCase('cancel', 'refund_query', 'definite', 'succeeded: the charge is cancelled', {
    arrange: paidChargeCancelAtQuery,
    script: [querySucceeded],
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['refundQuery'] },
    also: chargeCancelled,
  }),
  stepCase('cancel', 'refund_query', 'definite', 'failed: the cancel fails and releases the charge', {
    arrange: paidChargeCancelAtQuery,
    script: [answer('refundQuery', { kind: 'failed', code: 'REFUND_TOO_LATE', message: 'past the refund period' })],
    expect: { state: 'failed', step: 'done', failure: NOT_ALLOWED, next: 'done', calls: ['refundQuery'] },
    also: chargeReleased,
  }),
  stepCase('cancel', 'refund_query', 'definite', 'the provider has no such refund: send it again at once', {
    arrange: paidChargeCancelAtQuery,
    script: [answer('refundQuery', { kind: 'not_found' })],
    expect: { state: 'pending', step: 'refund', next: 'now', calls: ['refundQuery'] },
  }),
  stepCase('cancel', 'refund_query', 'unknown', 'still processing: query again', {
    arrange: paidChargeCancelAtQuery,
    script: [answer('refundQuery', { kind: 'processing' })],
    expect: { state: 'pending', step: 'refund_query', next: 'poll', calls: ['refundQuery'] },
  }),
  ...outcomeClassCases({
    kind: 'cancel',
    step: 'refund_query',
    storedStep: 'refund_query',
    arrange: paidChargeCancelAtQuery,
    call: 'refundQuery',
    afterUnknown: { step: 'refund_query', next: 'poll' },
    definite: querySucceeded,
    resume: { lines: [querySucceeded], expect: { state: 'succeeded', step: 'done', next: 'done' } },
  }),
];

export const REFUND_CASES: readonly Case[] = [...posRefund, ...chargeRefund, ...cancelOfPaidCharge];
