/**
 * Preloaded into the server children (`node --import …/probe.js`), so the bench
 * can look inside without any code in src/. Over the IPC channel it answers
 * "stats" with process.memoryUsage() (after a full GC), process.cpuUsage() and the number of SQL
 * statements the process has run (better-sqlite3 statement runs, pg queries), all threads together and how many of
 * them ran off the main thread.
 * Diagnostics, by environment:
 * - BENCH_SQL_TIMING=1 times every better-sqlite3 statement run (wall clock,
 *   fsync included) and reports the totals by SQL text.
 */
import { createRequire } from 'node:module';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

type Method = (this: object, ...args: unknown[]) => unknown;
type Prototype = Record<string, unknown>;

let statements = 0;
let joined = isMainThread;

/** One more statement; a worker thread's first makes it known to the main thread. */
function counted(): void {
  statements += 1;
  if (joined) return;
  joined = true;
  joinThread();
}
const timings = new Map<string, { calls: number; ms: number }>();

function timed(statement: Record<string, unknown>, sql: string): void {
  const key = sql.replace(/\s+/g, ' ').slice(0, 160);
  for (const name of ['run', 'all', 'get']) {
    const original = statement[name] as Method;
    statement[name] = function (this: object, ...args: unknown[]) {
      const started = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const entry = timings.get(key) ?? { calls: 0, ms: 0 };
        entry.calls += 1;
        entry.ms += performance.now() - started;
        timings.set(key, entry);
      }
    };
  }
}

/** Counts every statement run (CanCan reuses prepared statements, so prepares say little); optionally times them. */
function instrumentSqlite(Database: new (file: string) => { prepare(sql: string): object; close(): void }, timing: boolean): void {
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Prototype;
  probe.close();
  for (const name of ['run', 'all', 'get', 'iterate']) {
    const original = statementProto[name] as Method;
    statementProto[name] = function (this: object, ...args: unknown[]) {
      counted();
      return original.apply(this, args);
    };
  }
  if (!timing) return;
  const proto = Database.prototype as unknown as Prototype;
  const prepare = proto.prepare as Method;
  proto.prepare = function (this: object, sql: unknown): unknown {
    const statement = prepare.call(this, sql);
    timed(statement as Record<string, unknown>, String(sql));
    return statement;
  };
}

function countPgQueries(proto: Prototype): void {
  const query = proto.query as Method;
  proto.query = function (this: object, ...args: unknown[]) {
    counted();
    return query.apply(this, args);
  };
}

if (process.env.BENCH_PROBE_DATABASES !== 'off') {
  const require = createRequire(import.meta.url);
  instrumentSqlite(require('better-sqlite3') as Parameters<typeof instrumentSqlite>[0], process.env.BENCH_SQL_TIMING === '1');
  countPgQueries((require('pg') as { Client: { prototype: Prototype } }).Client.prototype);
}

/**
 * Worker threads (processing moved off the main thread) run this probe too (--import is inherited): a thread that runs
 * statements says so on a BroadcastChannel and answers the main thread's asks with its own counts and timings.
 */
const CHANNEL = 'cancan-bench-probe';
const ASK_TIMEOUT_MS = 2_000;

interface ThreadCounts {
  readonly statements: number;
  readonly sqlTiming: readonly SqlTimingEntry[];
}
interface SqlTimingEntry {
  readonly sql: string;
  readonly calls: number;
  readonly ms: number;
}
type ThreadMessage = { kind: 'hello'; thread: number } | ({ kind: 'answer'; thread: number; ask: number } & ThreadCounts) | { kind: 'ask'; ask: number };

const ownCounts = (): ThreadCounts => ({ statements, sqlTiming: [...timings].map(([sql, entry]) => ({ sql, ...entry })) });

function joinThread(): void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const message = (event as { data: ThreadMessage }).data;
    if (message.kind === 'ask') channel.postMessage({ kind: 'answer', thread: threadId, ask: message.ask, ...ownCounts() } satisfies ThreadMessage);
  };
  channel.postMessage({ kind: 'hello', thread: threadId } satisfies ThreadMessage);
}

/** The main thread: the last counts of every thread that ran statements (a thread that has ended keeps its last answer). */
function watchThreads(): () => Promise<ThreadCounts[]> {
  const threads = new Map<number, ThreadCounts>();
  const answered = new Set<number>();
  let ask = 0;
  let allAnswered: (() => void) | null = null;
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const message = (event as { data: ThreadMessage }).data;
    if (message.kind === 'hello' && !threads.has(message.thread)) threads.set(message.thread, { statements: 0, sqlTiming: [] });
    if (message.kind !== 'answer' || message.ask !== ask) return;
    threads.set(message.thread, { statements: message.statements, sqlTiming: message.sqlTiming });
    answered.add(message.thread);
    if (answered.size >= threads.size) allAnswered?.();
  };
  return async () => {
    ask += 1;
    answered.clear();
    if (threads.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ASK_TIMEOUT_MS);
        allAnswered = () => {
          clearTimeout(timer);
          resolve();
        };
        channel.postMessage({ kind: 'ask', ask } satisfies ThreadMessage);
      });
      allAnswered = null;
    }
    return [...threads.values()];
  };
}

/** Timings of the same statement in several threads add up. */
function mergeTimings(lists: readonly (readonly SqlTimingEntry[])[]): SqlTimingEntry[] {
  const merged = new Map<string, { calls: number; ms: number }>();
  for (const entry of lists.flat()) {
    const total = merged.get(entry.sql) ?? { calls: 0, ms: 0 };
    merged.set(entry.sql, { calls: total.calls + entry.calls, ms: total.ms + entry.ms });
  }
  return [...merged].map(([sql, entry]) => ({ sql, ...entry }));
}

if (isMainThread) {
  const otherThreads = watchThreads();
  process.on('message', (message: unknown) => {
    if (message !== 'stats') return;
    void otherThreads().then((threads) => {
      // Children run with --expose-gc: the heap figure is what is live, not garbage not yet collected.
      (globalThis as { gc?: () => void }).gc?.();
      const all = [ownCounts(), ...threads];
      const total = all.reduce((sum, counts) => sum + counts.statements, 0);
      // process.cpuUsage() is the whole process, every thread.
      process.send?.({
        memory: process.memoryUsage(),
        cpu: process.cpuUsage(),
        statements: total,
        statementsOffMainThread: total - statements,
        sqlTiming: mergeTimings(all.map((c) => c.sqlTiming)),
      });
    });
  });
  // The IPC channel must not keep a server alive that is otherwise shutting down,
  // and a server whose bench died (Ctrl-C) must not outlive it.
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
