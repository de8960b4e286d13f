/** `Idempotency-Key` on the CHOP and Online API routes that move money, over real HTTP, on both databases. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_RETENTION_MS, parseIdempotencyKey } from '../../src/http/idempotency.js';
import { CHOP_ROUTES } from '../../src/http/schemas/chop.js';
import { compileCheck } from '../../src/http/schemas/validator.js';
import { createApiKey } from '../../src/store/merchants.js';
import { uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { CHOP_METHODS, idFromUrl, scan, waitInquire } from '../support/chop.js';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  // Tests inspect arbitrary JSON.
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** POSTs form fields with an optional Idempotency-Key; keeps the answer's exact bytes. */
async function post(baseUrl: string, path: string, apiKey: string, fields: Record<string, string | number>, idempotencyKey?: string): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-www-form-urlencoded' };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, bytes, body: parsed };
}

const failOf = (code: string) => (answer: Answer) => {
  assert.equal(answer.body?.result, 'fail', answer.bytes.toString());
  assert.equal(answer.body?.code, code);
  assert.equal(typeof answer.body?.error, 'string');
};

test('the header schema and the parser accept the same keys', () => {
  const check = compileCheck(CHOP_ROUTES.refund('CHOP API').headers, 'headers');
  const keys = [
    'a',
    'k'.repeat(255),
    'k'.repeat(256),
    '',
    'a\tb',
    'a\u0000b',
    'a\u001fb',
    'a\u007fb',
    'a b',
    'é-ünïcode',
    '550e8400-e29b-41d4-a716-446655440000',
  ];
  for (const key of keys) {
    let parsed = true;
    try {
      parseIdempotencyKey({ 'idempotency-key': key });
    } catch {
      parsed = false;
    }
    assert.equal(check({ 'idempotency-key': key }) === null, parsed, JSON.stringify(key));
  }
  assert.equal(check({}), null);
  assert.equal(parseIdempotencyKey({}), undefined);
});

