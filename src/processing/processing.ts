/**
 * Everything that is not serving requests: the job worker, the daily
 * reconciliation runs and, on PostgreSQL, the LISTEN connection that wakes the
 * worker when another process enqueued jobs. Runs on the HTTP thread (inline)
 * or in the processing thread (processing/entry.ts).
 */
import { deliverNotification } from '../chop/ipn.js';
import { chopStep } from '../chop/process.js';
import type { CoreDeps } from '../core/deps.js';
import { processJob } from '../core/process.js';
import { Worker } from '../jobs/worker.js';
import { Reconciler } from '../reconcile/schedule.js';
import { DATABASE_RETRY_MS } from '../store/db.js';
import { JobListener } from '../store/pg-wake.js';
import { releaseUnfinished } from './release.js';

export class Processing {
  readonly worker: Worker;
  private readonly reconciler: Reconciler;
  private listener: JobListener | null = null;
  private started = false;

  constructor(
    private readonly deps: CoreDeps,
    onDatabaseError: (error: unknown) => void,
  ) {
    this.worker = new Worker(deps, (job) => processJob(deps, job, { chopStep, deliverNotification }), { onClaimError: onDatabaseError });
    this.reconciler = new Reconciler(deps, deps.config.reconcileEveryMs);
  }

  get running(): boolean {
    return this.worker.isRunning;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { config, log, notifier } = this.deps;
    this.worker.start();
    this.reconciler.start();
    if (config.databaseUrl && this.deps.store.dialect === 'postgres') {
      this.listener = new JobListener({ databaseUrl: config.databaseUrl, onWake: () => notifier.heardJobEnqueued(), log, retryMs: DATABASE_RETRY_MS });
      this.listener.start();
    }
  }

  /** Stops claiming; jobs in flight get `graceMs` to finish, then their leases are released. Answers how many were unfinished. */
  async stop(graceMs: number): Promise<number> {
    const { log, store } = this.deps;
    const [unfinished] = await Promise.all([this.worker.stop(graceMs), this.reconciler.stop(graceMs), this.listener?.stop()]);
    if (this.started) log.info({ unfinished }, unfinished === 0 ? 'shutdown: jobs finished' : 'shutdown: grace period over with jobs still running');
    if (unfinished > 0) await releaseUnfinished(store, this.worker.id, log);
    return unfinished;
  }
}
