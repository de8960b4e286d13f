/**
 * `cancan serve` on an interactive terminal (run under `script`, which gives
 * it a pseudo-terminal): readable log lines, one line per request, and the
 * start banner at every start. The same server with its output piped logs
 * JSON lines, as log collectors and the other tests expect, and no banner.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, freePort, startServer } from '../support/process.js';
import { waitFor } from '../support/chop.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
// Colours and the terminal's carriage returns off, so lines compare as text.
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, ''); // eslint-disable-line no-control-regex

interface TerminalServer {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** `cancan serve` with a pseudo-terminal as standard output; `echo PID $$; exec` gives the server's own pid. */
async function startOnTerminal(env: Record<string, string>): Promise<TerminalServer> {
  const port = await freePort();
  const command = `echo "PID $$"; exec '${process.execPath}' '${CLI}' serve`;
  const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const pid = await waitFor(() => /PID (\d+)/.exec(output)?.[1], 20_000);
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => plain(output),
    async stop() {
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

describe('logs on a terminal and in a pipe', { skip: hasScript ? false : 'needs script(1) from util-linux' }, () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cancan-terminal-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = () => ({ CANCAN_DATA_DIR: dataDir, CANCAN_DEMO: 'on', LOG_LEVEL: 'info' });

  test('a terminal gets readable lines, one per request, and the banner at the first start and again at the next', async () => {
    const first = await startOnTerminal(env());
    let firstOutput: string;
    try {
      await waitFor(() => (first.output().includes('Demo merchant created') && first.output().includes('  Stop        Ctrl-C') ? true : undefined), 30_000);
      assert.equal((await fetch(`${first.url}/api/v2/transactions?page[size]=1`)).status, 401);
      assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
      const line = await waitFor(() =>
        first
          .output()
          .split('\n')
          .find((l) => l.includes('GET /api/v2/transactions?page[size]=1 401')),
      );
      assert.match(line, /^\[\d\d:\d\d:\d\d\] INFO: GET \/api\/v2\/transactions\?page\[size\]=1 401 \d+ ms \{"reqId":"[^"]+"\}$/);
      firstOutput = first.output();
    } finally {
      await first.stop();
    }
    const lines = firstOutput.split('\n');
    assert.equal(lines.filter((l) => l.includes('/api/v2/transactions?page[size]=1')).length, 1, 'one line for the request');
    assert.equal(lines.filter((l) => l.includes('/healthz')).length, 0, 'health probes stay at debug');
    assert.equal(lines.filter((l) => l.trimStart().startsWith('{')).length, 0, 'no JSON line');
    assert.ok(!firstOutput.includes('incoming request'));
    const key = /test API key \(shown once\): (sk_test_\S+)/.exec(firstOutput)?.[1];
    assert.ok(key, 'the first start shows the demo key');
    const merchant = /merchant: (mch_\S+)/.exec(firstOutput)?.[1];
    assert.ok(merchant);

    const second = await startOnTerminal(env());
    try {
      const banner = await waitFor(() => {
        const text = second.output();
        const at = text.indexOf('CanCan is running');
        return at >= 0 && text.includes('Ctrl-C', at) ? text.slice(at, text.indexOf('Ctrl-C', at) + 'Ctrl-C'.length) : undefined;
      }, 30_000);
      assert.equal(
        banner,
        [
          `CanCan is running (role all, SQLite in ${dataDir}, simulators on)`,
          `  POS API     ${second.url}/api/v2/transactions`,
          `  Checkout    ${second.url}/chop/chop`,
          `  Dashboard   ${second.url}/dashboard`,
          `  API docs    ${second.url}/docs`,
          `  API key     dashboard > Developers > Create key, or: npm run -s cancan -- key create --merchant ${merchant} --mode test`,
          '  Stop        Ctrl-C',
        ].join('\n'),
      );
      assert.ok(!second.output().includes('Demo merchant created'), 'the demo merchant is made once');
      assert.ok(!second.output().includes(key), 'the key is not shown again');
    } finally {
      await second.stop();
    }
  });

  test('a pipe gets JSON lines with fastify request lines, and no banner', async () => {
    const server = await startServer({ CANCAN_DATA_DIR: dataDir, CANCAN_DEMO: 'on', LOG_LEVEL: 'info' }, await freePort());
    try {
      assert.equal((await fetch(`${server.url}/api/v2/transactions`)).status, 401);
      await waitFor(() => (server.output().includes('"request completed"') ? true : undefined));
    } finally {
      await server.kill('SIGTERM');
    }
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l !== '');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(parsed.some((l) => l.msg === 'incoming request'));
    assert.ok(parsed.some((l) => l.msg === 'request completed'));
    assert.ok(!server.output().includes('CanCan is running'));
  });
});
