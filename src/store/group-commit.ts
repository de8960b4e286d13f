/**
 * Group commit: works submitted while no batch is running (the same
 * event-loop turn) or while one is committing run together, one after
 * another, in ONE database transaction with one commit (one fsync on SQLite,
 * one WAL flush on PostgreSQL). Each caller's promise settles only after that
 * commit, so every answer follows its own durable write.
 *
 * A failing work is its own caller's only, by one of two isolations:
 * - `rerun` (POS creates, where failures are rare): a work that throws rolls
 *   its batch back, and each work of that batch then runs again alone;
 * - `savepoint` (processing steps, whose version conflicts and lost leases
 *   are routine): each work of a batch of several runs in its own savepoint,
 *   and one that throws is rolled back to it while the others go on.
 */
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Store } from './db.js';
import { isDatabaseUnavailableError } from './db.js';
import type { Database } from './schema.js';

export type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  readonly work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Large enough to absorb a burst, small enough that one batch's transaction stays short. */
export const MAX_BATCH = 64;

export type Isolation = 'rerun' | 'savepoint';

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export interface GroupCommitOptions {
  readonly maxBatch?: number;
  /** How a failing work is kept from failing the others (default `rerun`). */
  readonly isolation?: Isolation;
  /** Called after each commit with the number of works it made durable (tests, metrics). */
  readonly onCommit?: (size: number) => void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  private holds = 0;
  private readonly maxBatch: number;
  /** Commits made, and the works they made durable (works / commits: the mean batch size). */
  commits = 0;
  works = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? MAX_BATCH);
  }

  /** Runs `work` in a shared transaction; resolves with its result once that transaction has committed. */
  submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      this.schedule();
    });
  }

  /** Works waiting for the next batch. */
  get queued(): number {
    return this.queue.length;
  }

  /** No batch starts until the returned release is called (a test gathers works into one batch this way). */
  hold(): () => void {
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.holds > 0) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: the requests that arrived together share the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      // Works submitted while a batch commits form the next one.
      while (this.queue.length > 0 && this.holds === 0) await this.run(this.queue.splice(0, this.maxBatch));
    } finally {
      this.running = false;
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const inSavepoints = this.options.isolation === 'savepoint' && batch.length > 1;
    try {
      await this.db.transaction().execute(async (trx) => {
        // One after another: a transaction takes no concurrent statements, and a void sees the sale inserted before it.
        for (const pending of batch) {
          outcomes.push(inSavepoints ? await inSavepoint(trx, pending.work) : { ok: true, value: await pending.work(trx) });
        }
      });
    } catch (error) {
      // Alone already, isolated by savepoints, or the database is gone (re-running would only wait again): every caller gets the error.
      if (batch.length === 1 || inSavepoints || isDatabaseUnavailableError(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      for (const pending of batch) await this.run([pending]);
      return;
    }
    this.commits += 1;
    this.works += batch.length;
    this.options.onCommit?.(batch.length);
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}

/** Runs one work of a batch in a savepoint: if it throws, what it wrote is undone and the batch goes on. */
async function inSavepoint(trx: Transaction<Database>, work: Work<unknown>): Promise<Outcome> {
  await sql`savepoint group_work`.execute(trx);
  try {
    const value = await work(trx);
    await sql`release savepoint group_work`.execute(trx);
    return { ok: true, value };
  } catch (error) {
    await sql`rollback to savepoint group_work`.execute(trx);
    await sql`release savepoint group_work`.execute(trx);
    return { ok: false, error };
  }
}

const committers = new WeakMap<Store, Map<Isolation, GroupCommitter>>();

/** The store's committer for an isolation (one per process and database: batches are formed across all its callers). */
export function groupCommitterFor(store: Store, isolation: Isolation = 'rerun'): GroupCommitter {
  let byIsolation = committers.get(store);
  if (!byIsolation) committers.set(store, (byIsolation = new Map()));
  let committer = byIsolation.get(isolation);
  if (!committer) byIsolation.set(isolation, (committer = new GroupCommitter(store.db, { isolation })));
  return committer;
}
