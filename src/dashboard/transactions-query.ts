/**
 * Reading filtered transactions newest first, by keyset on `seq`: one page
 * for the list, or batch after batch for the CSV export (never every row in
 * memory at once).
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Scope } from './modes.js';
import type { TransactionRow } from '../store/transactions.js';
import type { TransactionFilters } from './transactions-filters.js';

type Db = Kysely<Database>;

/** Rows fetched per round trip by the export. */
export const EXPORT_BATCH_SIZE = 500;

/** Operators may pick one merchant in the filters. */
function conditions(eb: ExpressionBuilder<Database, 'transactions'>, scope: Scope, f: TransactionFilters, beforeSeq: number | null): Expression<SqlBool>[] {
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
  if (f.q !== null) all.push(eb.or([eb('ref', '=', f.q), eb('client_id', '=', f.q), eb('reference', '=', f.q)]));
  if (beforeSeq !== null) all.push(eb('seq', '<', beforeSeq));
  return all;
}

function fetchRows(db: Db, scope: Scope, filters: TransactionFilters, beforeSeq: number | null, limit: number): Promise<TransactionRow[]> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where((eb) => eb.and(conditions(eb, scope, filters, beforeSeq)))
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
}

/** One page: the rows and, when more follow, the seq to continue after. */
export async function transactionPage(
  db: Db,
  scope: Scope,
  filters: TransactionFilters,
  afterSeq: number | null,
  size: number,
): Promise<{ rows: TransactionRow[]; nextAfter: number | null }> {
  const rows = await fetchRows(db, scope, filters, afterSeq, size + 1);
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return { rows: page, nextAfter: rows.length > size && last ? Number(last.seq) : null };
}

/** Every matching row, newest first, fetched `batchSize` at a time. */
export async function* allTransactions(db: Db, scope: Scope, filters: TransactionFilters, batchSize = EXPORT_BATCH_SIZE): AsyncGenerator<TransactionRow> {
  let beforeSeq: number | null = null;
  for (;;) {
    const batch = await fetchRows(db, scope, filters, beforeSeq, batchSize);
    yield* batch;
    const last = batch.at(-1);
    if (batch.length < batchSize || !last) return;
    beforeSeq = Number(last.seq);
  }
}
