/** What the figures were measured on. */
import os from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly sqlite: string;
  /** null when PostgreSQL was not part of the run or did not answer. */
  readonly postgres: string | null;
}

export const PG_ADMIN_URL = process.env.CANCAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function describeMachine(withPostgres: boolean): Promise<Machine> {
  const cpus = os.cpus();
  const memory = new BetterSqlite3(':memory:');
  const sqlite = memory.prepare<[], { v: string }>('select sqlite_version() as v').get()?.v ?? 'unknown';
  memory.close();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    sqlite,
    postgres: withPostgres ? await postgresVersion() : null,
  };
}

async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
    return (await client.query<{ version: string }>('select version()')).rows[0]?.version ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The 1-minute load average: how busy the machine was besides the bench. */
export const loadAverage = (): number => os.loadavg()[0] ?? 0;
