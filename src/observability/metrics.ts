/**
 * Prometheus metrics of one process (prom-client), exposed at /metrics (see
 * metrics-server.ts). Counters are bumped where things happen: HTTP answers
 * (http/observability.ts), rows created and finalised once their database
 * transaction commits (transact.ts), provider calls as they return, IPN
 * attempts. The job queue gauges, and the count of transactions that need
 * attention, are read from the database at scrape time.
 */
import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KeyMode } from '../domain/secrets.js';
import type { ProviderTrace } from '../providers/contract.js';
import type { Database, JobKind } from '../store/schema.js';
import type { RowChange } from '../store/transactions.js';
import { type ReconciliationGauges, readReconciliationGauges } from '../store/reconciliation.js';

export type IpnOutcome = 'delivered' | 'failed' | 'given_up';

/** Label of requests that matched no route: raw URLs would make a series per scanner probe. */
export const UNMATCHED_ROUTE = 'unmatched';

const JOB_KINDS: readonly JobKind[] = ['transaction', 'notification'];
const MODES: readonly KeyMode[] = ['test', 'live'];
/** A scrape must answer even when the database does not. */
const QUEUE_QUERY_TIMEOUT_MS = 2_000;

interface QueueSource {
  readonly db: Kysely<Database>;
  readonly now: () => number;
}

interface QueueSnapshot {
  readonly due: ReadonlyMap<string, number>;
  readonly oldestRunAt: ReadonlyMap<string, number>;
  /** Pending transactions marked as needing attention, by mode. */
  readonly needingAttention: ReadonlyMap<string, number>;
  readonly at: number;
}

export class Metrics {
  readonly registry = new Registry();
  private queueSource: QueueSource | null = null;
  private queueRead: Promise<QueueSnapshot | null> | null = null;
  private reconciliationRead: Promise<ReconciliationGauges | null> | null = null;

