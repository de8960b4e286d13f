/**
 * Crash test of group commit: many sales at once (so several share each
 * commit), the server killed with SIGKILL while batches are in flight. Every
 * sale answered 201 is stored, and every stored sale is whole (its created
 * event and its job with it): a batch is committed entirely or not at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { call, saleBody } from '../support/client.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';
import { type ServerProcess, cli, freePort, startServer } from '../support/process.js';

const SALES = 120;

for (const kind of DB_KINDS) {
  describe(`crash with batches in flight (${kind})`, () => {
    let database: TestDatabase;
    let server: ServerProcess | null = null;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(kind);
      env = {
        CANCAN_DATA_DIR: database.dataDir,
        ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
        CANCAN_DEMO: 'off',
        CANCAN_RATE_LIMIT_PER_SECOND: '10000',
        CANCAN_RATE_LIMIT_BURST: '10000',
        LOG_LEVEL: 'warn',
      };
    });
    after(async () => {
      await server?.kill();
      await database.drop();
    });

    test('every 201 is durable and every stored sale has its event and job', async () => {
      const created = cli(env, ['merchant', 'create', '--name', 'Batch Shop', '--gateways', 'all', '--json']);
      assert.equal(created.status, 0, created.stderr);
      const apiKey = JSON.parse(created.stdout).api_key as string;
      server = await startServer(env, await freePort());
      const url = server.url;

      const acknowledged = new Set<string>();
      let killed: Promise<void> | null = null;
      await Promise.all(
        Array.from({ length: SALES }, async (_, i) => {
          const id = `batch-${i}`;
          try {
            const response = await call(url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(id, 10_000 + i * 100) });
            if (response.status === 201) acknowledged.add(id);
            // Killed at once: the sales behind these are being batched or committed.
            if (acknowledged.size >= SALES / 4 && !killed) killed = server?.kill('SIGKILL') ?? null;
          } catch {
            // Cut off by the kill: not acknowledged, so the POS would retry it.
          }
        }),
      );
      if (!killed) killed = server.kill('SIGKILL');
      await killed;
      assert.ok(acknowledged.size >= SALES / 4, `acknowledged ${acknowledged.size}`);
      assert.ok(acknowledged.size < SALES, 'the kill caught sales in flight');

      const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      try {
        const rows = await store.db.selectFrom('transactions').select(['seq', 'client_id']).where('client_id', 'like', 'batch-%').execute();
        const stored = new Set(rows.map((r) => r.client_id));
        for (const id of acknowledged) assert.ok(stored.has(id), `acknowledged sale ${id} is stored`);
        const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
        const events = await store.db.selectFrom('transaction_events').select('transaction_seq').where('kind', '=', 'created').execute();
        const jobs = await store.db.selectFrom('jobs').select('transaction_seq').execute();
        const sorted = (list: Array<{ transaction_seq: number }>) => list.map((e) => Number(e.transaction_seq)).sort((a, b) => a - b);
        assert.deepEqual(sorted(events), seqs, 'one created event per stored sale');
        assert.deepEqual(sorted(jobs), seqs, 'one job per stored sale');
      } finally {
        await store.close();
      }
    });
  });
}
