/**
 * What a POS sale costs CanCan's own SQLite database: statements (begin and
 * commit included) and durable commits per sale, on the acknowledgement path
 * and in processing, counted on the real in-process app and simulator.
 * Standalone: `node dist/bench/statements-per-sale.js [sales]`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { createTestDatabase } from '../test/support/databases.js';
import { startAppOn } from '../test/support/harness.js';
import { saleBody } from '../test/support/client.js';
import { createApiKey, createMerchant } from '../src/store/merchants.js';

export interface SaleCost {
  readonly sales: number;
  readonly ack: { readonly statementsPerSale: number; readonly commitsPerSale: number };
  readonly processing: { readonly statementsPerSale: number; readonly commitsPerSale: number };
}

const counts = { statements: 0, commits: 0, on: false };

/** Counts every statement better-sqlite3 executes on CanCan's database file (not the simulator's ledger). */
function countStatements(): void {
  const probe = new BetterSqlite3(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const name of ['run', 'all', 'get', 'iterate']) {
    const original = proto[name];
    if (!original) continue;
    proto[name] = function (this: BetterSqlite3.Statement, ...args: unknown[]) {
      if (counts.on && this.database.name.endsWith('cancan.sqlite')) {
        const verb = this.source.trim().split(/\s/, 1)[0]?.toLowerCase();
        counts.statements += 1;
        // A commit, or a write outside a transaction (it commits on its own).
        if (verb === 'commit' || (!this.database.inTransaction && !this.reader && verb !== 'begin' && verb !== 'rollback')) counts.commits += 1;
      }
      return original.apply(this, args);
    };
  }
}

export async function measureSaleCost(sales: number): Promise<SaleCost> {
  countStatements();
  const database = await createTestDatabase('sqlite');
  const { app } = await startAppOn(
    database,
    { CANCAN_SIM_CONFIRM_DELAY_MS: '0', CANCAN_RATE_LIMIT_PER_SECOND: '100000', CANCAN_RATE_LIMIT_BURST: '100000' },
    { worker: false },
  );
  try {
    const now = Date.now();
    const merchant = await createMerchant(app.deps.store.db, { name: 'Count Shop', timezone: 'UTC', gateways: ['wechatpay_cn_domestic'], now });
    const { apiKey } = await createApiKey(app.deps.store.db, app.deps.secrets, { merchantId: merchant.id, mode: 'test', now });
    const post = (i: number) =>
      fetch(`${app.url}/api/v2/transactions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(saleBody(`count-${i}`, 1000)),
      });
    await (await post(-1)).text(); // warms the caches a first request fills
    counts.on = true;
    for (let i = 0; i < sales; i += 1) {
      const response = await post(i);
      if (response.status !== 201) throw new Error(`sale ${i}: ${response.status} ${await response.text()}`);
      await response.text();
    }
    counts.on = false;
    const ack = { statementsPerSale: counts.statements / sales, commitsPerSale: counts.commits / sales };

    const watch = new BetterSqlite3(join(database.dataDir, 'cancan.sqlite'), { readonly: true });
    const pending = watch.prepare("select count(*) as n from transactions where state = 'pending'");
    counts.statements = 0;
    counts.commits = 0;
    counts.on = true;
    app.worker.start();
    for (;;) {
      counts.on = false;
      const { n } = pending.get() as { n: number };
      counts.on = true;
      if (n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    counts.on = false;
    watch.close();
    // The warm-up sale is processed too.
    const processed = sales + 1;
    return { sales, ack, processing: { statementsPerSale: counts.statements / processed, commitsPerSale: counts.commits / processed } };
  } finally {
    await app.close();
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sales = Number(process.argv[2] ?? 200);
  console.log(JSON.stringify(await measureSaleCost(sales), null, 2));
}
