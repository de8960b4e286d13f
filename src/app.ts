/**
 * Composition root: store + migrations, secrets, simulators (test mode),
 * HTTP server and the in-process worker.
 */
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { loadMasterKey } from './config.js';
import type { CoreDeps } from './core/deps.js';
import { Notifier } from './core/notifier.js';
import { processJob } from './core/process.js';
import { deliverNotification } from './chop/ipn.js';
import { chopStep } from './chop/process.js';
import { type Clock, systemClock } from './domain/clock.js';
import { SecretBox } from './domain/secrets.js';
import { buildServer, registerApi } from './http/server.js';
import { SHUTDOWN_GRACE_MS, closeGracefully, trackActiveRequests } from './http/shutdown.js';
import { Worker } from './jobs/worker.js';
import { createAdapterSource } from './providers/adapters.js';
import { registerSimulators } from './simulators/register.js';
import { type Store, openStore } from './store/db.js';
import { migrate } from './store/migrations.js';
import { Metrics } from './observability/metrics.js';
import type { FastifyInstance } from 'fastify';

export interface App {
  readonly server: FastifyInstance;
  readonly deps: CoreDeps;
  readonly worker: Worker;
  /** The URL this server listens on. */
  readonly url: string;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly clock?: Clock;
  readonly logStream?: DestinationStream;
  /** Start the job worker (default true). */
  readonly worker?: boolean;
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

export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const store = await openMigratedStore(config);
  const secrets = new SecretBox(loadMasterKey(config));
  const server = buildServer({ logLevel: config.logLevel, ...(options.logStream ? { logStream: options.logStream } : {}) });
  let listeningUrl = '';
  const deps: CoreDeps = {
    store,
    clock: options.clock ?? systemClock,
    secrets,
    notifier: new Notifier(),
    config,
    log: server.log,
    metrics: new Metrics(),
    adapters: createAdapterSource({ config, store, secrets, simulatorBaseUrl: () => listeningUrl }),
    publicUrl: () => config.publicUrl ?? listeningUrl,
  };
  const activeRequests = trackActiveRequests(server);
  await registerApi(server, deps);
  const ledger = config.simulators ? await registerSimulators(server, config) : null;
  const handlers = { chopStep, deliverNotification };
  const worker = new Worker(deps, (job) => processJob(deps, job, handlers));

  try {
    await server.listen({ port: config.port, host: config.host });
  } catch (error) {
    ledger?.close();
    await store.close();
    throw error;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  listeningUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  if (options.worker !== false) worker.start();

  return {
    server,
    deps,
    worker,
    url: listeningUrl,
    async close() {
      // Finish in-flight jobs first: they may be talking to the in-process simulators.
      await worker.stop();
      await closeGracefully(server, activeRequests, SHUTDOWN_GRACE_MS);
      ledger?.close();
      await store.close();
    },
  };
}