for (const kind of DB_KINDS) {
  describe(`CHOP Idempotency-Key (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant(CHOP_METHODS);
    });
    after(() => t.close());

    const db = () => t.app.deps.store.db;
    const qrOf = async (id: string): Promise<string> => {
      for (;;) {
        const row = await db().selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst();
        if (row?.qr_code) return row.qr_code;
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    const paidCharge = async (amount: number, merchant = m): Promise<string> => {
      const made = await post(t.url, '/chop/chop', merchant.apiKey, { payment_method: 'wechatpay', amount, currency: 'USD', reference: uniqueId('order') });
      assert.equal(made.status, 200, made.bytes.toString());
      const id = idFromUrl(made.body.url);
      assert.equal((await scan(t.url, await qrOf(id), 'approve')).status, 200);
      assert.equal((await waitInquire(t.url, merchant.apiKey, id, (b) => b.notify_result !== null)).notify_result, 'success');
      return id;
    };
    const rowsOf = async (chargeId: string, type: 'refund' | 'cancel') => {
      const charge = await db().selectFrom('transactions').select('seq').where('ref', '=', chargeId).executeTakeFirstOrThrow();
      return db().selectFrom('transactions').select(['ref', 'amount']).where('sale_seq', '=', charge.seq).where('type', '=', type).execute();
    };
    const refund = (id: string, amount: number, key?: string, merchant = m) =>
      post(t.url, '/chop/refund', merchant.apiKey, { transaction_id: id, amount, currency: 'USD', reason: 'test' }, key);
    const keyRow = (key: string) => db().selectFrom('idempotency_keys').selectAll().where('key', '=', key).execute();

    test('a refund sent twice with one key refunds once; the second answer is the first, replayed', async () => {
      const id = await paidCharge(3000);
      const key = uniqueId('idem');
      const first = await refund(id, 1000, key);
      assert.equal(first.status, 200, first.bytes.toString());
      assert.equal(first.body.refunded, true);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const second = await refund(id, 1000, key);
      assert.equal(second.status, 200);
      assert.deepEqual(second.bytes, first.bytes);
      assert.equal(second.headers.get('content-type'), first.headers.get('content-type'));
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await rowsOf(id, 'refund'), [{ ref: first.body.id, amount: 1000 }]);
      const [row] = await keyRow(key);
      assert.equal(row?.endpoint, '/chop/refund');
      assert.equal(row?.merchant_id, m.id);
      assert.equal(row?.mode, 'test');
      assert.equal(row?.status_code, 200);
      assert.equal(row?.effect_ref, first.body.id);
      assert.equal(row?.locked_at, null);
    });

    test('the same key with other parameters or on another endpoint is refused (422) and changes nothing', async () => {
      const id = await paidCharge(3000);
      const key = uniqueId('idem');
      const first = await refund(id, 1000, key);
      assert.equal(first.status, 200);
      const other = await refund(id, 1500, key);
      assert.equal(other.status, 422);
      failOf('idempotency_key_reused')(other);
      const elsewhere = await post(t.url, '/chop/cancel', m.apiKey, { transaction_id: id }, key);
      assert.equal(elsewhere.status, 422);
      failOf('idempotency_key_reused')(elsewhere);
      const alias = await post(t.url, '/payment/refund', m.apiKey, { transaction_id: id, amount: 1000, currency: 'USD', reason: 'test' }, key);
      assert.equal(alias.status, 422);
      assert.deepEqual(await rowsOf(id, 'refund'), [{ ref: first.body.id, amount: 1000 }]);
      assert.deepEqual(await rowsOf(id, 'cancel'), []);
      // The original request still gets its answer.
      assert.deepEqual((await refund(id, 1000, key)).bytes, first.bytes);
    });

    test('a key belongs to one merchant and one mode: another merchant or the live key with it is independent', async () => {
      const other = await t.merchant(CHOP_METHODS);
      const id = await paidCharge(3000);
      const otherId = await paidCharge(3000, other);
      const key = uniqueId('idem');
      const mine = await refund(id, 1000, key);
      const theirs = await refund(otherId, 1000, key, other);
      assert.equal(theirs.status, 200, theirs.bytes.toString());
      assert.equal(theirs.headers.get('idempotent-replayed'), null);
      assert.equal(theirs.body.transaction_id, otherId);
      assert.deepEqual(
        (await rowsOf(otherId, 'refund')).map((r) => r.ref),
        [theirs.body.id],
      );

      const live = await createApiKey(db(), t.app.deps.secrets, { merchantId: m.id, mode: 'live', now: Date.now() });
      const inLive = await refund(id, 1000, key, { id: m.id, apiKey: live.apiKey });
      assert.equal(inLive.headers.get('idempotent-replayed'), null);
      assert.notEqual(inLive.body?.code, 'idempotency_key_reused');
      assert.notDeepEqual(inLive.bytes, mine.bytes);
      const rows = await keyRow(key);
      assert.deepEqual(rows.map((r) => `${r.merchant_id}/${r.mode}`).sort(), [`${m.id}/live`, `${m.id}/test`, `${other.id}/test`].sort());
    });

    test('five concurrent refunds with one key make one refund; the others replay it or are told it is in progress', async () => {
      const id = await paidCharge(3000);
      const key = uniqueId('idem');
      const answers = await Promise.all(Array.from({ length: 5 }, () => refund(id, 700, key)));
      const refunds = await rowsOf(id, 'refund');
      assert.equal(refunds.length, 1);
      const originals = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
      assert.equal(originals.length, 1);
      assert.equal(originals[0]?.body.id, refunds[0]?.ref);
      for (const answer of answers) {
        if (answer.status === 200) assert.deepEqual(answer.bytes, originals[0]?.bytes);
        else {
          assert.equal(answer.status, 409);
          failOf('idempotency_key_in_progress')(answer);
          assert.equal(answer.headers.get('retry-after'), '1');
        }
      }
      // Once answered, every retry is a replay.
      const later = await refund(id, 700, key);
      assert.equal(later.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(later.bytes, originals[0]?.bytes);
    });

    test('/chop/chop with allow_duplicates=yes and one key makes one charge', async () => {
      const key = uniqueId('idem');
      const reference = uniqueId('order');
      const fields = { payment_method: 'alipay', amount: 1200, currency: 'USD', reference, allow_duplicates: 'yes' };
      const first = await post(t.url, '/chop/chop', m.apiKey, fields, key);
      assert.equal(first.status, 200, first.bytes.toString());
      const second = await post(t.url, '/chop/chop', m.apiKey, fields, key);
      assert.deepEqual(second.bytes, first.bytes);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      const charges = await db().selectFrom('transactions').select('ref').where('reference', '=', reference).where('type', '=', 'charge').execute();
      assert.deepEqual(
        charges.map((c) => c.ref),
        [idFromUrl(first.body.url)],
      );
    });

    test('pay_qr replays its PNG byte for byte; format=json is another request', async () => {
      const key = uniqueId('idem');
      const reference = uniqueId('order');
      const fields = { vendor: 'wechatpay', amount: 1300, currency: 'USD', reference, allow_duplicates: 'yes' };
      const first = await post(t.url, '/payment/pay_qr', m.apiKey, fields, key);
      assert.equal(first.status, 200, first.bytes.toString());
      assert.equal(first.headers.get('content-type'), 'image/png');
      assert.deepEqual([...first.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
      const second = await post(t.url, '/payment/pay_qr', m.apiKey, fields, key);
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('content-type'), 'image/png');
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.headers.get('x-cancan-transaction-id'), first.headers.get('x-cancan-transaction-id'));
      assert.ok(second.bytes.equals(first.bytes));
      const asJson = await post(t.url, '/payment/pay_qr?format=json', m.apiKey, fields, key);
      assert.equal(asJson.status, 422);
      failOf('idempotency_key_reused')(asJson);
      const charges = await db().selectFrom('transactions').select('ref').where('reference', '=', reference).execute();
      assert.deepEqual(
        charges.map((c) => c.ref),
        [first.headers.get('x-cancan-transaction-id')],
      );
    });

    test('a cancel sent twice with one key answers "Order cancelled" twice, cancelling once', async () => {
      const id = await paidCharge(2000);
      const key = uniqueId('idem');
      const first = await post(t.url, '/chop/cancel', m.apiKey, { transaction_id: id, reason: 'test' }, key);
      assert.equal(first.status, 200);
      assert.equal(first.body.cancelled, true, first.bytes.toString());
      const second = await post(t.url, '/chop/cancel', m.apiKey, { transaction_id: id, reason: 'test' }, key);
      assert.deepEqual(second.bytes, first.bytes);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal((await rowsOf(id, 'cancel')).length, 1);
      // Without the key, the same request is refused as a duplicate (the behaviour without a key).
      const again = await post(t.url, '/chop/cancel', m.apiKey, { transaction_id: id, reason: 'test' });
      assert.equal(again.body.status, 'Duplicate cancellation');
    });

    test('without the header nothing changes: the same refund twice refunds twice', async () => {
      const id = await paidCharge(3000);
      const first = await refund(id, 1000);
      const second = await refund(id, 1000);
      assert.equal(first.body.refunded, true);
      assert.equal(second.body.refunded, true);
      assert.notEqual(first.body.id, second.body.id);
      assert.equal(second.headers.get('idempotent-replayed'), null);
      assert.equal((await rowsOf(id, 'refund')).length, 2);
    });

    test('a malformed key is a 400 and nothing happens; bad parameters do not use the key', async () => {
      const id = await paidCharge(3000);
      for (const key of ['k'.repeat(256), 'a\tb']) {
        const answer = await refund(id, 1000, key);
        assert.equal(answer.status, 400, key);
        failOf('invalid_idempotency_key')(answer);
      }
      assert.deepEqual(await rowsOf(id, 'refund'), []);
      const longest = 'k'.repeat(255) + uniqueId('');
      const ok = await refund(id, 1000, longest.slice(-255));
      assert.equal(ok.status, 200, ok.bytes.toString());

      const key = uniqueId('idem');
      const bad = await post(t.url, '/chop/refund', m.apiKey, { transaction_id: id, currency: 'USD' }, key);
      assert.equal(bad.status, 400);
      failOf('missing_parameter')(bad);
      assert.deepEqual(await keyRow(key), []);
      const good = await refund(id, 500, key);
      assert.equal(good.status, 200);
      assert.equal(good.headers.get('idempotent-replayed'), null);
      assert.equal(good.body.refunded, true);
    });

    test('an answer the request reached (a 404) is kept and replayed', async () => {
      const key = uniqueId('idem');
      const first = await refund('0'.repeat(32), 1000, key);
      assert.equal(first.status, 404);
      failOf('not_found')(first);
      const second = await refund('0'.repeat(32), 1000, key);
      assert.equal(second.status, 404);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(second.bytes, first.bytes);
    });

    test('a request that died before storing its answer: 409 while its claim holds, then run again without a second refund', async () => {
      const id = await paidCharge(3000);
      const key = uniqueId('idem');
      const first = await refund(id, 1000, key);
      assert.equal(first.status, 200);
      // As a crash after the refund and before the answer was stored would leave it.
      const unanswered = { status_code: null, response_headers: null, response_body: null, response_encoding: null } as const;
      await db()
        .updateTable('idempotency_keys')
        .set({ ...unanswered, locked_at: Date.now() })
        .where('key', '=', key)
        .execute();
      const held = await refund(id, 1000, key);
      assert.equal(held.status, 409);
      failOf('idempotency_key_in_progress')(held);
      await db()
        .updateTable('idempotency_keys')
        .set({ locked_at: Date.now() - IDEMPOTENCY_LEASE_MS - 1000 })
        .where('key', '=', key)
        .execute();
      const rerun = await refund(id, 1000, key);
      assert.equal(rerun.status, 200);
      assert.equal(rerun.headers.get('idempotent-replayed'), null);
      assert.deepEqual(rerun.body, first.body);
      assert.deepEqual(
        (await rowsOf(id, 'refund')).map((r) => r.ref),
        [first.body.id],
      );
      assert.equal((await refund(id, 1000, key)).headers.get('idempotent-replayed'), 'true');
    });

    test('after the retention a key starts over', async () => {
      const id = await paidCharge(3000);
      const key = uniqueId('idem');
      assert.equal((await refund(id, 1000, key)).status, 200);
      await db()
        .updateTable('idempotency_keys')
        .set({ created_at: Date.now() - IDEMPOTENCY_RETENTION_MS - 1000 })
        .where('key', '=', key)
        .execute();
      const fresh = await refund(id, 500, key);
      assert.equal(fresh.status, 200);
      assert.equal(fresh.headers.get('idempotent-replayed'), null);
      assert.deepEqual((await rowsOf(id, 'refund')).map((r) => r.amount).sort(), [1000, 500].sort());
      assert.equal((await keyRow(key)).length, 1);
    });

    test('the OpenAPI document shows the header on the routes that move money', async () => {
      const doc = (await (await fetch(`${t.url}/docs/json`)).json()) as {
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
      };
      for (const path of ['/chop/chop', '/payment/pay_qr', '/chop/refund', '/payment/refund', '/chop/cancel']) {
        const operation = doc.paths[path]?.post;
        assert.ok(
          operation?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
          path,
        );
        assert.ok(operation?.responses['409'] && operation.responses['422'], path);
      }
      assert.equal(doc.paths['/chop/inquire']?.post?.parameters?.some((p) => p.name === 'idempotency-key') ?? false, false);
    });
  });
}
