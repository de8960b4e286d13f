/**
 * The README runs as written. The shell examples of "Quick start", "Web shop
 * quick start" and "Using the POS API" are run in order, by bash and the real
 * curl, against a fresh server started as a process (SQLite in a temp dir,
 * simulators on, the demo merchant made at its first start), with the values
 * the README tells the reader to fill in taken from where the reader would
 * take them. Every curl example is followed in the README by its answer,
 * `# → <status> <JSON>`, which is checked:
 *
 *   `…` inside a string   any text (a placeholder not learned yet counts as one)
 *   `...` in an object     other members; listed members must match
 *   `...` in an array      other elements; each listed element matches one of them
 *
 * An example that reads (a GET, or inquire) is asked again until its answer
 * matches, as the README tells the reader to; anything else must match at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type ServerProcess, freePort, startServer } from '../support/process.js';
import { waitFor } from '../support/chop.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const SECTIONS = ['## Quick start', '## Web shop quick start (hosted checkout)', '## Using the POS API'] as const;
/** The address the README's examples use; the test's server listens elsewhere. */
const README_URL = 'http://127.0.0.1:8080';

export interface Example {
  readonly section: string;
  readonly command: string;
  /** The text after `# →` on the line(s) below the command, if any. */
  readonly answer: string | null;
}

/** The ```sh blocks of a section (up to the next `## ` heading), as commands with their answers. */
export function examplesOf(readme: string, heading: string): Example[] {
  const start = readme.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const next = readme.indexOf('\n## ', start + heading.length);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const examples: { section: string; command: string; answer: string | null }[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let pending = '';
    for (const line of (block[1] ?? '').split('\n')) {
      if (pending === '' && /^\s*#/.test(line)) {
        const answer = /^\s*# → (.*)$/.exec(line)?.[1];
        const last = examples.at(-1);
        if (answer !== undefined && last) last.answer = last.answer === null ? answer : `${last.answer} ${answer}`;
        continue;
      }
      if (pending === '' && line.trim() === '') continue;
      pending += (pending === '' ? '' : '\n') + line;
      // A command goes on while a line ends in a backslash or a single quote is open (the POS JSON bodies).
      // (Quotes in a trailing comment, "Debian's", do not count.)
      const quotes = pending.split('\n').reduce((n, part) => n + (part.replace(/\s#\s.*$/, '').match(/'/g) ?? []).length, 0);
      if (line.endsWith('\\') || quotes % 2 === 1) continue;
      examples.push({ section: heading, command: pending, answer: null });
      pending = '';
    }
    if (pending !== '') throw new Error(`unfinished command in "${heading}": ${pending}`);
  }
  return examples;
}

/** An answer pattern: `...` dropped (subset matching), JSON parsed; `…` stays in strings as "any text". */
export function patternOf(json: string): unknown {
  const text = json
    .replace(/,\s*\.\.\./g, '')
    .replace(/\.\.\.\s*,/g, '')
    .replace(/\.\.\./g, '');
  return JSON.parse(text) as unknown;
}

export function matches(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string' && expected.includes('…')) {
    const pattern = expected
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return typeof actual === 'string' && new RegExp(`^${pattern}$`, 's').test(actual);
  }
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((item) => actual.some((candidate) => matches(item, candidate)));
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([key, value]) => key in actual && matches(value, (actual as Record<string, unknown>)[key]));
  }
  return Object.is(expected, actual);
}

/** What the reader fills in, and where the reader (and so the test) finds it. */
const FILL_INS: readonly { readonly placeholder: string; readonly learn?: (body: Record<string, unknown>) => string | undefined }[] = [
  // The demo key comes from the first start's output (see before()).
  { placeholder: 'sk_test_…' },
  // "the id is the landing URL's q"
  { placeholder: '4f3c…', learn: (body) => (typeof body.url === 'string' ? (new URL(body.url).searchParams.get('q') ?? undefined) : undefined) },
  // "inquire shows the QR's content while the charge is payable (`qr_code`)"
  { placeholder: 'weixin://wxpay/bizpayurl?pr=…', learn: (body) => (typeof body.qr_code === 'string' ? body.qr_code : undefined) },
];

/** Lines that are not run here, and why; anything else that is not curl or `KEY=` fails the test. */
const NOT_RUN: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /^npm install && npm start\b/, why: 'the test starts the built server itself, as npm start does' },
  { pattern: /^npm test\b/, why: 'the whole suite' },
  { pattern: /^docker compose\b/, why: 'this machine cannot pull base images' },
];

