/** The two kinds of run: CanCan on a fresh database, and the bare-fastify ceiling. Each server is a child process. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DbKind } from '../test/support/databases.js';
import { CLI, cli, freePort } from '../test/support/process.js';
import { BARE_SERVER, type ServerChild, type ServerMemory, type ServerStats, type SqlTiming, startChild } from './children.js';
import { type BenchDatabase, createBenchDatabase } from './databases.js';
import { type LoadResult, runSales } from './load.js';
import { openSaleStates, waitUntilAllFinal } from './sale-states.js';
import type { BenchSettings, ScaleOut } from './settings.js';

export interface CeilingRun {
  readonly load: LoadResult;
  readonly memory: ServerMemory;
}

/** A change to the headline setup, to measure what it would gain or cost (never the headline figures). */
export interface Experiment {
  readonly name: string;
  /** Where the SQLite data dir goes (e.g. tmpfs, where fsync costs nothing). */
  readonly sqliteRoot?: string;
  /** The provider simulators inside the CanCan server (as a plain `npm start` runs them) instead of a process of their own. */
  readonly inProcessSimulators?: boolean;
}

/** How a run is laid out: one `cancan serve` (role all), or N `serve --role api` + M `serve --role worker` on one database. */
export type Layout = { readonly kind: 'single' } | ({ readonly kind: 'scale-out' } & ScaleOut);

export interface CanCanRun {
  readonly kind: DbKind;
  readonly workerConcurrency: number;
  readonly experiment: Experiment | null;
  readonly layout: Layout;
  /** Whether the provider simulators ran in a process of their own (as remote providers do) or inside the server. */
  readonly simulators: 'own process' | 'in-process';
  /** The measured load: acknowledgements (201) per second and latency. */
  readonly load: LoadResult;
  /** From the first measured request until every sale it created was final. */
  readonly endToEnd: { readonly sales: number; readonly failed: number; readonly seconds: number; readonly perSecond: number; readonly drainSeconds: number };
  /** SQL statements the servers sent per sale, acknowledgement and processing together (in-process simulator ledger included). */
  readonly statementsPerSale: number;
  /**
   * Per sale, the statements of acknowledging and of processing, when they run apart: by process in a scale-out (API
   * processes, worker processes), by thread in one server that processes in worker threads (main thread, other threads).
   */
  readonly statementSplit: { readonly ack: number; readonly processing: number; readonly by: 'process' | 'thread' } | null;
  /** Server CPU time (all threads, all server processes) per sale, acknowledgement and processing together. */
  readonly cpuMsPerSale: number;
  /** At the end of the run, after the drain; with several server processes, their sum. */
  readonly memory: ServerMemory;
  readonly serverProcesses: number;
  /** Profiled SQLite runs: wall time per sale in each statement during the measured run, most first. */
  readonly sqlTiming: readonly SqlTiming[];
}

const DRAIN_TIMEOUT_MS = 600_000;
const runId = () => randomBytes(4).toString('hex');

