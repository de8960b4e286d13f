/**
 * Group commit for processing: the step writes that arrive while one commit
 * is under way (or in the same event-loop turn) share the next database
 * transaction, so concurrent jobs pay for one durable commit instead of one
 * each. Each write runs in its own savepoint: one that fails (a version
 * conflict, a lost lease) is rolled back alone and rejects only its caller.
 * Every caller's promise settles after the commit, so a write the caller
 * relies on (a "sent" marker before a provider call) is durable by then.
 */
import { type Transaction, sql } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { type RowChange, takeRowChanges } from '../store/transactions.js';
import type { CoreDeps } from './deps.js';

type Work = (trx: Transaction<Database>) => Promise<unknown>;

/** Most writes one transaction takes: a group holds the connection (and its rows' locks) until it commits. */
const MAX_GROUP = 64;

interface Pending {
  readonly work: Work;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

class WriteGroup {
  private queue: Pending[] = [];
  private busy = false;

  constructor(private readonly deps: Pick<CoreDeps, 'store' | 'metrics'>) {}

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.busy) {
        this.busy = true;
        // The writes of this event-loop turn join the first group.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.commit(this.queue.splice(0, MAX_GROUP));
    }
    this.busy = false;
  }

  private async commit(group: readonly Pending[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const changes: RowChange[] = [];
    try {
      await this.deps.store.db.transaction().execute(async (trx) => {
        // A write alone needs no savepoint: its failure rolls the transaction back.
        if (group.length === 1) {
          const value = await group[0]!.work(trx);
          changes.push(...takeRowChanges(trx));
          outcomes.push({ ok: true, value });
          return;
        }
        for (const pending of group) outcomes.push(await inSavepoint(trx, pending.work, changes));
      });
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    this.deps.metrics.countRowChanges(changes);
    group.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}

/** Runs one write of a group; its row changes count only if it stands. */
async function inSavepoint(trx: Transaction<Database>, work: Work, changes: RowChange[]): Promise<Outcome> {
  await sql`savepoint step_write`.execute(trx);
  try {
    const value = await work(trx);
    await sql`release savepoint step_write`.execute(trx);
    changes.push(...takeRowChanges(trx));
    return { ok: true, value };
  } catch (error) {
    await sql`rollback to savepoint step_write`.execute(trx);
    await sql`release savepoint step_write`.execute(trx);
    takeRowChanges(trx);
    return { ok: false, error };
  }
}

const groups = new WeakMap<Store, WriteGroup>();

/**
 * Runs `work` in a database transaction shared with the other step writes
 * waiting meanwhile; resolves once that transaction has committed.
 */
export function groupedWrite<T>(deps: Pick<CoreDeps, 'store' | 'metrics'>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  let group = groups.get(deps.store);
  if (!group) {
    group = new WriteGroup(deps);
    groups.set(deps.store, group);
  }
  return group.run(work);
}
