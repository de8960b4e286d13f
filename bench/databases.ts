/**
 * A fresh database per run, created and dropped by the bench: a SQLite data
 * dir under `root` (tmpfs for the no-fsync experiment), or a PostgreSQL
 * database on the server at CANCAN_TEST_PG_URL, as the tests do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DbKind } from '../test/support/databases.js';
import { PG_ADMIN_URL } from './machine.js';

export interface BenchDatabase {
  readonly kind: DbKind;
  /** Holds the SQLite files (if SQLite) and the master key. */
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  drop(): Promise<void>;
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(kind: DbKind, root = tmpdir()): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(root, 'cancan-bench-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') return { kind, dataDir, databaseUrl: null, drop: async () => removeDir() };
  const name = `cancan_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`).catch((error: unknown) => {
    removeDir();
    throw new Error(`could not create a PostgreSQL database at ${PG_ADMIN_URL} (${String(error)}); set CANCAN_TEST_PG_URL, or run with --databases sqlite`);
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      await admin(`drop database if exists ${name} with (force)`);
      removeDir();
    },
  };
}
