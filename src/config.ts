/**
 * Configuration from the environment. Every setting is documented in the
 * README's configuration table; keep the two in step.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_MAX_AMOUNT_MAJOR, MAX_AMOUNT_MAJOR_LIMIT } from './domain/money.js';
import type { ProviderList } from './providers/descriptor.js';
import { type LiveProviderName, PROVIDERS } from './providers/list.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `postgres://…` selects PostgreSQL; null means the SQLite file in the data dir. */
  readonly databaseUrl: string | null;
  /** Base URL clients reach this server at; null means http://HOST:PORT. */
  readonly publicUrl: string | null;
  /**
   * Overrides of the providers' documented rules (null: each provider's own,
   * see each provider's providers/<name>/descriptor.ts): how long the customer may take to confirm
   * before CanCan reverses, the delay between status queries while an outcome
   * is unknown, and the timeout of one provider HTTP call (a timeout is an
   * unknown outcome, never a failure).
   */
  readonly confirmWindowMs: number | null;
  readonly pollIntervalMs: number | null;
  /** How often an open charge is polled while its provider's notifications reach CanCan for the merchant (CANCAN_NOTIFIED_POLL_MS). */
  readonly notifiedPollMs: number;
  readonly providerTimeoutMs: number | null;
  /**
   * LINE Pay's read timeout (CANCAN_LINEPAY_TIMEOUT_MS; null: CANCAN_PROVIDER_TIMEOUT_MS, else
   * LINE Pay's documented 40 s). LINE Pay asks for at least 40 s on its pay call.
   */
  readonly linePayTimeoutMs: number | null;
  /** How long the simulated customer takes to confirm (amounts ending in 53). */
  readonly simConfirmDelayMs: number;
  /** The simulators' first resend of an unacknowledged notification (CANCAN_SIM_NOTIFY_RETRY_MS); each next one doubles. */
  readonly simNotifyRetryMs: number;
  /** Run the provider simulators inside this process (test-mode keys use them). */
  readonly simulators: boolean;
  /** Base URL of the simulators when they run elsewhere; null means this server. */
  readonly simulatorUrl: string | null;
  /** How long a worker owns a job before another may take it over. */
  readonly jobLeaseMs: number;
  /** How often the worker looks for reconciliation runs to create and run (CANCAN_RECONCILE_EVERY_MS; 0: never). */
  readonly reconcileEveryMs: number;
  /** Where a day with reconciliation differences is announced (CANCAN_RECONCILE_WEBHOOK_URL), and the secret that signs it. */
  readonly reconcileWebhook: { readonly url: string; readonly secret: string } | null;
  /** How often a transaction that needs attention (its outcome unknown past its step's deadline) is still asked about. */
  readonly attentionRetryMs: number;
  /** Live provider endpoints, one setting per provider that has live access (overridable to point live-mode tests at a simulator). */
  readonly liveUrls: LiveUrls;
  readonly workerConcurrency: number;
  /**
   * How long an idle worker waits before looking for due jobs again (CANCAN_WORKER_IDLE_MS; null: half the
   * poll interval, 20–250 ms). New jobs wake it at once (in-process, from the API thread, or by PostgreSQL NOTIFY);
   * this poll finds jobs that became due by time (retries, status queries).
   */
  readonly workerIdleMs: number | null;
  /**
   * Where `cancan serve --role all` runs the job worker and reconciler (CANCAN_PROCESSING): `thread`, a worker
   * thread with its own database connection so processing never delays acknowledgements; `inline`, the HTTP
   * thread. null: the caller's default (the CLI: thread; an app built in-process: inline).
   */
  readonly processing: Processing | null;
  /** Per API key: sustained requests per second, and burst size. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  readonly logLevel: string;
  /** Create the demo merchant on the first start of an empty database. */
  readonly demo: boolean;
  /** How long the hosted payment page accepts payment. */
  readonly checkoutExpiryMs: number;
  /** Delays before each IPN attempt (the first is usually 0); after the last, the last repeats until the give-up age. */
  readonly ipnRetrySchedule: readonly number[];
  /** Stop retrying an IPN this long after it was first due. */
  readonly ipnGiveUpMs: number;
  /** Timeout of one IPN POST. */
  readonly ipnTimeoutMs: number;
  /** Let callback and IPN URLs point at loopback and private addresses (local development, tests); never link-local or cloud metadata. */
  readonly allowPrivateUrls: boolean;
  /** What `cancan serve` runs: the HTTP API, the job worker, or both. */
  readonly role: Role;
  /** How long SIGTERM waits for in-flight requests and jobs before leaving. */
  readonly shutdownGraceMs: number;
  /** Bearer token /metrics requires; null: /metrics is open (only sensible on a private port). */
  readonly metricsToken: string | null;
  /** Serve /metrics on this port instead of the public one (null: the public port). */
  readonly metricsPort: number | null;
  /** `redis://…`: rate limits shared by every process; null: per process. */
  readonly redisUrl: string | null;
  /** Largest amount of one transaction, in whole major units plus the currency's largest fraction (domain/money.ts maxAmount). */
  readonly maxAmountMajor: number;
  /** Slow clients: the whole request (headers and body) and its headers must arrive within these, else 408 and closed. */
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** How long an idle kept-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections one client address may hold; one more is closed at once (0: no cap). */
  readonly maxConnectionsPerIp: number;
  /** Failed API authentications a client address may make per minute before it gets 429 (valid keys are not affected). */
  readonly authFailuresPerMinute: number;
  /** Serve the simulators' /_sandbox pages (test wallet, ledger); the /_sim provider endpoints stay. */
  readonly sandboxRoutes: boolean;
}

