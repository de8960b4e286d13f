/**
 * Reading filtered transactions newest first, by keyset on `seq`: one page
 * for the list, or batch after batch for the CSV export (never every row in
 * memory at once).
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { Scope } from './modes.js';
import type { TransactionRow } from '../store/transactions.js';
import type { TransactionFilters } from './transactions-filters.js';
import { parseSearch, searchCondition, sortsInByteOrder } from './transactions-search.js';

/** The database and what kind it is (the search box's prefix is written per collation). */
export interface ListStore {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
}

/** Rows fetched per round trip by the export. */
export const EXPORT_BATCH_SIZE = 500;

/** Operators may pick one merchant in the filters. */
function conditions(
  eb: ExpressionBuilder<Database, 'transactions'>,
  scope: Scope,
  f: TransactionFilters,
  beforeSeq: number | null,
  byteOrder: boolean,
): Expression<SqlBool>[] {
  const all: Expression<SqlBool>[] = [eb('mode', '=', scope.mode)];
  const merchant = scope.merchantId ?? f.merchant;
  if (merchant !== null) all.push(eb('merchant_id', '=', merchant));
  if (f.type) all.push(eb('type', '=', f.type));
  if (f.state) all.push(eb('state', '=', f.state));
  // One filter for both: POS gateway codes and CHOP payment method codes.
  if (f.gateway) all.push(eb.or([eb('gateway', '=', f.gateway), eb('payment_method', '=', f.gateway)]));
  if (f.createdGte !== null) all.push(eb('created_at', '>=', f.createdGte));
  if (f.createdLt !== null) all.push(eb('created_at', '<', f.createdLt));
  if (f.posId !== null) all.push(eb('pos_id', '=', f.posId));
  if (f.mchLevel1 !== null) all.push(eb('mch_level_1', '=', f.mchLevel1));
  if (f.mchLevel2 !== null) all.push(eb('mch_level_2', '=', f.mchLevel2));
  if (f.mchLevel3 !== null) all.push(eb('mch_level_3', '=', f.mchLevel3));
  if (f.q !== null) all.push(searchCondition(eb, parseSearch(f.q), byteOrder));
  if (beforeSeq !== null) all.push(eb('seq', '<', beforeSeq));
  return all;
}

/** The list's query, newest first: exported so that tests can read its plan. */
export function listQuery(db: Kysely<Database>, scope: Scope, filters: TransactionFilters, beforeSeq: number | null, limit: number, byteOrder: boolean) {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where((eb) => eb.and(conditions(eb, scope, filters, beforeSeq, byteOrder)))
    .orderBy('seq', 'desc')
    .limit(limit);
}

async function fetchRows(store: ListStore, scope: Scope, filters: TransactionFilters, beforeSeq: number | null, limit: number): Promise<TransactionRow[]> {
  const byteOrder = filters.q === null ? false : await sortsInByteOrder(store.db, store.dialect);
  return listQuery(store.db, scope, filters, beforeSeq, limit, byteOrder).execute();
}

/** One page: the rows and, when more follow, the seq to continue after. */
export async function transactionPage(
  store: ListStore,
  scope: Scope,
  filters: TransactionFilters,
  afterSeq: number | null,
  size: number,
): Promise<{ rows: TransactionRow[]; nextAfter: number | null }> {
  const rows = await fetchRows(store, scope, filters, afterSeq, size + 1);
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return { rows: page, nextAfter: rows.length > size && last ? Number(last.seq) : null };
}

/** Every matching row, newest first, fetched `batchSize` at a time. */
export async function* allTransactions(
  store: ListStore,
  scope: Scope,
  filters: TransactionFilters,
  batchSize = EXPORT_BATCH_SIZE,
): AsyncGenerator<TransactionRow> {
  let beforeSeq: number | null = null;
  for (;;) {
    const batch = await fetchRows(store, scope, filters, beforeSeq, batchSize);
    yield* batch;
    const last = batch.at(-1);
    if (batch.length < batchSize || !last) return;
    beforeSeq = Number(last.seq);
  }
}
