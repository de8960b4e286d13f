/** The group committer on both databases: works submitted together share one commit; a failing work fails only its caller. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Store, openStore } from '../../src/store/db.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { createMerchant } from '../../src/store/merchants.js';
import { migrate } from '../../src/store/migrations.js';
import { DB_KINDS, type TestDatabase, createTestDatabase } from '../support/databases.js';

for (const kind of DB_KINDS) {
  describe(`group commit (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let merchantId: string;
    before(async () => {
      database = await createTestDatabase(kind);
      store = openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      await migrate(store.db, store.dialect);
      merchantId = (await createMerchant(store.db, { name: 'Shop', timezone: 'UTC', gateways: [], now: 1 })).id;
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    const gatewaysOf = async () =>
      (await store.db.selectFrom('merchant_gateways').select('gateway').where('merchant_id', '=', merchantId).orderBy('gateway').execute()).map(
        (r) => r.gateway,
      );
    const enable = (gateway: string) => async (trx: Parameters<Parameters<GroupCommitter['submit']>[0]>[0]) => {
      await trx.insertInto('merchant_gateways').values({ merchant_id: merchantId, gateway }).execute();
      return gateway;
    };
    const clear = () => store.db.deleteFrom('merchant_gateways').where('merchant_id', '=', merchantId).execute();

    test('works submitted in one turn share one commit, each resolving with its own result', async () => {
      await clear();
      const sizes: number[] = [];
      const committer = new GroupCommitter(store.db, { onCommit: (size) => sizes.push(size) });
      const names = Array.from({ length: 20 }, (_, i) => `g${String(i).padStart(2, '0')}`);
      const results = await Promise.all(names.map((name) => committer.submit(enable(name))));
      assert.deepEqual(results, names);
      assert.deepEqual(sizes, [20]);
      assert.equal(committer.commits, 1);
      assert.equal(committer.works, 20);
      assert.deepEqual(await gatewaysOf(), names);
    });

    test('a batch is capped; works queued while one commits form the next', async () => {
      await clear();
      const sizes: number[] = [];
      const committer = new GroupCommitter(store.db, { maxBatch: 8, onCommit: (size) => sizes.push(size) });
      const names = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
      await Promise.all(names.map((name) => committer.submit(enable(name))));
      assert.deepEqual(sizes, [8, 8, 4]);
      assert.deepEqual(await gatewaysOf(), names);
    });

    test('a constraint error and a thrown error fail only their own callers; the others commit', async () => {
      await clear();
      const sizes: number[] = [];
      const committer = new GroupCommitter(store.db, { onCommit: (size) => sizes.push(size) });
      const release = committer.hold();
      const settled = Promise.allSettled([
        committer.submit(enable('a')),
        committer.submit(enable('b')),
        // The same primary key as the work before it, in the same transaction.
        committer.submit(enable('b')),
        committer.submit(async (trx) => {
          await enable('x')(trx);
          throw new Error('refused after writing');
        }),
        committer.submit(enable('c')),
      ]);
      assert.equal(committer.queued, 5);
      release();
      const outcomes = await settled;
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      const duplicate = outcomes[2];
      assert.ok(duplicate?.status === 'rejected');
      assert.match(String((duplicate.reason as { code?: unknown }).code), /^(23505|SQLITE_CONSTRAINT_PRIMARYKEY)$/);
      const thrown = outcomes[3];
      assert.ok(thrown?.status === 'rejected');
      assert.equal((thrown.reason as Error).message, 'refused after writing');
      // The batch rolled back, then each work ran alone: three commits, the failures' writes undone.
      assert.deepEqual(sizes, [1, 1, 1]);
      assert.deepEqual(await gatewaysOf(), ['a', 'b', 'c']);
    });

    test('savepoint isolation: a failing work is undone alone, the rest of its batch commits with it', async () => {
      await clear();
      const sizes: number[] = [];
      const committer = new GroupCommitter(store.db, { isolation: 'savepoint', onCommit: (size) => sizes.push(size) });
      const release = committer.hold();
      const settled = Promise.allSettled([
        committer.submit(enable('a')),
        committer.submit(enable('a')),
        committer.submit(async (trx) => {
          await enable('x')(trx);
          throw new Error('refused after writing');
        }),
        committer.submit(enable('b')),
      ]);
      release();
      const outcomes = await settled;
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(sizes, [4]);
      assert.deepEqual(await gatewaysOf(), ['a', 'b']);
    });
  });
}