export type LiveUrls = Readonly<Record<LiveProviderName, string>> & Readonly<Record<string, string | undefined>>;

export const PROCESSING_MODES = ['inline', 'thread'] as const;
export type Processing = (typeof PROCESSING_MODES)[number];

export const ROLES = ['api', 'worker', 'all'] as const;
export type Role = (typeof ROLES)[number];

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

/** The operator's endpoint for days with differences: an http(s) URL, signed with a secret of at least 16 characters. */
function reconcileWebhook(env: NodeJS.ProcessEnv): Config['reconcileWebhook'] {
  const url = env.CANCAN_RECONCILE_WEBHOOK_URL?.trim() || null;
  const secret = env.CANCAN_RECONCILE_WEBHOOK_SECRET ?? '';
  if (url === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('CANCAN_RECONCILE_WEBHOOK_URL must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError('CANCAN_RECONCILE_WEBHOOK_URL must be an absolute http(s) URL');
  if (secret.length < 16)
    throw new ConfigError('CANCAN_RECONCILE_WEBHOOK_SECRET must be set (16 characters or more) with CANCAN_RECONCILE_WEBHOOK_URL: it signs the webhook');
  return { url, secret };
}

function integer(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function optionalInteger(env: Env, name: string, min = 1): number | null {
  return env[name] === undefined || env[name] === '' ? null : integer(env, name, 0, min);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "0,60s,5m,15m,1h,6h" → milliseconds; a bare number is milliseconds. */
export function parseDurationList(name: string, raw: string): number[] {
  return raw.split(',').map((part) => {
    const match = /^\s*(\d{1,9})\s*(ms|s|m|h|d)?\s*$/.exec(part);
    if (!match) throw new ConfigError(`${name} must be a comma list of delays such as 0,60s,5m,1h; ${JSON.stringify(part.trim())} is not one`);
    return Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']!;
  });
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got ${JSON.stringify(env[name])}`);
}

export function loadConfig(env: Env = process.env, providers: ProviderList = PROVIDERS): Config {
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)');
  }
  const providerTimeoutMs = optionalInteger(env, 'CANCAN_PROVIDER_TIMEOUT_MS');
  const linePayTimeoutMs = optionalInteger(env, 'CANCAN_LINEPAY_TIMEOUT_MS');
  // The longest provider call: LINE Pay's, 40 s unless set otherwise.
  const longestTimeoutMs = Math.max(providerTimeoutMs ?? 20_000, linePayTimeoutMs ?? providerTimeoutMs ?? 40_000);
  return {
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.CANCAN_DATA_DIR || './data'),
    databaseUrl,
    publicUrl: env.CANCAN_PUBLIC_URL?.replace(/\/+$/, '') || null,
    confirmWindowMs: optionalInteger(env, 'CANCAN_CONFIRM_WINDOW_MS'),
    pollIntervalMs: optionalInteger(env, 'CANCAN_POLL_INTERVAL_MS'),
    notifiedPollMs: integer(env, 'CANCAN_NOTIFIED_POLL_MS', 60_000),
    providerTimeoutMs,
    linePayTimeoutMs,
    simConfirmDelayMs: integer(env, 'CANCAN_SIM_CONFIRM_DELAY_MS', 2_000),
    simNotifyRetryMs: integer(env, 'CANCAN_SIM_NOTIFY_RETRY_MS', 1_000),
    simulators: flag(env, 'CANCAN_SIMULATORS', true),
    simulatorUrl: env.CANCAN_SIMULATOR_URL?.replace(/\/+$/, '') || null,
    // A job's single step makes at most a couple of provider calls, so a lease of a few
    // provider timeouts (the longest is LINE Pay's) is never outlived by a healthy worker.
    jobLeaseMs: integer(env, 'CANCAN_JOB_LEASE_MS', Math.max(30_000, longestTimeoutMs * 3), 1),
    attentionRetryMs: integer(env, 'CANCAN_ATTENTION_RETRY_MS', 3_600_000, 1_000),
    reconcileEveryMs: integer(env, 'CANCAN_RECONCILE_EVERY_MS', 60_000, 0),
    reconcileWebhook: reconcileWebhook(env),
    liveUrls: liveUrls(env, providers),
    workerConcurrency: integer(env, 'CANCAN_WORKER_CONCURRENCY', 16, 1),
    workerIdleMs: optionalInteger(env, 'CANCAN_WORKER_IDLE_MS'),
    processing: processing(env.CANCAN_PROCESSING),
    rateLimitPerSecond: integer(env, 'CANCAN_RATE_LIMIT_PER_SECOND', 50, 1),
    rateLimitBurst: integer(env, 'CANCAN_RATE_LIMIT_BURST', 100, 1),
    logLevel: env.LOG_LEVEL || 'info',
    demo: flag(env, 'CANCAN_DEMO', true),
    checkoutExpiryMs: integer(env, 'CANCAN_CHECKOUT_EXPIRY_MS', 15 * 60_000, 1_000),
    // docs/api.md, "IPN delivery": at once, 1 min, 5 min, 15 min, 1 h, 6 h, then every 6 h until 72 h.
    ipnRetrySchedule: parseDurationList('CANCAN_IPN_RETRY_SCHEDULE', env.CANCAN_IPN_RETRY_SCHEDULE || '0,1m,5m,15m,1h,6h'),
    ipnGiveUpMs: integer(env, 'CANCAN_IPN_GIVE_UP_MS', 72 * 3_600_000, 1),
    ipnTimeoutMs: integer(env, 'CANCAN_IPN_TIMEOUT_MS', 10_000, 100),
    allowPrivateUrls: flag(env, 'CANCAN_ALLOW_PRIVATE_URLS', false),
    role: role(env.CANCAN_ROLE),
    shutdownGraceMs: integer(env, 'CANCAN_SHUTDOWN_GRACE_MS', 10_000, 0),
    metricsToken: env.CANCAN_METRICS_TOKEN || null,
    metricsPort: optionalInteger(env, 'CANCAN_METRICS_PORT'),
    redisUrl: env.REDIS_URL || null,
    maxAmountMajor: integer(env, 'CANCAN_MAX_AMOUNT_MAJOR', DEFAULT_MAX_AMOUNT_MAJOR, 1, MAX_AMOUNT_MAJOR_LIMIT),
    ...httpLimits(env),
    authFailuresPerMinute: integer(env, 'CANCAN_AUTH_FAILURES_PER_MINUTE', 30, 1),
    sandboxRoutes: flag(env, 'CANCAN_SANDBOX_ROUTES', true),
  };
}

/** Each live provider's URL: its setting (see its descriptor), else the provider's own. */
function liveUrls(env: Env, providers: ProviderList): LiveUrls {
  const urls = providers.flatMap(({ name, live }) => {
    if (!live) return [];
    const raw = live.trimTrailingSlash ? env[live.urlSetting]?.replace(/\/+$/, '') : env[live.urlSetting];
    return [[name, raw || live.defaultUrl] as const];
  });
  return Object.fromEntries(urls) as LiveUrls;
}

function httpLimits(env: Env) {
  const requestTimeoutMs = integer(env, 'CANCAN_REQUEST_TIMEOUT_MS', 30_000, 100);
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeoutMs = integer(env, 'CANCAN_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 100, requestTimeoutMs);
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'CANCAN_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100),
    maxConnectionsPerIp: integer(env, 'CANCAN_MAX_CONNECTIONS_PER_IP', 256, 0),
  };
}

/** Whether HOST only accepts connections from this machine. */
export const isLoopbackHost = (host: string): boolean => /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3})$/i.test(host);

/**
 * /metrics must not answer anyone: beyond loopback, it needs its token or a
 * port of its own. Checked when a server starts (not by every CLI command).
 */
export function checkMetricsExposure(config: Config): void {
  if (isLoopbackHost(config.host) || config.metricsToken !== null || config.metricsPort !== null) return;
  throw new ConfigError(
    `HOST ${config.host} accepts connections from other machines, so /metrics would answer anyone: set CANCAN_METRICS_TOKEN (scrapers send it as a bearer token) or CANCAN_METRICS_PORT (a port of its own, kept off the public network)`,
  );
}

function processing(value: string | undefined): Processing | null {
  if (value === undefined || value === '') return null;
  if ((PROCESSING_MODES as readonly string[]).includes(value)) return value as Processing;
  throw new ConfigError(`CANCAN_PROCESSING must be one of ${PROCESSING_MODES.join(', ')}`);
}

function role(value: string | undefined): Role {
  if (value === undefined || value === '') return 'all';
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  throw new ConfigError(`CANCAN_ROLE must be one of ${ROLES.join(', ')}`);
}

/**
 * The 32-byte master key: CANCAN_MASTER_KEY (64 hex chars), else a key file in
 * the data directory, created on first use with owner-only permissions.
 */
export function loadMasterKey(config: Config, env: Env = process.env): Buffer {
  const fromEnv = env.CANCAN_MASTER_KEY;
  if (fromEnv) {
    if (!/^[0-9a-fA-F]{64}$/.test(fromEnv)) throw new ConfigError('CANCAN_MASTER_KEY must be 64 hex characters (32 bytes)');
    return Buffer.from(fromEnv, 'hex');
  }
  const file = join(config.dataDir, 'master.key');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new ConfigError(`${file} is not a 64-hex-character key`);
    return Buffer.from(text, 'hex');
  }
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
