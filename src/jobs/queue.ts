/**
 * The durable job outbox. A job names a transaction whose processing is due
 * at `run_at`. Workers lease jobs; a lease that expires (crashed worker) makes
 * the job claimable again. Every write that ends or reschedules a job checks
 * the lease, inside the same database transaction as the state change it
 * accompanies, so a worker that lost its lease cannot write anything.
 */
import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { Dialect } from '../store/db.js';
import type { Database, JobsTable } from '../store/schema.js';

export type Job = Selectable<JobsTable>;

export class LeaseLost extends Error {
  constructor(jobId: number) {
    super(`lease on job ${jobId} was lost`);
  }
}

export async function claimDueJobs(db: Kysely<Database>, dialect: Dialect, owner: string, now: number, leaseMs: number, limit: number): Promise<Job[]> {
  // SKIP LOCKED lets several workers claim side by side on PostgreSQL; SQLite serialises writers anyway.
  const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<Job>`
    update jobs set lease_owner = ${owner}, lease_until = ${now + leaseMs}, attempts = attempts + 1, woken_at = null
    where id in (
      select id from jobs
      where done_at is null and run_at <= ${now} and (lease_until is null or lease_until < ${now})
      order by run_at limit ${limit} ${lock}
    )
    returning *`.execute(db);
  return result.rows;
}

export async function finishJob(trx: Transaction<Database>, job: Job, now: number): Promise<void> {
  const result = await trx
    .updateTable('jobs')
    .set({ done_at: now, lease_owner: null, lease_until: null })
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.lease_owner)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new LeaseLost(job.id);
}

export async function rescheduleJob(trx: Transaction<Database>, job: Job, runAt: number, error: string | null = null): Promise<void> {
  const result = await trx
    .updateTable('jobs')
    // A notification that woke the job while it was held brings the next run forward to then.
    .set({
      run_at: sql<number>`case when woken_at is not null and woken_at < ${runAt} then woken_at else ${runAt} end`,
      woken_at: null,
      lease_owner: null,
      lease_until: null,
      last_error: error,
    })
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.lease_owner)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new LeaseLost(job.id);
}

/**
 * Makes a transaction's pending job due now (a void or cancel that needs it, an
 * impatient inquire). A job a worker holds is left alone: the holder sees the
 * row's new version and goes on from there.
 */
export async function wakeTransactionJob(db: Kysely<Database> | Transaction<Database>, seq: number, now: number): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ run_at: now })
    .where('transaction_seq', '=', seq)
    .where('kind', '=', 'transaction')
    .where('done_at', 'is', null)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute();
}

/**
 * A provider notification wakes a transaction's job: due now if no worker
 * holds it, else marked so the holder's reschedule makes it due at once
 * (the holder may be in the middle of a poll that answered "not paid").
 */
export async function wakeForNotification(trx: Transaction<Database>, seq: number, now: number): Promise<void> {
  await wakeTransactionJob(trx, seq, now);
  await trx
    .updateTable('jobs')
    .set({ woken_at: now })
    .where('transaction_seq', '=', seq)
    .where('kind', '=', 'transaction')
    .where('done_at', 'is', null)
    .where('lease_until', '>=', now)
    .execute();
}

/** Confirms the lease is still ours, within a transaction that writes on its behalf. */
export async function assertLease(trx: Transaction<Database>, job: Job, now: number): Promise<void> {
  const row = await trx
    .selectFrom('jobs')
    .select('id')
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.lease_owner)
    .where('lease_until', '>', now)
    .executeTakeFirst();
  if (!row) throw new LeaseLost(job.id);
}

/**
 * Hands back the jobs `owner` still holds (at shutdown, after the grace
 * period), so another worker takes them at once instead of after the lease
 * expires. Clearing the owner also fences the holder: every later write of
 * its steps checks the owner and fails with LeaseLost.
 */
export async function releaseLeases(db: Kysely<Database>, owner: string): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_owner: null, lease_until: null })
    .where('lease_owner', '=', owner)
    .where('done_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
