/**
 * Processing of a transaction's job, one step at a time. Each step makes at
 * most one adapter call (which some adapters serve with two HTTP calls, e.g.
 * a query before a refund) and then, in one database transaction, records its
 * attempt, moves the transaction on and reschedules or ends the job. Each call
 * gets the provider data the transaction's earlier attempts left. The step
 * reached is stored, so after a crash another worker resumes where it stood.
 *
 * Provider rules (docs/api.md, "How a POS sale is processed"): unknown outcomes are
 * queried until the confirmation window ends, then the order is reversed;
 * the pay call is sent at most once per sale (a worker that finds it already
 * sent queries instead).
 */
import type { Transaction } from 'kysely';
import { assertNever } from '../domain/assert-never.js';
import { type Failure, type FailureCode, failure } from '../domain/failures.js';
import { isCurrencyCode, money } from '../domain/money.js';
import type { PosAdapter, QueryOutcome, RefundRequest, RefundingAdapter, Rejected, Traced } from '../providers/contract.js';
import { type ProviderRules, gatewayProfile, providerRules, reversibleFrom, withinReverseWindow } from '../providers/registry.js';
import { needsAttentionNow, outcomeKnownAgain, retryOpenOutcome } from '../jobs/attention.js';
import { type Job, LeaseLost, assertLease, finishJob, rescheduleJob } from '../jobs/queue.js';
import { baseDelay, delayForAttempt, retryPolicy } from '../jobs/retry-policy.js';
import { childLogger, transactionBindings } from '../observability/logging.js';
import { transactGrouped } from '../observability/transact.js';
import { providerDataOf } from '../store/attempts.js';
import { addRefunded, releaseClaim } from '../store/payment-claims.js';
import type { Database } from '../store/schema.js';
import {
  type LeaseFence,
  type TransactionRow,
  VersionConflict,
  fenceByLease,
  findBySeq,
  flushEvents,
  dropHeldEvents,
  holdEvents,
  updateTransaction,
} from '../store/transactions.js';
import { type Cancel, type Charge, type ChargeRefund, type Refund, type Sale, type Void, readTransaction } from '../store/typed-transactions.js';
import { type ProviderCall, describeRequest, keepingAttempt } from './attempts.js';
import type { CoreDeps } from './deps.js';

export type Next = { readonly done: true } | { readonly runAt: number };

export interface StepContext<A extends RefundingAdapter = PosAdapter> {
  readonly deps: CoreDeps;
  readonly job: Job;
  readonly adapter: A;
  readonly rules: ProviderRules;
}

/** Hosted-checkout steps and IPN deliveries, plugged in by the composition root (they live in chop/). */
export interface JobHandlers {
  chopStep(deps: CoreDeps, job: Job, row: Charge | Cancel | ChargeRefund): Promise<void>;
  deliverNotification(deps: CoreDeps, job: Job): Promise<void>;
}

export async function processJob(workerDeps: CoreDeps, job: Job, handlers?: JobHandlers): Promise<void> {
  const changed = new Set<number>([job.transaction_seq]);
  // Once the row is read, every log line of the step carries its request id and CanCan id.
  let deps = workerDeps;
  try {
    if (job.kind === 'notification') {
      if (!handlers) throw new Error('no notification handler');
      await handlers.deliverNotification(deps, job);
      return;
    }
    const row = await findBySeq(deps.store.db, job.transaction_seq);
    if (row) deps = { ...workerDeps, log: childLogger(workerDeps.log, transactionBindings(row)) };
    if (!row || row.state !== 'pending' || row.step === 'done' || row.step === 'await_sale') {
      await commit(deps, job, async () => ({ done: true }));
      return;
    }
    if (row.void_seq !== null) changed.add(row.void_seq);
    if (row.cancel_seq !== null) changed.add(row.cancel_seq);
    if (row.sale_seq !== null) changed.add(row.sale_seq);
    const transaction = readTransaction(row);
    if (transaction.channel === 'chop') {
      if (!handlers) throw new Error('no hosted-checkout handler');
      await handlers.chopStep(deps, job, transaction);
      return;
    }
    const profile = row.gateway ? gatewayProfile(row.gateway) : undefined;
    const adapter = profile ? await deps.adapters.adapterFor(profile, row.mode, row.merchant_id) : null;
    if (!adapter) throw new Error(`no adapter for gateway ${row.gateway} in ${row.mode} mode`);
    const ctx: StepContext = { deps, job, adapter, rules: providerRules(adapter.provider, deps.config) };
    switch (transaction.kind) {
      case 'sale':
        return await saleStep(ctx, transaction);
      case 'void':
        return await voidStep(ctx, transaction);
      case 'refund':
        return await refundStep(ctx, transaction);
      default:
        return assertNever(transaction);
    }
  } catch (error) {
    if (error instanceof LeaseLost) {
      deps.log.warn({ job: job.id }, 'job lease lost; another worker resumes it');
      return;
    }
    const conflict = error instanceof VersionConflict;
    if (!conflict) deps.log.error({ err: error, job: job.id }, 'job step failed; will retry');
    await commit(
      deps,
      job,
      async (trx, now) => (conflict ? { runAt: now } : retryFailedStep(deps, trx, job, now, error)),
      conflict ? null : String(error),
    ).catch((e: unknown) => deps.log.error({ err: e, job: job.id }, 'could not reschedule job; its lease will expire'));
  } finally {
    for (const seq of changed) deps.notifier.transactionChanged(seq);
  }
}

