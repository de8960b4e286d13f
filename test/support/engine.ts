/**
 * The processing engine on its own: the real store, job queue and step code
 * on an in-memory SQLite database, with a fake clock and a scripted provider.
 * No HTTP server, no simulator. Transactions are made by the real operations
 * (POS create, CHOP charge, refund, cancel, card payment), and jobs are
 * claimed and run one step at a time by the test.
 */
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import { payByCard } from '../../src/chop/card-payment.js';
import { createCharge } from '../../src/chop/charges.js';
import { paymentMethod } from '../../src/chop/methods.js';
import { chopStep } from '../../src/chop/process.js';
import { requestCancel, requestRefund } from '../../src/chop/refunds.js';
import { loadConfig } from '../../src/config.js';
import { createTransaction } from '../../src/core/create-transaction.js';
import type { CoreDeps, Logger } from '../../src/core/deps.js';
import { Notifier } from '../../src/core/notifier.js';
import { processJob } from '../../src/core/process.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { type Job, claimDueJobs } from '../../src/jobs/queue.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { CardDetails } from '../../src/providers/contract.js';
import type { Store } from '../../src/store/db.js';
import { type Merchant, createApiKey, createMerchant } from '../../src/store/merchants.js';
import { migrate } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/schema.js';
import { type TransactionRow, findBySeq } from '../../src/store/transactions.js';
import { Lookups } from '../../src/store/lookups.js';
import { FakeClock } from './fake-clock.js';
import { ScriptedProvider } from './fake-adapter.js';

/** The engine's timing in these tests (set through the ordinary settings). */
export const POLL_MS = 1_000;
export const CONFIRM_WINDOW_MS = 10_000;
export const PROVIDER_TIMEOUT_MS = 5_000;
export const LEASE_MS = 30_000;
export const CHECKOUT_EXPIRY_MS = 60_000;
/** The long cadence of a transaction that needs attention. */
export const ATTENTION_MS = 3_600_000;

export const POS_GATEWAY = 'wechatpay_cn_domestic';
export const AUTH_CODE = '134567890123456789';
export const TEST_CARD: CardDetails = { number: '4111111111111111', expiry: '1230', cvc: '123', name: 'Test Shopper', postalCode: '10001' };

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string | undefined;
  readonly fields: object;
}

export interface EngineWorld {
  readonly clock: FakeClock;
  readonly provider: ScriptedProvider;
  readonly deps: CoreDeps;
  readonly merchant: Merchant;
  readonly logs: LogLine[];
  close(): Promise<void>;
}

let migratedImage: Buffer | null = null;

/** A migrated, empty database image, made once per process (each world opens its own copy). */
async function migratedDatabase(): Promise<Buffer> {
  if (migratedImage) return migratedImage;
  const file = new BetterSqlite3(':memory:');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  await migrate(db, 'sqlite');
  migratedImage = file.serialize();
  await db.destroy();
  return migratedImage;
}

/** Hears every statement the store executes (begin and commit included), before it runs. */
export type StatementHook = (sql: string) => void;

/** The database as Kysely sees it, telling `hook` of each statement it executes. */
function tracing(file: BetterSqlite3.Database, hook: StatementHook): SqliteDatabase {
  return {
    close: () => file.close(),
    prepare(text: string) {
      const statement = file.prepare(text);
      return {
        reader: statement.reader,
        all: (parameters: readonly unknown[]) => (hook(text), statement.all(parameters)),
        run: (parameters: readonly unknown[]) => (hook(text), statement.run(parameters)),
        iterate: (parameters: readonly unknown[]) => (hook(text), statement.iterate(parameters)),
      };
    },
  };
}

async function memoryStore(hook?: StatementHook): Promise<Store> {
  const file = new BetterSqlite3(await migratedDatabase());
  file.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: hook ? tracing(file, hook) : file }) });
  return { db, dialect: 'sqlite', ping: async () => void (await sql`select 1`.execute(db)), close: () => db.destroy() };
}

function collectingLogger(lines: LogLine[]): Logger {
  return {
    info: (fields, msg) => void lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => void lines.push({ level: 'warn', msg, fields }),
    error: (fields, msg) => void lines.push({ level: 'error', msg, fields }),
  };
}

