/** The POS API's contract around the happy path: auth, errors, idempotency, isolation, listing. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { WECHAT_AUTH_CODE, call, ledger, saleBody, uniqueId, waitFinal } from '../support/client.js';

for (const kind of DB_KINDS) {
  describe(`POS API contract (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let other: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
      other = await t.merchant();
    });
    after(() => t.close());

    const post = (body: unknown, key: string = m.apiKey, headers: Record<string, string> = {}) =>
      call(t.url, 'POST', '/api/v2/transactions', { key, body, headers });

    test('health check reaches the database', async () => {
      const health = await call(t.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body.database, kind);
    });

    test('authentication: missing, wrong and revoked keys are 401; a bare token works', async () => {
      for (const key of [null, 'sk_test_wrong']) {
        const response = await call(t.url, 'GET', '/api/v2/transactions', { key });
        assert.equal(response.status, 401);
        assert.equal(response.body.errors[0].code, 'authentication_error');
        assert.equal(response.body.errors[0].status, '401');
        assert.equal(response.body.data, undefined);
      }
      const bare = await call(t.url, 'GET', '/api/v2/transactions', { headers: { authorization: m.apiKey } });
      assert.equal(bare.status, 200);
      const doomed = await t.merchant();
      const keyRow = await t.app.deps.store.db.selectFrom('api_keys').select('id').where('merchant_id', '=', doomed.id).executeTakeFirstOrThrow();
      await t.app.deps.store.db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', keyRow.id).execute();
      assert.equal((await call(t.url, 'GET', '/api/v2/transactions', { key: doomed.apiKey })).status, 401);
    });

    test('a retry with the same body is replayed (200, Idempotent-Replayed); another body is a 409', async () => {
      const id = uniqueId('sale');
      const first = await post(saleBody(id, 700), m.apiKey, { prefer: 'wait=10' });
      assert.equal(first.status, 201);
      const replay = await post(saleBody(id, 700));
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.body.data.attributes.state, 'succeeded');
      const conflict = await post(saleBody(id, 701));
      assert.equal(conflict.status, 409);
      assert.equal(conflict.body.errors[0].code, 'conflict_error');
      assert.equal(conflict.body.errors[0].source.pointer, '/data/id');
      assert.equal((await ledger(t.url)).filter((e) => e.amount === 700).length, 1, 'charged once');
    });

    test('concurrent duplicates create exactly one transaction and one provider order', async () => {
      const id = uniqueId('sale');
      const responses = await Promise.all(Array.from({ length: 20 }, () => post(saleBody(id, 1234))));
      const statuses = responses.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses ${statuses}`);
      assert.equal(statuses.filter((s) => s === 200).length, 19);
      const rows = await t.app.deps.store.db.selectFrom('transactions').select('seq').where('merchant_id', '=', m.id).where('client_id', '=', id).execute();
      assert.equal(rows.length, 1);
      // Once the sale is final no further pay call can be made: then count the provider's orders.
      await waitFinal(t.url, m.apiKey, id);
      assert.equal((await ledger(t.url)).filter((e) => e.amount === 1234).length, 1);
    });

    test('concurrent requests with one id and different bodies: one wins, the rest conflict', async () => {
      const id = uniqueId('sale');
      const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => post(saleBody(id, 1300 + i))));
      assert.equal(responses.filter((r) => r.status === 201).length, 1);
      assert.equal(responses.filter((r) => r.status === 409).length, 7);
    });

    test('merchants are isolated: another merchant gets 404 and may reuse the id', async () => {
      const id = uniqueId('sale');
      assert.equal((await post(saleBody(id, 800))).status, 201);
      const peek = await call(t.url, 'GET', `/api/v2/transactions/${id}`, { key: other.apiKey });
      assert.equal(peek.status, 404);
      assert.equal(peek.body.errors[0].code, 'not_found_error');
      const voidOfOthers = await post({ data: { id: uniqueId('void'), type: 'void', attributes: { sale: id } } }, other.apiKey);
      assert.equal(voidOfOthers.body.data.attributes.failure_code, 'sale_not_found_failure');
      const reuse = await post(saleBody(id, 900), other.apiKey);
      assert.equal(reuse.status, 201);
      const list = await call(t.url, 'GET', '/api/v2/transactions?page[size]=100', { key: other.apiKey });
      assert.ok(list.body.data.every((r: { attributes: { amount: number | null } }) => r.attributes.amount !== 800));
    });

    test('unknown transaction and unknown route are 404 envelopes', async () => {
      const missing = await call(t.url, 'GET', '/api/v2/transactions/nope', { key: m.apiKey });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.errors[0].detail, 'Record Not Found');
      const route = await call(t.url, 'GET', '/api/v2/nothing-here', { key: m.apiKey });
      assert.equal(route.status, 404);
      assert.equal(route.body.errors[0].code, 'not_found_error');
    });

    const invalid: Array<[string, unknown, string]> = [
      ['no data', { nope: 1 }, '/data'],
      ['amount negative', saleBody('bad-1', -5), '/data/attributes/amount'],
      ['amount fractional', saleBody('bad-2', 1.5), '/data/attributes/amount'],
      ['amount as string', saleBody('bad-3', '100'), '/data/attributes/amount'],
      ['amount beyond safe integers', saleBody('bad-4', 2 ** 60), '/data/attributes/amount'],
      ['unknown currency', saleBody('bad-5', 100, { currency: 'XYZ' }), '/data/attributes/currency'],
      ['description too long', saleBody('bad-6', 100, { description: 'x'.repeat(256) }), '/data/attributes/description'],
      ['missing description', saleBody('bad-7', 100, { description: undefined }), '/data/attributes/description'],
      ['auth key of wrong type', saleBody('bad-8', 100, { payment_auth_key: 123 }), '/data/attributes/payment_auth_key'],
      ['id with spaces', saleBody('bad id', 100), '/data/id'],
      ['id too long', saleBody('x'.repeat(65), 100), '/data/id'],
      ['unknown type', { data: { id: 'bad-9', type: 'capture', attributes: {} } }, '/data/type'],
      ['unknown gateway', saleBody('bad-10', 100, { payment_gateway: 'paypal' }), '/data/attributes/payment_gateway'],
      ['currency the gateway does not allow', saleBody('bad-11', 100, { currency: 'USD' }), '/data/attributes/currency'],
      ['refund without amount', { data: { id: 'bad-12', type: 'refund', attributes: { sale: 'x' } } }, '/data/attributes/amount'],
    ];
    for (const [name, body, pointer] of invalid) {
      test(`400 attribute_error: ${name}`, async () => {
        const response = await post(body);
        assert.equal(response.status, 400);
        const error = response.body.errors.find((e: { source?: { pointer?: string } }) => e.source?.pointer === pointer);
        assert.ok(error, `an error at ${pointer} in ${response.text}`);
        assert.equal(error.code, 'attribute_error');
        assert.equal(error.status, '400');
        assert.ok(error.detail.length > 10);
      });
    }

    test('every problem of a body is reported at once', async () => {
      const response = await post({ data: { id: 'x y', type: 'sale', attributes: { amount: 0, currency: 'cny' } } });
      const pointers = response.body.errors.map((e: { source: { pointer: string } }) => e.source.pointer).sort();
      assert.deepEqual(pointers, [
        '/data/attributes/amount',
        '/data/attributes/currency',
        '/data/attributes/description',
        '/data/attributes/payment_auth_key',
        '/data/attributes/payment_gateway',
        '/data/id',
      ]);
    });

    test('a body that is not JSON is a 400, one of another media type a 415, one over 64 KiB a 413', async () => {
      const notJson = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, raw: '{"data": ' });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.errors[0].code, 'attribute_error');
      const plain = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, raw: 'hello', headers: { 'content-type': 'text/plain' } });
      assert.equal(plain.status, 415, 'a declared non-JSON type is refused, naming the header to send');
      const big = await post(saleBody('big', 100, { description: 'x'.repeat(70 * 1024) }));
      assert.equal(big.status, 413);
      assert.equal(big.body.errors[0].status, '413');
    });

    test('a gateway not enabled for the merchant is 403', async () => {
      const limited = await t.merchant(['wechatpay_international']);
      const response = await post(saleBody(uniqueId('sale'), 100), limited.apiKey);
      assert.equal(response.status, 403);
      assert.equal(response.body.errors[0].code, 'access_forbidden_error');
    });

    test('nothing is half-written: a rejected request leaves no row and no job', async () => {
      const count = async () => {
        const tx = await t.app.deps.store.db
          .selectFrom('transactions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        const jobs = await t.app.deps.store.db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return [Number(tx.n), Number(jobs.n)];
      };
      const before = await count();
      await post(saleBody(uniqueId('sale'), 100, { currency: 'USD' }));
      await post(saleBody(uniqueId('sale'), -1));
      assert.deepEqual(await count(), before);
      const rows = await t.app.deps.store.db
        .selectFrom('transactions')
        .leftJoin('jobs', 'jobs.transaction_seq', 'transactions.seq')
        .select(['transactions.seq', 'transactions.step', 'jobs.id as job'])
        .where('transactions.type', '=', 'sale')
        .execute();
      for (const row of rows) {
        if (row.step !== 'done') assert.notEqual(row.job, null, `pending sale ${row.seq} has a job`);
      }
    });

    test('list: filters and cursor pages, newest first', async () => {
      const lister = await t.merchant();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const id = uniqueId('list');
        ids.push(id);
        await call(t.url, 'POST', '/api/v2/transactions', {
          key: lister.apiKey,
          body: saleBody(id, i === 0 ? 151 : 100 + i, { pos_id: i % 2 ? 'A' : 'B' }),
          headers: { prefer: 'wait=5' },
        });
      }
      const page1 = await call(t.url, 'GET', '/api/v2/transactions?page[size]=2', { key: lister.apiKey });
      assert.equal(page1.status, 200);
      assert.deepEqual(
        page1.body.data.map((r: { id: string }) => r.id),
        [ids[4], ids[3]],
      );
      const next = page1.body.links.next as string;
      assert.ok(next);
      const page2 = await call(t.url, 'GET', next, { key: lister.apiKey });
      assert.deepEqual(
        page2.body.data.map((r: { id: string }) => r.id),
        [ids[2], ids[1]],
      );
      const page3 = await call(t.url, 'GET', page2.body.links.next, { key: lister.apiKey });
      assert.deepEqual(
        page3.body.data.map((r: { id: string }) => r.id),
        [ids[0]],
      );
      assert.equal(page3.body.links.next, undefined);

      const failed = await call(t.url, 'GET', '/api/v2/transactions?filter[state]=failed', { key: lister.apiKey });
      assert.deepEqual(
        failed.body.data.map((r: { id: string }) => r.id),
        [ids[0]],
      );
      const posA = await call(t.url, 'GET', '/api/v2/transactions?filter[pos_id]=A&filter[type]=sale&filter[payment_gateway]=wechatpay_cn_domestic', {
        key: lister.apiKey,
      });
      assert.deepEqual(
        posA.body.data.map((r: { id: string }) => r.id),
        [ids[3], ids[1]],
      );
      const future = await call(t.url, 'GET', '/api/v2/transactions?filter[created_at][gte]=2999-01-01T00:00:00Z', { key: lister.apiKey });
      assert.deepEqual(future.body.data, []);
      const past = await call(t.url, 'GET', '/api/v2/transactions?filter[created_at][lt]=2000-01-01T00:00:00Z', { key: lister.apiKey });
      assert.deepEqual(past.body.data, []);

      const bad = await call(t.url, 'GET', '/api/v2/transactions?page[size]=500&filter[state]=done&filter[created_at][gte]=yesterday', { key: lister.apiKey });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors.map((e: { source: { parameter: string } }) => e.source.parameter).sort(), [
        'filter[created_at][gte]',
        'filter[state]',
        'page[size]',
      ]);
    });

    test('secrets never appear in responses or logs', async () => {
      const id = uniqueId('sale');
      const response = await post(saleBody(id, 555), m.apiKey, { prefer: 'wait=5' });
      assert.ok(!response.text.includes(WECHAT_AUTH_CODE));
      await post(saleBody(uniqueId('sale'), 100, { payment_auth_key: 'not-a-code-12345' }));
      const logs = t.logs.join('');
      assert.ok(logs.length > 0, 'the server logged something');
      for (const secret of [m.apiKey, other.apiKey, WECHAT_AUTH_CODE, 'not-a-code-12345']) {
        assert.ok(!logs.includes(secret), `log contains ${secret.slice(0, 8)}…`);
      }
      const stored = JSON.stringify(await t.app.deps.store.db.selectFrom('transactions').selectAll().execute());
      assert.ok(!stored.includes(WECHAT_AUTH_CODE), 'the auth code is stored only sealed');
      assert.ok(!JSON.stringify(await t.app.deps.store.db.selectFrom('api_keys').selectAll().execute()).includes(m.apiKey));
    });
  });
}

describe('rate limits', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', { CANCAN_RATE_LIMIT_PER_SECOND: '1', CANCAN_RATE_LIMIT_BURST: '3' });
  });
  after(() => t.close());

  test('too many requests for one key is a 429 with Retry-After; other keys are unaffected', async () => {
    const busy = await t.merchant();
    const calm = await t.merchant();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i += 1) {
      const response = await call(t.url, 'GET', '/api/v2/transactions', { key: busy.apiKey });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        assert.equal(response.body.errors[0].status, '429');
      }
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(statuses.slice(3).includes(429));
    assert.ok(retryAfter !== null && Number(retryAfter) >= 1);
    assert.equal((await call(t.url, 'GET', '/api/v2/transactions', { key: calm.apiKey })).status, 200);
  });
});
