/** The worker loop: claims due jobs up to its concurrency and runs them. */
import { randomHex } from '../domain/ids.js';
import type { CoreDeps } from '../core/deps.js';
import { type Job, claimDueJobs } from './queue.js';

/** The longest pause between claims while the database keeps failing. */
export const MAX_CLAIM_BACKOFF_MS = 5_000;

export interface WorkerOptions {
  /** Hears about every failed claim (the database watch decides whether it is an outage). */
  readonly onClaimError?: (error: unknown) => void;
}

export class Worker {
  readonly id = `worker-${process.pid}-${randomHex(4)}`;
  private running = false;
  private active = 0;
  private claimFailures = 0;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly handle: (job: Job) => Promise<void>,
    private readonly options: WorkerOptions = {},
  ) {}

  /** Claiming jobs: started, not stopped, and its loop alive. */
  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.deps.notifier.onJobEnqueued(() => this.wake?.());
    this.loopDone = this.loop().finally(() => (this.running = false));
  }

  /**
   * Stops claiming and waits for the jobs in flight to finish, at most
   * `graceMs` (forever without it). Resolves with how many are still running.
   */
  async stop(graceMs?: number): Promise<number> {
    this.running = false;
    this.unsubscribe();
    this.wake?.();
    await this.loopDone;
    const finished = Promise.allSettled([...this.inFlight]);
    if (graceMs === undefined) {
      await finished;
      return 0;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, graceMs))))]);
    clearTimeout(timer);
    return this.active;
  }

  private async loop(): Promise<void> {
    const { config, store, clock } = this.deps;
    // New jobs wake the loop (notifier); the idle poll finds jobs that became due by time.
    const idleMs = config.workerIdleMs ?? Math.max(20, Math.min(250, Math.floor((config.pollIntervalMs ?? 500) / 2)));
    while (this.running) {
      const free = config.workerConcurrency - this.active;
      let claimed: Job[] = [];
      if (free > 0) {
        try {
          claimed = await claimDueJobs(store.db, store.dialect, this.id, clock.now(), config.jobLeaseMs, free);
          this.claimSucceeded();
        } catch (error) {
          this.claimFailed(error);
          await this.sleep(Math.min(idleMs * 2 ** this.claimFailures, MAX_CLAIM_BACKOFF_MS));
          continue;
        }
      }
      for (const job of claimed) this.run(job);
      if (claimed.length === 0 || claimed.length === free) await this.sleep(idleMs);
    }
  }

  /** Logs the first failure of a run of them, not every retry. */
  private claimFailed(error: unknown): void {
    this.claimFailures += 1;
    if (this.claimFailures === 1) this.deps.log.error({ err: error }, `claiming jobs failed; retrying with backoff (up to ${MAX_CLAIM_BACKOFF_MS / 1000}s)`);
    this.options.onClaimError?.(error);
  }

  private claimSucceeded(): void {
    if (this.claimFailures > 0) this.deps.log.info({ failedClaims: this.claimFailures }, 'claiming jobs works again');
    this.claimFailures = 0;
  }

  private run(job: Job): void {
    this.active += 1;
    const task = this.handle(job)
      .catch((error: unknown) => this.deps.log.error({ err: error, job: job.id }, 'job failed'))
      .finally(() => {
        this.active -= 1;
        this.inFlight.delete(task);
        this.wake?.();
      });
    this.inFlight.add(task);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