export async function createEngineWorld(options: { onStatement?: StatementHook } = {}): Promise<EngineWorld> {
  const clock = new FakeClock();
  const provider = new ScriptedProvider(clock, PROVIDER_TIMEOUT_MS);
  const store = await memoryStore(options.onStatement);
  const config = loadConfig({
    // Never written: the scripted provider needs no sandbox keys, and the database lives in memory.
    CANCAN_DATA_DIR: '/nonexistent/cancan-engine-test',
    CANCAN_POLL_INTERVAL_MS: String(POLL_MS),
    CANCAN_CONFIRM_WINDOW_MS: String(CONFIRM_WINDOW_MS),
    CANCAN_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
    CANCAN_JOB_LEASE_MS: String(LEASE_MS),
    CANCAN_CHECKOUT_EXPIRY_MS: String(CHECKOUT_EXPIRY_MS),
    CANCAN_ATTENTION_RETRY_MS: String(ATTENTION_MS),
  });
  const logs: LogLine[] = [];
  const deps: CoreDeps = {
    store,
    clock,
    secrets: new SecretBox(randomBytes(32)),
    adapters: provider.source(),
    lookups: new Lookups(store.db),
    notifier: new Notifier(),
    config,
    log: collectingLogger(logs),
    metrics: new Metrics(),
    publicUrl: () => 'http://127.0.0.1:1',
    simulatorUrl: () => 'http://127.0.0.1:1',
    resolveHost: async () => ['127.0.0.1'],
    // No jitter: retry waits are exactly the policy's.
    random: () => 0,
  };
  const gateways = [POS_GATEWAY, 'alipay', 'wechatpay', 'cc'];
  const merchant = await createMerchant(store.db, { name: 'Engine Shop', timezone: 'UTC', gateways, now: clock.now() });
  return { clock, provider, deps, merchant, logs, close: () => store.close() };
}

// ─── Making transactions through the real operations ─────────────────────────

let clientIds = 0;
const nextClientId = (prefix: string) => `${prefix}-${++clientIds}`;
const noAttributes = { description: 'Engine test', pos_id: null, mch_level_1: null, mch_level_2: null, mch_level_3: null };

export async function createSale(w: EngineWorld, amount = 1_000): Promise<TransactionRow> {
  const { row } = await createTransaction(
    w.deps,
    { merchant: w.merchant, mode: 'test' },
    {
      type: 'sale',
      id: nextClientId('sale'),
      attributes: { ...noAttributes, payment_gateway: POS_GATEWAY, payment_auth_key: AUTH_CODE, amount, currency: 'CNY' },
    },
  );
  return row;
}

export async function createVoid(w: EngineWorld, sale: TransactionRow): Promise<TransactionRow> {
  const { row } = await createTransaction(
    w.deps,
    { merchant: w.merchant, mode: 'test' },
    { type: 'void', id: nextClientId('void'), attributes: { ...noAttributes, sale: sale.client_id } },
  );
  return row;
}

export async function createRefund(w: EngineWorld, sale: TransactionRow, amount: number): Promise<TransactionRow> {
  const { row } = await createTransaction(
    w.deps,
    { merchant: w.merchant, mode: 'test' },
    { type: 'refund', id: nextClientId('refund'), attributes: { ...noAttributes, sale: sale.client_id, amount } },
  );
  return row;
}

async function chopCaller(w: EngineWorld) {
  const key = await createApiKey(w.deps.store.db, w.deps.secrets, { merchantId: w.merchant.id, mode: 'test', now: w.clock.now() });
  return { merchant: w.merchant, mode: 'test' as const, keyId: key.id };
}

/** A hosted-checkout charge: `alipay` pays by QR, `cc` by card. */
export async function createChopCharge(w: EngineWorld, methodCode: 'alipay' | 'cc', amount = 2_500): Promise<TransactionRow> {
  const method = paymentMethod(methodCode);
  if (!method) throw new Error(`no payment method ${methodCode}`);
  const { row } = await createCharge(w.deps, await chopCaller(w), {
    method,
    amount,
    currency: 'USD',
    reference: nextClientId('order'),
    ipnUrl: null,
    callbackUrlSuccess: null,
    callbackUrlFail: null,
    mobileResultUrl: null,
    ext: null,
    allowDuplicates: false,
    extras: {},
  });
  return row;
}

export async function createChopRefund(w: EngineWorld, charge: TransactionRow, amount: number): Promise<TransactionRow> {
  const decision = await requestRefund(w.deps, { merchant: w.merchant, mode: 'test' }, { charge: { id: charge.ref }, amount, currency: 'USD', reason: null });
  if (!decision?.ok) throw new Error(`refund refused: ${JSON.stringify(decision)}`);
  return decision.refund;
}

