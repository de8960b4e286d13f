/**
 * The processing thread: the job worker and the reconciler with a database
 * connection (SQLite) or pool (PostgreSQL) of their own, so that processing
 * never holds up the HTTP thread's acknowledgements. It hears about new jobs
 * from the HTTP thread, tells it which transactions changed (held requests),
 * and sends its log lines and metrics there. It also runs the WAL checkpoints.
 */
import { Lookups } from '../store/lookups.js';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { systemResolver } from '../chop/url-guard.js';
import type { CoreDeps } from '../core/deps.js';
import { Notifier } from '../core/notifier.js';
import { systemClock } from '../domain/clock.js';
import { SecretBox } from '../domain/secrets.js';
import { REDACTED_LOG_PATHS } from '../http/server.js';
import { createAdapterSource } from '../providers/adapters.js';
import { installProviders } from '../providers/catalog.js';
import { PROVIDERS } from '../providers/list.js';
import { startCheckpoints } from '../store/checkpoints.js';
import { isDatabaseUnavailableError, openStore } from '../store/db.js';
import { JobNotifier } from '../store/pg-wake.js';
import { PROCESSING_THREAD } from '../store/write-lock.js';
import type { FromThread, ThreadData, ToThread } from './messages.js';
import { Processing } from './processing.js';
import { RelayedMetrics, WakeRelay } from './relay.js';

const port: MessagePort = (() => {
  if (!parentPort) throw new Error('processing/entry.js runs as a worker thread (processing/thread.ts starts it)');
  return parentPort;
})();
const post = (message: FromThread) => port.postMessage(message);
const { config, masterKey, listeningUrl, writeLock } = workerData as ThreadData;

installProviders(PROVIDERS);
const log = pino(
  { level: config.logLevel, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' }, base: { pid: process.pid, thread: 'processing' } },
  { write: (line: string) => post({ type: 'log', line }) },
);
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));

const store = openStore({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  autoCheckpoint: false,
  ...(writeLock ? { writeLock: { memory: writeLock, holder: PROCESSING_THREAD } } : {}),
});
const secrets = new SecretBox(Buffer.from(masterKey, 'hex'));
const notifier = new Notifier();
const wake = new WakeRelay(post);
notifier.relay(wake);
if (store.dialect === 'postgres') notifier.relay(new JobNotifier(store.db));
const metrics = new RelayedMetrics((calls) => post({ type: 'metrics', calls }));
const simulatorUrl = () => config.simulatorUrl ?? listeningUrl;
const lookups = new Lookups(store.db);
const deps: CoreDeps = {
  store,
  clock: systemClock,
  secrets,
  notifier,
  config,
  log,
  metrics,
  adapters: createAdapterSource({ config, store, secrets, simulatorUrl, providers: PROVIDERS, lookups }),
  lookups,
  publicUrl: () => config.publicUrl ?? listeningUrl,
  simulatorUrl,
  resolveHost: systemResolver,
};
const processing = new Processing(deps, (error) => {
  if (!isDatabaseUnavailableError(error) || !(error instanceof Error)) return;
  const code = (error as { code?: unknown }).code;
  post({ type: 'database-error', message: error.message, code: typeof code === 'string' ? code : null });
});
const checkpoints = startCheckpoints(store, (error) => log.warn({ err: error }, 'WAL checkpoint failed; the next one retries'));

// /readyz asks whether the worker loop runs: say so whenever that changes.
let reported: boolean | null = null;
const report = () => {
  if (processing.running === reported) return;
  reported = processing.running;
  post({ type: 'running', running: reported });
};
const watch = setInterval(report, 250);

let stopping = false;
port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'wake':
      if (message.job) notifier.heardJobEnqueued();
      for (const seq of message.seqs) notifier.heardTransactionChanged(seq);
      return;
    case 'start':
      if (stopping) return;
      processing.start();
      report();
      return;
    case 'stop':
      if (stopping) return;
      stopping = true;
      void stop(message.graceMs);
      return;
  }
});

async function stop(graceMs: number): Promise<void> {
  let unfinished = 0;
  try {
    unfinished = await processing.stop(graceMs);
  } finally {
    clearInterval(watch);
    report();
    checkpoints.stop();
    wake.flush();
    metrics.flush();
    await store.close().catch((error: unknown) => log.error({ err: error }, 'closing the processing thread database failed'));
    post({ type: 'stopped', unfinished });
    port.close();
  }
}
