/**
 * Wake-ups: the worker wakes when a job is enqueued, and held requests
 * (`Prefer: wait`) wake when a transaction becomes final. Both also poll the
 * database, so several processes stay correct without this. A relay carries
 * this process's own events further: to the processing thread and back
 * (processing/), and to other processes (PostgreSQL NOTIFY, store/pg-wake.ts).
 */
import { EventEmitter } from 'node:events';

/** Where this notifier's own events also go; events heard from a relay are not sent on again. */
export interface NotifierRelay {
  jobEnqueued?(): void;
  transactionChanged?(seq: number): void;
}

export class Notifier {
  private readonly emitter = new EventEmitter();
  private readonly relays = new Set<NotifierRelay>();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Sends this notifier's own events to `relay` too; answers the function that stops it. */
  relay(relay: NotifierRelay): () => void {
    this.relays.add(relay);
    return () => this.relays.delete(relay);
  }

  jobEnqueued(): void {
    this.emitter.emit('job');
    for (const relay of this.relays) relay.jobEnqueued?.();
  }

  /** A job enqueued elsewhere (another thread or process): wakes the listeners here only. */
  heardJobEnqueued(): void {
    this.emitter.emit('job');
  }

  onJobEnqueued(listener: () => void): () => void {
    this.emitter.on('job', listener);
    return () => this.emitter.off('job', listener);
  }

  transactionChanged(seq: number): void {
    this.emitter.emit(`tx:${seq}`);
    for (const relay of this.relays) relay.transactionChanged?.(seq);
  }

  /** A transaction changed elsewhere: wakes the requests held here only. */
  heardTransactionChanged(seq: number): void {
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