export async function createChopCancel(w: EngineWorld, charge: TransactionRow): Promise<TransactionRow> {
  const decision = await requestCancel(w.deps, { merchant: w.merchant, mode: 'test' }, { charge: { id: charge.ref }, reason: null });
  if (!decision?.ok) throw new Error(`cancel refused: ${JSON.stringify(decision)}`);
  return decision.cancel;
}

/** The card form's submission, as the payment page makes it (the one provider call outside a job). */
export async function submitCard(w: EngineWorld, charge: TransactionRow): Promise<TransactionRow> {
  return payByCard(w.deps, (await findBySeq(w.deps.store.db, charge.seq)) ?? charge, TEST_CARD);
}

// ─── Jobs ────────────────────────────────────────────────────────────────────

export const WORKER_A = 'worker-a';
export const WORKER_B = 'worker-b';

/** The transaction's job that has not ended, if any. */
export async function openJob(w: EngineWorld, seq: number): Promise<Job | undefined> {
  return w.deps.store.db
    .selectFrom('jobs')
    .selectAll()
    .where('transaction_seq', '=', seq)
    .where('kind', '=', 'transaction')
    .where('done_at', 'is', null)
    .executeTakeFirst();
}

/** When the transaction's latest job ended (null: it has not). */
export async function lastJobEnd(w: EngineWorld, seq: number): Promise<number | null | undefined> {
  const job = await w.deps.store.db
    .selectFrom('jobs')
    .select('done_at')
    .where('transaction_seq', '=', seq)
    .where('kind', '=', 'transaction')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return job?.done_at;
}

/** Claims the transaction's job as a worker would; the job must be due now and be the only one due. */
export async function claim(w: EngineWorld, seq: number, owner = WORKER_A): Promise<Job> {
  const claimed = await claimDueJobs(w.deps.store.db, 'sqlite', owner, w.clock.now(), LEASE_MS, 10);
  const [job, ...others] = claimed;
  if (!job || others.length > 0 || job.transaction_seq !== seq) {
    throw new Error(`expected the job of transaction ${seq} alone to be due at ${w.clock.now()}, claimed ${JSON.stringify(claimed)}`);
  }
  return job;
}

/** Runs one step of a claimed job, as the worker does. */
export function runClaimed(w: EngineWorld, job: Job): Promise<void> {
  return processJob(w.deps, job, {
    chopStep,
    deliverNotification: async () => {
      throw new Error('engine tests make no notifications');
    },
  });
}

/** Moves the clock to the job's run_at (never back), claims it and runs one step. */
export async function runDueStep(w: EngineWorld, seq: number, owner = WORKER_A): Promise<void> {
  const job = await openJob(w, seq);
  if (!job) throw new Error(`transaction ${seq} has no open job`);
  w.clock.advanceTo(job.run_at);
  await runClaimed(w, await claim(w, seq, owner));
}

/** Waits (on the event loop, not on time) until `condition` holds. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; turns < 10_000; turns++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export async function row(w: EngineWorld, seq: number): Promise<TransactionRow> {
  const found = await findBySeq(w.deps.store.db, seq);
  if (!found) throw new Error(`no transaction ${seq}`);
  return found;
}

/** The transaction's history rows, oldest first: events and provider attempts, by kind and call. */
export async function historyOf(w: EngineWorld, seq: number): Promise<{ events: string[]; attempts: string[] }> {
  const events = await w.deps.store.db.selectFrom('transaction_events').select('kind').where('transaction_seq', '=', seq).orderBy('id').execute();
  const attempts = await w.deps.store.db.selectFrom('provider_attempts').select(['call', 'outcome']).where('transaction_seq', '=', seq).orderBy('id').execute();
  return { events: events.map((e) => e.kind), attempts: attempts.map((a) => `${a.call}:${a.outcome}`) };
}

/** Provider calls recorded in the transaction's history. */
export async function recordedCalls(w: EngineWorld, seq: number): Promise<number> {
  // Identical repeated calls share one attempt row; its repeat count says how many calls it stands for.
  const result = await w.deps.store.db
    .selectFrom('provider_attempts')
    .select((eb) => eb.fn.sum<number>('repeat_count').as('n'))
    .where('transaction_seq', '=', seq)
    .executeTakeFirstOrThrow();
  return Number(result.n ?? 0);
}
