/**
 * Provider attempts: one row per provider call of a transaction, with what
 * the adapter asked CanCan to keep for its later calls (provider data).
 *
 * Rows stay bounded: a call that repeats the previous one exactly (same call,
 * outcome, code and data, e.g. a payment page polled for 15 minutes) updates
 * that row's `repeat_count` and `last_at` instead of adding one.
 */
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import type { ProviderData } from '../providers/contract.js';
import type { Database, ProviderAttemptsTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type AttemptRow = Selectable<ProviderAttemptsTable>;

export interface NewAttempt {
  readonly transactionSeq: number;
  readonly at: number;
  readonly provider: string;
  readonly call: string;
  readonly outcome: string;
  readonly code: string | null;
  readonly message: string | null;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly requestSummary: string | null;
  readonly responseSummary: string | null;
  readonly providerData: ProviderData;
}

/** Longest summary or message kept: enough to read, never a whole answer. */
export const MAX_SUMMARY_LENGTH = 500;

const clip = (text: string | null): string | null => (text === null || text.length <= MAX_SUMMARY_LENGTH ? text : `${text.slice(0, MAX_SUMMARY_LENGTH - 1)}…`);

/** Provider data as stored: keys sorted, so equal data compares equal as text. */
export function serializeProviderData(data: ProviderData): string {
  return JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/**
 * Adds an attempt, or counts it on the transaction's last attempt when it
 * repeats that one exactly. The insert itself checks for a repeat, so a new
 * attempt (the common case) costs one statement.
 */
export async function recordAttempt(db: Db, attempt: NewAttempt): Promise<void> {
  const providerData = serializeProviderData(attempt.providerData);
  const seq = attempt.transactionSeq;
  // The transaction's last attempt: the only one a repeat may be counted on.
  const last = (eb: ExpressionBuilder<Database, 'provider_attempts'>) =>
    eb
      .selectFrom('provider_attempts as previous')
      .select((inner) => inner.fn.max('previous.id').as('id'))
      .where('previous.transaction_seq', '=', seq);
  const inserted = await db
    .insertInto('provider_attempts')
    .columns([
      'transaction_seq',
      'at',
      'last_at',
      'provider',
      'call',
      'outcome',
      'code',
      'message',
      'http_status',
      'latency_ms',
      'request_summary',
      'response_summary',
      'provider_data',
    ])
    .expression(
      db
        .selectNoFrom((eb) => [
          eb.val(seq).as('transaction_seq'),
          eb.val(attempt.at).as('at'),
          eb.val(attempt.at).as('last_at'),
          eb.val(attempt.provider).as('provider'),
          eb.val(attempt.call).as('call'),
          eb.val(attempt.outcome).as('outcome'),
          eb.val(attempt.code).as('code'),
          eb.val(clip(attempt.message)).as('message'),
          eb.val(attempt.httpStatus).as('http_status'),
          eb.val(Math.round(attempt.latencyMs)).as('latency_ms'),
          eb.val(clip(attempt.requestSummary)).as('request_summary'),
          eb.val(clip(attempt.responseSummary)).as('response_summary'),
          eb.val(providerData).as('provider_data'),
        ])
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('provider_attempts').select('id').where('id', '=', last).where(repeats(attempt, providerData)))),
        ),
    )
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
  await db
    .updateTable('provider_attempts')
    .set((eb) => ({
      repeat_count: eb('repeat_count', '+', 1),
      last_at: attempt.at,
      latency_ms: Math.round(attempt.latencyMs),
      http_status: attempt.httpStatus,
      message: clip(attempt.message),
      response_summary: clip(attempt.responseSummary),
    }))
    .where('id', '=', last)
    .execute();
}

/** Whether a stored attempt is the same call as `attempt`, ending alike (the repeat counted on it). */
function repeats(attempt: NewAttempt, providerData: string) {
  return (eb: ExpressionBuilder<Database, 'provider_attempts'>) =>
    eb.and([
      eb('provider', '=', attempt.provider),
      eb('call', '=', attempt.call),
      eb('outcome', '=', attempt.outcome),
      eb('code', 'is not distinct from', attempt.code),
      eb('provider_data', '=', providerData),
    ]);
}

/** A transaction's attempts, oldest first. */
export async function listAttempts(db: Db, transactionSeq: number): Promise<AttemptRow[]> {
  return db.selectFrom('provider_attempts').selectAll().where('transaction_seq', '=', transactionSeq).orderBy('id').execute();
}

/**
 * The provider data the attempts of these transactions left (e.g. a refund's
 * and its sale's), merged oldest first so a later value of a name wins.
 */
export async function providerDataOf(db: Db, transactionSeqs: readonly number[]): Promise<ProviderData> {
  if (transactionSeqs.length === 0) return {};
  const rows = await db
    .selectFrom('provider_attempts')
    .select('provider_data')
    .where('transaction_seq', 'in', [...transactionSeqs])
    .where('provider_data', '!=', '{}')
    .orderBy('id')
    .execute();
  const merged: Record<string, string> = {};
  for (const row of rows) {
    const data: unknown = JSON.parse(row.provider_data);
    if (typeof data !== 'object' || data === null) continue;
    for (const [name, value] of Object.entries(data)) if (typeof value === 'string') merged[name] = value;
  }
  return merged;
}
