/**
 * Open outcomes and "needs attention". A step whose outcome stays open (the
 * provider answers "unknown", refuses a follow-up call, or the step fails)
 * is retried by its policy (retry-policy.ts) from when the streak began
 * (`retrying_since`). Past the policy's deadline, or at once when guessing is
 * the only alternative, the transaction is marked (`needs_attention_since`,
 * one warning log line) and asked about at the long cadence: its API state
 * stays `pending` and the job never stops, so the outcome is still found.
 * store/transactions.ts clears both marks when the step moves on or the
 * transaction ends.
 */
import type { Transaction } from 'kysely';
import type { CoreDeps } from '../core/deps.js';
import { addEvent, type TransactionRow } from '../store/transactions.js';
import type { Database } from '../store/schema.js';
import { type RetryPolicy, decideRetry, jittered } from './retry-policy.js';

export interface Reschedule {
  readonly runAt: number;
}

/**
 * Reschedules a step whose outcome is still open. `why` says what is open
 * (shown to operators when the transaction gets marked).
 */
export async function retryOpenOutcome(
  deps: CoreDeps,
  trx: Transaction<Database>,
  row: TransactionRow,
  now: number,
  policy: RetryPolicy,
  why: string,
): Promise<Reschedule> {
  const since = row.retrying_since ?? now;
  if (row.retrying_since === null) {
    await trx.updateTable('transactions').set({ retrying_since: now }).where('seq', '=', row.seq).where('retrying_since', 'is', null).execute();
  }
  const decision = decideRetry(policy, now - since, deps.config.attentionRetryMs, random(deps));
  if (decision.kind === 'needs_attention') await markNeedsAttention(deps, trx, row, now, why);
  return { runAt: now + decision.delayMs };
}

/** Marks at once (no deadline): only an operator can tell what happened. Asked about again at the long cadence. */
export async function needsAttentionNow(deps: CoreDeps, trx: Transaction<Database>, row: TransactionRow, now: number, why: string): Promise<Reschedule> {
  if (row.retrying_since === null) {
    await trx.updateTable('transactions').set({ retrying_since: now }).where('seq', '=', row.seq).where('retrying_since', 'is', null).execute();
  }
  await markNeedsAttention(deps, trx, row, now, why);
  return { runAt: now + jittered(deps.config.attentionRetryMs, 0.2, random(deps)) };
}

/**
 * A definite answer that leaves the step where it is (the shopper has not
 * paid yet, the customer is confirming): the outcome is known again, so an
 * open streak and its mark end.
 */
export async function outcomeKnownAgain(trx: Transaction<Database>, row: TransactionRow): Promise<void> {
  if (row.retrying_since === null && row.needs_attention_since === null) return;
  await trx.updateTable('transactions').set({ retrying_since: null, needs_attention_since: null }).where('seq', '=', row.seq).execute();
}

/** Whether this poll begins a streak of open outcomes (its trace is worth keeping; the ones after it change nothing). */
export function firstOpenOutcome(row: TransactionRow): boolean {
  return row.retrying_since === null;
}

/**
 * Sets the mark once: the warning line and the event are written only when
 * it starts. It does not bump the row's version: it is a note beside the
 * processing state, and a writer holding the older version must not conflict.
 */
async function markNeedsAttention(deps: CoreDeps, trx: Transaction<Database>, row: TransactionRow, now: number, why: string): Promise<void> {
  const result = await trx
    .updateTable('transactions')
    .set({ needs_attention_since: now, updated_at: now })
    .where('seq', '=', row.seq)
    .where('needs_attention_since', 'is', null)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return;
  await addEvent(trx, row.seq, now, 'needs_attention', { step: row.step, reason: why });
  deps.log.warn(
    { transaction: row.ref, type: row.type, step: row.step, mode: row.mode, reason: why, retryEveryMs: deps.config.attentionRetryMs },
    'transaction needs attention: its outcome is still unknown; CanCan keeps asking at a slow cadence',
  );
}

function random(deps: CoreDeps): () => number {
  return deps.random ?? Math.random;
}
