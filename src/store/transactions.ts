/** Reads and writes of transaction rows, their events and their jobs. */
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { type Failure } from '../domain/failures.js';
import type { KeyMode } from '../domain/secrets.js';
import { type TransactionState, assertTransition } from '../domain/states.js';
import type { Database, TransactionsTable } from './schema.js';
import type { Dialect } from './db.js';

export type TransactionRow = Selectable<TransactionsTable>;
export type NewTransaction = Insertable<TransactionsTable>;
type Writable = Omit<Updateable<TransactionsTable>, 'seq' | 'state' | 'version' | 'failure_code' | 'failure_detail' | 'finalized_at'>;
type Db = Kysely<Database> | Transaction<Database>;

/** Another writer changed the row since it was read; the caller re-reads and decides again. */
export class VersionConflict extends Error {
  constructor(seq: number) {
    super(`transaction ${seq} changed concurrently`);
  }
}

/** A transaction by the id the POS gave, in one mode: the other mode's rows are another world. */
export async function findByClientId(db: Db, merchantId: string, mode: KeyMode, clientId: string): Promise<TransactionRow | undefined> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('mode', '=', mode)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

/** A POS transaction by the id the POS gave (hosted-checkout rows are invisible to the POS API). */
export async function findPosTransaction(db: Db, merchantId: string, mode: KeyMode, clientId: string): Promise<TransactionRow | undefined> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('mode', '=', mode)
    .where('client_id', '=', clientId)
    .where('channel', '=', 'pos')
    .executeTakeFirst();
}

