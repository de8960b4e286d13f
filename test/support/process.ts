/** Runs the real `cancan` binary as a child process, for tests that kill and restart it. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WAIT_LIMIT_MS } from './wait.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function cli(env: Record<string, string>, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  /** Resolves when the process has exited and its output is all read. */
  readonly exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** Arguments after the command (e.g. ['--role', 'worker']). */
  readonly args?: readonly string[];
  /** The command to run instead of `serve` (e.g. 'simulators'). */
  readonly command?: string;
  /** What "started" means: /readyz answers 200 (default), /healthz does, or any HTTP answer at `path`. */
  readonly waitFor?: 'readyz' | 'healthz' | { readonly path: string };
  readonly timeoutMs?: number;
}

export async function startServer(env: Record<string, string>, port: number, options: StartOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, options.command ?? 'serve', ...(options.args ?? [])], {
    // A test blocked in a synchronous CLI run must not find its kept-alive connection closed under it (see harness.ts);
    // no daily reconciliation fetching statements unless a test asks for it.
    env: { ...process.env, CANCAN_KEEP_ALIVE_TIMEOUT_MS: '600000', CANCAN_RECONCILE_EVERY_MS: '0', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  // 'close' comes after 'exit' once stdout and stderr are drained, so output() is complete.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const waitFor = options.waitFor ?? 'readyz';
  const path = typeof waitFor === 'string' ? `/${waitFor}` : waitFor.path;
  const deadline = Date.now() + (options.timeoutMs ?? WAIT_LIMIT_MS);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      const response = await fetch(`${url}${path}`);
      await response.arrayBuffer();
      if (response.ok || typeof waitFor !== 'string') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ${typeof waitFor === 'string' ? waitFor : 'reachable'}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    output: () => output,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * CanCan processes sharing one PostgreSQL test database: the environment they
 * share (with `settings` on top) and their simulators, started here in a
 * process of their own so that any CanCan process can be killed alone.
 */
export async function sharedDatabaseProcesses(
  database: { readonly databaseUrl: string | null; readonly dataDir: string },
  settings: Record<string, string>,
): Promise<{ env: Record<string, string>; simulator: ServerProcess }> {
  const simulatorPort = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: database.databaseUrl ?? '',
    CANCAN_DATA_DIR: database.dataDir,
    CANCAN_MASTER_KEY: randomBytes(32).toString('hex'),
    CANCAN_DEMO: 'off',
    CANCAN_SIMULATORS: 'off',
    CANCAN_SIMULATOR_URL: `http://127.0.0.1:${simulatorPort}`,
    LOG_LEVEL: 'warn',
    ...settings,
  };
  const simulator = await startServer({ ...env, CANCAN_SIMULATORS: 'on' }, simulatorPort, { command: 'simulators', waitFor: { path: '/_sandbox/ledger' } });
  return { env, simulator };
}
