/**
 * Counts the SQL statements a test's app sends to its own database, on both
 * dialects: better-sqlite3 statements run (by file) and pg queries (by
 * database name), in this test process. The simulators' ledger is another
 * file, so its statements are not counted.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './databases.js';

type Run = (this: { source: string; database: { name: string } }, ...args: unknown[]) => unknown;
type PgQuery = (this: pg.Client, ...args: unknown[]) => unknown;

export interface StatementCounter {
  /** The statements run since the counter started (or was cleared), in order. */
  readonly statements: string[];
  clear(): void;
  stop(): void;
}

export function countStatements(database: TestDatabase): StatementCounter {
  const statements: string[] = [];
  const restore: (() => void)[] = [];
  if (database.databaseUrl === null) {
    const probe = new Database(':memory:');
    const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, Run>;
    probe.close();
    const file = `${database.dataDir}/cancan.sqlite`;
    for (const method of ['all', 'get', 'run', 'iterate']) {
      const original = proto[method] as Run;
      proto[method] = function (this: { source: string; database: { name: string } }, ...args: unknown[]) {
        if (this.database.name === file) statements.push(this.source);
        return original.apply(this, args);
      };
      restore.push(() => (proto[method] = original));
    }
  } else {
    const name = new URL(database.databaseUrl).pathname.slice(1);
    const proto = pg.Client.prototype as unknown as { query: PgQuery };
    const original = proto.query;
    proto.query = function (this: pg.Client, ...args: unknown[]) {
      const [first] = args;
      const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
      if (this.database === name && text !== undefined) statements.push(text);
      return original.apply(this, args);
    };
    restore.push(() => (proto.query = original));
  }
  return {
    statements,
    clear: () => void statements.splice(0),
    stop: () => restore.forEach((undo) => undo()),
  };
}
