/**
 * A database transaction whose created and finalised transaction rows are
 * counted once it has committed: a rolled-back one (a version conflict, a
 * lost job lease) counts nothing, and the retry that follows counts once.
 */
import type { Transaction } from 'kysely';
import type { CoreDeps } from '../core/deps.js';
import type { Database } from '../store/schema.js';
import { type RowChange, takeRowChanges } from '../store/transactions.js';

export async function transact<T>(deps: Pick<CoreDeps, 'store' | 'metrics'>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  let changes: readonly RowChange[] = [];
  const result = await deps.store.db.transaction().execute(async (trx) => {
    const value = await work(trx);
    changes = takeRowChanges(trx);
    return value;
  });
  deps.metrics.countRowChanges(changes);
  return result;
}
