/**
 * Composition root: store, secrets, simulators (test mode), HTTP server and
 * the worker, by role: `api` serves the HTTP API, `worker` runs the job
 * worker (its HTTP server answers only health and observability), `all`
 * both. The server listens before the database is known to work: until the
 * migrations ran, and whenever the database is unreachable, requests get 503
 * (health probes excepted) while the database watch retries.
 */
import type { DestinationStream } from 'pino';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Config, ConfigError, type Role, checkMetricsExposure, loadMasterKey } from './config.js';
import type { CoreDeps } from './core/deps.js';
import { Notifier } from './core/notifier.js';
import { processJob } from './core/process.js';
import { deliverNotification } from './chop/ipn.js';
import { type HostResolver, systemResolver } from './chop/url-guard.js';
import { chopStep } from './chop/process.js';
import { type Clock, systemClock } from './domain/clock.js';
import { SecretBox } from './domain/secrets.js';
import { listeningUrl as urlOf } from './http/address.js';
import { DATABASE_RETRY_AFTER, DATABASE_UNAVAILABLE, errorBody } from './http/errors.js';
import { capConnectionsPerAddress } from './http/hardening.js';
import { registerObservability } from './http/observability.js';
import { type Readiness, healthRoutes } from './http/routes/health.js';
import { buildServer, registerApi } from './http/server.js';
import { closeGracefully, trackActiveRequests } from './http/shutdown.js';
import { releaseLeases } from './jobs/queue.js';
import { Worker } from './jobs/worker.js';
import { createAdapterSource } from './providers/adapters.js';
import { Lookups } from './store/lookups.js';
import { installProviders } from './providers/catalog.js';
import type { ProviderList } from './providers/descriptor.js';
import { PROVIDERS } from './providers/list.js';
import { Reconciler } from './reconcile/schedule.js';
import { registerSimulators } from './simulators/register.js';
import { DATABASE_RETRY_MS, DatabaseWatch, type Store, openStore } from './store/db.js';
import { migrate } from './store/migrations.js';
import { Metrics } from './observability/metrics.js';
import { OneLineRequestLog, isTerminal, terminalLogStream } from './observability/terminal-log.js';
import { demoMerchantId, startBanner } from './bootstrap.js';
import { type MetricsServer, startMetricsServer } from './observability/metrics-server.js';

export interface App {
  readonly server: FastifyInstance;
  readonly deps: CoreDeps;
  readonly worker: Worker;
  readonly role: Role;
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
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const secrets = new SecretBox(loadMasterKey(config));
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
  const worker = new Worker(deps, (job) => processJob(deps, job, { chopStep, deliverNotification }), { onClaimError: (error) => watch.report(error) });
  const runsWorker = hasWorker(role) && options.worker !== false;
  // Daily reconciliation runs (src/reconcile/schedule.ts) go with the job worker.
  const reconciler = new Reconciler(deps, config.reconcileEveryMs);
  let draining = false;
  const readiness: Readiness = {
    role,
    draining: () => draining,
    migrated: () => watch.migrated,
    checkDatabase: () => watch.check(),
    workerRunning: () => (runsWorker ? worker.isRunning : null),
  };

  const activeRequests = trackActiveRequests(server);
  // First, so every answer (the 503s below too) carries its X-Request-Id and is counted.
  await registerObservability(server, deps);
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
  const closeResources = async () => {
    watch.stop();
    await metricsServer?.close();
    ledger?.close();
    await store.close();
  };
  try {
    await server.listen({ port: config.port, host: config.host });
    listeningUrl = urlOf(server.server, config.host);
    // /metrics on a port of its own when CANCAN_METRICS_PORT is set (else it is on the server above).
    metricsServer = await startMetricsServer(deps);
    if (options.waitForDatabase !== false) await watch.prepareOnce();
  } catch (error) {
    await server.close();
    await closeResources();
    throw error;
  }

  const ready = watch.start().then(() => {
    if (runsWorker && !draining) worker.start();
    if (runsWorker && !draining) reconciler.start();
  });
  if (terminal && hasApi(role)) void ready.then(() => printStartBanner(deps)).catch((error: unknown) => log.warn({ err: error }, 'start banner failed'));

  let closing: Promise<void> | null = null;
  const shutdown = async () => {
    draining = true;
    const graceMs = config.shutdownGraceMs;
    const deadline = Date.now() + graceMs;
    const left = () => Math.max(0, deadline - Date.now());
    log.info({ graceMs }, 'shutdown: not ready any more; finishing in-flight requests and jobs');
    const stopWorker = async () => {
      const [unfinished] = await Promise.all([worker.stop(left()), reconciler.stop(left())]);
      if (runsWorker) log.info({ unfinished }, unfinished === 0 ? 'shutdown: jobs finished' : 'shutdown: grace period over with jobs still running');
      return unfinished;
    };
    const stopServer = async () => {
      await closeGracefully(server, activeRequests, left());
      log.info({}, 'shutdown: HTTP server closed');
    };
    // In-process simulators serve this worker's provider calls: keep listening until its jobs are done.
    let unfinished: number;
    if (ledger) {
      unfinished = await stopWorker();
      await stopServer();
    } else {
      [unfinished] = await Promise.all([stopWorker(), stopServer()]);
    }
    if (unfinished > 0) await releaseUnfinished(store, worker.id, log);
    await closeResources();
    log.info({}, 'shutdown: database pool closed');
  };

  return {
    server,
    deps,
    worker,
    role,
    url: listeningUrl,
    ready,
    close: () => (closing ??= shutdown()),
  };
}

/**
 * Jobs still running after the grace period: hand their leases back so
 * another worker resumes them at once. Safe even with a provider call in
 * flight: every step tolerates a second run (pay is marked sent before it is
 * sent, so the next worker queries; reverse, refund, close and order creation
 * reuse the same provider numbers), and the released holder can write nothing
 * more. The same holds when a lease expires after a crash; this only skips the wait.
 */
async function releaseUnfinished(store: Store, owner: string, log: CoreDeps['log']): Promise<void> {
  try {
    const released = await releaseLeases(store.db, owner);
    log.warn({ released }, 'shutdown: released the leases of unfinished jobs; another worker resumes them');
  } catch (error) {
    log.error({ err: error }, 'shutdown: could not release job leases; they expire by themselves');
  }
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
