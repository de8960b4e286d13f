/**
 * Each retrying step whose outcome stays unknown past its deadline: the
 * transaction is marked as needing attention at the first run past the
 * deadline (never before), one warning line is logged, the job slows to the
 * long cadence and keeps asking, and the mark is cleared by a definite answer.
 */
import assert from 'node:assert/strict';
import type { ProcessingStep } from '../../src/domain/states.js';
import { type RetryPolicy, type RetryingStep, baseDelay, retryPolicy } from '../../src/jobs/retry-policy.js';
import { ATTENTION_MS, type EngineWorld, POLL_MS, openJob, row, runDueStep } from '../support/engine.js';
import type { CallName } from '../support/fake-adapter.js';
import { cardAtQuery, paidChargeCancelAtQuery, refundAtQuery, refundAtRefund, saleAtReverse, voidOfSucceededSale, walletAtClose } from './arrange.js';
import {
  type Arrange,
  type Case,
  type Expected,
  type Kind,
  type Line,
  type OutcomeClass,
  ADAPTER_FAILURE,
  answer,
  assertMarked,
  assertRow,
  assertStep,
  attentionEvents,
  attentionWarnings,
  script,
  throwsError,
} from './case.js';

interface PastDeadline {
  readonly kind: Kind;
  /** An unknown answer by default; a step that keeps failing is retried the same way. */
  readonly outcome?: OutcomeClass;
  readonly step: string;
  readonly storedStep: ProcessingStep;
  readonly arrange: Arrange;
  readonly policy: RetryingStep;
  /** An answer that leaves the outcome open, and what the transaction says about it once marked. */
  readonly open: Line;
  readonly reason: string;
  /** A definite answer, and where it leaves the transaction. */
  readonly definite: Line;
  readonly after: Omit<Expected, 'calls'>;
}

/** Runs the job with open answers until the transaction is marked; checks every earlier run was within the deadline. */
async function runOpenUntilMarked(w: EngineWorld, seq: number, open: Line, policy: RetryPolicy): Promise<{ runs: number; since: number }> {
  for (let runs = 1; runs <= 1_000; runs++) {
    script(w, [open]);
    await runDueStep(w, seq);
    const current = await row(w, seq);
    const since = current.retrying_since;
    if (since === null) throw new Error('an open outcome starts a retry streak');
    const elapsed = w.clock.now() - since;
    if (current.needs_attention_since !== null) {
      assert.ok(elapsed >= policy.deadlineMs, `marked only past the deadline (after ${elapsed} ms)`);
      return { runs, since };
    }
    assert.ok(elapsed < policy.deadlineMs, `marked at the first run past the deadline (unmarked after ${elapsed} ms)`);
    // No jitter in these tests: the wait is the policy's, growing with the time spent retrying.
    assert.equal((await openJob(w, seq))?.run_at, w.clock.now() + baseDelay(policy, elapsed), 'the wait before the next run');
  }
  throw new Error('never marked');
}

function pastTheDeadline(d: PastDeadline): Case {
  const call: CallName = d.open.call;
  return {
    kind: d.kind,
    step: d.step,
    outcome: d.outcome ?? 'unknown',
    title: `${call} ${d.outcome === 'throws' ? 'keeps failing' : 'unknown'} past the ${d.policy} deadline: needs attention, hourly, one warning; a definite answer clears it`,
    async run(w) {
      const s = await d.arrange(w);
      const from = w.provider.calls.length;
      const { runs, since } = await runOpenUntilMarked(w, s.seq, d.open, retryPolicy(d.policy, POLL_MS));
      const marked = w.clock.now();
      const calls = Array.from({ length: runs }, () => call);
      await assertStep(w, s.seq, { state: 'pending', step: d.storedStep, next: { in: ATTENTION_MS }, calls }, from);
      await assertMarked(w, s.seq, d.storedStep, d.reason, since);

      // Still open an hour later: the mark and its one warning stay, the job keeps the long cadence.
      script(w, [d.open]);
      await runDueStep(w, s.seq);
      assert.equal(w.clock.now() - marked, ATTENTION_MS);
      await assertStep(w, s.seq, { state: 'pending', step: d.storedStep, next: { in: ATTENTION_MS }, calls: [...calls, call] }, from);
      await assertRow(w, s.seq, { needs_attention_since: marked, retrying_since: since });
      assert.deepEqual(await attentionEvents(w, s.seq), [{ step: d.storedStep, reason: d.reason }]);
      assert.deepEqual(attentionWarnings(w), [d.reason]);

      const definiteFrom = w.provider.calls.length;
      script(w, [d.definite]);
      await runDueStep(w, s.seq);
      await assertStep(w, s.seq, { ...d.after, calls: [d.definite.call] }, definiteFrom);
      const current = await row(w, s.seq);
      assert.deepEqual({ needs: current.needs_attention_since, retrying: current.retrying_since }, { needs: null, retrying: null });
      assert.equal(attentionWarnings(w).length, 1, 'one warning in all');
    },
  };
}

