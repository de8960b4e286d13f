/** What one `npm run bench` measures: flags win over BENCH_* environment variables, which win over defaults. */
import { parseArgs } from 'node:util';
import type { DbKind } from '../test/support/databases.js';

/** N `serve --role api` + M `serve --role worker` processes on one PostgreSQL database. */
export interface ScaleOut {
  readonly apiProcesses: number;
  readonly workerProcesses: number;
}

export interface BenchSettings {
  /** Seconds of measured load per run. */
  readonly durationS: number;
  /** Seconds of load before each measured run (its sales are drained and not counted). */
  readonly warmupS: number;
  readonly connections: number;
  readonly databases: readonly DbKind[];
  /** CANCAN_WORKER_CONCURRENCY values to try, one fresh server and database each; the first is the default. */
  readonly workerConcurrencies: readonly number[];
  /** Write V8 CPU profiles of the CanCan servers here and time SQLite statements (null: no profiling). */
  readonly profileDir: string | null;
  /** Also measure raw better-sqlite3 commit rates (per-sale vs batched durable commits). */
  readonly commitExperiment: boolean;
  /** Also run SQLite with its data dir on tmpfs, to estimate what fsync costs. */
  readonly experiments: boolean;
  /** The PostgreSQL scale-out run (null: none). */
  readonly scaleOut: ScaleOut | null;
  /** Where the report goes (null: do not write it). */
  readonly reportPath: string | null;
  readonly quick: boolean;
}

export const USAGE = `npm run bench -- [options]
  --quick                 3 s runs after 1 s warm-ups (BENCH_QUICK=1)
  --duration S            measured seconds per run, default 10 (BENCH_DURATION)
  --warmup S              warm-up seconds per run, default 2 (BENCH_WARMUP)
  --connections N         concurrent connections, default 50 (BENCH_CONNECTIONS)
  --databases LIST        sqlite,postgres (BENCH_DATABASES)
  --concurrency LIST      CANCAN_WORKER_CONCURRENCY values, default 16,64 (BENCH_WORKER_CONCURRENCY)
  --profile DIR           write CPU profiles of the servers to DIR, time SQLite statements (BENCH_PROFILE_DIR)
  --no-commits            skip the raw SQLite commit-rate experiment
  --scale-out NxM|off     PostgreSQL with N API + M worker processes, default 2x2 (BENCH_SCALE_OUT)
  --experiments           extra SQLite run: data dir on tmpfs (BENCH_EXPERIMENTS=1)
  --out FILE|-            report file, default docs/benchmarks.md; - writes none (BENCH_OUT)
`;

export function readSettings(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      databases: { type: 'string' },
      concurrency: { type: 'string' },
      profile: { type: 'string' },
      'no-commits': { type: 'boolean' },
      experiments: { type: 'boolean' },
      'scale-out': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const out = values.out ?? env.BENCH_OUT ?? 'docs/benchmarks.md';
  return {
    quick,
    durationS: positive('duration', values.duration ?? env.BENCH_DURATION, quick ? 3 : 10),
    warmupS: positive('warmup', values.warmup ?? env.BENCH_WARMUP, quick ? 1 : 2),
    connections: positive('connections', values.connections ?? env.BENCH_CONNECTIONS, 50),
    databases: list(values.databases ?? env.BENCH_DATABASES ?? 'sqlite,postgres').map(dbKind),
    workerConcurrencies: list(values.concurrency ?? env.BENCH_WORKER_CONCURRENCY ?? '16,64').map((text) => positive('concurrency', text, 16)),
    profileDir: values.profile ?? env.BENCH_PROFILE_DIR ?? null,
    commitExperiment: values['no-commits'] !== true,
    experiments: values.experiments === true || env.BENCH_EXPERIMENTS === '1',
    scaleOut: scaleOut(values['scale-out'] ?? env.BENCH_SCALE_OUT ?? '2x2'),
    reportPath: out === '-' ? null : out,
  };
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function dbKind(text: string): DbKind {
  if (text === 'sqlite' || text === 'postgres') return text;
  throw new Error(`--databases takes sqlite and/or postgres, got ${JSON.stringify(text)}`);
}

function scaleOut(text: string): ScaleOut | null {
  if (text === 'off' || text === '0') return null;
  const match = /^(\d+)x(\d+)$/.exec(text);
  const [apiProcesses, workerProcesses] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || !(apiProcesses > 0) || !(workerProcesses > 0))
    throw new Error(`--scale-out takes API x worker processes (e.g. 2x2) or off, got ${JSON.stringify(text)}`);
  return { apiProcesses, workerProcesses };
}
