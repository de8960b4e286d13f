/**
 * A database transaction whose created and finalised transaction rows are
 * counted once it has committed: a rolled-back one (a version conflict, a
 * lost job lease) counts nothing, and the retry that follows counts once.
 */
import type { Transaction } from 'kysely';
import type { CoreDeps } from '../core/deps.js';
import type { Database } from '../store/schema.js';
import { type Isolation, groupCommitterFor } from '../store/group-commit.js';
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

/**
 * `transact` through the store's group committer (store/group-commit.ts): the
 * work shares one commit with the others submitted alongside it, and resolves
 * once that commit is durable. Each work's row changes are taken right after
 * it runs (works run one after another), so each is counted once, by its
 * caller, and a work that fails leaves none behind for the next.
 */
export async function transactGrouped<T>(
  deps: Pick<CoreDeps, 'store' | 'metrics'>,
  work: (trx: Transaction<Database>) => Promise<T>,
  isolation?: Isolation,
): Promise<T> {
  const { value, changes } = await groupCommitterFor(deps.store, isolation).submit(async (trx) => {
    try {
      const value = await work(trx);
      return { value, changes: takeRowChanges(trx) };
    } catch (error) {
      takeRowChanges(trx);
      throw error;
    }
  });
  deps.metrics.countRowChanges(changes);
  return value;
}
