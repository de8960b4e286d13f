/** Listing a merchant's transactions for reconciliation: filters and cursor pages, newest first. */
import type { Kysely } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { TransactionState, TransactionType } from '../domain/states.js';
import type { Database } from '../store/schema.js';
import type { TransactionRow } from '../store/transactions.js';

export interface ListFilters {
  readonly type: TransactionType | null;
  readonly state: TransactionState | null;
  readonly gateway: string | null;
  readonly posId: string | null;
  readonly createdGte: number | null;
  readonly createdLt: number | null;
  readonly size: number;
  /** Opaque cursor: the last row of the previous page. */
  readonly after: string | null;
}

export const encodeCursor = (seq: number): string => Buffer.from(`s${seq}`).toString('base64url');

export function decodeCursor(cursor: string): number | null {
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** One merchant's POS transactions in one mode (a key never lists the other mode's). */
export async function listTransactions(
  db: Kysely<Database>,
  merchantId: string,
  mode: KeyMode,
  filters: ListFilters,
): Promise<{ rows: TransactionRow[]; nextCursor: string | null }> {
  let query = db.selectFrom('transactions').selectAll().where('merchant_id', '=', merchantId).where('mode', '=', mode).where('channel', '=', 'pos');
  if (filters.type) query = query.where('type', '=', filters.type);
  if (filters.state) query = query.where('state', '=', filters.state);
  if (filters.gateway) query = query.where('gateway', '=', filters.gateway);
  if (filters.posId) query = query.where('pos_id', '=', filters.posId);
  if (filters.createdGte !== null) query = query.where('created_at', '>=', filters.createdGte);
  if (filters.createdLt !== null) query = query.where('created_at', '<', filters.createdLt);
  const afterSeq = filters.after === null ? null : decodeCursor(filters.after);
  if (afterSeq !== null) query = query.where('seq', '<', afterSeq);
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(filters.size + 1)
    .execute();
  const page = rows.slice(0, filters.size);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > filters.size && last ? encodeCursor(last.seq) : null };
}
