/** The two kinds of run: CanCan on a fresh database, and the bare-fastify ceiling. Each server is a child process. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DbKind } from '../test/support/databases.js';
import { CLI, cli, freePort } from '../test/support/process.js';
import { BARE_SERVER, type ServerChild, type ServerMemory, type SqlTiming, startChild } from './children.js';
import { type BenchDatabase, createBenchDatabase } from './databases.js';
import { type LoadResult, runSales } from './load.js';
import { openSaleStates, waitUntilAllFinal } from './sale-states.js';
import type { BenchSettings } from './settings.js';

export interface CeilingRun {
  readonly load: LoadResult;
  readonly memory: ServerMemory;
}

/** A change to the production setup, to measure what it would gain (never the headline figures). */
export interface Experiment {
  readonly name: string;
  /** Where the SQLite data dir goes (e.g. tmpfs, where fsync costs nothing). */
  readonly sqliteRoot?: string;
  /** Reuse better-sqlite3 prepared statements (bench/probe.ts). */
  /** Run the provider simulators in a process of their own (`cancan simulators`), as remote providers would be. */
  readonly separateSimulators?: boolean;
}

export interface CanCanRun {
  readonly kind: DbKind;
  readonly workerConcurrency: number;
  readonly experiment: Experiment | null;
  /** The measured load: acknowledgements (201) per second and latency. */
  readonly load: LoadResult;
  /** From the first measured request until every sale it created was final. */
  readonly endToEnd: { readonly sales: number; readonly failed: number; readonly seconds: number; readonly perSecond: number; readonly drainSeconds: number };
  /** SQL statements the server sent per sale, acknowledgement and processing together (simulator ledger included). */
  readonly statementsPerSale: number;
  /** Server CPU time (all threads) per sale, acknowledgement and processing together (less swayed by other load than rates are). */
  readonly cpuMsPerSale: number;
  /** At the end of the run, after the drain. */
  readonly memory: ServerMemory;
  /** Profiled SQLite runs: wall time per sale in each statement during the measured run, most first. */
  readonly sqlTiming: readonly SqlTiming[];
}

const DRAIN_TIMEOUT_MS = 600_000;
const runId = () => randomBytes(4).toString('hex');

export async function runCeiling(settings: BenchSettings): Promise<CeilingRun> {
  const server = await startChild({ script: BARE_SERVER, env: { BENCH_PROBE_DATABASES: 'off' }, port: await freePort(), readyPath: '/healthz' });
  try {
    const load = { apiKey: 'none', connections: settings.connections, url: server.url };
    await runSales({ ...load, seconds: settings.warmupS, idPrefix: `warm-${runId()}` });
    const measured = await runSales({ ...load, seconds: settings.durationS, idPrefix: `sale-${runId()}` });
    return { load: measured, memory: (await server.stats()).memory };
  } finally {
    await server.stop();
  }
}

export function canCanEnv(dataDir: string, databaseUrl: string | null, workerConcurrency: number): Record<string, string> {
  return {
    CANCAN_DATA_DIR: dataDir,
    // Always set: an inherited DATABASE_URL must not turn a SQLite run into a PostgreSQL one.
    DATABASE_URL: databaseUrl ?? '',
    LOG_LEVEL: 'warn',
    CANCAN_DEMO: 'off',
    // The bench is one API key at full speed: the per-key limit must not be what it measures.
    CANCAN_RATE_LIMIT_PER_SECOND: '1000000000',
    CANCAN_RATE_LIMIT_BURST: '1000000000',
    CANCAN_WORKER_CONCURRENCY: String(workerConcurrency),
  };
}

interface CanCanServer {
  readonly server: ServerChild;
  readonly apiKey: string;
  stop(): Promise<void>;
}

