/**
 * Preloaded into the server children (`node --import …/probe.js`), so the bench
 * can look inside without any code in src/. Over the IPC channel it answers
 * "stats" with process.memoryUsage() (after a full GC), process.cpuUsage() and the number of SQL
 * statements the process has sent (better-sqlite3 prepares, pg queries).
 * Experiments and diagnostics, by environment:
 * - BENCH_STATEMENT_CACHE=1 reuses better-sqlite3 prepared statements by SQL
 *   text (kysely prepares every query anew), to measure what a cache would gain;
 * - BENCH_SQL_TIMING=1 times every better-sqlite3 statement run (wall clock,
 *   fsync included) and reports the totals by SQL text.
 */
import { createRequire } from 'node:module';

type Method = (this: object, ...args: unknown[]) => unknown;
type Prototype = Record<string, unknown>;

let statements = 0;
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

function instrumentSqlite(proto: Prototype, cache: boolean, timing: boolean): void {
  const prepare = proto.prepare as Method;
  const caches = new WeakMap<object, Map<unknown, unknown>>();
  proto.prepare = function (this: object, sql: unknown): unknown {
    statements += 1;
    let byText = caches.get(this);
    if (!byText) caches.set(this, (byText = new Map()));
    let statement = cache ? byText.get(sql) : undefined;
    if (statement === undefined) {
      statement = prepare.call(this, sql);
      if (timing) timed(statement as Record<string, unknown>, String(sql));
      if (cache) {
        if (byText.size >= 1_000) byText.clear();
        byText.set(sql, statement);
      }
    }
    return statement;
  };
}

function countPgQueries(proto: Prototype): void {
  const query = proto.query as Method;
  proto.query = function (this: object, ...args: unknown[]) {
    statements += 1;
    return query.apply(this, args);
  };
}

if (process.env.BENCH_PROBE_DATABASES !== 'off') {
  const require = createRequire(import.meta.url);
  instrumentSqlite((require('better-sqlite3') as { prototype: Prototype }).prototype,
    process.env.BENCH_STATEMENT_CACHE === '1', process.env.BENCH_SQL_TIMING === '1');
  countPgQueries((require('pg') as { Client: { prototype: Prototype } }).Client.prototype);
}

process.on('message', (message: unknown) => {
  if (message !== 'stats') return;
  // Children run with --expose-gc: the heap figure is what is live, not garbage not yet collected.
  (globalThis as { gc?: () => void }).gc?.();
  const sqlTiming = [...timings].map(([sql, entry]) => ({ sql, ...entry }));
  process.send?.({ memory: process.memoryUsage(), cpu: process.cpuUsage(), statements, sqlTiming });
});
// The IPC channel must not keep a server alive that is otherwise shutting down,
// and a server whose bench died (Ctrl-C) must not outlive it.
process.channel?.unref();
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
