/** Wake-ups and metrics carried between the HTTP thread and the processing thread, batched per event-loop turn. */
import type { NotifierRelay } from '../core/notifier.js';
import { type IpnOutcome, Metrics } from '../observability/metrics.js';
import type { ProviderTrace } from '../providers/contract.js';
import type { RowChange } from '../store/transactions.js';
import type { MetricCall, WakeMessage } from './messages.js';

/**
 * The notifier's own events as one message per event-loop turn: a burst of
 * acknowledgements wakes the worker once, and held requests hear every change.
 */
export class WakeRelay implements NotifierRelay {
  private job = false;
  private readonly seqs = new Set<number>();
  private scheduled = false;

  /** `changes`: carry transaction changes too (only the HTTP thread holds requests waiting for them). */
  constructor(
    private readonly post: (message: WakeMessage) => void,
    private readonly changes = true,
  ) {}

  jobEnqueued(): void {
    this.job = true;
    this.schedule();
  }

  transactionChanged(seq: number): void {
    if (!this.changes) return;
    this.seqs.add(seq);
    this.schedule();
  }

  flush(): void {
    if (!this.job && this.seqs.size === 0) return;
    const message: WakeMessage = { type: 'wake', job: this.job, seqs: [...this.seqs] };
    this.job = false;
    this.seqs.clear();
    this.post(message);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}

/** The processing thread's Metrics: records nothing itself, sends each call to the HTTP thread's. */
export class RelayedMetrics extends Metrics {
  private batch: MetricCall[] = [];

  constructor(private readonly post: (calls: readonly MetricCall[]) => void) {
    super();
  }

  override countRowChanges(changes: readonly RowChange[]): void {
    this.push(['countRowChanges', changes]);
  }

  override providerCall(trace: ProviderTrace, outcome: string): void {
    this.push(['providerCall', { ...trace }, outcome]);
  }

  override providerNotification(provider: string, verdict: 'accepted' | 'duplicate' | 'refused'): void {
    this.push(['providerNotification', provider, verdict]);
  }

  override ipnDelivery(outcome: IpnOutcome): void {
    this.push(['ipnDelivery', outcome]);
  }

  override observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    this.push(['observeHttp', method, route, statusCode, seconds]);
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const calls = this.batch;
    this.batch = [];
    this.post(calls);
  }

  private push(call: MetricCall): void {
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push(call);
  }
}
