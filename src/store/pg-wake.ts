/**
 * Job wake-ups between processes on PostgreSQL: a process that enqueued jobs
 * sends NOTIFY on one channel after its commit, and every process with a
 * worker LISTENs on a connection of its own and claims at once instead of
 * waiting for its next poll. The poll stays as the fallback: a notification
 * lost while the listener reconnects costs one poll interval, nothing more.
 */
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export const JOBS_CHANNEL = 'cancan_jobs';

interface WakeLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Sends NOTIFY after jobs were enqueued, coalesced: at most one in flight per
 * process; enqueues meanwhile make one more once it is done (a worker that
 * wakes claims everything due, so one notification covers many jobs).
 */
export class JobNotifier {
  private inFlight = false;
  private again = false;

  constructor(private readonly db: Kysely<Database>) {}

  jobEnqueued(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.send();
  }

  private send(): void {
    this.inFlight = true;
    this.again = false;
    sql`select pg_notify(${JOBS_CHANNEL}, '')`
      .execute(this.db)
      // Undelivered, the workers find the job at their next poll.
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = false;
        if (this.again) this.send();
      });
  }
}

export interface JobListenerOptions {
  readonly databaseUrl: string;
  /** A notification arrived, or the listener (re)connected and may have missed some. */
  readonly onWake: () => void;
  readonly log: WakeLog;
  readonly retryMs: number;
}

/** LISTENs on a dedicated connection; reconnects after an outage (meanwhile the worker polls). */
export class JobListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private lost = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private connected = false;

  constructor(private readonly options: JobListenerOptions) {}

  /** Whether notifications reach this process now. */
  get listening(): boolean {
    return this.connected;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true });
    this.client = client;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      this.connected = false;
      void client.end().catch(() => undefined);
      this.retryLater(error);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === JOBS_CHANNEL) this.options.onWake();
    });
    try {
      await client.connect();
      await client.query(`listen ${JOBS_CHANNEL}`);
    } catch (error) {
      fail(error);
      return;
    }
    if (this.stopped || failed) return void client.end().catch(() => undefined);
    this.connected = true;
    if (this.lost) this.options.log.info({ channel: JOBS_CHANNEL }, 'job wake-ups by LISTEN/NOTIFY work again');
    this.lost = false;
    // Jobs enqueued while nobody listened: claim now rather than at the next poll.
    this.options.onWake();
  }

  private retryLater(error: unknown): void {
    if (this.stopped) return;
    if (!this.lost) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.log.warn({ channel: JOBS_CHANNEL, reason }, 'job wake-ups by LISTEN/NOTIFY lost; polling until the listener reconnects');
    }
    this.lost = true;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.options.retryMs);
    this.retryTimer.unref();
  }
}