/** Loads a row for update: on PostgreSQL the row is locked until the transaction ends (SQLite serialises writers). */
export async function lockByClientId(
  trx: Transaction<Database>,
  dialect: Dialect,
  merchantId: string,
  mode: KeyMode,
  clientId: string,
): Promise<TransactionRow | undefined> {
  const query = trx.selectFrom('transactions').selectAll().where('merchant_id', '=', merchantId).where('mode', '=', mode).where('client_id', '=', clientId);
  return (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
}

export async function findBySeq(db: Db, seq: number): Promise<TransactionRow | undefined> {
  return db.selectFrom('transactions').selectAll().where('seq', '=', seq).executeTakeFirst();
}

/** A row created, or moved to a final state, inside a database transaction (counted once it commits). */
export interface RowChange {
  readonly kind: 'created' | 'finalised';
  readonly row: TransactionRow;
}

// Keyed by the database transaction, so a rolled-back one's changes are simply never read.
const changesByTrx = new WeakMap<Transaction<Database>, RowChange[]>();

function noteChange(trx: Transaction<Database>, change: RowChange): void {
  const changes = changesByTrx.get(trx);
  if (changes) changes.push(change);
  else changesByTrx.set(trx, [change]);
}

/** The rows `trx` created and finalised so far; the caller reports them after the commit (see observability/transact.ts). */
export function takeRowChanges(trx: Transaction<Database>): readonly RowChange[] {
  const changes = changesByTrx.get(trx) ?? [];
  changesByTrx.delete(trx);
  return changes;
}

export async function insertTransaction(trx: Transaction<Database>, row: NewTransaction): Promise<TransactionRow> {
  return noteCreated(trx, await trx.insertInto('transactions').values(row).returningAll().executeTakeFirstOrThrow());
}

function noteCreated(trx: Transaction<Database>, inserted: TransactionRow): TransactionRow {
  noteChange(trx, { kind: 'created', row: inserted });
  // A transaction refused at once (a malformed code, a void of an unknown sale) is born final.
  if (inserted.state !== 'pending') noteChange(trx, { kind: 'finalised', row: inserted });
  return inserted;
}

type NewEvent = Insertable<Database['transaction_events']>;

// Events a database transaction holds back to write in one statement (see holdEvents).
const heldEvents = new WeakMap<object, NewEvent[]>();

/** Holds the events added in `trx` until `flushEvents`, which writes them in one statement. */
export function holdEvents(trx: Transaction<Database>): void {
  heldEvents.set(trx, []);
}

/** Writes the events `trx` held, oldest first, in one multi-row insert. */
export async function flushEvents(trx: Transaction<Database>): Promise<void> {
  const events = heldEvents.get(trx) ?? [];
  heldEvents.delete(trx);
  if (events.length > 0) await trx.insertInto('transaction_events').values(events).execute();
}

/** Forgets the events `trx` held (its write failed, or they were written). */
export function dropHeldEvents(trx: Transaction<Database>): void {
  heldEvents.delete(trx);
}

/**
 * Inserts a POS row unless its (merchant, mode, client id) is taken, by a
 * committed row or one earlier in the same transaction: no pre-select, the
 * unique constraint decides. Undefined: the id is taken (a replay or a conflict).
 */
export async function insertTransactionIfNew(trx: Transaction<Database>, row: NewTransaction): Promise<TransactionRow | undefined> {
  const inserted = await trx
    .insertInto('transactions')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'mode', 'client_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted && noteCreated(trx, inserted);
}

export async function addEvent(db: Db, seq: number, at: number, kind: string, data: object): Promise<void> {
  const event = { transaction_seq: seq, at, kind, data: JSON.stringify(data) };
  const held = heldEvents.get(db);
  if (held) held.push(event);
  else await db.insertInto('transaction_events').values(event).execute();
}

export async function enqueueJob(db: Db, seq: number, runAt: number, now: number): Promise<void> {
  await db.insertInto('jobs').values({ transaction_seq: seq, run_at: runAt, attempts: 0, created_at: now }).execute();
}

/** A job's lease as a step holds it: writes on the step's behalf need it still held at `now`. */
export interface LeaseFence {
  readonly jobId: number;
  readonly owner: string | null;
  readonly now: number;
  /** Set once a fenced write has proven the lease held. */
  held: boolean;
}

const fences = new WeakMap<Transaction<Database>, LeaseFence>();

/**
 * Makes every `updateTransaction` of `trx` write only while the job's lease
 * is held, checked in the update itself (no separate lease read). A fenced
 * update that finds nothing throws VersionConflict: the caller tells a lost
 * lease from a changed row. `null` lifts the fence.
 */
export function fenceByLease(trx: Transaction<Database>, fence: LeaseFence | null): void {
  if (fence) fences.set(trx, fence);
  else fences.delete(trx);
}

/**
 * Updates a row if it is still at the version that was read, optionally moving
 * it to a final state (checked against the transition table). Records the
 * state change as an event. A typed row (typed-transactions.ts) takes only
 * its own kind's steps and comes back typed.
 */
export async function updateTransaction<R extends TransactionRow>(
  trx: Transaction<Database>,
  row: R,
  now: number,
  patch: Omit<Writable, 'step'> & { step?: R['step'] },
  final?: { state: Exclude<TransactionState, 'pending'>; failure?: Failure },
): Promise<R> {
  const finalFields = final
    ? {
        state: final.state,
        failure_code: final.failure?.code ?? null,
        failure_detail: final.failure?.detail ?? null,
        finalized_at: now,
        step: 'done' as const,
        auth_code_sealed: null,
      }
    : {};
  if (final) assertTransition(row.state, final.state);
  // An open outcome belongs to its step: moving on or ending clears it and any attention mark (jobs/attention.ts).
  const settled = final !== undefined || (patch.step !== undefined && patch.step !== row.step);
  const cleared = settled ? { retrying_since: null, needs_attention_since: null } : {};
  const fence = fences.get(trx);
  const updated = await trx
    .updateTable('transactions')
    .set({ ...patch, ...finalFields, ...cleared, updated_at: now, version: row.version + 1 })
    .where('seq', '=', row.seq)
    .where('version', '=', row.version)
    .$if(fence !== undefined, (query) =>
      query.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('jobs')
            .select('jobs.id')
            .where('jobs.id', '=', fence?.jobId ?? null)
            .where('jobs.lease_owner', '=', fence?.owner ?? null)
            .where('jobs.lease_until', '>', fence?.now ?? null),
        ),
      ),
    )
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new VersionConflict(row.seq);
  if (fence) fence.held = true;
  if (final) {
    noteChange(trx, { kind: 'finalised', row: updated });
    await addEvent(trx, row.seq, now, 'state_changed', {
      from: row.state,
      to: final.state,
      ...(final.failure ? { failure_code: final.failure.code, failure_detail: final.failure.detail } : {}),
    });
  }
  // The row keeps its kind: a typed row's patch could only name its own kind's steps, and `done` ends every kind.
  return { ...row, ...updated };
}

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
