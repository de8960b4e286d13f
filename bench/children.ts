/** Server children of the bench: spawned with an IPC channel; memory and statement counts read over it, RSS from /proc. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PROBE = new URL('./probe.js', import.meta.url).href;

export interface ServerMemory {
  /** Resident set size now, and its peak (VmHWM), from /proc. */
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
}

export interface ServerStats {
  readonly memory: ServerMemory;
  /** SQL statements sent since the server started (better-sqlite3 prepares, pg queries). */
  readonly statements: number;
  /** Of those, the ones run by worker threads (processing off the main thread). */
  readonly statementsOffMainThread: number;
  /** User + system CPU time of the whole process (all threads) since it started, in ms. */
  readonly cpuMs: number;
  /** With BENCH_SQL_TIMING=1: wall time spent in better-sqlite3 statements, by SQL text, since the start. */
  readonly sqlTiming: readonly SqlTiming[];
}

export interface SqlTiming {
  readonly sql: string;
  readonly calls: number;
  readonly ms: number;
}

export interface ServerChild {
  readonly url: string;
  readonly pid: number;
  readonly output: () => string;
  stats(): Promise<ServerStats>;
  /** SIGTERM (a clean exit writes --cpu-prof profiles), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

export interface ChildOptions {
  readonly script: string;
  readonly args?: readonly string[];
  readonly env: Record<string, string>;
  readonly port: number;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** Path answered with 2xx once the server is ready. */
  readonly readyPath: string;
}

export const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url));

export async function startChild(options: ChildOptions): Promise<ServerChild> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--expose-gc', '--import', PROBE, options.script, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  await waitReady(child, `${url}${options.readyPath}`, () => output);
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    output: () => output,
    async stats() {
      const probed = await probe(child);
      const memory = { heapUsedBytes: probed.memory.heapUsed, heapTotalBytes: probed.memory.heapTotal, ...rssOf(pid) };
      return {
        memory,
        statements: probed.statements,
        statementsOffMainThread: probed.statementsOffMainThread,
        cpuMs: (probed.cpu.user + probed.cpu.system) / 1000,
        sqlTiming: probed.sqlTiming,
      };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ProbeAnswer {
  readonly memory: NodeJS.MemoryUsage;
  readonly cpu: NodeJS.CpuUsage;
  readonly statements: number;
  readonly statementsOffMainThread: number;
  readonly sqlTiming: readonly SqlTiming[];
}

/** Asks the preloaded probe (bench/probe.ts). */
function probe(child: ChildProcess): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not answer the probe')), 5_000);
    child.once('message', (message: Partial<ProbeAnswer>) => {
      clearTimeout(timer);
      const { memory, cpu, statements, statementsOffMainThread, sqlTiming } = message;
      if (!memory || !cpu || typeof statements !== 'number' || typeof statementsOffMainThread !== 'number' || !sqlTiming) {
        return reject(new Error('unexpected message from the server'));
      }
      resolve({ memory, cpu, statements, statementsOffMainThread, sqlTiming });
    });
    child.send('stats');
  });
}

function rssOf(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}
