/**
 * Provider attempts on both databases: a UnionPay charge whose payment page is
 * open when CanCan restarts still succeeds once the shopper pays (the txnTime
 * its queries need comes from the stored attempt, not from process memory),
 * and so does its refund;
 * attempt rows stay bounded while a charge is polled; a version conflict during
 * a step keeps the call's attempt; identical attempts share one row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.js';
import { processJob } from '../../src/core/process.js';
import { claimDueJobs } from '../../src/jobs/queue.js';
import type { AdapterSource } from '../../src/providers/adapters.js';
import type { PosAdapter } from '../../src/providers/contract.js';
import { listAttempts, providerDataOf, recordAttempt, type NewAttempt } from '../../src/store/attempts.js';
import { createApiKey, createMerchant } from '../../src/store/merchants.js';
import { call, saleBody, uniqueId } from '../support/client.js';
import { chop, idFromUrl, scan, waitFor } from '../support/chop.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';
import { startAppOn } from '../support/harness.js';

async function testMerchant(app: App, gateways: readonly string[]): Promise<string> {
  const now = Date.now();
  const merchant = await createMerchant(app.deps.store.db, { name: 'Attempt Shop', timezone: 'UTC', gateways, now });
  return (await createApiKey(app.deps.store.db, app.deps.secrets, { merchantId: merchant.id, mode: 'test', now })).apiKey;
}

const seqOf = async (app: App, ref: string): Promise<number> =>
  (await app.deps.store.db.selectFrom('transactions').select('seq').where('ref', '=', ref).executeTakeFirstOrThrow()).seq;

for (const kind of DB_KINDS) {
  describe(`provider attempts (${kind})`, () => {
    let database: TestDatabase;
    const apps: App[] = [];
    before(async () => {
      database = await createTestDatabase(kind);
    });
    after(async () => {
      for (const app of apps) await app.close().catch(() => undefined);
      await database.drop();
    });
    const start = async (options: { worker?: boolean } = {}): Promise<App> => {
      const { app } = await startAppOn(database, {}, options);
      apps.push(app);
      return app;
    };

    test('a UnionPay charge whose page is open when CanCan restarts succeeds when the shopper pays; its polls stay a few rows', async () => {
      const first = await start();
      const apiKey = await testMerchant(first, ['upop']);
      const created = await chop(first.url, '/chop/chop', apiKey, { payment_method: 'upop', amount: 4321, currency: 'CNY', reference: uniqueId('upop') });
      assert.equal(created.status, 200, created.text);
      const ref = idFromUrl(created.body.url);
      const seq = await seqOf(first, ref);

      // The shopper continues to UnionPay: the browser posts the signed form, the payment page is open.
      const charge = await waitFor(async () => {
        const row = await first.deps.store.db
          .selectFrom('transactions')
          .select(['pay_form', 'qr_code', 'provider_order_no'])
          .where('seq', '=', seq)
          .executeTakeFirst();
        return row?.pay_form && row.qr_code ? row : undefined;
      });
      const form = JSON.parse(charge.pay_form ?? '') as { action: string; fields: Record<string, string> };
      const page = await fetch(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form.fields).toString(),
      });
      assert.equal(page.status, 200, await page.text());

      // CanCan polls the open order many times.
      const polls = async (app: App) =>
        (await listAttempts(app.deps.store.db, seq)).filter((a) => a.call === 'queryTrans').reduce((n, a) => n + a.repeat_count, 0);
      await waitFor(async () => ((await polls(first)) >= 15 ? true : undefined));
      await first.close();

      // A fresh CanCan over the same database: nothing of the first one's memory is left.
      const second = await start();
      const scanned = await scan(second.url, charge.qr_code ?? '', 'approve');
      assert.equal(scanned.status, 200, scanned.text);
      const state = await waitFor(async () => {
        const row = await second.deps.store.db.selectFrom('transactions').select('state').where('seq', '=', seq).executeTakeFirst();
        return row?.state === 'pending' ? undefined : row?.state;
      }, 15_000);
      assert.equal(state, 'succeeded');

      const attempts = await listAttempts(second.deps.store.db, seq);
      assert.deepEqual(
        JSON.parse(attempts[0]?.provider_data ?? ''),
        { [`txnTime:${charge.provider_order_no}`]: form.fields['txnTime'] },
        'the create call kept the txnTime it sent',
      );
      assert.deepEqual([attempts[0]?.call, attempts[0]?.outcome], ['frontTransReq', 'created']);
      const last = attempts.at(-1);
      assert.deepEqual([last?.call, last?.outcome, last?.repeat_count], ['queryTrans', 'paid', 1]);
      assert.ok((await polls(second)) >= 16, 'every poll is counted');
      assert.ok(
        attempts.length <= 5,
        `polls that answer alike share a row: ${attempts.map((a) => `${a.call}/${a.outcome}/${a.code}×${a.repeat_count}`).join(', ')}`,
      );
      assert.ok(!attempts.some((a) => JSON.stringify(a).includes(form.fields['signature'] ?? '-')), 'no attempt holds the signed form');

      // A refund names the consume by its txnTime too, and its own query needs the refund's txnTime.
      const refund = await chop(second.url, '/chop/refund', apiKey, { transaction_id: ref, amount: 1000, currency: 'CNY', reason: 'test' });
      assert.equal(refund.status, 200, refund.text);
      assert.deepEqual([refund.body.refunded, refund.body.status], [true, 'success'], refund.text);
      const refundRow = await second.deps.store.db
        .selectFrom('transactions')
        .select(['seq', 'provider_order_no'])
        .where('ref', '=', String(refund.body.id))
        .executeTakeFirstOrThrow();
      const refundAttempts = await listAttempts(second.deps.store.db, refundRow.seq);
      assert.deepEqual(
        refundAttempts.map((a) => [a.call, a.outcome]),
        [
          ['backTransReq', 'processing'],
          ['queryTrans', 'succeeded'],
        ],
      );
      assert.deepEqual(Object.keys(JSON.parse(refundAttempts[0]?.provider_data ?? '')), [`txnTime:${refundRow.provider_order_no}`]);
    });

    test('a version conflict during a step keeps the attempt of its provider call', async () => {
      // The earlier tests' apps share this database: their workers would claim this test's job first.
      for (const earlier of apps.splice(0)) await earlier.close();
      const app = await start({ worker: false });
      const { db, dialect } = app.deps.store;
      const apiKey = await testMerchant(app, ['wechatpay_cn_domestic']);
      const id = uniqueId('conflict');
      // 53: the customer confirms later, so the sale goes on to query.
      const created = await call(app.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(id, 1053) });
      assert.equal(created.status, 201, created.text);
      const sale = await db.selectFrom('transactions').selectAll().where('client_id', '=', id).executeTakeFirstOrThrow();
      const claim = async () => {
        const [job] = await claimDueJobs(db, dialect, 'test-worker', Date.now() + 60_000, 10_000, 1);
        if (!job) throw new Error('no job due');
        return job;
      };
      await processJob(app.deps, await claim());
      assert.equal((await db.selectFrom('transactions').select('step').where('seq', '=', sale.seq).executeTakeFirstOrThrow()).step, 'query');

      // Another writer changes the sale while the query is out at the provider.
      const conflicting: AdapterSource = {
        ...app.deps.adapters,
        async adapterFor(profile, mode, merchantId) {
          const real = await app.deps.adapters.adapterFor(profile, mode, merchantId);
          if (!real) return null;
          const adapter: PosAdapter = {
            ...real,
            async query(orderNo, data) {
              await db
                .updateTable('transactions')
                .set((eb) => ({ version: eb('version', '+', 1) }))
                .where('seq', '=', sale.seq)
                .execute();
              return real.query(orderNo, data);
            },
          };
          return adapter;
        },
      };
      const beforeStep = await db.selectFrom('transactions').select(['step', 'state', 'version']).where('seq', '=', sale.seq).executeTakeFirstOrThrow();
      await processJob({ ...app.deps, adapters: conflicting }, await claim());
      const afterStep = await db.selectFrom('transactions').select(['step', 'state', 'version']).where('seq', '=', sale.seq).executeTakeFirstOrThrow();
      assert.deepEqual(afterStep, { ...beforeStep, version: beforeStep.version + 1 }, "the step's own writes were rolled back");
      const attempts = await listAttempts(db, sale.seq);
      assert.deepEqual(
        attempts.map((a) => a.call),
        ['micropay', 'orderquery'],
        'the query that met the conflict is recorded',
      );
      assert.equal(attempts[1]?.request_summary, `orderNo=${sale.provider_order_no}`);
      const job = await db.selectFrom('jobs').select(['lease_owner', 'done_at']).where('transaction_seq', '=', sale.seq).executeTakeFirstOrThrow();
      assert.deepEqual(job, { lease_owner: null, done_at: null }, 'the job runs the step again');
    });

    test('identical attempts share a row; provider data merges over transactions, later values winning', async () => {
      const app = await start({ worker: false });
      const { db } = app.deps.store;
      const apiKey = await testMerchant(app, ['wechatpay_cn_domestic']);
      const seqs: number[] = [];
      for (const amount of [100, 200]) {
        const id = uniqueId('store');
        assert.equal((await call(app.url, 'POST', '/api/v2/transactions', { key: apiKey, body: saleBody(id, amount) })).status, 201);
        seqs.push((await db.selectFrom('transactions').select('seq').where('client_id', '=', id).executeTakeFirstOrThrow()).seq);
      }
      const [a = 0, b = 0] = seqs;
      const attempt = (over: Partial<NewAttempt>): NewAttempt => ({
        transactionSeq: a,
        at: 1_000,
        provider: 'unionpay',
        call: 'queryTrans',
        outcome: 'not_paid',
        code: '34',
        message: 'no such order',
        httpStatus: 200,
        latencyMs: 12,
        requestSummary: 'orderNo=X',
        responseSummary: '{"kind":"not_paid"}',
        providerData: {},
        ...over,
      });
      await recordAttempt(db, attempt({ providerData: { 'txnTime:X': '20260101000000', other: '1' } }));
      await recordAttempt(db, attempt({ at: 2_000, providerData: { other: '1', 'txnTime:X': '20260101000000' }, latencyMs: 30 }));
      await recordAttempt(db, attempt({ at: 3_000, providerData: { other: '1', 'txnTime:X': '20260101000000' }, message: 'x'.repeat(2_000) }));
      await recordAttempt(db, attempt({ at: 4_000, code: '00', outcome: 'paid' }));
      await recordAttempt(db, attempt({ transactionSeq: b, at: 5_000, providerData: { other: '2', 'txnTime:Y': '20260101000001' } }));
      // The engine's own attempts of the sale come first; these are the ones written here.
      const rows = (await listAttempts(db, a)).filter((r) => r.at < 10_000);
      assert.deepEqual(
        rows.map((r) => [r.at, r.last_at, r.repeat_count, r.code]),
        [
          [1_000, 3_000, 3, '34'],
          [4_000, 4_000, 1, '00'],
        ],
      );
      assert.equal(rows[0]?.message?.length, 500, 'long messages are cut');
      assert.deepEqual(await providerDataOf(db, [a, b]), { 'txnTime:X': '20260101000000', 'txnTime:Y': '20260101000001', other: '2' });
      assert.deepEqual(await providerDataOf(db, [b + 1_000]), {});
    });
  });
}
