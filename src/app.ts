/**
 * Composition root: store, secrets, simulators (test mode), HTTP server and
 * the worker, by role: `api` serves the HTTP API, `worker` runs the job
 * worker (its HTTP server answers only health and observability), `all`
 * both. In role `all`, processing may run in a worker thread of its own
 * (processing/), so that it never delays acknowledgements: CANCAN_PROCESSING,
 * default thread for `cancan serve`, inline for an app built in-process.
 * The server listens before the database is known to work: until the
 * migrations ran, and whenever the database is unreachable, requests get 503
 * (health probes excepted) while the database watch retries.
 */
import type { DestinationStream } from 'pino';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { type Config, ConfigError, type Processing as ProcessingMode, type Role, checkMetricsExposure, loadMasterKey } from './config.js';
import type { CoreDeps } from './core/deps.js';
import { Notifier } from './core/notifier.js';
import { type HostResolver, systemResolver } from './chop/url-guard.js';
import { type Clock, systemClock } from './domain/clock.js';
import { SecretBox } from './domain/secrets.js';
import { listeningUrl as urlOf } from './http/address.js';
import { DATABASE_RETRY_AFTER, DATABASE_UNAVAILABLE, errorBody } from './http/errors.js';
import { capConnectionsPerAddress } from './http/hardening.js';
import { registerObservability } from './http/observability.js';
import { type Readiness, healthRoutes } from './http/routes/health.js';
import { buildServer, registerApi } from './http/server.js';
import { closeGracefully, trackActiveRequests } from './http/shutdown.js';
import type { Worker } from './jobs/worker.js';
import { createAdapterSource } from './providers/adapters.js';
import { Lookups } from './store/lookups.js';
import { installProviders } from './providers/catalog.js';
import type { ProviderList } from './providers/descriptor.js';
import { PROVIDERS } from './providers/list.js';
import { Processing } from './processing/processing.js';
import { ProcessingThread } from './processing/thread.js';
import { registerSimulators } from './simulators/register.js';
import { startCheckpoints } from './store/checkpoints.js';
import { DATABASE_RETRY_MS, DatabaseWatch, type Store, openStore } from './store/db.js';
import { JobNotifier } from './store/pg-wake.js';
import { HTTP_THREAD, createWriteLockMemory } from './store/write-lock.js';
import { migrate } from './store/migrations.js';
import { Metrics } from './observability/metrics.js';
import { OneLineRequestLog, isTerminal, terminalLogStream } from './observability/terminal-log.js';
import { demoMerchantId, startBanner } from './bootstrap.js';
import { type MetricsServer, startMetricsServer } from './observability/metrics-server.js';

export interface App {
  readonly server: FastifyInstance;
  readonly deps: CoreDeps;
  /** The job worker on this thread (never started when processing runs in its own thread). */
  readonly worker: Worker;
  readonly role: Role;
  /** Where processing runs: on this thread, or in a worker thread of its own. */
  readonly processing: ProcessingMode;
  /** The URL this server listens on. */
  readonly url: string;
  /** Resolves once the migrations ran (and, in worker roles, the worker started). */
  readonly ready: Promise<void>;
  /** Graceful shutdown: not ready at once, in-flight requests and jobs finish within the grace period, leases released, pool closed. */
  close(): Promise<void>;
}

export interface AppOptions {
  readonly clock?: Clock;
  readonly logStream?: DestinationStream;
  /** Start the job worker in roles that have one (default true). */
  readonly worker?: boolean;
  /**
   * true (default): resolve once the migrations ran, and fail at once if the
   * database cannot be used. false: resolve when listening and keep retrying
   * the database in the background (`ready` tells when it worked).
   */
  readonly waitForDatabase?: boolean;
  /** DNS for merchant URLs (default: the system's). */
  readonly resolveHost?: HostResolver;
  /** The providers this app serves (default: the real list; tests add a throwaway one). */
  readonly providers?: ProviderList;
  /**
   * Log for a person: pino-pretty lines, one line per request, and the start banner once the
   * database is ready (default: standard output is a terminal and no logStream was given).
   */
  readonly terminal?: boolean;
  /** Where role `all` runs the job worker and reconciler (default: config.processing, else inline). */
  readonly processing?: ProcessingMode;
  /** The processing thread ended by itself (an uncaught error): default logs it; `cancan serve` exits so it is restarted. */
  readonly onProcessingLost?: (error: unknown) => void;
}