function parsedOrNull(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

describe('README examples', () => {
  let server: ServerProcess;
  let dataDir: string;
  let workDir: string;
  const known = new Map<string, string>();
  const readme = readFileSync(README, 'utf8');
  const examples = SECTIONS.flatMap((heading) => examplesOf(readme, heading));

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cancan-readme-data-'));
    workDir = mkdtempSync(join(tmpdir(), 'cancan-readme-cwd-'));
    // As `npm start` on a fresh clone: defaults, the demo merchant, simulators on; only the data dir and port are the test's.
    server = await startServer({ CANCAN_DATA_DIR: dataDir, CANCAN_DEMO: 'on', CANCAN_SIMULATORS: 'on', LOG_LEVEL: 'warn' }, await freePort(), {
      timeoutMs: 60_000,
    });
    const key = await waitFor(() => /test API key \(shown once\): (sk_test_\S+)/.exec(server.output())?.[1], 60_000);
    known.set('sk_test_…', key);
  });
  after(async () => {
    await server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  const fillIn = (text: string, unknownAs: 'keep' | 'any') => {
    let filled = text.replaceAll(README_URL, server.url);
    for (const { placeholder } of FILL_INS) {
      const value = known.get(placeholder);
      if (value !== undefined) filled = filled.replaceAll(placeholder, value);
      else if (unknownAs === 'any') filled = filled.replaceAll(placeholder, '…');
    }
    return filled;
  };

  const run = (command: string, variables: Map<string, string>): Answer => {
    // curl as written, with the status appended on a line of its own.
    const prelude = [`curl() { command curl -w '\\n%{http_code}' "$@"; }`, ...[...variables].map(([name, value]) => `${name}='${value}'`)];
    const result = spawnSync('bash', ['-c', `${prelude.join('\n')}\n${command}`], { cwd: workDir, encoding: 'utf8' });
    assert.equal(result.status, 0, `bash failed: ${result.stderr}\n${command}`);
    const at = result.stdout.lastIndexOf('\n');
    const status = Number(result.stdout.slice(at + 1));
    const text = result.stdout.slice(0, Math.max(0, at));
    return { status, body: parsedOrNull(text), text };
  };

  test('the sections have examples, and every curl example says what it answers', () => {
    for (const heading of SECTIONS)
      assert.ok(examples.some((e) => e.section === heading && e.command.startsWith('curl ')) || heading === '## Quick start', heading);
    for (const example of examples.filter((e) => e.command.startsWith('curl '))) {
      assert.match(example.answer ?? '', /^\d{3}\b/, `no "# → <status> …" line after:\n${example.command}`);
    }
    assert.deepEqual(
      examples.filter((e) => e.section === '## Quick start').map((e) => e.command.split(/\s+#/)[0]?.trim()),
      ['npm install && npm start', 'npm test', 'docker compose up --build', 'docker compose logs cancan'],
    );
  });

  test('every example runs in order and answers as the README says', async () => {
    const variables = new Map<string, string>();
    const ran: string[] = [];
    for (const example of examples) {
      const first = example.command.split('\n')[0] ?? '';
      if (NOT_RUN.some(({ pattern }) => pattern.test(first))) continue;
      const assignment = /^([A-Z_]+)=(\S+)/.exec(first);
      if (assignment && !first.startsWith('curl')) {
        const value = fillIn(assignment[2] ?? '', 'keep');
        assert.ok(!value.includes('…'), `the README asks for a value the test cannot fill in: ${first}`);
        variables.set(assignment[1] ?? '', value);
        continue;
      }
      assert.ok(first.startsWith('curl '), `an example the test does not know how to run (add it to NOT_RUN with the reason): ${first}`);
      const command = fillIn(example.command, 'keep');
      assert.ok(!command.includes('…'), `a placeholder no earlier answer filled in:\n${command}`);

      const [, statusText, rest] = /^(\d{3})\b,?\s*(.*)$/.exec(example.answer ?? '') ?? [];
      const status = Number(statusText);
      const jsonAnswer = rest !== undefined && /^[[{]/.test(rest) ? rest : null;
      const expectedOf = () => (jsonAnswer === null ? undefined : patternOf(fillIn(jsonAnswer, 'any')));
      const fits = (answer: Answer) => answer.status === status && (jsonAnswer === null || matches(expectedOf(), answer.body));
      // Reads are asked again until they show what the README says (a sale becoming final, a QR being made).
      const isRead = !/\s-d\s|-X POST/.test(command) || /\/inquire\b/.test(command);
      let answer = run(command, variables);
      if (!fits(answer) && isRead) {
        const again = () => {
          const next = run(command, variables);
          return fits(next) ? next : undefined;
        };
        answer = await waitFor(again, 60_000).catch(() => run(command, variables));
      }
      assert.equal(answer.status, status, `${command}\n→ ${answer.text}`);
      if (jsonAnswer !== null)
        assert.ok(matches(expectedOf(), answer.body), `answer does not match the README:\n${command}\nREADME: ${jsonAnswer}\ngot:    ${answer.text}`);

      const file = /\s-o\s+(\S+)/.exec(command)?.[1];
      if (file) {
        const bytes = readFileSync(join(workDir, file));
        if (file.endsWith('.png')) assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
      }
      if (answer.body !== null && typeof answer.body === 'object' && !Array.isArray(answer.body)) {
        for (const { placeholder, learn } of FILL_INS) {
          const value = learn?.(answer.body as Record<string, unknown>);
          if (value !== undefined && !known.has(placeholder)) known.set(placeholder, value);
        }
      }
      ran.push(first);
    }
    assert.equal(ran.length, examples.filter((e) => e.command.startsWith('curl ')).length, 'every curl example ran');
  });
});
