/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): self time by function
 * and by where the code lives (our src/, a package, Node itself), and the
 * inclusive time of our own functions.
 * `node dist/bench/profile-summary.js <dir or file>... [--top N] [--skip S]`
 * (--skip leaves out the first S seconds of each profile: start-up, sandbox key generation).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface Totals {
  /** Microseconds, by key. */
  readonly self: Map<string, number>;
  readonly inclusive: Map<string, number>;
  readonly byPlace: Map<string, number>;
  total: number;
}

/** Where a function lives: our own code, a package, Node, or V8's pseudo-frames like (garbage collector). */
export function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? 'node_modules';
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/dist\/((?:src|bench)\/.+)$/.exec(url);
  return ours ? (ours[1] ?? url).replace(/\/[^/]+$/, '/') : url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
}

function add(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

function addProfile(profile: CpuProfile, totals: Totals, skipMicros: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return url ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}` : functionName;
  };
  let elapsed = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    elapsed += micros;
    const node = byId.get(id);
    if (!node || elapsed < skipMicros) return;
    totals.total += micros;
    add(totals.self, keyOf(node), micros);
    add(totals.byPlace, placeOf(node.callFrame.url, node.callFrame.functionName), micros);
    // Inclusive: each function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let at: ProfileNode | undefined = node; at; at = byId.get(parent.get(at.id) ?? -1)) {
      const key = keyOf(at);
      if (!seen.has(key)) add(totals.inclusive, key, micros);
      seen.add(key);
    }
  });
}

function profileFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => join(path, name))
      : [path],
  );
}

function table(title: string, entries: Map<string, number>, total: number, top: number, filter: (key: string) => boolean = () => true): string {
  const rows = [...entries]
    .filter(([key]) => filter(key))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  const lines = rows.map(([key, micros]) => `${(micros / 1000).toFixed(0).padStart(8)} ms ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  return [`${title}:`, ...lines].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, skip: { type: 'string', default: '0' } },
  });
  const files = profileFiles(positionals.length ? positionals : ['/tmp/cancan-prof']);
  if (files.length === 0) throw new Error('no .cpuprofile files found');
  const top = Number(values.top);
  const totals: Totals = { self: new Map(), inclusive: new Map(), byPlace: new Map(), total: 0 };
  for (const file of files) addProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, totals, Number(values.skip) * 1e6);
  const busy = totals.total - (totals.self.get('(idle)') ?? 0);
  process.stdout.write(
    [
      `${files.length} profile(s), ${(totals.total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle`,
      '',
      table('Self time by place', totals.byPlace, totals.total, top),
      '',
      table('Self time by function', totals.self, totals.total, top),
      '',
      table('Inclusive time of our own functions (dist/src)', totals.inclusive, totals.total, top, (key) => key.includes(' dist/src/')),
      '',
    ].join('\n'),
  );
}

main();