/**
 * A step that failed (no adapter, unreadable credentials, a bug) is retried by
 * the error policy; a pending transaction failing past its deadline needs
 * attention like any other open outcome. (A concurrent change, e.g. a void
 * claiming the sale, is not a failure: the caller runs the step again at once.)
 */
async function retryFailedStep(deps: CoreDeps, trx: Transaction<Database>, job: Job, now: number, error: unknown): Promise<Next> {
  const policy = retryPolicy('error', deps.config.pollIntervalMs ?? 1_000);
  const row = job.kind === 'transaction' ? await findBySeq(trx, job.transaction_seq) : undefined;
  if (row && row.state === 'pending') return retryOpenOutcome(deps, trx, row, now, policy, `the step keeps failing: ${String(error)}`);
  return { runAt: now + delayForAttempt(policy, job.attempts, deps.random ?? Math.random) };
}

/** Ends the job of a transaction at a step that waits on another job, or is done. */
export const endJob = ({ deps, job }: { deps: CoreDeps; job: Job }): Promise<void> => commit(deps, job, async () => ({ done: true }));

/** Runs `write` and the job's reschedule/finish in one database transaction (its commit shared with other steps': store/group-commit.ts). */
export async function commit(
  deps: CoreDeps,
  job: Job,
  write: (trx: Transaction<Database>, now: number) => Promise<Next>,
  error: string | null = null,
): Promise<void> {
  await transactGrouped(
    deps,
    async (trx) => {
      const now = deps.clock.now();
      // The events of a step (e.g. a sale's and its void's) go in as one insert.
      holdEvents(trx);
      try {
        const next = await write(trx, now);
        await flushEvents(trx);
        if ('done' in next) await finishJob(trx, job, now);
        else await rescheduleJob(trx, job, next.runAt, error);
      } finally {
        // The transaction may go on with another job's write (see store/group-commit.ts).
        dropHeldEvents(trx);
      }
    },
    'savepoint',
  );
}

/**
 * Writes while keeping the job leased (e.g. "pay call about to be sent"):
 * the row updates carry the lease check themselves; a lost lease throws
 * LeaseLost and writes nothing.
 */
export async function record<R extends TransactionRow>(deps: CoreDeps, job: Job, write: (trx: Transaction<Database>, now: number) => Promise<R>): Promise<R> {
  return transactGrouped(
    deps,
    async (trx) => {
      const now = deps.clock.now();
      const fence: LeaseFence = { jobId: job.id, owner: job.lease_owner, now, held: false };
      fenceByLease(trx, fence);
      try {
        const written = await write(trx, now);
        // A write that updated no row has not checked the lease yet.
        if (!fence.held) await assertLease(trx, job, now);
        return written;
      } catch (error) {
        // The fenced update found no row: a lost lease is what it says first, as before a changed row.
        if (error instanceof VersionConflict) await assertLease(trx, job, now);
        throw error;
      } finally {
        // The transaction may go on with another job's write (see store/group-commit.ts).
        fenceByLease(trx, null);
      }
    },
    'savepoint',
  );
}

