/** What the core operations need, injected so tests can swap any part. */
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { SecretBox } from '../domain/secrets.js';
import type { HostResolver } from '../chop/url-guard.js';
import type { AdapterSource } from '../providers/adapters.js';
import type { Metrics } from '../observability/metrics.js';
import type { RandomSource } from '../jobs/retry-policy.js';
import type { Store } from '../store/db.js';
import type { Lookups } from '../store/lookups.js';
import type { Notifier } from './notifier.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CoreDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly secrets: SecretBox;
  readonly adapters: AdapterSource;
  /** Cached key, merchant, gateway and currency lookups; the API path refreshes them once per request (at authentication). */
  readonly lookups: Lookups;
  readonly notifier: Notifier;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The base URL shoppers and merchants reach this server at (CANCAN_PUBLIC_URL, else where it listens). */
  readonly publicUrl: () => string;
  /** Where the provider simulators answer (CANCAN_SIMULATOR_URL, else this server's own listening address). */
  readonly simulatorUrl: () => string;
  /** DNS for merchant URLs (the SSRF guard judges what it returns); tests swap it. */
  readonly resolveHost: HostResolver;
  /** Jitter of retry waits (Math.random when absent); tests pass a fixed one. */
  readonly random?: RandomSource;
}
