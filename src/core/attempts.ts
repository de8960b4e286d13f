/**
 * Recording provider calls as attempts (src/store/attempts.ts). A call's
 * attempt is written in the same database transaction as the step's decision;
 * when that transaction fails (a version conflict, a lost lease) the attempt is
 * written on its own, because the call happened whatever the step decides next
 * and its provider data may be what the next call needs.
 */
import type { Money } from '../domain/money.js';
import type { Traced } from '../providers/contract.js';
import { type NewAttempt, recordAttempt } from '../store/attempts.js';
import type { Database } from '../store/schema.js';
import type { Transaction } from 'kysely';
import type { CoreDeps } from './deps.js';

/** A provider call made for a transaction, as the engine records it. */
export interface ProviderCall {
  readonly seq: number;
  /** What was asked, redacted (see `describeRequest`). */
  readonly request: string | null;
  readonly traced: Traced<{ readonly kind: string }>;
}

export type WriteAttempt = (trx: Transaction<Database>, now: number) => Promise<void>;

/** A request summary: `name=value` pairs of what is safe to show (never an auth code, card data or key). */
export function describeRequest(parts: Readonly<Record<string, string | number | Money | null | undefined>>): string {
  return Object.entries(parts)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => `${name}=${typeof value === 'object' && value !== null ? `${value.amount} ${value.currency}` : String(value)}`)
    .join(' ');
}

/** The outcome's fields an operator needs, nothing else: pay forms (signed), QR contents and card data stay out. */
export function describeOutcome(outcome: { readonly kind: string }): string {
  const shown: Record<string, unknown> = { kind: outcome.kind };
  const fields = outcome as Record<string, unknown>;
  for (const name of ['code', 'message', 'reason', 'providerTxnId']) {
    if (typeof fields[name] === 'string') shown[name] = fields[name];
  }
  const card = fields['card'];
  if (typeof card === 'object' && card !== null) {
    const { result, resultMessage, txnId, maskedNumber } = card as Record<string, unknown>;
    shown['card'] = { result, resultMessage, txnId, maskedNumber };
  }
  return JSON.stringify(shown);
}

export function attemptOf(call: ProviderCall, at: number): NewAttempt {
  const { trace, outcome, providerData } = call.traced;
  return {
    transactionSeq: call.seq,
    at,
    provider: trace.provider,
    call: trace.call,
    outcome: outcome.kind,
    code: trace.code,
    message: trace.message,
    httpStatus: trace.httpStatus,
    latencyMs: trace.latencyMs,
    requestSummary: call.request,
    responseSummary: describeOutcome(outcome),
    providerData: providerData ?? {},
  };
}

/**
 * Runs `work`, which must call the given `writeAttempt` inside its database
 * transaction; if `work` fails, the attempt is written alone before the error
 * goes on.
 */
export async function keepingAttempt<R>(
  deps: Pick<CoreDeps, 'store' | 'clock' | 'log'>,
  call: ProviderCall,
  work: (writeAttempt: WriteAttempt) => Promise<R>,
): Promise<R> {
  try {
    return await work((trx, now) => recordAttempt(trx, attemptOf(call, now)));
  } catch (error) {
    await recordAttempt(deps.store.db, attemptOf(call, deps.clock.now())).catch((e: unknown) =>
      deps.log.error({ err: e, transaction_seq: call.seq, call: call.traced.trace.call }, 'could not record a provider attempt'),
    );
    throw error;
  }
}
