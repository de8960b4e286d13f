/**
 * The messages between the HTTP thread and the processing thread
 * (processing/thread.ts starts it, processing/entry.ts runs in it).
 */
import type { Config } from '../config.js';
import type { IpnOutcome, Metrics } from '../observability/metrics.js';
import type { ProviderTrace } from '../providers/contract.js';
import type { RowChange } from '../store/transactions.js';

export interface ThreadData {
  readonly config: Config;
  /** The master key, hex: the thread decrypts provider credentials too. */
  readonly masterKey: string;
  /** Where the HTTP thread listens (the public URL and the in-process simulators' URL default to it). */
  readonly listeningUrl: string;
  /** SQLite: the write lock's memory, shared with the HTTP thread's connection (store/write-lock.ts). */
  readonly writeLock?: SharedArrayBuffer;
}

/** Jobs enqueued, and transactions changed, on the side that sends this. */
export interface WakeMessage {
  readonly type: 'wake';
  readonly job: boolean;
  readonly seqs: readonly number[];
}

export type ToThread = WakeMessage | { readonly type: 'start' } | { readonly type: 'stop'; readonly graceMs: number };

export type FromThread =
  | WakeMessage
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'metrics'; readonly calls: readonly MetricCall[] }
  | { readonly type: 'running'; readonly running: boolean }
  /** A claim failed with an error that may mean an outage: the HTTP thread's database watch checks. */
  | { readonly type: 'database-error'; readonly message: string; readonly code: string | null }
  | { readonly type: 'stopped'; readonly unfinished: number };

/** A call of a Metrics method in the processing thread, replayed on the HTTP thread's Metrics (which /metrics shows). */
export type MetricCall =
  | readonly ['countRowChanges', readonly RowChange[]]
  | readonly ['providerCall', ProviderTrace, string]
  | readonly ['providerNotification', string, 'accepted' | 'duplicate' | 'refused']
  | readonly ['ipnDelivery', IpnOutcome]
  | readonly ['observeHttp', string, string, number, number];

export function replayMetricCall(metrics: Metrics, call: MetricCall): void {
  switch (call[0]) {
    case 'countRowChanges':
      return metrics.countRowChanges(call[1]);
    case 'providerCall':
      return metrics.providerCall(call[1], call[2]);
    case 'providerNotification':
      return metrics.providerNotification(call[1], call[2]);
    case 'ipnDelivery':
      return metrics.ipnDelivery(call[1]);
    case 'observeHttp':
      return metrics.observeHttp(call[1], call[2], call[3], call[4]);
  }
}
