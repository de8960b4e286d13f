/**
 * Migration 0008 on a database that already holds sales: the "customer is
 * confirming" marker moves out of last_provider_code into its own column;
 * provider codes stay where they are.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { DB_KINDS, createTestDatabase } from '../support/databases.js';

function sale(n: number, lastProviderCode: string | null) {
  return {
    ref: `ref${n}`.padEnd(32, '0'),
    merchant_id: 'm1',
    client_id: `sale-${n}`,
    type: 'sale' as const,
    mode: 'test' as const,
    state: 'pending' as const,
    step: 'query' as const,
    gateway: 'wechatpay_cn_domestic',
    amount: 100,
    currency: 'CNY',
    description: null,
    pos_id: null,
    mch_level_1: null,
    mch_level_2: null,
    mch_level_3: null,
    sale_client_id: null,
    sale_seq: null,
    failure_code: null,
    failure_detail: null,
    request_digest: 'd',
    refunded_amount: 0,
    voided: 0,
    void_seq: null,
    provider_order_no: null,
    auth_code_sealed: null,
    provider_sent_at: 1,
    confirm_deadline: 2,
    last_provider_code: lastProviderCode,
    created_at: 1,
    updated_at: 1,
    finalized_at: null,
    version: 3,
  };
}

for (const kind of DB_KINDS) {
  describe(`migration 0009_customer_confirming (${kind})`, () => {
    test('moves the marker into customer_confirming and keeps provider codes and everything else', async () => {
      const database = await createTestDatabase(kind);
      const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      try {
        const { db } = store;
        await migrate(db, store.dialect, '0008_provider_attempts');
        await db
          .insertInto('merchants')
          .values({ id: 'm1', name: 'Shop', timezone: 'UTC', void_window_ms: 1, created_at: 1, webhook_secret_sealed: null })
          .execute();
        await db
          .insertInto('transactions')
          .values([sale(1, 'awaiting_customer'), sale(2, 'BANKERROR'), sale(3, null)])
          .execute();

        assert.deepEqual(await migrate(db, store.dialect, '0009_customer_confirming'), ['0009_customer_confirming']);
        const rows = await db
          .selectFrom('transactions')
          .select(['client_id', 'customer_confirming', 'last_provider_code', 'version', 'updated_at', 'step'])
          .orderBy('client_id')
          .execute();
        assert.deepEqual(
          rows.map((r) => ({ ...r, customer_confirming: Number(r.customer_confirming), version: Number(r.version), updated_at: Number(r.updated_at) })),
          [
            { client_id: 'sale-1', customer_confirming: 1, last_provider_code: null, version: 3, updated_at: 1, step: 'query' },
            { client_id: 'sale-2', customer_confirming: 0, last_provider_code: 'BANKERROR', version: 3, updated_at: 1, step: 'query' },
            { client_id: 'sale-3', customer_confirming: 0, last_provider_code: null, version: 3, updated_at: 1, step: 'query' },
          ],
        );
        // New rows start at 0 without naming the column.
        await db.insertInto('transactions').values(sale(4, null)).execute();
        const fresh = await db.selectFrom('transactions').select('customer_confirming').where('client_id', '=', 'sale-4').executeTakeFirstOrThrow();
        assert.equal(Number(fresh.customer_confirming), 0);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
