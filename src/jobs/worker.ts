/** The worker loop: claims due jobs up to its concurrency and runs them. */
import { randomHex } from '../domain/ids.js';
import type { CoreDeps } from '../core/deps.js';
import { type Job, claimDueJobs } from './queue.js';

export class Worker {
  readonly id = `worker-${process.pid}-${randomHex(4)}`;
  private running = false;
  private active = 0;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe: () => void = () => undefined;

  constructor(private readonly deps: CoreDeps, private readonly handle: (job: Job) => Promise<void>) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.deps.notifier.onJobEnqueued(() => this.wake?.());
    this.loopDone = this.loop();
  }

  /** Stops claiming and waits for the jobs in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe();
    this.wake?.();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
  }

  private async loop(): Promise<void> {
    const { config, store, clock, log } = this.deps;
    const idleMs = Math.max(20, Math.min(250, Math.floor((config.pollIntervalMs ?? 500) / 2)));
    while (this.running) {
      const free = config.workerConcurrency - this.active;
      let claimed: Job[] = [];
      if (free > 0) {
        try {
          claimed = await claimDueJobs(store.db, store.dialect, this.id, clock.now(), config.jobLeaseMs, free);
        } catch (error) {
          log.error({ err: error }, 'claiming jobs failed; retrying');
        }
      }
      for (const job of claimed) this.run(job);
      if (claimed.length === 0 || claimed.length === free) await this.sleep(idleMs);
    }
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
