/**
 * Group commit: works submitted while no batch is running (the same
 * event-loop turn) or while one is committing run together, one after
 * another, in ONE database transaction with one commit (one fsync on SQLite,
 * one WAL flush on PostgreSQL). Each caller's promise settles only after that
 * commit, so every answer follows its own durable write.
 *
 * A work that throws rolls its batch back; each work of that batch then runs
 * again alone, so a failure (a constraint error, an ApiError, a deadlock
 * between two batches) is its own caller's only.
 */
import type { Kysely, Transaction } from 'kysely';
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

export interface GroupCommitOptions {
  readonly maxBatch?: number;
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
    const results: unknown[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        // One after another: a transaction takes no concurrent statements, and a void sees the sale inserted before it.
        for (const pending of batch) results.push(await pending.work(trx));
      });
    } catch (error) {
      // Alone already, or the database is gone (re-running would only wait again): every caller gets the error.
      if (batch.length === 1 || isDatabaseUnavailableError(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      for (const pending of batch) await this.run([pending]);
      return;
    }
    this.commits += 1;
    this.works += batch.length;
    this.options.onCommit?.(batch.length);
    batch.forEach((pending, i) => pending.resolve(results[i]));
  }
}

const committers = new WeakMap<Store, GroupCommitter>();

/** The store's one committer (one per process and database: batches are formed across all its callers). */
export function groupCommitterFor(store: Store, options?: GroupCommitOptions): GroupCommitter {
  let committer = committers.get(store);
  if (!committer) {
    committer = new GroupCommitter(store.db, options);
    committers.set(store, committer);
  }
  return committer;
}