export async function openMigratedStore(config: Config): Promise<Store> {
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(store.db, store.dialect);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** Only PostgreSQL serves several processes; SQLite runs everything in one. */
export function checkRole(config: Config): void {
  if (config.role !== 'all' && !config.databaseUrl) {
    throw new ConfigError('roles need PostgreSQL (DATABASE_URL); the embedded SQLite database serves one process, so run --role all');
  }
}

const hasApi = (role: Role) => role !== 'worker';
const hasWorker = (role: Role) => role !== 'api';

/** Paths that answer without the database: health probes, metrics, the provider simulators. */
const WITHOUT_DATABASE = /^\/(healthz|readyz|metrics)(\?|$)|^\/_(sim|sandbox)\//;

export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  checkRole(config);
  checkMetricsExposure(config);
  const providers = options.providers ?? PROVIDERS;
  // Gateway and payment method lookups everywhere answer from this app's list.
  installProviders(providers);
  const { role } = config;
  const runsWorker = hasWorker(role) && options.worker !== false;
  const mode: ProcessingMode = runsWorker && role === 'all' ? (options.processing ?? config.processing ?? 'inline') : 'inline';
  // SQLite with a processing thread: two connections write, taking turns by a lock neither thread blocks on.
  const writeLock = mode === 'thread' && !config.databaseUrl ? createWriteLockMemory() : undefined;
  // No request pays for a WAL checkpoint: they run on a timer, in the processing thread when there is one.
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    autoCheckpoint: false,
    ...(writeLock ? { writeLock: { memory: writeLock, holder: HTTP_THREAD } } : {}),
  });
  const masterKey = loadMasterKey(config);
  const secrets = new SecretBox(masterKey);
  const terminal = options.terminal ?? (options.logStream === undefined && isTerminal());
  const logStream = options.logStream ?? (terminal ? await terminalLogStream() : undefined);
  const server = buildServer({
    logLevel: config.logLevel,
    limits: config,
    ...(logStream ? { logStream } : {}),
    ...(terminal ? { logController: new OneLineRequestLog() } : {}),
  });
  const log = server.log;
  capConnectionsPerAddress(server.server, config.maxConnectionsPerIp, (address) =>
    log.warn(
      { remoteAddress: address, max: config.maxConnectionsPerIp },
      'connection refused: the address holds the most connections allowed (CANCAN_MAX_CONNECTIONS_PER_IP)',
    ),
  );
  let listeningUrl = '';
  const simulatorUrl = () => config.simulatorUrl ?? listeningUrl;
  const lookups = new Lookups(store.db);
  const deps: CoreDeps = {
    store,
    clock: options.clock ?? systemClock,
    secrets,
    notifier: new Notifier(),
    config,
    log,
    metrics: new Metrics(),
    adapters: createAdapterSource({ config, store, secrets, simulatorUrl, providers, lookups }),
    lookups,
    publicUrl: () => config.publicUrl ?? listeningUrl,
    simulatorUrl,
    resolveHost: options.resolveHost ?? systemResolver,
  };
  const watch = new DatabaseWatch({ store, log, retryMs: DATABASE_RETRY_MS, prepare: async () => void (await migrate(store.db, store.dialect)) });
  // The job worker and the daily reconciliation runs (src/reconcile/schedule.ts), here or in their own thread.
  const inline = new Processing(deps, (error) => watch.report(error));
  let thread: ProcessingThread | null = null;
  // Other processes' workers wake on NOTIFY when this one enqueued jobs.
  if (store.dialect === 'postgres') deps.notifier.relay(new JobNotifier(store.db));
  let draining = false;
  const readiness: Readiness = {
    role,
    draining: () => draining,
    migrated: () => watch.migrated,
    checkDatabase: () => watch.check(),
    workerRunning: () => (!runsWorker ? null : thread ? thread.isRunning : inline.running),
  };

  const activeRequests = trackActiveRequests(server);
  // First, so every answer (the 503s below too) carries its X-Request-Id and is counted.
  await registerObservability(server, deps);
  if (mode === 'thread') {
    server.addHook('onSend', async (request, reply, payload) => {
      // /healthz says where processing runs when it has a thread of its own.
      if (request.url === '/healthz' && typeof payload === 'string' && reply.statusCode === 200) return payload.replace(/}$/, ',"processing":"thread"}');
      return payload;
    });
  }
  server.addHook('onRequest', async (request, reply) => {
    if (!watch.available && !WITHOUT_DATABASE.test(request.url)) return refuseUnavailable(request, reply);
  });
  server.addHook('onError', async (_request, _reply, error) => watch.report(error));
  if (hasApi(role)) {
    await registerApi(server, deps, readiness);
  } else {
    await server.register(healthRoutes(deps, readiness));
    server.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .type('application/json')
        .send(
          errorBody(404, [
            {
              code: 'not_found_error',
              detail: `No route for ${request.method} ${request.url.split('?')[0]}: this is a worker process (health and metrics only)`,
            },
          ]),
        ),
    );
  }
  // Test-mode providers: in the processes that serve the API; a worker alone reaches them through CANCAN_SIMULATOR_URL.
  const ledger = hasApi(role) && config.simulators ? await registerSimulators(server, config, providers) : null;
  if (!hasApi(role) && config.simulators && !config.simulatorUrl) {
    log.warn(
      {},
      'this worker has no provider simulators: test-mode payments need CANCAN_SIMULATOR_URL (see `cancan simulators`), or set CANCAN_SIMULATORS=off',
    );
  }

  let metricsServer: MetricsServer | null = null;
  // Without a processing thread, the checkpoints run on a timer here (never inside a request).
  const checkpoints = mode === 'inline' ? startCheckpoints(store, (error) => log.warn({ err: error }, 'WAL checkpoint failed; the next one retries')) : null;
  const closeResources = async () => {
    watch.stop();
    checkpoints?.stop();
    await metricsServer?.close();
    ledger?.close();
    // A clean stop leaves an empty WAL (the processing thread, if any, has closed its connection by now).
    try {
      store.checkpoint?.('TRUNCATE');
    } catch (error) {
      log.warn({ err: error }, 'WAL checkpoint at shutdown failed');
    }
    await store.close();
  };
  try {
    await server.listen({ port: config.port, host: config.host });
    listeningUrl = urlOf(server.server, config.host);
    if (mode === 'thread') thread = startThread(deps, watch, { masterKey, listeningUrl, writeLock, onLost: options.onProcessingLost });
    // /metrics on a port of its own when CANCAN_METRICS_PORT is set (else it is on the server above).
    metricsServer = await startMetricsServer(deps);
    if (options.waitForDatabase !== false) await watch.prepareOnce();
  } catch (error) {
    await thread?.stop(0);
    await server.close();
    await closeResources();
    throw error;
  }

  const ready = watch.start().then(() => {
    if (!runsWorker || draining) return;
    if (thread) thread.start();
    else inline.start();
  });
  if (terminal && hasApi(role)) void ready.then(() => printStartBanner(deps)).catch((error: unknown) => log.warn({ err: error }, 'start banner failed'));

  let closing: Promise<void> | null = null;
  const shutdown = async () => {
    draining = true;
    const graceMs = config.shutdownGraceMs;
    const deadline = Date.now() + graceMs;
    const left = () => Math.max(0, deadline - Date.now());
    log.info({ graceMs }, 'shutdown: not ready any more; finishing in-flight requests and jobs');
    // Unfinished jobs' leases are released (processing/release.ts) by whichever thread ran them.
    const stopWorker = async () => (thread ? thread.stop(left()) : inline.stop(left()));
    const stopServer = async () => {
      await closeGracefully(server, activeRequests, left());
      log.info({}, 'shutdown: HTTP server closed');
    };
    // In-process simulators serve this worker's provider calls: keep listening until its jobs are done.
    if (ledger) {
      await stopWorker();
      await stopServer();
    } else {
      await Promise.all([stopWorker(), stopServer()]);
    }
    await closeResources();
    log.info({}, 'shutdown: database pool closed');
  };

  return {
    server,
    deps,
    worker: inline.worker,
    role,
    processing: mode,
    url: listeningUrl,
    ready,
    close: () => (closing ??= shutdown()),
  };
}

