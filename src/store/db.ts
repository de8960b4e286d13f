/**
 * Opens the store: PostgreSQL when DATABASE_URL is set, else SQLite in the
 * data dir. Also tells an unreachable database from other errors, and watches
 * its availability (DatabaseWatch) so a process rides out an outage instead
 * of exiting.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type DatabaseConnection, type Driver, Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { type HTTP_THREAD, type PROCESSING_THREAD, WriteLock } from './write-lock.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Cheap round trip, for health checks. */
  ping(): Promise<void>;
  /** SQLite: copies the WAL into the database file (PASSIVE never waits for a writer; TRUNCATE also empties the WAL). PostgreSQL: nothing. */
  checkpoint?(mode: 'PASSIVE' | 'TRUNCATE'): void;
  close(): Promise<void>;
}

export interface StoreOptions {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly poolSize?: number;
  /**
   * SQLite: false turns the checkpoint a commit runs every 1000 WAL pages off, so no
   * request pays for one; the caller then runs checkpoint() off the request path (store/checkpoints.ts).
   */
  readonly autoCheckpoint?: boolean;
  /** SQLite: the write lock shared with the other thread that writes, and which of the two this is (store/write-lock.ts). */
  readonly writeLock?: { readonly memory: SharedArrayBuffer; readonly holder: typeof HTTP_THREAD | typeof PROCESSING_THREAD };
}

/**
 * SQLite transactions take the write lock when they begin (BEGIN IMMEDIATE):
 * with two connections writing (the API's and the processing thread's), a
 * transaction that read first and then writes would otherwise fail with
 * SQLITE_BUSY_SNAPSHOT instead of waiting; this way busy_timeout covers the wait.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly lock: WriteLock | null,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const lock = this.lock;
    const begin = async (connection: DatabaseConnection) => void (await connection.executeQuery(CompiledQuery.raw('begin immediate')));
    if (!lock) {
      driver.beginTransaction = begin;
      return driver;
    }
    // One connection runs one transaction at a time (kysely's mutex): `held` is that transaction's.
    let held = false;
    const release = () => {
      if (held) lock.release();
      held = false;
    };
    const { commitTransaction, rollbackTransaction } = driver;
    driver.beginTransaction = async (connection) => {
      await lock.acquire();
      held = true;
      try {
        await begin(connection);
      } catch (error) {
        release();
        throw error;
      }
    };
    driver.commitTransaction = async (connection) => {
      await commitTransaction.call(driver, connection);
      // A failed commit is rolled back by kysely, which releases then.
      release();
    };
    driver.rollbackTransaction = async (connection) => {
      try {
        await rollbackTransaction.call(driver, connection);
      } finally {
        release();
      }
    };
    return driver;
  }
}

// BIGINT columns hold epoch milliseconds and minor-unit amounts, all safe integers.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

/** How often a process retries an unreachable database (and its migrations); also the Retry-After of the 503s meanwhile. */
export const DATABASE_RETRY_MS = 2_000;

/** How long a query waits for a pooled connection (or a new one to open) before failing. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A pg client that says why it failed. pg emits 'error' on a client whose
 * backend went away (57P01 terminated, "Connection terminated unexpectedly")
 * and then refuses every query with a bare "not queryable"; this client
 * answers those queries with the original error instead. Its ROLLBACK on a
 * dead connection succeeds (the server rolled the transaction back when the
 * connection ended), so the error that explains what happened is the one
 * that reaches the caller. Listening to 'error' also keeps a checked-out
 * client's error from crashing the process (the pool listens only while a
 * client is idle).
 */
class PgClient extends pg.Client {
  private lostWith: Error | null = null;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', (error: Error) => (this.lostWith ??= error));
  }

  // pg's query() has many overloads; this forwards them all unchanged.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- forwards pg's overloads unchanged
  override query(...args: any[]): any {
    const result: unknown = (super.query as (...forwarded: unknown[]) => unknown)(...args);
    if (!(result instanceof Promise)) return result;
    const rollback = typeof args[0] === 'string' && /^\s*rollback\s*$/i.test(args[0]);
    return result.catch((error: unknown) => {
      const cause = this.lostWith && error instanceof Error && /not queryable/.test(error.message) ? this.lostWith : error;
      if (rollback && isDatabaseUnavailableError(cause)) return { command: 'ROLLBACK', rowCount: null, rows: [], fields: [], oid: 0 };
      throw cause;
    });
  }
}

export function openStore(options: StoreOptions): Store {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      Client: PgClient,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Notices a server that vanished without closing the connection (host down, network cut).
      keepAlive: true,
    });
    // An idle client losing its connection must not crash the process (checked-out ones: see PgClient).
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      ping: async () => void (await sql`select 1`.execute(db)),
      close: () => db.destroy(),
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = new BetterSqlite3(join(options.dataDir, 'cancan.sqlite'));
  file.pragma('journal_mode = WAL');
  // FULL: an acknowledged transaction survives power loss, not only a crash.
  file.pragma('synchronous = FULL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  if (options.autoCheckpoint === false) file.pragma('wal_autocheckpoint = 0');
  const lock = options.writeLock ? new WriteLock(options.writeLock.memory, options.writeLock.holder) : null;
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(file) }, lock) });
  return {
    db,
    dialect: 'sqlite',
    ping: async () => void (await sql`select 1`.execute(db)),
    checkpoint: (mode) => void file.pragma(`wal_checkpoint(${mode})`),
    close: () => db.destroy(),
  };
}