export async function runCeiling(settings: BenchSettings): Promise<CeilingRun> {
  const server = await startChild({ script: BARE_SERVER, env: { BENCH_PROBE_DATABASES: 'off' }, port: await freePort(), readyPath: '/healthz' });
  try {
    const load = { apiKey: 'none', connections: settings.connections, urls: [server.url] };
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

type Role = 'all' | 'api' | 'worker';

interface CanCanServers {
  readonly servers: readonly { readonly role: Role; readonly child: ServerChild }[];
  readonly apiKey: string;
  stop(): Promise<void>;
}

const rolesOf = (layout: Layout): Role[] =>
  layout.kind === 'single' ? ['all'] : [...Array<Role>(layout.apiProcesses).fill('api'), ...Array<Role>(layout.workerProcesses).fill('worker')];

/** Merchant and key through the CLI, `cancan simulators` unless they run in-process, then the `cancan serve` processes. */
async function startCanCan(
  database: BenchDatabase,
  workerConcurrency: number,
  layout: Layout,
  inProcessSimulators: boolean,
  profileDir: string | null,
): Promise<CanCanServers> {
  const env: Record<string, string> = {
    ...canCanEnv(database.dataDir, database.databaseUrl, workerConcurrency),
    BENCH_SQL_TIMING: profileDir ? '1' : '0',
  };
  const created = cli(env, ['merchant', 'create', '--name', 'Bench Shop', '--gateways', 'wechatpay_cn_domestic', '--json']);
  if (created.status !== 0) throw new Error(`cancan merchant create failed:\n${created.stderr}`);
  const apiKey = (JSON.parse(created.stdout) as { api_key: string }).api_key;
  const simulators = inProcessSimulators
    ? null
    : await startChild({
        script: CLI,
        args: ['simulators'],
        env: { ...env, CANCAN_DATA_DIR: join(database.dataDir, 'simulators') },
        port: await freePort(),
        readyPath: '/_sandbox/ledger',
      });
  const serverEnv = simulators ? { ...env, CANCAN_SIMULATORS: 'off', CANCAN_SIMULATOR_URL: simulators.url } : env;
  const started = await Promise.allSettled(
    rolesOf(layout).map(async (role, index) => {
      const profile = profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=cancan-${database.kind}-c${workerConcurrency}-${role}${index}-${runId()}.cpuprofile`]
        : [];
      const args = role === 'all' ? ['serve'] : ['serve', '--role', role];
      const child = await startChild({ script: CLI, args, env: serverEnv, port: await freePort(), nodeArgs: profile, readyPath: '/readyz' });
      return { role, child };
    }),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((server) => server.child.stop()));
    await simulators?.stop();
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  return { servers, apiKey, stop };
}

export async function runCanCan(
  kind: DbKind,
  workerConcurrency: number,
  settings: BenchSettings,
  experiment: Experiment | null = null,
  layout: Layout = { kind: 'single' },
): Promise<CanCanRun> {
  const database = await createBenchDatabase(kind, experiment?.sqliteRoot);
  try {
    const profiling = experiment === null && settings.profileDir !== null;
    const inProcessSimulators = experiment?.inProcessSimulators === true;
    const { servers, apiKey, stop } = await startCanCan(database, workerConcurrency, layout, inProcessSimulators, profiling ? settings.profileDir : null);
    const states = await openSaleStates(database).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    try {
      // Connections spread round-robin over the processes that serve the API (autocannon takes several URLs).
      const urls = servers.filter((server) => server.role !== 'worker').map((server) => server.child.url);
      const load = { urls, apiKey, connections: settings.connections };
      const statsOf = () => Promise.all(servers.map(async (server) => ({ role: server.role, stats: await server.child.stats() })));
      await runSales({ ...load, seconds: settings.warmupS, idPrefix: `warm-${runId()}` });
      const before = (await waitUntilAllFinal(states, DRAIN_TIMEOUT_MS)).counts;
      const statsBefore = await statsOf();

      const startedAt = performance.now();
      const measured = await runSales({ ...load, seconds: settings.durationS, idPrefix: `sale-${runId()}` });
      const loadEndedAt = performance.now();
      const after = await waitUntilAllFinal(states, DRAIN_TIMEOUT_MS);
      const failed = after.counts.failed - before.failed;
      const sales = after.counts.succeeded - before.succeeded + failed;
      // Every 201 is a committed sale; the database may hold a few more (answers cut off when the load stopped).
      if (sales < measured.created) throw new Error(`${measured.created} sales acknowledged but only ${sales} in the database`);
      const seconds = (after.at - startedAt) / 1000;
      const statsAfter = await statsOf();
      // The bench's own state polls read the database from another connection: not counted.
      const perSaleOf = (roles: readonly Role[], figure: (stats: ServerStats) => number) => {
        if (sales === 0) return 0;
        const total = (list: typeof statsAfter) => list.filter((entry) => roles.includes(entry.role)).reduce((sum, entry) => sum + figure(entry.stats), 0);
        return (total(statsAfter) - total(statsBefore)) / sales;
      };
      const allRoles: Role[] = ['all', 'api', 'worker'];
      const statementsPerSale = perSaleOf(allRoles, (stats) => stats.statements);
      // Apart when the API and the workers are different processes, or when a server processes in worker threads.
      const offMainThread = perSaleOf(allRoles, (stats) => stats.statementsOffMainThread);
      const split =
        layout.kind === 'scale-out'
          ? { ack: perSaleOf(['api'], (stats) => stats.statements), processing: perSaleOf(['worker'], (stats) => stats.statements), by: 'process' as const }
          : offMainThread > 0
            ? { ack: statementsPerSale - offMainThread, processing: offMainThread, by: 'thread' as const }
            : null;
      return {
        kind,
        workerConcurrency,
        experiment,
        layout,
        simulators: inProcessSimulators ? 'in-process' : 'own process',
        load: measured,
        endToEnd: { sales, failed, seconds, perSecond: sales / seconds, drainSeconds: Math.max(0, (after.at - loadEndedAt) / 1000) },
        statementsPerSale,
        statementSplit: split,
        cpuMsPerSale: perSaleOf(allRoles, (stats) => stats.cpuMs),
        memory: sumMemory(statsAfter.map((entry) => entry.stats.memory)),
        serverProcesses: servers.length,
        sqlTiming: perSale(
          statsBefore.flatMap((entry) => entry.stats.sqlTiming),
          statsAfter.flatMap((entry) => entry.stats.sqlTiming),
          sales,
        ),
      };
    } finally {
      await states.close();
      await stop();
    }
  } finally {
    await database.drop();
  }
}

/** Several server processes: what they hold together (peaks summed: an upper bound of the joint peak). */
function sumMemory(memories: readonly ServerMemory[]): ServerMemory {
  const sum = (figure: (memory: ServerMemory) => number) => memories.reduce((total, memory) => total + figure(memory), 0);
  return {
    rssBytes: sum((m) => m.rssBytes),
    peakRssBytes: sum((m) => m.peakRssBytes),
    heapUsedBytes: sum((m) => m.heapUsedBytes),
    heapTotalBytes: sum((m) => m.heapTotalBytes),
  };
}

/** The statements' time during the measured run (after minus before), per sale; the same SQL in several processes adds up. */
function perSale(before: readonly SqlTiming[], after: readonly SqlTiming[], sales: number): SqlTiming[] {
  const totals = (list: readonly SqlTiming[]) => {
    const map = new Map<string, { calls: number; ms: number }>();
    for (const entry of list) {
      const total = map.get(entry.sql) ?? { calls: 0, ms: 0 };
      map.set(entry.sql, { calls: total.calls + entry.calls, ms: total.ms + entry.ms });
    }
    return map;
  };
  const earlier = totals(before);
  return [...totals(after)]
    .map(([sql, entry]) => ({
      sql,
      calls: (entry.calls - (earlier.get(sql)?.calls ?? 0)) / sales,
      ms: (entry.ms - (earlier.get(sql)?.ms ?? 0)) / sales,
    }))
    .filter((entry) => entry.calls > 0)
    .sort((a, b) => b.ms - a.ms);
}
