/**
 * The provider refuses the request itself (bad credentials, a missing client
 * certificate, a signature it rejects): the adapter contract's `rejected`
 * outcome. A first call after which no money can have moved fails at once
 * with a clear failure detail; a refusal once money may have moved (a pay,
 * order or refund already sent) marks the transaction as needing attention
 * and asks again at the long cadence, never guessing.
 */
import assert from 'node:assert/strict';
import type { ProcessingStep } from '../../src/domain/states.js';
import {
  ATTENTION_MS,
  type EngineWorld,
  LEASE_MS,
  WORKER_A,
  WORKER_B,
  claim,
  openJob,
  row,
  runClaimed,
  runDueStep,
  submitCard,
  until,
} from '../support/engine.js';
import type { CallName } from '../support/fake-adapter.js';
import {
  cancelledChargeAtClose,
  cardAtAwait,
  cardAtQuery,
  chargeRefundAtRefund,
  paidChargeCancelAtQuery,
  paidChargeCancelled,
  refundAtQuery,
  refundAtRefund,
  saleAtPay,
  saleAtQuery,
  saleAtReverse,
  voidedSaleAtReverse,
  voidOfSucceededSale,
  walletAtAwait,
  walletAtClose,
  walletAtCreate,
} from './arrange.js';
import {
  type Arrange,
  type Case,
  type Kind,
  type Line,
  type Subject,
  answer,
  assertMarked,
  assertRecordedCalls,
  assertRow,
  assertStep,
  attentionWarnings,
  hangs,
  related,
  script,
  stepCase,
} from './case.js';

export const REFUSAL_CODE = 'INVALID_SIGNATURE';
const REFUSAL_MESSAGE = 'the request signature does not verify';

/** The provider refuses the call itself. */
export const refuses = (call: CallName): Line => ({ call, behaviour: { answer: { kind: 'rejected', code: REFUSAL_CODE, message: REFUSAL_MESSAGE } } });

/** How a transaction fails when its first call is refused (the fake maps no code for the refusal). */
const REFUSED_FAILURE = {
  code: 'payment_gateway_failure',
  detail: `The provider refused the request (check the provider credentials): ${REFUSAL_CODE}: ${REFUSAL_MESSAGE}`,
} as const;

/** What an operator reads when a follow-up call is refused. */
const refusedReason = (call: string) => `the provider refused the ${call} (check the provider credentials): ${REFUSAL_CODE}: ${REFUSAL_MESSAGE}`;

/** Failed at once: no mark, nothing retrying, no warning. */
async function assertFailedFast(w: EngineWorld, seq: number): Promise<void> {
  await assertRow(w, seq, { needs_attention_since: null, retrying_since: null });
  assert.deepEqual(attentionWarnings(w), []);
  await assertRecordedCalls(w, seq, 1);
}

/** A refusal after money may have moved: pending at the same step, marked, asked again at the long cadence. */
function marksForAttention(kind: Kind, step: string, title: string, at: { arrange: Arrange; call: CallName; stored: ProcessingStep; reason: string }): Case {
  return stepCase(kind, step, 'refused', title, {
    arrange: at.arrange,
    script: [refuses(at.call)],
    expect: { state: 'pending', step: at.stored, next: { in: ATTENTION_MS }, calls: [at.call] },
    also: (w, s) => assertMarked(w, s.seq, at.stored, refusedReason(at.reason)),
  });
}