// Socket errors, and PostgreSQL's: 57P01-03 shutdown / crash / starting up, 3D000 no such database,
// 53300 too many connections, 28000/28P01 refused login, class 08 connection exceptions.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '3D000',
  '53300',
  '28000',
  '28P01',
  // A lock held past busy_timeout. Only a suspicion: the watch then pings (a read, which WAL never blocks),
  // so a writer that merely waited long (the other thread's transaction) is no outage.
  'SQLITE_BUSY',
]);
// pg's own errors carry no code.
const UNAVAILABLE_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end/i;

/** Whether an error means "the database cannot be reached now" (retry later), not a bug or bad data. */
export function isDatabaseUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** A short reason for a log line: the code and message (pg messages hold no password or URL). */
export function describeDatabaseError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || error.constructor.name;
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

interface WatchLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DatabaseWatchOptions {
  readonly store: Store;
  readonly log: WatchLog;
  /** Brings the schema up to date; runs at start and again whenever the database comes back. */
  readonly prepare: () => Promise<void>;
  readonly retryMs: number;
  /** Longest a health ping may take before it counts as a failure. */
  readonly pingTimeoutMs?: number;
}

/**
 * Whether the database can be used: migrated at start, then reachable. An
 * outage is logged once when it starts and once when it ends; meanwhile the
 * watch retries (`prepare`, which also runs the migrations) every `retryMs`.
 */
export class DatabaseWatch {
  private state: 'starting' | 'available' | 'unavailable' = 'starting';
  private prepared = false;
  private problem: string | null = null;
  private verifying = false;
  private stopped = false;
  private wakeRetry: (() => void) | null = null;
  private recovery: Promise<void> | null = null;

  constructor(private readonly options: DatabaseWatchOptions) {}

  /** Migrated and, as far as this process knows, reachable. */
  get available(): boolean {
    return this.state === 'available';
  }

  /** The migrations have run (or were found current) in this process at least once. */
  get migrated(): boolean {
    return this.prepared;
  }

  /** Runs `prepare` until it succeeds; resolves then (never, if stopped first). */
  async start(): Promise<void> {
    if (this.state !== 'available') await this.recover();
    if (!this.prepared) await new Promise<never>(() => undefined);
  }

  /** Runs `prepare` once: for callers that want a failure at once rather than retries. */
  async prepareOnce(): Promise<void> {
    await this.options.prepare();
    this.prepared = true;
    this.state = 'available';
  }

  /**
   * Hears about an error of any database call. An unreachable-kind error is
   * checked with a ping first, so one terminated connection is not an outage.
   */
  report(error: unknown): void {
    if (isDatabaseUnavailableError(error)) this.suspect();
  }

  /** One small query, for readiness probes; a failure starts the outage handling. */
  async check(): Promise<boolean> {
    if (this.state !== 'available') return false;
    try {
      await this.ping();
      return true;
    } catch {
      this.suspect();
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
    this.wakeRetry?.();
  }

  private ping(): Promise<void> {
    const timeoutMs = this.options.pingTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.options.store.ping(), timeout]).finally(() => clearTimeout(timer));
  }

  private suspect(): void {
    if (this.state !== 'available' || this.verifying) return;
    this.verifying = true;
    void this.confirmOutage().finally(() => (this.verifying = false));
  }

  /**
   * Two pings: the first may pick a pooled connection that died with the
   * others (terminated backends) before the pool noticed; the second then
   * opens a fresh one. Both failing is an outage.
   */
  private async confirmOutage(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.ping();
      } catch (error) {
        if (attempt >= 1) return this.lose(error);
      }
    }
  }

  private lose(error: unknown): void {
    if (this.state !== 'available' || this.stopped) return;
    this.state = 'unavailable';
    void this.recover(error);
  }

  private recover(firstError?: unknown): Promise<void> {
    this.recovery ??= this.retryUntilPrepared(firstError).finally(() => (this.recovery = null));
    return this.recovery;
  }

  private async retryUntilPrepared(firstError: unknown): Promise<void> {
    const { log, retryMs } = this.options;
    const seconds = retryMs / 1000;
    if (firstError !== undefined) this.note(firstError, seconds);
    while (!this.stopped) {
      try {
        await this.options.prepare();
        this.prepared = true;
        this.state = 'available';
        if (this.problem !== null) log.info({ database: this.options.store.dialect }, 'database reachable again; migrations are current');
        this.problem = null;
        return;
      } catch (error) {
        if (this.state === 'available') this.state = 'unavailable';
        this.note(error, seconds);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        this.wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRetry = null;
    }
  }

  /** Logs the start of an outage once; a new reason during it gets one quieter line. */
  private note(error: unknown, seconds: number): void {
    const reason = describeDatabaseError(error);
    if (reason === this.problem) return;
    const first = this.problem === null;
    this.problem = reason;
    if (!first) return this.options.log.warn({ reason }, `database still unavailable, now: ${reason}`);
    const what = isDatabaseUnavailableError(error) || /no answer within/.test(reason) ? 'database unreachable' : 'database not ready';
    this.options.log.error({ reason }, `${what}: ${reason}; retrying every ${seconds}s`);
  }
}

/**
 * kysely prepares every query anew; preparing costs about as much as running
 * a small statement. Statements are kept by SQL text (a bounded set: the
 * queries are the code's own, parameters are bound, not inlined). Nothing
 * streams rows (`iterate`), so a statement is never busy when reused.
 */
function withStatementCache(file: BetterSqlite3.Database, max = 512): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => file.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (!statement) {
        statement = file.prepare(text);
        if (statements.size >= max) statements.delete(statements.keys().next().value as string);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}
