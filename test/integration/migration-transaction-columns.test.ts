/**
 * Migration 0012 on a database that already holds POS and hosted-checkout
 * rows: a hosted-checkout row's payment method moves out of `gateway` into
 * `payment_method`; POS rows keep their gateway; nothing else changes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { DB_KINDS, createTestDatabase } from '../support/databases.js';

function row(n: number, type: 'sale' | 'charge' | 'refund' | 'cancel', channel: 'pos' | 'chop', gateway: string | null) {
  return {
    ref: `ref${n}`.padEnd(32, '0'),
    merchant_id: 'm1',
    client_id: `tx-${n}`,
    type,
    mode: 'test' as const,
    state: 'pending' as const,
    step: 'done' as const,
    gateway,
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
    provider_sent_at: null,
    confirm_deadline: null,
    last_provider_code: null,
    created_at: 1,
    updated_at: 1,
    finalized_at: null,
    version: 3,
    channel,
  };
}

for (const kind of DB_KINDS) {
  describe(`migration 0012_transaction_columns (${kind})`, () => {
    test('moves hosted-checkout payment methods into payment_method and keeps POS gateways and everything else', async () => {
      const database = await createTestDatabase(kind);
      const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      try {
        const { db } = store;
        await migrate(db, store.dialect, '0011_needs_attention');
        await db
          .insertInto('merchants')
          .values({ id: 'm1', name: 'Shop', timezone: 'UTC', void_window_ms: 1, created_at: 1, webhook_secret_sealed: null })
          .execute();
        await db
          .insertInto('transactions')
          .values([
            row(1, 'sale', 'pos', 'wechatpay_cn_domestic'),
            row(2, 'refund', 'pos', 'alipay_cn_domestic'),
            row(3, 'charge', 'chop', 'wechatpay'),
            row(4, 'refund', 'chop', 'alipay'),
            row(5, 'cancel', 'chop', 'alipay'),
            row(6, 'sale', 'pos', null),
          ])
          .execute();

        assert.deepEqual(await migrate(db, store.dialect, '0012_transaction_columns'), ['0012_transaction_columns']);
        const rows = await db
          .selectFrom('transactions')
          .select(['client_id', 'channel', 'gateway', 'payment_method', 'version', 'updated_at', 'amount'])
          .orderBy('client_id')
          .execute();
        assert.deepEqual(
          rows.map((r) => ({ ...r, version: Number(r.version), updated_at: Number(r.updated_at), amount: Number(r.amount) })),
          [
            { client_id: 'tx-1', channel: 'pos', gateway: 'wechatpay_cn_domestic', payment_method: null, version: 3, updated_at: 1, amount: 100 },
            { client_id: 'tx-2', channel: 'pos', gateway: 'alipay_cn_domestic', payment_method: null, version: 3, updated_at: 1, amount: 100 },
            { client_id: 'tx-3', channel: 'chop', gateway: null, payment_method: 'wechatpay', version: 3, updated_at: 1, amount: 100 },
            { client_id: 'tx-4', channel: 'chop', gateway: null, payment_method: 'alipay', version: 3, updated_at: 1, amount: 100 },
            { client_id: 'tx-5', channel: 'chop', gateway: null, payment_method: 'alipay', version: 3, updated_at: 1, amount: 100 },
            { client_id: 'tx-6', channel: 'pos', gateway: null, payment_method: null, version: 3, updated_at: 1, amount: 100 },
          ],
        );
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
