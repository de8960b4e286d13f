/**
 * Migration 0008 on a database that already holds provider calls recorded as
 * transaction events: each becomes an attempt with its provider, call, code,
 * message, HTTP status and latency, the events are gone, and other events stay.
 * Rows are written in plain SQL, as the schema of 0007 had them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { listAttempts } from '../../src/store/attempts.js';
import { openStore } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { DB_KINDS, createTestDatabase } from '../support/databases.js';

for (const kind of DB_KINDS) {
  describe(`migration 0008_provider_attempts (${kind})`, () => {
    test('moves provider_call events over to attempts', async () => {
      const database = await createTestDatabase(kind);
      const store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      try {
        const { db } = store;
        await migrate(db, store.dialect, '0007_idempotency_keys');
        await sql`insert into merchants (id, name, timezone, void_window_ms, created_at) values ('m1', 'Shop', 'UTC', 1, 1)`.execute(db);
        await sql`insert into transactions (ref, merchant_id, client_id, type, mode, state, step, request_digest, created_at, updated_at)
          values ('r1', 'm1', 'sale-1', 'sale', 'test', 'succeeded', 'done', 'd', 1, 1)`.execute(db);
        const { seq } = await db.selectFrom('transactions').select('seq').executeTakeFirstOrThrow();
        const event = (at: number, eventKind: string, data: object) =>
          sql`insert into transaction_events (transaction_seq, at, kind, data) values (${seq}, ${at}, ${eventKind}, ${JSON.stringify(data)})`.execute(db);
        await event(10, 'created', { amount: 100 });
        await event(20, 'provider_call', { provider: 'wechatpay', call: 'micropay', latencyMs: 41, httpStatus: 200, code: 'USERPAYING', message: 'waiting' });
        await event(30, 'provider_call', {
          provider: 'wechatpay',
          call: 'orderquery',
          latencyMs: 7,
          httpStatus: null,
          code: null,
          message: 'no answer within 700 ms',
        });
        await event(40, 'state_changed', { from: 'pending', to: 'succeeded' });

        assert.deepEqual(await migrate(db, store.dialect, '0008_provider_attempts'), ['0008_provider_attempts']);
        const attempts = await listAttempts(db, seq);
        assert.deepEqual(
          attempts.map((a) => ({
            at: a.at,
            last_at: a.last_at,
            repeat_count: a.repeat_count,
            provider: a.provider,
            call: a.call,
            outcome: a.outcome,
            code: a.code,
            message: a.message,
            http_status: a.http_status,
            latency_ms: a.latency_ms,
            provider_data: a.provider_data,
          })),
          [
            {
              at: 20,
              last_at: 20,
              repeat_count: 1,
              provider: 'wechatpay',
              call: 'micropay',
              outcome: 'not_recorded',
              code: 'USERPAYING',
              message: 'waiting',
              http_status: 200,
              latency_ms: 41,
              provider_data: '{}',
            },
            {
              at: 30,
              last_at: 30,
              repeat_count: 1,
              provider: 'wechatpay',
              call: 'orderquery',
              outcome: 'not_recorded',
              code: null,
              message: 'no answer within 700 ms',
              http_status: null,
              latency_ms: 7,
              provider_data: '{}',
            },
          ],
        );
        const events = await db.selectFrom('transaction_events').select(['at', 'kind']).orderBy('id').execute();
        assert.deepEqual(
          events.map((e) => [Number(e.at), e.kind]),
          [
            [10, 'created'],
            [40, 'state_changed'],
          ],
        );
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
