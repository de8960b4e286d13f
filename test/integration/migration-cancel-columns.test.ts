/**
 * Migration 0013 on a database that already holds sales and charges claimed
 * by voids and cancels: a charge's claim moves out of `void_seq`/`voided` into
 * `cancel_seq`/`cancelled`; sales keep their void; nothing else changes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { DB_KINDS, createTestDatabase } from '../support/databases.js';

type Claim = { voided: 0 | 1; void_seq: number | null };

function row(n: number, type: 'sale' | 'void' | 'charge' | 'cancel', channel: 'pos' | 'chop', claim: Claim) {
  return {
    ref: `ref${n}`.padEnd(32, '0'),
    merchant_id: 'm1',
    client_id: `tx-${n}`,
    type,
    mode: 'test' as const,
    state: 'succeeded' as const,
    step: 'done' as const,
    gateway: null,
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
    ...claim,
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

const none: Claim = { voided: 0, void_seq: null };

for (const kind of DB_KINDS) {
  describe(`migration 0013_cancel_columns (${kind})`, () => {
    test("moves charges' cancel claims into cancel_seq and cancelled, and keeps sales' voids and everything else", async () => {
      const database = await createTestDatabase(kind);
      const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      try {
        const { db } = store;
        await migrate(db, store.dialect, '0012_transaction_columns');
        await db
          .insertInto('merchants')
          .values({ id: 'm1', name: 'Shop', timezone: 'UTC', void_window_ms: 1, created_at: 1, webhook_secret_sealed: null })
          .execute();
        await db
          .insertInto('transactions')
          .values([
            row(1, 'sale', 'pos', { voided: 1, void_seq: 2 }),
            row(2, 'void', 'pos', none),
            row(3, 'sale', 'pos', { voided: 0, void_seq: 2 }),
            row(4, 'charge', 'chop', { voided: 1, void_seq: 5 }),
            row(5, 'cancel', 'chop', none),
            row(6, 'charge', 'chop', { voided: 0, void_seq: 5 }),
            row(7, 'charge', 'chop', none),
          ])
          .execute();

        assert.deepEqual(await migrate(db, store.dialect, '0013_cancel_columns'), ['0013_cancel_columns']);
        const rows = await db
          .selectFrom('transactions')
          .select(['client_id', 'voided', 'void_seq', 'cancelled', 'cancel_seq', 'version', 'updated_at'])
          .orderBy('client_id')
          .execute();
        const numberOrNull = (value: unknown) => (value === null ? null : Number(value));
        assert.deepEqual(
          rows.map((r) => ({
            client_id: r.client_id,
            voided: Number(r.voided),
            void_seq: numberOrNull(r.void_seq),
            cancelled: Number(r.cancelled),
            cancel_seq: numberOrNull(r.cancel_seq),
            version: Number(r.version),
            updated_at: Number(r.updated_at),
          })),
          [
            { client_id: 'tx-1', voided: 1, void_seq: 2, cancelled: 0, cancel_seq: null, version: 3, updated_at: 1 },
            { client_id: 'tx-2', voided: 0, void_seq: null, cancelled: 0, cancel_seq: null, version: 3, updated_at: 1 },
            { client_id: 'tx-3', voided: 0, void_seq: 2, cancelled: 0, cancel_seq: null, version: 3, updated_at: 1 },
            { client_id: 'tx-4', voided: 0, void_seq: null, cancelled: 1, cancel_seq: 5, version: 3, updated_at: 1 },
            { client_id: 'tx-5', voided: 0, void_seq: null, cancelled: 0, cancel_seq: null, version: 3, updated_at: 1 },
            { client_id: 'tx-6', voided: 0, void_seq: null, cancelled: 0, cancel_seq: 5, version: 3, updated_at: 1 },
            { client_id: 'tx-7', voided: 0, void_seq: null, cancelled: 0, cancel_seq: null, version: 3, updated_at: 1 },
          ],
        );
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