/** The processing thread, reporting to this thread's notifier, metrics, log and database watch. */
function startThread(
  deps: CoreDeps,
  watch: DatabaseWatch,
  options: { masterKey: Buffer; listeningUrl: string; writeLock: SharedArrayBuffer | undefined; onLost: ((error: unknown) => void) | undefined },
): ProcessingThread {
  const { log } = deps;
  const server = log as unknown as { [pino.symbols.streamSym]?: { write(line: string): unknown } };
  const destination = server[pino.symbols.streamSym] ?? process.stdout;
  return new ProcessingThread({
    data: {
      config: deps.config,
      masterKey: options.masterKey.toString('hex'),
      listeningUrl: options.listeningUrl,
      ...(options.writeLock ? { writeLock: options.writeLock } : {}),
    },
    notifier: deps.notifier,
    metrics: deps.metrics,
    log,
    writeLog: (line) => void destination.write(line),
    onDatabaseError: (error) => watch.report(error),
    onLost: (error) => {
      log.error({ err: error }, 'the processing thread stopped unexpectedly: no jobs are processed in this process (not ready)');
      options.onLost?.(error);
    },
  });
}

/** The start banner, on standard output beside the log (not in it): printed at every start on a terminal. */
async function printStartBanner(deps: CoreDeps): Promise<void> {
  const { config } = deps;
  const database = deps.store.dialect === 'postgres' ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  const facts = { url: deps.publicUrl(), role: config.role, database, simulators: config.simulators, demoMerchantId: await demoMerchantId(deps) };
  process.stdout.write(`${startBanner(facts)}\n`);
}

/** 503 before the migrations ran and while the database is unreachable; CHOP callers get their own error shape. */
function refuseUnavailable(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.code(503).header('retry-after', DATABASE_RETRY_AFTER).type('application/json');
  if (/^\/(chop|payment)\//.test(request.url)) return reply.send({ result: 'fail', error: DATABASE_UNAVAILABLE, code: 'service_unavailable' });
  return reply.send(errorBody(503, [{ code: 'service_unavailable_error', detail: DATABASE_UNAVAILABLE }]));
}