  private readonly httpDuration = new Histogram({
    name: 'cancan_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  private readonly created = new Counter({
    name: 'cancan_transactions_created_total',
    help: 'Transactions created (committed), by type, gateway or payment method, channel and mode (test or live)',
    labelNames: ['type', 'gateway', 'channel', 'mode'] as const,
    registers: [this.registry],
  });
  private readonly finalised = new Counter({
    name: 'cancan_transactions_finalised_total',
    help: 'Transactions that reached a final state (committed), by type, gateway or payment method, state and mode (test or live)',
    labelNames: ['type', 'gateway', 'state', 'mode'] as const,
    registers: [this.registry],
  });
  private readonly providerDuration = new Histogram({
    name: 'cancan_provider_call_duration_seconds',
    help: 'Latency of provider HTTP calls',
    labelNames: ['provider', 'call'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers: [this.registry],
  });
  private readonly providerCalls = new Counter({
    name: 'cancan_provider_calls_total',
    help: 'Provider calls by outcome (paid, declined, unknown, awaiting_customer, reversed, …)',
    labelNames: ['provider', 'call', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly providerNotifications = new Counter({
    name: 'cancan_provider_notifications_total',
    help: "Providers' asynchronous notifications received: accepted, duplicate (a resend), refused",
    labelNames: ['provider', 'verdict'] as const,
    registers: [this.registry],
  });
  private readonly ipnDeliveries = new Counter({
    name: 'cancan_ipn_deliveries_total',
    help: 'IPN delivery attempts: delivered, failed (will retry), given_up (last attempt failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // The queue gauges come from one query per scrape (prom-client collects metrics concurrently).
    const snapshot = () => this.readQueueOnce();
    new Gauge({
      name: 'cancan_job_queue_up',
      help: '1 when this scrape could read the job queue, 0 when the query failed or timed out (its gauges are then absent)',
      registers: [this.registry],
      async collect() {
        this.set((await snapshot()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cancan_job_queue_depth',
      help: 'Jobs due and not done, by kind',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const queue = await snapshot();
        if (queue) for (const kind of JOB_KINDS) this.set({ kind }, queue.due.get(kind) ?? 0);
      },
    });
    new Gauge({
      name: 'cancan_job_queue_oldest_due_age_seconds',
      help: 'How long the oldest due job has been due, by kind (0 when none is due)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const queue = await snapshot();
        if (!queue) return;
        for (const kind of JOB_KINDS) {
          const runAt = queue.oldestRunAt.get(kind);
          this.set({ kind }, runAt === undefined ? 0 : Math.max(0, (queue.at - runAt) / 1000));
        }
      },
    });
    new Gauge({
      name: 'cancan_transactions_needing_attention',
      help: 'Pending transactions whose outcome stayed unknown past their retry deadline (still asked about, slowly), by mode',
      labelNames: ['mode'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const queue = await snapshot();
        if (queue) for (const mode of MODES) this.set({ mode }, queue.needingAttention.get(mode) ?? 0);
      },
    });
    // Reconciliation (src/reconcile/): the latest day's items per class, and runs by state; read at scrape time.
    const reconciliation = () => this.readReconciliationOnce();
    new Gauge({
      name: 'cancan_reconciliation_items',
      help: "Items of each provider's latest reconciled day (all its accounts), by provider, mode and class (matched, missing_in_cancan, missing_at_provider, amount_mismatch, status_mismatch, fee_only)",
      labelNames: ['provider', 'mode', 'class'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const gauges = await reconciliation();
        for (const item of gauges?.items ?? []) this.set({ provider: item.provider, mode: item.mode, class: item.class }, item.count);
      },
    });
    new Gauge({
      name: 'cancan_reconciliation_runs',
      help: 'Reconciliation runs by state (due, running, done, not_ready, failed)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const gauges = await reconciliation();
        for (const run of gauges?.runs ?? []) this.set({ state: run.state }, run.count);
      },
    });
  }

  /** Lets the queue gauges read the job table (called by whatever serves /metrics). */
  watchQueue(db: Kysely<Database>, now: () => number): void {
    this.queueSource = { db, now };
  }

  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** Call only after the database transaction that made the changes has committed. */
  countRowChanges(changes: readonly RowChange[]): void {
    for (const { kind, row } of changes) {
      // The label keeps its name for dashboards built on it: a CHOP row counts under its payment method.
      const gateway = row.gateway ?? row.payment_method ?? 'none';
      if (kind === 'created') this.created.inc({ type: row.type, gateway, channel: row.channel, mode: row.mode });
      else this.finalised.inc({ type: row.type, gateway, state: row.state, mode: row.mode });
    }
  }

  providerCall(trace: ProviderTrace, outcome: string): void {
    this.providerDuration.observe({ provider: trace.provider, call: trace.call }, trace.latencyMs / 1000);
    this.providerCalls.inc({ provider: trace.provider, call: trace.call, outcome });
  }

  providerNotification(provider: string, verdict: 'accepted' | 'duplicate' | 'refused'): void {
    this.providerNotifications.inc({ provider, verdict });
  }

  ipnDelivery(outcome: IpnOutcome): void {
    this.ipnDeliveries.inc({ outcome });
  }

  /** The text exposition format. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private readReconciliationOnce(): Promise<ReconciliationGauges | null> {
    const source = this.queueSource;
    if (!source) return Promise.resolve(null);
    this.reconciliationRead ??= withTimeout(readReconciliationGauges(source.db), QUEUE_QUERY_TIMEOUT_MS)
      .catch(() => null)
      .finally(() => {
        this.reconciliationRead = null;
      });
    return this.reconciliationRead;
  }

  private readQueueOnce(): Promise<QueueSnapshot | null> {
    this.queueRead ??= this.readQueue().finally(() => {
      this.queueRead = null;
    });
    return this.queueRead;
  }

  private async readQueue(): Promise<QueueSnapshot | null> {
    const source = this.queueSource;
    if (!source) return null;
    const at = source.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const jobs = source.db
        .selectFrom('jobs')
        .select((eb) => ['kind', eb.fn.countAll<number>().as('due'), eb.fn.min<number>('run_at').as('oldest')])
        .where('done_at', 'is', null)
        .where('run_at', '<=', at)
        .groupBy('kind')
        .execute();
      const attention = source.db
        .selectFrom('transactions')
        .select((eb) => ['mode', eb.fn.countAll<number>().as('count')])
        .where('needs_attention_since', 'is not', null)
        .where('state', '=', 'pending')
        .groupBy('mode')
        .execute();
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('job queue query timed out')), QUEUE_QUERY_TIMEOUT_MS);
      });
      const [rows, marked] = await Promise.race([Promise.all([jobs, attention]), timeout]);
      return {
        due: new Map(rows.map((row) => [row.kind, Number(row.due)])),
        oldestRunAt: new Map(rows.map((row) => [row.kind, Number(row.oldest)])),
        needingAttention: new Map(marked.map((row) => [row.mode, Number(row.count)])),
        at,
      };
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The promise's value, or a rejection after `ms` (a scrape must answer even when the database does not). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('query timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
