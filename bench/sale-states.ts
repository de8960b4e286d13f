/** Counts sales by state straight from the database, so watching them adds no load to the server's API. */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { BenchDatabase } from './databases.js';

export interface SaleCounts {
  readonly pending: number;
  readonly succeeded: number;
  readonly failed: number;
}

export interface SaleStates {
  counts(): Promise<SaleCounts>;
  close(): Promise<void>;
}

const QUERY = "select state, count(*) as n from transactions where type = 'sale' group by state";

export async function openSaleStates(database: BenchDatabase): Promise<SaleStates> {
  if (database.databaseUrl === null) {
    const file = new BetterSqlite3(join(database.dataDir, 'cancan.sqlite'), { readonly: true, fileMustExist: true });
    const statement = file.prepare<[], { state: string; n: number }>(QUERY);
    return { counts: async () => tally(statement.all()), close: async () => void file.close() };
  }
  const client = new pg.Client({ connectionString: database.databaseUrl });
  await client.connect();
  return {
    counts: async () => tally((await client.query<{ state: string; n: string }>(QUERY)).rows),
    close: () => client.end(),
  };
}

function tally(rows: readonly { state: string; n: number | string }[]): SaleCounts {
  const by = new Map(rows.map((row) => [row.state, Number(row.n)]));
  return { pending: by.get('pending') ?? 0, succeeded: by.get('succeeded') ?? 0, failed: by.get('failed') ?? 0 };
}

/**
 * Polls until no sale is pending (twice in a row: a request still committing
 * when the load stopped may land just after) and returns the counts and when.
 */
export async function waitUntilAllFinal(states: SaleStates, timeoutMs: number, pollMs = 100): Promise<{ counts: SaleCounts; at: number }> {
  const deadline = performance.now() + timeoutMs;
  let quietSince: number | null = null;
  let quietPolls = 0;
  for (;;) {
    const counts = await states.counts();
    const at = performance.now();
    quietPolls = counts.pending === 0 ? quietPolls + 1 : 0;
    quietSince = quietPolls === 0 ? null : (quietSince ?? at);
    if (quietPolls === 2 && quietSince !== null) return { counts, at: quietSince };
    if (at > deadline) throw new Error(`sales still pending after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