const sale: Case[] = [
  stepCase('sale', 'pay', 'refused', 'the pay call is refused: no money can have moved, so the sale fails at once with the refusal', {
    arrange: saleAtPay,
    script: [refuses('pay')],
    expect: { state: 'failed', step: 'done', failure: REFUSED_FAILURE, next: 'done', calls: ['pay'] },
    also: (w, s) => assertFailedFast(w, s.seq),
  }),
  marksForAttention('sale', 'query', 'the query is refused after the pay call was sent: needs attention, asked again hourly', {
    arrange: saleAtQuery(),
    call: 'query',
    stored: 'query',
    reason: 'query',
  }),
  stepCase('sale', 'query', 'refused', 'a marked sale the provider later answers paid: succeeded, the mark cleared', {
    arrange: saleAtQuery(),
    script: [refuses('query'), answer('query', { kind: 'paid', providerTxnId: '4200000001' })],
    async act(w, s) {
      await runDueStep(w, s.seq);
      await assertRow(w, s.seq, { needs_attention_since: w.clock.now() });
      await runDueStep(w, s.seq);
    },
    expect: { state: 'succeeded', step: 'done', next: 'done', calls: ['query', 'query'] },
    also: (w, s) => assertRow(w, s.seq, { needs_attention_since: null, retrying_since: null }),
  }),
  marksForAttention('sale', 'reverse', 'the reversal is refused: needs attention, never failed on a guess', {
    arrange: saleAtReverse(),
    call: 'reverse',
    stored: 'reverse',
    reason: 'reversal',
  }),
  stepCase('void', 'reverse', 'refused', 'the reversal of a voided sale is refused: the sale needs attention, the void waits', {
    arrange: voidedSaleAtReverse,
    script: [refuses('reverse')],
    expect: { state: 'pending', step: 'reverse', next: { in: ATTENTION_MS }, calls: ['reverse'] },
    async also(w, s) {
      await assertMarked(w, s.seq, 'reverse', refusedReason('reversal'));
      await assertRow(w, related(s, 'void'), { state: 'pending', step: 'await_sale', needs_attention_since: null });
    },
  }),
  stepCase('void', 'reverse_sale', 'refused', 'the reversal of a paid sale is refused: the void needs attention, the sale stays claimed', {
    arrange: voidOfSucceededSale,
    script: [refuses('reverse')],
    expect: { state: 'pending', step: 'reverse_sale', next: { in: ATTENTION_MS }, calls: ['reverse'] },
    async also(w, s) {
      await assertMarked(w, s.seq, 'reverse_sale', refusedReason('reversal'));
      await assertRow(w, related(s, 'sale'), { state: 'succeeded', voided: 0, void_seq: s.seq });
    },
  }),
];

const saleRefunded = (amount: number) => (w: EngineWorld, s: Subject) => assertRow(w, related(s, 'sale'), { state: 'succeeded', refunded_amount: amount });

const refund: Case[] = [
  stepCase('refund', 'refund', 'refused', 'the first refund call is refused: failed at once; the sale keeps its amount', {
    arrange: refundAtRefund,
    script: [refuses('refund')],
    expect: { state: 'failed', step: 'done', failure: REFUSED_FAILURE, next: 'done', calls: ['refund'] },
    async also(w, s) {
      await assertFailedFast(w, s.seq);
      await saleRefunded(0)(w, s);
    },
  }),
  stepCase('refund', 'refund', 'refused', 'refused after an unanswered refund call: needs attention, the streak kept from the first', {
    arrange: refundAtRefund,
    script: [answer('refund', { kind: 'unknown', reason: 'SYSTEMERROR' }), refuses('refund')],
    async act(w, s) {
      await runDueStep(w, s.seq);
      const streakStart = w.clock.now();
      await runDueStep(w, s.seq);
      await assertMarked(w, s.seq, 'refund', refusedReason('refund'), streakStart);
    },
    expect: { state: 'pending', step: 'refund', next: { in: ATTENTION_MS }, calls: ['refund', 'refund'] },
    also: saleRefunded(0),
  }),
  {
    kind: 'refund',
    step: 'refund',
    outcome: 'refused',
    title: 'refused after a worker died with its refund call out: needs attention (that call may have refunded)',
    async run(w) {
      const s = await refundAtRefund(w);
      const from = w.provider.calls.length;
      script(w, [hangs('refund')]);
      const job = await openJob(w, s.seq);
      if (!job) throw new Error(`transaction ${s.seq} has no job`);
      w.clock.advanceTo(job.run_at);
      // The dying worker's step never finishes; only its call reached the provider.
      void runClaimed(w, await claim(w, s.seq, WORKER_A));
      await until(() => w.provider.calls.length > from, 'the refund call');
      w.clock.advance(LEASE_MS + 1);
      script(w, [refuses('refund')]);
      await runClaimed(w, await claim(w, s.seq, WORKER_B));
      await assertMarked(w, s.seq, 'refund', refusedReason('refund'));
      await assertStep(w, s.seq, { state: 'pending', step: 'refund', next: { in: ATTENTION_MS }, calls: ['refund', 'refund'] }, from);
      await saleRefunded(0)(w, s);
    },
  },
  marksForAttention('refund', 'refund_query', 'the refund query is refused: needs attention', {
    arrange: refundAtQuery,
    call: 'refundQuery',
    stored: 'refund_query',
    reason: 'refund query',
  }),
  stepCase('charge refund', 'refund', 'refused', 'the first refund call of a charge is refused: failed at once; the charge keeps its amount', {
    arrange: chargeRefundAtRefund,
    script: [refuses('refund')],
    expect: { state: 'failed', step: 'done', failure: REFUSED_FAILURE, next: 'done', calls: ['refund'] },
    async also(w, s) {
      await assertFailedFast(w, s.seq);
      await assertRow(w, related(s, 'charge'), { state: 'succeeded', refunded_amount: 0 });
    },
  }),
];

