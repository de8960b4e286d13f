/**
 * In-process wake-ups: the worker wakes when a job is enqueued, and held
 * requests (`Prefer: wait`) wake when a transaction becomes final. Both also
 * poll the database, so several processes stay correct without this.
 */
import { EventEmitter } from 'node:events';

export class Notifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  jobEnqueued(): void {
    this.emitter.emit('job');
  }

  onJobEnqueued(listener: () => void): () => void {
    this.emitter.on('job', listener);
    return () => this.emitter.off('job', listener);
  }

  transactionChanged(seq: number): void {
    this.emitter.emit(`tx:${seq}`);
  }

  /** Resolves on the next change of the transaction or after `ms`, whichever is first. */
  waitForChange(seq: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(`tx:${seq}`, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on(`tx:${seq}`, done);
    });
  }
}