const NOT_CONFIRMED = { code: 'payment_gateway_failure', detail: 'The provider did not confirm the payment in time; it was reversed' } as const;
const EXPIRED = { code: 'checkout_expired_failure', detail: 'The payment page expired before the shopper paid' } as const;
const succeeded: Omit<Expected, 'calls'> = { state: 'succeeded', step: 'done', next: 'done' };

export const ATTENTION_CASES: readonly Case[] = [
  pastTheDeadline({
    kind: 'sale',
    step: 'reverse',
    storedStep: 'reverse',
    arrange: saleAtReverse(),
    policy: 'reverse',
    open: answer('reverse', { kind: 'unknown', reason: 'SYSTEMERROR' }),
    reason: 'reversal unanswered: SYSTEMERROR',
    definite: answer('reverse', { kind: 'reversed' }),
    after: { state: 'failed', step: 'done', failure: NOT_CONFIRMED, next: 'done' },
  }),
  pastTheDeadline({
    kind: 'void',
    step: 'reverse_sale',
    storedStep: 'reverse_sale',
    arrange: voidOfSucceededSale,
    policy: 'reverse',
    open: answer('reverse', { kind: 'retry', reason: 'recall' }),
    reason: 'reversal unanswered: recall',
    definite: answer('reverse', { kind: 'reversed' }),
    after: succeeded,
  }),
  pastTheDeadline({
    kind: 'refund',
    step: 'refund',
    storedStep: 'refund',
    arrange: refundAtRefund,
    policy: 'refund',
    open: answer('refund', { kind: 'unknown', reason: 'SYSTEMERROR' }),
    reason: 'refund unanswered: SYSTEMERROR',
    definite: answer('refund', { kind: 'succeeded' }),
    after: succeeded,
  }),
  pastTheDeadline({
    kind: 'refund',
    step: 'refund',
    outcome: 'throws',
    storedStep: 'refund',
    arrange: refundAtRefund,
    policy: 'error',
    open: throwsError('refund'),
    reason: `the step keeps failing: Error: ${ADAPTER_FAILURE}`,
    definite: answer('refund', { kind: 'succeeded' }),
    after: succeeded,
  }),
  pastTheDeadline({
    kind: 'refund',
    step: 'refund_query',
    storedStep: 'refund_query',
    arrange: refundAtQuery,
    policy: 'refund',
    open: answer('refundQuery', { kind: 'processing' }),
    reason: 'the provider is still processing the refund',
    definite: answer('refundQuery', { kind: 'succeeded' }),
    after: succeeded,
  }),
  pastTheDeadline({
    kind: 'cancel',
    step: 'refund_query',
    storedStep: 'refund_query',
    arrange: paidChargeCancelAtQuery,
    policy: 'refund',
    open: answer('refundQuery', { kind: 'unknown', reason: 'SYSTEM_ERROR' }),
    reason: 'refund status unanswered: SYSTEM_ERROR',
    definite: answer('refundQuery', { kind: 'succeeded' }),
    after: succeeded,
  }),
  pastTheDeadline({
    kind: 'wallet charge',
    step: 'close',
    storedStep: 'close',
    arrange: walletAtClose,
    policy: 'close',
    open: answer('close', { kind: 'unknown', reason: 'SYSTEM_ERROR' }),
    reason: 'closing the order unanswered: SYSTEM_ERROR',
    definite: answer('close', { kind: 'closed' }),
    after: { state: 'failed', step: 'done', failure: EXPIRED, next: 'done' },
  }),
  pastTheDeadline({
    kind: 'card charge',
    step: 'card_query',
    storedStep: 'card_query',
    arrange: cardAtQuery,
    policy: 'card_query',
    open: answer('query', { kind: 'awaiting_customer' }),
    reason: 'the card acquirer has not said whether it charged',
    definite: answer('query', { kind: 'paid', providerTxnId: '2026011522001' }),
    after: succeeded,
  }),
];