/** `commit` after a provider call: the call's attempt is written with the step's decision, or alone if that fails. */
export async function commitCall(
  deps: CoreDeps,
  job: Job,
  call: ProviderCall,
  write: (trx: Transaction<Database>, now: number) => Promise<Next>,
): Promise<void> {
  await keepingAttempt(deps, call, (writeAttempt) =>
    commit(deps, job, async (trx, now) => {
      await writeAttempt(trx, now);
      return write(trx, now);
    }),
  );
}

/** What the earlier attempts of these transactions left for the adapter's next call. */
export const providerDataFor = (deps: CoreDeps, ...seqs: number[]) => providerDataOf(deps.store.db, seqs);

/**
 * Counts and logs a provider call as soon as it returns, whatever the database
 * does next (the call happened either way). `quiet` leaves out the log line
 * of a poll that changed nothing (a payment page may poll for 15 minutes).
 */
export function providerCalled<T extends { readonly kind: string }>(deps: CoreDeps, traced: Traced<T>, options: { quiet?: boolean } = {}): Traced<T> {
  const { trace, outcome } = traced;
  deps.metrics.providerCall(trace, outcome.kind);
  if (!options.quiet) {
    deps.log.info(
      { provider: trace.provider, call: trace.call, outcome: outcome.kind, latencyMs: trace.latencyMs, httpStatus: trace.httpStatus, code: trace.code },
      'provider call',
    );
  }
  return traced;
}

export function moneyOf(row: TransactionRow) {
  const currency = row.currency;
  if (currency === null || !isCurrencyCode(currency)) throw new Error(`transaction ${row.seq} has no valid currency`);
  return money(row.amount ?? 0, currency);
}

export function orderNo(row: TransactionRow): string {
  if (!row.provider_order_no) throw new Error(`transaction ${row.seq} has no provider order number`);
  return row.provider_order_no;
}

// ─── Sales ──────────────────────────────────────────────────────────────────

async function saleStep(ctx: StepContext, row: Sale): Promise<void> {
  const { deps, job } = ctx;

  if (row.void_seq !== null && row.step !== 'reverse') {
    if (row.provider_sent_at === null) {
      // Voided before anything reached the provider: nothing to reverse.
      return commit(deps, job, async (trx, now) => {
        await finishSaleAndVoid(trx, row, now, failure('sale_voided_failure'));
        return { done: true };
      });
    }
    // The provider may want a wait after the pay call before any reversal (WeChat: 15 s).
    return commit(deps, job, async (trx, now) => {
      await updateTransaction(trx, row, now, { step: 'reverse' });
      return { runAt: reversibleFrom(ctx.rules, row, now) };
    });
  }

  switch (row.step) {
    case 'pay':
      return pay(ctx, row);
    case 'query':
      return querySale(ctx, row);
    case 'reverse':
      return reverseUnconfirmed(ctx, row);
    case 'done':
      return endJob(ctx);
    default:
      return assertNever(row.step);
  }
}

/** Sends the pay call, at most once per sale; an unknown answer moves the sale to its query step. */
async function pay(ctx: StepContext, row: Sale): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  if (row.provider_sent_at !== null) {
    // The pay call may have reached the provider before a crash: never send it twice.
    return commit(deps, job, async (trx, now) => {
      await updateTransaction(trx, row, now, { step: 'query' });
      return { runAt: now };
    });
  }
  const sent = await record(deps, job, (trx, now) =>
    updateTransaction(trx, row, now, { provider_sent_at: now, confirm_deadline: now + rules.confirmWindowMs }),
  );
  if (!sent.auth_code_sealed) throw new Error(`sale ${row.seq} has no auth code`);
  const traced = providerCalled(
    deps,
    await adapter.pay({
      orderNo: orderNo(sent),
      money: moneyOf(sent),
      authCode: deps.secrets.decrypt(sent.auth_code_sealed),
      description: sent.description ?? '',
    }),
  );
  const { outcome } = traced;
  // The auth code is never part of the summary.
  const request = describeRequest({ orderNo: orderNo(sent), amount: moneyOf(sent) });
  return commitCall(deps, job, { seq: row.seq, request, traced }, async (trx, now) => {
    switch (outcome.kind) {
      case 'paid':
        await updateTransaction(trx, sent, now, {}, { state: 'succeeded' });
        return { done: true };
      case 'declined':
        await updateTransaction(trx, sent, now, {}, { state: 'failed', failure: providerFailure(adapter, outcome.code, outcome.message) });
        return { done: true };
      case 'awaiting_customer':
        await updateTransaction(trx, sent, now, { step: 'query', customer_confirming: 1, last_provider_code: outcome.code });
        return { runAt: now + poll };
      case 'unknown':
        await updateTransaction(trx, sent, now, { step: 'query', last_provider_code: outcome.code });
        return { runAt: now + poll };
      case 'rejected':
        // The provider refused the request itself and the pay call is sent once: no money moved.
        await updateTransaction(trx, sent, now, {}, { state: 'failed', failure: rejectedFailure(adapter, outcome) });
        return { done: true };
      default:
        return assertNever(outcome);
    }
  });
}

