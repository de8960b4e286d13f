/**
 * Reconciliation runs and items (migration 0016). A run is one provider
 * account's day; it is claimed with a lease like a job (jobs/queue.ts), and
 * every write that ends or reschedules it checks the lease in the same
 * transaction. A re-run replaces the run's items in one transaction.
 */
import { type Insertable, type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { Dialect } from './db.js';
import type { Database, ReconciliationItemsTable, ReconciliationRunState, ReconciliationRunsTable, ReconciliationSource } from './schema.js';

export type ReconciliationRun = Selectable<ReconciliationRunsTable>;
export type ReconciliationItem = Selectable<ReconciliationItemsTable>;
export type NewReconciliationItem = Omit<Insertable<ReconciliationItemsTable>, 'id' | 'run_id'>;

export interface RunAccount {
  readonly provider: string;
  readonly mode: KeyMode;
  /** Null: the shared sandbox account (test mode). */
  readonly merchantId: string | null;
  readonly day: string;
}

export class RunLeaseLost extends Error {
  constructor(runId: number) {
    super(`lease on reconciliation run ${runId} was lost`);
  }
}

/** States a worker picks up once `run_at` has come (`running` only when its lease expired: a crashed holder). */
const CLAIMABLE: readonly ReconciliationRunState[] = ['due', 'not_ready', 'running'];

/** The run of an account's day, or null. */
export async function findRun(db: Kysely<Database> | Transaction<Database>, account: RunAccount): Promise<ReconciliationRun | null> {
  let query = db
    .selectFrom('reconciliation_runs')
    .selectAll()
    .where('provider', '=', account.provider)
    .where('mode', '=', account.mode)
    .where('day', '=', account.day);
  query = account.merchantId === null ? query.where('merchant_id', 'is', null) : query.where('merchant_id', '=', account.merchantId);
  return (await query.executeTakeFirst()) ?? null;
}

/** Creates the run of an account's day, due at `runAt`, unless it exists; answers the stored run either way. */
export async function ensureRun(db: Kysely<Database>, account: RunAccount, runAt: number, now: number): Promise<ReconciliationRun> {
  await db
    .insertInto('reconciliation_runs')
    .values({
      provider: account.provider,
      mode: account.mode,
      merchant_id: account.merchantId,
      day: account.day,
      state: 'due',
      source: null,
      run_at: runAt,
      lease_owner: null,
      lease_until: null,
      attempts: 0,
      last_error: null,
      summary: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const run = await findRun(db, account);
  if (!run) throw new Error(`reconciliation run of ${account.provider} ${account.mode} ${account.day} vanished`);
  return run;
}

export async function claimDueRuns(
  db: Kysely<Database>,
  dialect: Dialect,
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<ReconciliationRun[]> {
  // SKIP LOCKED lets several workers claim side by side on PostgreSQL; SQLite serialises writers anyway.
  const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const states = sql.join(CLAIMABLE.map((state) => sql`${state}`));
  const result = await sql<ReconciliationRun>`
    update reconciliation_runs set state = 'running', lease_owner = ${owner}, lease_until = ${now + leaseMs}, updated_at = ${now}
    where id in (
      select id from reconciliation_runs
      where state in (${states}) and run_at <= ${now} and (lease_until is null or lease_until < ${now})
      order by run_at limit ${limit} ${lock}
    )
    returning *`.execute(db);
  return result.rows.map(normalise);
}

/**
 * Claims one run now, whatever its state or due time (the CLI's re-run); null
 * while another process holds its lease.
 */
export async function claimRunNow(db: Kysely<Database>, runId: number, owner: string, now: number, leaseMs: number): Promise<ReconciliationRun | null> {
  const row = await db
    .updateTable('reconciliation_runs')
    .set({ state: 'running', lease_owner: owner, lease_until: now + leaseMs, updated_at: now, run_at: now })
    .where('id', '=', runId)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .returningAll()
    .executeTakeFirst();
  return row ? normalise(row) : null;
}

async function updateLeased(trx: Transaction<Database>, run: ReconciliationRun, now: number, changes: Partial<ReconciliationRun>): Promise<void> {
  const result = await trx
    .updateTable('reconciliation_runs')
    .set({ ...changes, lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', run.id)
    .where('lease_owner', '=', run.lease_owner)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new RunLeaseLost(run.id);
}

/** Ends a run: its items replace any earlier ones, with the summary, in one transaction. */
export async function finishRun(
  db: Kysely<Database>,
  run: ReconciliationRun,
  outcome: { source: ReconciliationSource; summary: string; items: readonly NewReconciliationItem[] },
  now: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // A re-run's differences are announced again (its alert starts over).
    await updateLeased(trx, run, now, {
      state: 'done',
      source: outcome.source,
      summary: outcome.summary,
      last_error: null,
      attempts: 0,
      finished_at: now,
      alert_state: null,
      alert_attempts: 0,
      alert_next_at: null,
      alert_error: null,
    });
    await trx.deleteFrom('reconciliation_items').where('run_id', '=', run.id).execute();
    // Batches keep each insert well under the databases' parameter limits.
    for (let i = 0; i < outcome.items.length; i += 200) {
      await trx
        .insertInto('reconciliation_items')
        .values(outcome.items.slice(i, i + 200).map((item) => ({ ...item, run_id: run.id })))
        .execute();
    }
  });
}

/** Not published yet, or failed for now: due again at `runAt`. */
export async function rescheduleRun(
  db: Kysely<Database>,
  run: ReconciliationRun,
  change: { state: 'due' | 'not_ready'; runAt: number; error: string; attempts: number },
  now: number,
): Promise<void> {
  await db
    .transaction()
    .execute((trx) => updateLeased(trx, run, now, { state: change.state, run_at: change.runAt, last_error: change.error, attempts: change.attempts }));
}

/** Out of retries: failed, and shown so (a re-run from the CLI starts it again). */
export async function failRun(db: Kysely<Database>, run: ReconciliationRun, error: string, attempts: number, now: number): Promise<void> {
  await db.transaction().execute((trx) => updateLeased(trx, run, now, { state: 'failed', last_error: error, attempts, finished_at: now }));
}

export async function itemsOf(db: Kysely<Database>, runId: number): Promise<ReconciliationItem[]> {
  const rows = await db.selectFrom('reconciliation_items').selectAll().where('run_id', '=', runId).orderBy('id').execute();
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    run_id: Number(row.run_id),
    transaction_seq: row.transaction_seq === null ? null : Number(row.transaction_seq),
  }));
}

/** Raw SQL answers bigint columns as numbers on PostgreSQL already; SQLite's are numbers too. This keeps ids numeric on both. */
function normalise(row: ReconciliationRun): ReconciliationRun {
  return { ...row, id: Number(row.id), attempts: Number(row.attempts), run_at: Number(row.run_at) };
}

export interface ReconciliationGauges {
  /** Items per class of each (provider, mode)'s latest reconciled day, summed over its accounts. */
  readonly items: ReadonlyArray<{ provider: string; mode: string; class: string; count: number }>;
  readonly runs: ReadonlyArray<{ state: string; count: number }>;
}

/** What the reconciliation gauges show, read at scrape time (observability/metrics.ts). */
export async function readReconciliationGauges(db: Kysely<Database>): Promise<ReconciliationGauges> {
  const runs = await db
    .selectFrom('reconciliation_runs')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
    .groupBy('state')
    .execute();
  const latest = await db
    .selectFrom('reconciliation_runs')
    .select((eb) => ['provider', 'mode', eb.fn.max('day').as('day')])
    .where('state', '=', 'done')
    .groupBy(['provider', 'mode'])
    .execute();
  const items = new Map<string, { provider: string; mode: string; class: string; count: number }>();
  for (const { provider, mode, day } of latest) {
    const summaries = await db
      .selectFrom('reconciliation_runs')
      .select('summary')
      .where('provider', '=', provider)
      .where('mode', '=', mode)
      .where('day', '=', day)
      .where('state', '=', 'done')
      .execute();
    for (const { summary } of summaries) {
      const counts = (JSON.parse(summary ?? '{}') as { counts?: Record<string, number> }).counts ?? {};
      for (const [cls, count] of Object.entries(counts)) {
        const key = `${provider}\u0000${mode}\u0000${cls}`;
        const entry = items.get(key) ?? { provider, mode, class: cls, count: 0 };
        entry.count += count;
        items.set(key, entry);
      }
    }
  }
  return { items: [...items.values()], runs: runs.map((row) => ({ state: row.state, count: Number(row.count) })) };
}
