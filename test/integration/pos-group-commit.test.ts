/**
 * POS creates through the group committer, on both databases: concurrent sales
 * all stored, a duplicate id inside one batch answered as a replay or a 409,
 * and a create that fails inside a batch failing alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Caller, type CreateResult, createTransaction } from '../../src/core/create-transaction.js';
import { type TransactionRequest, validateTransactionRequest } from '../../src/core/validate.js';
import { ApiError } from '../../src/domain/errors.js';
import { groupCommitterFor } from '../../src/store/group-commit.js';
import { findMerchant } from '../../src/store/merchants.js';
import { waitFor } from '../support/chop.js';
import { call, refundBody, saleBody, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

for (const kind of DB_KINDS) {
  describe(`POS group commit (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let caller: Caller;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
      const merchant = await findMerchant(t.app.deps.store.db, m.id);
      assert.ok(merchant);
      caller = { merchant, mode: 'test' };
    });
    after(() => t.close());

    const request = (body: unknown): TransactionRequest => {
      const validated = validateTransactionRequest(body, t.app.deps.config.maxAmountMajor);
      assert.ok(validated.ok);
      return validated.request;
    };
    const rowsOf = (clientIds: readonly string[]) =>
      t.app.deps.store.db
        .selectFrom('transactions')
        .select(['seq', 'client_id', 'amount'])
        .where('merchant_id', '=', m.id)
        .where('client_id', 'in', clientIds)
        .execute();
    const createdEvents = async (seqs: readonly number[]) =>
      (
        await t.app.deps.store.db
          .selectFrom('transaction_events')
          .select('transaction_seq')
          .where('kind', '=', 'created')
          .where('transaction_seq', 'in', seqs)
          .execute()
      )
        .map((e) => Number(e.transaction_seq))
        .sort((a, b) => a - b);
    const jobsOf = async (seqs: readonly number[]) =>
      (await t.app.deps.store.db.selectFrom('jobs').select('transaction_seq').where('transaction_seq', 'in', seqs).execute())
        .map((j) => Number(j.transaction_seq))
        .sort((a, b) => a - b);

    /** Starts the creates while batches are held, waits until all are queued, then lets them run as one batch. */
    async function inOneBatch(creates: ReadonlyArray<() => Promise<CreateResult>>): Promise<PromiseSettledResult<CreateResult>[]> {
      const committer = groupCommitterFor(t.app.deps.store);
      const release = committer.hold();
      const commitsBefore = committer.commits;
      const settled = Promise.allSettled(creates.map((create) => create()));
      try {
        await waitFor(() => (committer.queued === creates.length ? true : undefined));
      } finally {
        release();
      }
      const outcomes = await settled;
      assert.ok(committer.commits > commitsBefore);
      return outcomes;
    }

    test('50 concurrent sales: all 201, each with its row, created event and job', async () => {
      const ids = Array.from({ length: 50 }, () => uniqueId('gc'));
      const answers = await Promise.all(ids.map((id, i) => call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, 1000 + i * 100) })));
      assert.deepEqual(
        answers.map((a) => a.status),
        ids.map(() => 201),
      );
      assert.deepEqual(
        answers.map((a) => a.body.data.id),
        ids,
      );
      const rows = await rowsOf(ids);
      assert.equal(rows.length, 50);
      for (const row of rows) assert.equal(Number(row.amount), 1000 + ids.indexOf(row.client_id) * 100);
      const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
      assert.deepEqual(await createdEvents(seqs), seqs);
      assert.deepEqual(await jobsOf(seqs), seqs);
    });

    test('a duplicate id inside one batch: the same body is a replay, another body a 409; the rest of the batch is created', async () => {
      const [twice, other, clash] = [uniqueId('gc-dup'), uniqueId('gc-other'), uniqueId('gc-clash')];
      const committer = groupCommitterFor(t.app.deps.store);
      const commitsBefore = committer.commits;
      const outcomes = await inOneBatch([
        () => createTransaction(t.app.deps, caller, request(saleBody(twice, 1200))),
        () => createTransaction(t.app.deps, caller, request(saleBody(twice, 1200))),
        () => createTransaction(t.app.deps, caller, request(saleBody(other, 1300))),
        () => createTransaction(t.app.deps, caller, request(saleBody(clash, 1400))),
        () => createTransaction(t.app.deps, caller, request(saleBody(clash, 1500))),
      ]);
      // Nothing threw inside the batch: one commit made all of it durable.
      assert.equal(committer.commits - commitsBefore, 1);
      // The creates join the queue in the order their checks finish (database round trips): which twin came first is not fixed.
      const [twinA, twinB, created, clashA, clashB] = outcomes;
      assert.ok(twinA?.status === 'fulfilled' && twinB?.status === 'fulfilled' && created?.status === 'fulfilled');
      assert.deepEqual([twinA.value.replayed, twinB.value.replayed].sort(), [false, true]);
      assert.equal(twinA.value.row.seq, twinB.value.row.seq);
      assert.equal(twinA.value.row.ref, twinB.value.row.ref);
      assert.equal(created.value.replayed, false);
      assert.equal(created.value.row.client_id, other);
      // One clash body is created, the other refused with a 409.
      const clashes = [
        { outcome: clashA, amount: 1400 },
        { outcome: clashB, amount: 1500 },
      ];
      const won = clashes.filter((c) => c.outcome?.status === 'fulfilled');
      const lost = clashes.filter((c) => c.outcome?.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      const winner = won[0]?.outcome;
      assert.ok(winner?.status === 'fulfilled');
      assert.equal(winner.value.replayed, false);
      assert.equal(Number(winner.value.row.amount), won[0]?.amount);
      const loser = lost[0]?.outcome;
      assert.ok(loser?.status === 'rejected' && loser.reason instanceof ApiError);
      assert.equal(loser.reason.status, 409);

      const rows = await rowsOf([twice, other, clash]);
      assert.deepEqual(rows.map((r) => r.client_id).sort(), [clash, other, twice].sort());
      const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
      assert.deepEqual(await createdEvents(seqs), seqs);
      assert.deepEqual(await jobsOf(seqs), seqs);

      // Over HTTP the replay answers 200 with the same transaction.
      const again = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(twice, 1200) });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.data.id, twice);
    });

    test('a create that fails inside a batch fails alone: a 400 refund and a throwing audit step; the sales beside them are created', async () => {
      const sale = uniqueId('gc-sale');
      await createTransaction(t.app.deps, caller, request(saleBody(sale, 2000)));
      const [before, refund, after, audited] = [uniqueId('gc-before'), uniqueId('gc-refund'), uniqueId('gc-after'), uniqueId('gc-audited')];
      const outcomes = await inOneBatch([
        () => createTransaction(t.app.deps, caller, request(saleBody(before, 2100))),
        // Over the configured maximum: refused with a 400 inside the write, nothing stored.
        () => createTransaction(t.app.deps, caller, request(refundBody(refund, sale, (t.app.deps.config.maxAmountMajor + 1) * 100))),
        () => createTransaction(t.app.deps, caller, request(saleBody(after, 2200))),
        () =>
          createTransaction(t.app.deps, caller, request(saleBody(audited, 2300)), async () => {
            throw new Error('audit entry refused');
          }),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
      );
      const [, refused, , thrown] = outcomes;
      assert.ok(refused?.status === 'rejected' && refused.reason instanceof ApiError);
      assert.equal(refused.reason.status, 400);
      assert.ok(thrown?.status === 'rejected');
      assert.equal((thrown.reason as Error).message, 'audit entry refused');
      const rows = await rowsOf([before, refund, after, audited]);
      assert.deepEqual(rows.map((r) => r.client_id).sort(), [after, before].sort());
      const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
      assert.deepEqual(await createdEvents(seqs), seqs);
      assert.deepEqual(await jobsOf(seqs), seqs);
    });
  });
}