/** Asks about an unconfirmed sale until the confirmation window ends, then reverses it. */
async function querySale(ctx: StepContext, row: Sale): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const polled = await adapter.query(orderNo(row), await providerDataFor(deps, row.seq));
  const unchanged = isWaiting(polled.outcome) && confirmingAfter(polled.outcome, row) === Number(row.customer_confirming);
  const traced = providerCalled(deps, polled, { quiet: unchanged });
  const { outcome } = traced;
  // Polls over the confirmation window that answer alike share one attempt row.
  return commitCall(deps, job, { seq: row.seq, request: describeRequest({ orderNo: orderNo(row) }), traced }, async (trx, now) => {
    const windowOver = row.confirm_deadline === null || now >= row.confirm_deadline;
    // A poll that changes nothing writes nothing to the row (the provider's cadence over the whole window).
    const keepWaiting = async (confirming: number): Promise<Next> => {
      if (windowOver) await updateTransaction(trx, row, now, { customer_confirming: confirming, step: 'reverse' });
      else if (confirming !== Number(row.customer_confirming)) await updateTransaction(trx, row, now, { customer_confirming: confirming });
      return { runAt: windowOver ? reversibleFrom(rules, row, now) : now + poll };
    };
    switch (outcome.kind) {
      case 'paid':
        await updateTransaction(trx, row, now, {}, { state: 'succeeded' });
        return { done: true };
      case 'closed':
        await updateTransaction(trx, row, now, {}, { state: 'failed', failure: unresolvedFailure(adapter, row) });
        return { done: true };
      case 'awaiting_customer':
        await outcomeKnownAgain(trx, row);
        return keepWaiting(1);
      case 'not_paid':
        await outcomeKnownAgain(trx, row);
        return keepWaiting(Number(row.customer_confirming));
      case 'unknown':
        return keepWaiting(Number(row.customer_confirming));
      case 'rejected':
        // The pay call was sent: only the provider knows whether money moved, so never reverse or fail on a guess.
        return needsAttentionNow(deps, trx, row, now, refusedReason('query', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

/** Reverses a sale the provider never confirmed in time, or one voided after the pay call. */
async function reverseUnconfirmed(ctx: StepContext, row: Sale): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const from = reversibleFrom(rules, row, deps.clock.now());
  if (from > deps.clock.now()) return commit(deps, job, async () => ({ runAt: from }));
  const traced = providerCalled(deps, await adapter.reverse(orderNo(row), await providerDataFor(deps, row.seq)));
  const { outcome } = traced;
  return commitCall(deps, job, { seq: row.seq, request: describeRequest({ orderNo: orderNo(row) }), traced }, async (trx, now) => {
    switch (outcome.kind) {
      case 'reversed': {
        const why = row.void_seq !== null ? failure('sale_voided_failure') : unresolvedFailure(adapter, row);
        await finishSaleAndVoid(trx, row, now, why);
        return { done: true };
      }
      case 'retry':
      case 'unknown':
        return retryOpenOutcome(deps, trx, row, now, retryPolicy('reverse', poll), `reversal unanswered: ${outcome.reason}`);
      case 'declined':
        // A reversal the provider refuses is retried: money may be held until it goes through.
        deps.log.error({ transaction: row.ref, code: outcome.code }, 'provider refused a reversal; retrying');
        return retryOpenOutcome(deps, trx, row, now, retryPolicy('reverse', poll), `reversal refused: ${outcome.code}: ${outcome.message}`);
      case 'rejected':
        return needsAttentionNow(deps, trx, row, now, refusedReason('reversal', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

/** Why a sale failed when the provider never confirmed it. */
function unresolvedFailure(adapter: PosAdapter, sale: Pick<TransactionRow, 'customer_confirming' | 'last_provider_code'>): Failure {
  if (sale.customer_confirming === 1) return failure('payment_password_failure', 'The customer did not confirm the payment in time');
  const lastCode = sale.last_provider_code;
  if (lastCode !== null && adapter.mapFailure(lastCode) === 'bank_failure') return failure('bank_failure');
  return failure('payment_gateway_failure', 'The provider did not confirm the payment in time; it was reversed');
}

/**
 * Why a transaction failed when the provider refused the request itself
 * (credentials, signature, permission): the provider's own code and message,
 * under the provider's failure code where it maps one.
 */
export function rejectedFailure(adapter: RefundingAdapter, outcome: Rejected): Failure {
  const mapped: FailureCode = adapter.mapFailure(outcome.code);
  const code = mapped === 'unknown_failure' ? 'payment_gateway_failure' : mapped;
  return failure(code, `The provider refused the request (check the provider credentials): ${outcome.code}: ${outcome.message}`);
}

/** What an operator reads when a follow-up call is refused. */
export function refusedReason(call: string, outcome: Rejected): string {
  return `the provider refused the ${call} (check the provider credentials): ${outcome.code}: ${outcome.message}`;
}

/** A query answer that leaves a sale waiting. */
function isWaiting(outcome: QueryOutcome): boolean {
  return outcome.kind === 'awaiting_customer' || outcome.kind === 'not_paid' || outcome.kind === 'unknown';
}

/** Whether a waiting sale's customer is confirming after this answer. */
function confirmingAfter(outcome: QueryOutcome, row: Pick<TransactionRow, 'customer_confirming'>): number {
  return outcome.kind === 'awaiting_customer' ? 1 : Number(row.customer_confirming);
}

export function providerFailure(adapter: RefundingAdapter, code: string, message: string): Failure {
  const mapped: FailureCode = adapter.mapFailure(code);
  return failure(mapped, mapped === 'unknown_failure' ? `${code}: ${message}` : undefined);
}

/** A refund's refusal, by the adapter's refund table where it has one. */
export function refundFailure(adapter: RefundingAdapter, code: string, message: string): Failure {
  const mapped: FailureCode = adapter.mapRefundFailure ? adapter.mapRefundFailure(code) : adapter.mapFailure(code);
  return failure(mapped, mapped === 'unknown_failure' ? `${code}: ${message}` : undefined);
}

/** Ends a sale; a void that claimed it succeeds in the same transaction. */
async function finishSaleAndVoid(trx: Transaction<Database>, sale: TransactionRow, now: number, why: Failure): Promise<void> {
  const voidRow = sale.void_seq === null ? undefined : await findBySeq(trx, sale.void_seq);
  const voiding = voidRow !== undefined && voidRow.state === 'pending';
  // The void succeeds with it, so the sale shows `voided`, as after a void of a succeeded sale.
  await updateTransaction(trx, sale, now, voiding ? { voided: 1 } : {}, { state: 'failed', failure: why });
  if (voiding) await updateTransaction(trx, voidRow, now, {}, { state: 'succeeded' });
}

// ─── Voids of succeeded sales ───────────────────────────────────────────────

async function voidStep(ctx: StepContext, row: Void): Promise<void> {
  switch (row.step) {
    case 'reverse_sale':
      return reverseSale(ctx, row);
    // A void of a pending sale waits: the sale's job finishes both.
    case 'await_sale':
    case 'done':
      return endJob(ctx);
    default:
      return assertNever(row.step);
  }
}

const REVERSE_WINDOW_OVER = 'The provider reverses a payment only within its reversal window after the payment; refund the sale instead';

async function reverseSale(ctx: StepContext, row: Void): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const sale = row.sale_seq === null ? undefined : await findBySeq(deps.store.db, row.sale_seq);
  if (!sale) throw new Error(`void ${row.seq} has no sale`);
  const from = reversibleFrom(rules, sale, deps.clock.now());
  // A void of a sale just sent waits as the provider asks (WeChat: 15 s after the micropay).
  if (from > deps.clock.now()) return commit(deps, job, async () => ({ runAt: from }));
  if (!withinReverseWindow(rules, sale, deps.clock.now())) {
    return commit(deps, job, async (trx, now) => {
      const current = await findBySeq(trx, sale.seq);
      if (!current) throw new Error(`sale ${sale.seq} vanished`);
      await updateTransaction(trx, row, now, {}, { state: 'failed', failure: failure('void_not_allowed_failure', REVERSE_WINDOW_OVER) });
      await updateTransaction(trx, current, now, { void_seq: null });
      return { done: true };
    });
  }
  const traced = providerCalled(deps, await adapter.reverse(orderNo(sale), await providerDataFor(deps, sale.seq, row.seq)));
  const { outcome } = traced;
  return commitCall(deps, job, { seq: row.seq, request: describeRequest({ orderNo: orderNo(sale) }), traced }, async (trx, now) => {
    const current = await findBySeq(trx, sale.seq);
    if (!current) throw new Error(`sale ${sale.seq} vanished`);
    switch (outcome.kind) {
      case 'reversed':
        await updateTransaction(trx, row, now, {}, { state: 'succeeded' });
        await updateTransaction(trx, current, now, { voided: 1 });
        return { done: true };
      case 'retry':
      case 'unknown':
        return retryOpenOutcome(deps, trx, row, now, retryPolicy('reverse', rules.pollIntervalMs), `reversal unanswered: ${outcome.reason}`);
      case 'declined':
        await updateTransaction(trx, row, now, {}, { state: 'failed', failure: failure('void_not_allowed_failure', `${outcome.code}: ${outcome.message}`) });
        await updateTransaction(trx, current, now, { void_seq: null });
        return { done: true };
      case 'rejected':
        // An earlier reversal of this paid sale may have gone through: only the provider can tell.
        return needsAttentionNow(deps, trx, row, now, refusedReason('reversal', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

// ─── Refunds ────────────────────────────────────────────────────────────────

/** Refunds of POS sales and CHOP charges; a CHOP cancel of a paid charge is a full refund too. */
export async function refundStep(ctx: StepContext<RefundingAdapter>, row: RefundRow): Promise<void> {
  switch (row.step) {
    case 'refund':
    case 'refund_query': {
      const call = await prepareRefundCall(ctx, row);
      if (call === null) return;
      return row.step === 'refund' ? sendRefund(ctx, row, call) : queryRefund(ctx, row, call);
    }
    // A cancel waits while its charge is pending: the charge's job ends it or moves it on.
    case 'await_sale':
    case 'done':
      return endJob(ctx);
    default:
      return assertNever(row);
  }
}

type RefundRow = Refund | ChargeRefund | Cancel;

/** What both calls of a refund share: the request, its summary, and how the refund ends. */
interface RefundCall {
  readonly request: RefundRequest;
  readonly summary: string;
  /** `refund` is the row as last written (after marking the call sent); the row read by default. */
  succeed(trx: Transaction<Database>, now: number, refund?: RefundRow): Promise<Next>;
  fail(trx: Transaction<Database>, now: number, why: Failure, providerCode?: string | null, refund?: RefundRow): Promise<Next>;
}

/** The refund's call, or null when an older refund of the same payment goes first (the job is rescheduled). */
async function prepareRefundCall(ctx: StepContext<RefundingAdapter>, row: RefundRow): Promise<RefundCall | null> {
  const { deps, job, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const sale = row.sale_seq === null ? undefined : await findBySeq(deps.store.db, row.sale_seq);
  if (!sale) throw new Error(`refund ${row.seq} has no sale`);
  const siblings = await deps.store.db
    .selectFrom('transactions')
    .selectAll()
    .where('sale_seq', '=', sale.seq)
    .where('type', 'in', ['refund', 'cancel'])
    .where('seq', '!=', row.seq)
    .where('step', '!=', 'await_sale')
    .orderBy('seq')
    .execute();
  if (siblings.some((refund) => refund.state === 'pending' && refund.seq < row.seq)) {
    // One refund of a sale at a time, oldest first: providers without refund keys can then tell them apart.
    // The older one may take long (it may need attention), so the wait grows like a retry's.
    await commit(deps, job, async (_trx, now) => ({ runAt: now + baseDelay(retryPolicy('refund', poll), now - row.created_at) }));
    return null;
  }
  const request: RefundRequest = {
    orderNo: orderNo(sale),
    refundNo: orderNo(row),
    saleMoney: moneyOf(sale),
    refundMoney: moneyOf(row),
    reason: row.description,
    settledRefunds: siblings.filter((refund) => refund.state === 'succeeded').map(moneyOf),
    providerData: await providerDataFor(deps, sale.seq, row.seq),
  };
  const summary = describeRequest({ orderNo: request.orderNo, refundNo: request.refundNo, amount: request.refundMoney });

  const succeed: RefundCall['succeed'] = async (trx: Transaction<Database>, now: number, refund: RefundRow = row): Promise<Next> => {
    await updateTransaction(trx, refund, now, {}, { state: 'succeeded' });
    // A cancel that refunded the charge also marks it cancelled.
    await addRefunded(trx, sale.seq, row.amount ?? 0, now, { cancelled: row.kind === 'cancel' });
    return { done: true };
  };

  // The provider's own code is kept: a CHOP refund answers with a refusal code derived from it (chop/refund-answers.ts).
  const fail: RefundCall['fail'] = async (
    trx: Transaction<Database>,
    now: number,
    why: Failure,
    providerCode: string | null = null,
    refund: RefundRow = row,
  ): Promise<Next> => {
    await updateTransaction(trx, refund, now, providerCode === null ? {} : { last_provider_code: providerCode }, { state: 'failed', failure: why });
    // A failed cancel releases the charge, so it can be cancelled or refunded again.
    if (row.kind === 'cancel') await releaseClaim(trx, sale.seq, row.seq, now);
    return { done: true };
  };
  return { request, summary, succeed, fail };
}

/** Sends the refund; safe to send again, as the refund number makes the provider refund at most once. */
async function sendRefund(ctx: StepContext<RefundingAdapter>, row: RefundRow, { request, summary, succeed, fail }: RefundCall): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  // Marked as sent before it is sent: a refusal after an earlier call that may have arrived (a crash, a lost lease) cannot prove nothing moved.
  const sentBefore = row.provider_sent_at !== null;
  const sent = sentBefore ? row : await record(deps, job, (trx, now) => updateTransaction(trx, row, now, { provider_sent_at: now }));
  const traced = providerCalled(deps, await adapter.refund(request));
  const { outcome } = traced;
  return commitCall(deps, job, { seq: row.seq, request: summary, traced }, async (trx, now) => {
    switch (outcome.kind) {
      case 'succeeded':
        return succeed(trx, now, sent);
      case 'processing':
        await updateTransaction(trx, sent, now, { step: 'refund_query' });
        return { runAt: now + poll };
      case 'declined':
        return fail(trx, now, refundFailure(adapter, outcome.code, outcome.message), outcome.code, sent);
      case 'unknown':
        // Safe to send again: the refund number makes the provider refund at most once.
        return retryOpenOutcome(deps, trx, sent, now, retryPolicy('refund', poll), `refund unanswered: ${outcome.reason}`);
      case 'rejected':
        // Refused before the provider looked at it: no money moved, unless an earlier call of this step was sent.
        if (!sentBefore) return fail(trx, now, rejectedFailure(adapter, outcome), null, sent);
        return needsAttentionNow(deps, trx, sent, now, refusedReason('refund', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

/** Asks about a refund the provider is processing. */
async function queryRefund(ctx: StepContext<RefundingAdapter>, row: RefundRow, { request, summary, succeed, fail }: RefundCall): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const traced = providerCalled(deps, await adapter.refundQuery(request));
  const { outcome } = traced;
  return commitCall(deps, job, { seq: row.seq, request: summary, traced }, async (trx, now) => {
    switch (outcome.kind) {
      case 'succeeded':
        return succeed(trx, now);
      case 'processing':
        return retryOpenOutcome(deps, trx, row, now, retryPolicy('refund', poll), 'the provider is still processing the refund');
      case 'unknown':
        return retryOpenOutcome(deps, trx, row, now, retryPolicy('refund', poll), `refund status unanswered: ${outcome.reason}`);
      case 'rejected':
        return needsAttentionNow(deps, trx, row, now, refusedReason('refund query', outcome));
      case 'failed':
        return fail(trx, now, refundFailure(adapter, outcome.code, outcome.message), outcome.code);
      case 'not_found':
        await updateTransaction(trx, row, now, { step: 'refund' });
        return { runAt: now };
      default:
        return assertNever(outcome);
    }
  });
}