/** Merchant and key through the CLI, then `cancan serve` (and `cancan simulators` when they run apart). */
async function startCanCan(
  database: BenchDatabase,
  workerConcurrency: number,
  experiment: Experiment | null,
  profileDir: string | null,
): Promise<CanCanServer> {
  const env: Record<string, string> = {
    ...canCanEnv(database.dataDir, database.databaseUrl, workerConcurrency),
    BENCH_SQL_TIMING: profileDir ? '1' : '0',
  };
  const created = cli(env, ['merchant', 'create', '--name', 'Bench Shop', '--gateways', 'wechatpay_cn_domestic', '--json']);
  if (created.status !== 0) throw new Error(`cancan merchant create failed:\n${created.stderr}`);
  const apiKey = (JSON.parse(created.stdout) as { api_key: string }).api_key;
  const simulators = experiment?.separateSimulators
    ? await startChild({
        script: CLI,
        args: ['simulators'],
        env: { ...env, CANCAN_DATA_DIR: join(database.dataDir, 'simulators') },
        port: await freePort(),
        readyPath: '/_sandbox/ledger',
      })
    : null;
  const profile = profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=cancan-${database.kind}-c${workerConcurrency}-${runId()}.cpuprofile`]
    : [];
  try {
    const server = await startChild({
      script: CLI,
      args: ['serve'],
      env: simulators ? { ...env, CANCAN_SIMULATORS: 'off', CANCAN_SIMULATOR_URL: simulators.url } : env,
      port: await freePort(),
      nodeArgs: profile,
      readyPath: '/healthz',
    });
    return {
      server,
      apiKey,
      async stop() {
        await server.stop();
        await simulators?.stop();
      },
    };
  } catch (error) {
    await simulators?.stop();
    throw error;
  }
}

export async function runCanCan(kind: DbKind, workerConcurrency: number, settings: BenchSettings, experiment: Experiment | null = null): Promise<CanCanRun> {
  const database = await createBenchDatabase(kind, experiment?.sqliteRoot);
  try {
    const profiling = experiment === null && settings.profileDir !== null;
    const { server, apiKey, stop } = await startCanCan(database, workerConcurrency, experiment, profiling ? settings.profileDir : null);
    const states = await openSaleStates(database).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    try {
      const load = { url: server.url, apiKey, connections: settings.connections };
      await runSales({ ...load, seconds: settings.warmupS, idPrefix: `warm-${runId()}` });
      const before = (await waitUntilAllFinal(states, DRAIN_TIMEOUT_MS)).counts;
      const statsBefore = await server.stats();

      const startedAt = performance.now();
      const measured = await runSales({ ...load, seconds: settings.durationS, idPrefix: `sale-${runId()}` });
      const loadEndedAt = performance.now();
      const after = await waitUntilAllFinal(states, DRAIN_TIMEOUT_MS);
      const failed = after.counts.failed - before.failed;
      const sales = after.counts.succeeded - before.succeeded + failed;
      // Every 201 is a committed sale; the database may hold a few more (answers cut off when the load stopped).
      if (sales < measured.created) throw new Error(`${measured.created} sales acknowledged but only ${sales} in the database`);
      const seconds = (after.at - startedAt) / 1000;
      const stats = await server.stats();
      return {
        kind,
        workerConcurrency,
        experiment,
        load: measured,
        endToEnd: { sales, failed, seconds, perSecond: sales / seconds, drainSeconds: Math.max(0, (after.at - loadEndedAt) / 1000) },
        // The bench's own state polls read the database from another connection: not counted.
        statementsPerSale: sales > 0 ? (stats.statements - statsBefore.statements) / sales : 0,
        cpuMsPerSale: sales > 0 ? (stats.cpuMs - statsBefore.cpuMs) / sales : 0,
        memory: stats.memory,
        sqlTiming: perSale(statsBefore.sqlTiming, stats.sqlTiming, sales),
      };
    } finally {
      await states.close();
      await stop();
    }
  } finally {
    await database.drop();
  }
}

/** The statements' time during the measured run (after minus before), per sale. */
function perSale(before: readonly SqlTiming[], after: readonly SqlTiming[], sales: number): SqlTiming[] {
  const earlier = new Map(before.map((entry) => [entry.sql, entry]));
  return after
    .map((entry) => ({
      sql: entry.sql,
      calls: (entry.calls - (earlier.get(entry.sql)?.calls ?? 0)) / sales,
      ms: (entry.ms - (earlier.get(entry.sql)?.ms ?? 0)) / sales,
    }))
    .filter((entry) => entry.calls > 0)
    .sort((a, b) => b.ms - a.ms);
}