const charge: Case[] = [
  stepCase('wallet charge', 'create_order', 'refused', 'the first order call is refused: no order exists, so the charge fails as declined', {
    arrange: walletAtCreate,
    script: [refuses('createOrder')],
    expect: { state: 'failed', step: 'done', failure: REFUSED_FAILURE, next: 'done', calls: ['createOrder'] },
    async also(w, s) {
      await assertFailedFast(w, s.seq);
      await assertRow(w, s.seq, { close_reason: 'declined' });
    },
  }),
  stepCase('wallet charge', 'create_order', 'refused', 'refused after an unanswered order call: the order may exist, so it needs attention', {
    arrange: walletAtCreate,
    script: [answer('createOrder', { kind: 'unknown', reason: 'SYSTEM_ERROR', code: null }), refuses('createOrder')],
    async act(w, s) {
      await runDueStep(w, s.seq);
      await runDueStep(w, s.seq);
    },
    expect: { state: 'pending', step: 'create_order', next: { in: ATTENTION_MS }, calls: ['createOrder', 'createOrder'] },
    also: (w, s) => assertMarked(w, s.seq, 'create_order', refusedReason('order creation')),
  }),
  marksForAttention('wallet charge', 'await_payment', 'the query of a waiting order is refused: the shopper may have paid, so it needs attention', {
    arrange: walletAtAwait,
    call: 'query',
    stored: 'await_payment',
    reason: 'query',
  }),
  marksForAttention('wallet charge', 'close', 'closing the order is refused: needs attention', {
    arrange: walletAtClose,
    call: 'close',
    stored: 'close',
    reason: 'close',
  }),
  stepCase('card charge', 'await_card', 'refused', 'the card sale is refused: nothing was charged, the charge fails; the worker ends its job without a call', {
    arrange: cardAtAwait,
    script: [refuses('sale')],
    async act(w, s) {
      await submitCard(w, await row(w, s.seq));
      await runDueStep(w, s.seq);
    },
    expect: { state: 'failed', step: 'done', failure: REFUSED_FAILURE, next: 'done', calls: ['sale'] },
    async also(w, s) {
      await assertFailedFast(w, s.seq);
      await assertRow(w, s.seq, { close_reason: 'declined' });
    },
  }),
  marksForAttention('card charge', 'card_query', 'the acquirer refuses the query of an unanswered card sale: needs attention', {
    arrange: cardAtQuery,
    call: 'query',
    stored: 'card_query',
    reason: 'card query',
  }),
];

const cancel: Case[] = [
  stepCase('cancel', 'await_sale', 'refused', 'closing a cancelled charge is refused: the charge needs attention, the cancel waits', {
    arrange: cancelledChargeAtClose,
    script: [refuses('close')],
    expect: { state: 'pending', step: 'close', next: { in: ATTENTION_MS }, calls: ['close'] },
    async also(w, s) {
      await assertMarked(w, s.seq, 'close', refusedReason('close'));
      await assertRow(w, related(s, 'cancel'), { state: 'pending', step: 'await_sale', needs_attention_since: null });
    },
  }),
  stepCase('cancel', 'refund', 'refused', 'the refund of a cancelled charge is refused: the cancel fails at once and releases the charge', {
    arrange: paidChargeCancelled,
    script: [refuses('refund')],
    expect: { state: 'failed', step: 'done', failure: REFUSED_FAILURE, next: 'done', calls: ['refund'] },
    async also(w, s) {
      await assertFailedFast(w, s.seq);
      await assertRow(w, related(s, 'charge'), { state: 'succeeded', refunded_amount: 0, cancelled: 0, cancel_seq: null });
    },
  }),
  marksForAttention('cancel', 'refund_query', 'the query of a cancel refund is refused: needs attention', {
    arrange: paidChargeCancelAtQuery,
    call: 'refundQuery',
    stored: 'refund_query',
    reason: 'refund query',
  }),
];

export const REFUSED_CASES: readonly Case[] = [...sale, ...refund, ...charge, ...cancel];
