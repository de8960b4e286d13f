/**
 * Starts and watches the processing thread (processing/entry.ts) from the
 * HTTP thread: relays wake-ups both ways, writes its log lines to this
 * thread's log destination, replays its metrics here (so /metrics shows them),
 * hands its database errors to the database watch, and stops it gracefully.
 */
import { Worker as ThreadWorker } from 'node:worker_threads';
import type { Logger } from '../core/deps.js';
import type { Notifier } from '../core/notifier.js';
import type { Metrics } from '../observability/metrics.js';
import { type FromThread, type ThreadData, type ToThread, replayMetricCall } from './messages.js';
import { WakeRelay } from './relay.js';
import { PROCESSING_THREAD, WriteLock } from '../store/write-lock.js';

/** After the grace period, how long the thread may take to close its database before it is terminated. */
const STOP_SLACK_MS = 3_000;

export interface ProcessingThreadOptions {
  readonly data: ThreadData;
  readonly notifier: Notifier;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Where the thread's log lines (pino JSON, one per line) go: the HTTP thread's own log destination. */
  readonly writeLog: (line: string) => void;
  readonly onDatabaseError: (error: Error) => void;
  /** The thread ended without being asked to (an uncaught error): processing has stopped in this process. */
  readonly onLost: (error: unknown) => void;
  /** The thread's script (tests pass another). */
  readonly entry?: URL;
}

export class ProcessingThread {
  private readonly thread: ThreadWorker;
  private running = false;
  private alive = true;
  private stopping = false;
  private unfinished = 0;
  private readonly exited: Promise<void>;
  private stopped: () => void = () => undefined;
  private readonly unrelay: () => void;

  constructor(private readonly options: ProcessingThreadOptions) {
    this.thread = new ThreadWorker(options.entry ?? new URL('./entry.js', import.meta.url), { workerData: options.data });
    const relay = new WakeRelay((message) => this.post(message), false);
    this.unrelay = options.notifier.relay(relay);
    let failure: unknown = null;
    this.thread.on('message', (message: FromThread) => this.receive(message));
    this.thread.on('error', (error) => (failure = error));
    this.exited = new Promise((resolve) =>
      this.thread.once('exit', (code) => {
        this.alive = false;
        // Its connection is gone: a transaction it had begun can hold the other writer up no longer.
        if (options.data.writeLock) WriteLock.releaseHeldBy(options.data.writeLock, PROCESSING_THREAD);
        this.running = false;
        this.unrelay();
        if (!this.stopping) options.onLost(failure ?? new Error(`the processing thread exited with code ${code}`));
        resolve();
      }),
    );
  }

  /** The thread is alive and its worker loop runs. */
  get isRunning(): boolean {
    return this.alive && this.running;
  }

  /** Starts processing (once the database is migrated). */
  start(): void {
    this.post({ type: 'start' });
  }

  /** Stops the worker within `graceMs` (leases of unfinished jobs released) and waits for the thread to end; answers how many jobs were unfinished. */
  async stop(graceMs: number): Promise<number> {
    if (!this.alive) return 0;
    this.stopping = true;
    const stopped = new Promise<'stopped'>((resolve) => (this.stopped = () => resolve('stopped')));
    this.post({ type: 'stop', graceMs });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs + STOP_SLACK_MS)));
    const how = await Promise.race([stopped, this.exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (how === 'late') this.options.log.error({}, 'shutdown: the processing thread did not stop in time; terminated (leases expire by themselves)');
    // Stopped: its leases are released and its database closed; a provider call still in flight has nothing left to write.
    await this.thread.terminate();
    await this.exited;
    return this.unfinished;
  }

  private post(message: ToThread): void {
    if (this.alive) this.thread.postMessage(message);
  }

  private receive(message: FromThread): void {
    const { notifier } = this.options;
    switch (message.type) {
      case 'wake':
        if (message.job) notifier.heardJobEnqueued();
        for (const seq of message.seqs) notifier.heardTransactionChanged(seq);
        return;
      case 'log':
        return this.options.writeLog(message.line);
      case 'metrics':
        for (const call of message.calls) replayMetricCall(this.options.metrics, call);
        return;
      case 'running':
        this.running = message.running;
        return;
      case 'database-error':
        return this.options.onDatabaseError(Object.assign(new Error(message.message), message.code === null ? {} : { code: message.code }));
      case 'stopped':
        this.unfinished = message.unfinished;
        this.stopped();
        return;
    }
  }
}
