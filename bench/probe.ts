/**
 * Preloaded into the server children (`node --import …/probe.js`), so the bench
 * can look inside without any code in src/. Over the IPC channel it answers
 * "stats" with process.memoryUsage() (after a full GC), process.cpuUsage() and the number of SQL
 * statements the process has run (better-sqlite3 statement runs, pg queries).
 * Diagnostics, by environment:
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

/** Counts every statement run (CanCan reuses prepared statements, so prepares say little); optionally times them. */
function instrumentSqlite(Database: new (file: string) => { prepare(sql: string): object; close(): void }, timing: boolean): void {
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Prototype;
  probe.close();
  for (const name of ['run', 'all', 'get', 'iterate']) {
    const original = statementProto[name] as Method;
    statementProto[name] = function (this: object, ...args: unknown[]) {
      statements += 1;
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
    statements += 1;
    return query.apply(this, args);
  };
}

if (process.env.BENCH_PROBE_DATABASES !== 'off') {
  const require = createRequire(import.meta.url);
  instrumentSqlite(require('better-sqlite3') as Parameters<typeof instrumentSqlite>[0], process.env.BENCH_SQL_TIMING === '1');
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
