/**
 * Cached lookups on the API path (src/store/lookups.ts): a change made
 * through the product's own paths reaches the very next request, in the
 * process that made it and in another process on the same database; and a
 * warm sale reads one small counter instead of the key, gateway and
 * currency rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeKey } from '../../src/cli/keys.js';
import { disableGateways } from '../../src/core/merchant-settings.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { type Store, openStore } from '../../src/store/db.js';
import { saveProviderCredentials } from '../../src/store/credentials.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import type { App } from '../../src/app.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';
import { startAppOn } from '../support/harness.js';
import { call, saleBody, uniqueId } from '../support/client.js';
import { countStatements } from '../support/statement-count.js';

const LOOKUP_TABLES = ['api_keys', 'merchants', 'merchant_gateways', 'merchant_gateway_currencies', 'provider_credentials'];

for (const kind of DB_KINDS) {
  describe(`cached lookups (${kind})`, () => {
    let database: TestDatabase;
    /** Two servers on one database (and data directory): two processes of one deployment. */
    let first: App;
    let second: App;
    /** A connection of its own, as the CLI's. */
    let cliStore: Store;
    before(async () => {
      database = await createTestDatabase(kind);
      // No worker: these tests judge the acknowledgement, and live sales must not reach real providers.
      first = (await startAppOn(database, {}, { worker: false })).app;
      second = (await startAppOn(database, {}, { worker: false })).app;
      cliStore = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    });
    after(async () => {
      await cliStore.close();
      await second.close();
      await first.close();
      await database.drop();
    });

    interface Merchant {
      readonly id: string;
      readonly apiKey: string;
    }
    async function merchant(): Promise<Merchant> {
      const now = Date.now();
      const made = await createMerchant(cliStore.db, { name: 'Cache Shop', timezone: 'UTC', gateways: ['wechatpay_cn_domestic'], now });
      const key = await createApiKey(cliStore.db, first.deps.secrets, { merchantId: made.id, mode: 'test', now });
      return { id: made.id, apiKey: key.apiKey };
    }
    const urls = () => [first.url, second.url];

    const sale = (url: string, key: string, overrides: Record<string, unknown> = {}) =>
      call(url, 'POST', '/api/v2/transactions', { key, body: saleBody(uniqueId('sale'), 100, overrides) });
    const list = (url: string, key: string) => call(url, 'GET', '/api/v2/transactions', { key });

    /** Both servers have answered with the key (so it is in both caches). */
    async function warm(m: Merchant): Promise<void> {
      for (const url of urls()) assert.equal((await sale(url, m.apiKey)).status, 201);
    }

    test('a key revoked through the CLI is refused by the next request, in this process and another', async () => {
      const m = await merchant();
      await warm(m);
      const keyRow = await cliStore.db.selectFrom('api_keys').select('id').where('merchant_id', '=', m.id).executeTakeFirstOrThrow();
      assert.equal(await revokeKey(cliStore, [keyRow.id], false, Date.now()), `Key ${keyRow.id} revoked.`);
      for (const url of urls()) {
        const refused = await list(url, m.apiKey);
        assert.equal(refused.status, 401);
        assert.equal(refused.body.errors[0].code, 'authentication_error');
        assert.equal(refused.body.errors[0].detail, 'The API key is not valid or has been revoked');
      }
    });

    test('a key created after a refused token works at once', async () => {
      const m = await merchant();
      assert.equal((await list(first.url, 'sk_test_not_yet')).status, 401);
      const fresh = await createApiKey(cliStore.db, first.deps.secrets, { merchantId: m.id, mode: 'test', now: Date.now() });
      for (const url of urls()) assert.equal((await list(url, fresh.apiKey)).status, 200);
    });

    test('a gateway disabled for a merchant refuses the next sale through it (403), in this process and another', async () => {
      const m = await merchant();
      await warm(m);
      await disableGateways(cliStore.db, m.id, ['wechatpay_cn_domestic']);
      for (const url of urls()) {
        const refused = await sale(url, m.apiKey);
        assert.equal(refused.status, 403);
        assert.equal(refused.body.errors[0].code, 'access_forbidden_error');
        assert.equal(refused.body.errors[0].detail, 'Payment gateway wechatpay_cn_domestic is not enabled for this merchant');
      }
    });

    test('live credentials removed: the next live sale is refused (403), in this process and another', async () => {
      const m = await merchant();
      const live = await createApiKey(cliStore.db, first.deps.secrets, { merchantId: m.id, mode: 'live', now: Date.now() });
      await saveProviderCredentials(cliStore.db, first.deps.secrets, m.id, 'wechatpay', WECHATPAY_SANDBOX_CREDENTIALS, Date.now());
      for (const url of urls()) assert.equal((await sale(url, live.apiKey)).status, 201);
      await cliStore.db.deleteFrom('provider_credentials').where('merchant_id', '=', m.id).execute();
      for (const url of urls()) {
        const refused = await sale(url, live.apiKey);
        assert.equal(refused.status, 403);
        assert.equal(refused.body.errors[0].code, 'access_forbidden_error');
        assert.equal(
          refused.body.errors[0].detail,
          'Live payments through wechatpay_cn_domestic are not configured for this merchant (no wechatpay credentials)',
        );
      }
    });

    test('a warm sale reads the change counter once and no key, merchant, gateway or credential row', async (ctx) => {
      const m = await merchant();
      await warm(m);
      const counter = countStatements(database);
      try {
        assert.equal((await sale(first.url, m.apiKey)).status, 201);
        const lookups = counter.statements.filter((s) => LOOKUP_TABLES.some((table) => new RegExp(`\\b${table}\\b`).test(s)));
        const counters = counter.statements.filter((s) => /\bcache_generation\b/.test(s));
        ctx.diagnostic(`statements for one warm sale: ${counter.statements.length} (${counters.length} counter read)`);
        assert.deepEqual(lookups, []);
        assert.deepEqual(counters, ['select generation from cache_generation where id = 1']);
      } finally {
        counter.stop();
      }
    });
  });
}
