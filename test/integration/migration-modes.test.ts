/**
 * Migration 0006 on a database that already holds transactions: every row,
 * its events and jobs survive with their mode, and afterwards one POS id may
 * exist once per mode (never twice in one).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { isUniqueViolation } from '../../src/store/transactions.js';
import { DB_KINDS, createTestDatabase } from '../support/databases.js';

function row(seqHint: number, mode: 'test' | 'live', clientId: string) {
  return {
    ref: `ref${seqHint}`.padEnd(32, '0'),
    merchant_id: 'm1',
    client_id: clientId,
    type: 'sale' as const,
    mode,
    state: 'succeeded' as const,
    step: 'done' as const,
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
    provider_sent_at: null,
    confirm_deadline: null,
    last_provider_code: null,
    created_at: 1,
    updated_at: 1,
    finalized_at: 1,
    version: 0,
  };
}

for (const kind of DB_KINDS) {
  describe(`migration 0006_modes (${kind})`, () => {
    test('keeps every row and its mode, then allows one id per mode', async () => {
      const database = await createTestDatabase(kind);
      const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      try {
        const { db } = store;
        await migrate(db, store.dialect, '0005_request_ids');
        await db
          .insertInto('merchants')
          .values({ id: 'm1', name: 'Shop', timezone: 'UTC', void_window_ms: 1, created_at: 1, webhook_secret_sealed: null })
          .execute();
        const sale = await db
          .insertInto('transactions')
          .values(row(1, 'live', 'sale-1'))
          .returning('seq')
          .executeTakeFirstOrThrow();
        await db
          .insertInto('transactions')
          .values(row(2, 'test', 'sale-2'))
          .execute();
        await db.insertInto('transaction_events').values({ transaction_seq: sale.seq, at: 1, kind: 'created', data: '{}' }).execute();
        await db.insertInto('jobs').values({ transaction_seq: sale.seq, run_at: 1, attempts: 0, created_at: 1 }).execute();
        // Before: the same id in the other mode is refused.
        await assert.rejects(
          db
            .insertInto('transactions')
            .values(row(3, 'test', 'sale-1'))
            .execute(),
          (e) => isUniqueViolation(e),
        );

        assert.equal((await migrate(db, store.dialect))[0], '0006_modes');
        const rows = await db.selectFrom('transactions').select(['seq', 'client_id', 'mode']).orderBy('seq').execute();
        assert.deepEqual(
          rows.map((r) => [Number(r.seq), r.client_id, r.mode]),
          [
            [Number(sale.seq), 'sale-1', 'live'],
            [Number(sale.seq) + 1, 'sale-2', 'test'],
          ],
        );
        const events = await db.selectFrom('transaction_events').select('transaction_seq').execute();
        assert.deepEqual(
          events.map((e) => Number(e.transaction_seq)),
          [Number(sale.seq)],
        );

        await db
          .insertInto('transactions')
          .values(row(3, 'test', 'sale-1'))
          .execute();
        await assert.rejects(
          db
            .insertInto('transactions')
            .values(row(4, 'test', 'sale-1'))
            .execute(),
          (e) => isUniqueViolation(e),
        );
        // New rows still get fresh sequence numbers, and foreign keys still hold.
        const next = await db
          .insertInto('transactions')
          .values(row(5, 'live', 'sale-5'))
          .returning('seq')
          .executeTakeFirstOrThrow();
        assert.ok(Number(next.seq) > Number(sale.seq) + 2);
        await assert.rejects(db.insertInto('transaction_events').values({ transaction_seq: 999_999, at: 1, kind: 'x', data: '{}' }).execute());
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
