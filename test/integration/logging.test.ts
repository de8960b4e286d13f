/**
 * Structured logs over real HTTP: JSON lines, request ids from X-Request-Id
 * (kept when well-formed, replaced otherwise) carried into the worker's log
 * lines of the transaction the request created, and no secret in any line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser } from '../../src/dashboard/accounts.js';
import { call, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { HttpSession } from '../support/dashboard.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

type LogLine = Record<string, unknown>;

describe('logging', () => {
  let t: TestApp;
  let m: TestMerchant;
  before(async () => {
    t = await startTestApp('sqlite');
    m = await t.merchant();
  });
  after(() => t.close());

  const lines = (): LogLine[] =>
    t.logs
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
  const refOf = async (clientId: string) =>
    t.app.deps.store.db
      .selectFrom('transactions')
      .select(['ref', 'request_id'])
      .where('merchant_id', '=', m.id)
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow();

  test("a well-formed X-Request-Id is answered back and follows the sale into the worker's provider call", async () => {
    const id = uniqueId('sale');
    const created = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, 1000), headers: { 'x-request-id': 'test-123' } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('x-request-id'), 'test-123');
    assert.equal((await waitFinal(t.url, m.apiKey, id)).body.data.attributes.state, 'succeeded');

    const row = await refOf(id);
    assert.equal(row.request_id, 'test-123');
    const all = lines();
    assert.ok(
      all.some((line) => line.reqId === 'test-123' && line.msg === 'incoming request'),
      "the request's own lines carry the id",
    );
    const providerCall = all.find((line) => line.msg === 'provider call' && line.txn === row.ref);
    assert.ok(providerCall, 'the worker logs the provider call');
    assert.equal(providerCall.reqId, 'test-123');
    assert.equal(providerCall.call, 'micropay');
    assert.equal(providerCall.outcome, 'paid');
    // Another request's transaction carries its own id, not this one.
    assert.ok(all.filter((line) => line.msg === 'provider call' && line.reqId === 'test-123').every((line) => line.txn === row.ref));
  });

  test('a missing or malformed X-Request-Id is replaced by a fresh id', async () => {
    const seen = new Set<string>();
    for (const header of [undefined, 'has space', 'x'.repeat(65), 'quote"d', '', 'ünï']) {
      const response = await fetch(`${t.url}/healthz`, header === undefined ? {} : { headers: { 'x-request-id': header } });
      const answered = response.headers.get('x-request-id') ?? '';
      assert.match(answered, /^[A-Za-z0-9._-]{1,64}$/);
      assert.notEqual(answered, header);
      seen.add(answered);
    }
    assert.equal(seen.size, 6, 'every request gets its own id');
    const kept = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': `A.b_c-${'9'.repeat(58)}` } });
    assert.equal(kept.headers.get('x-request-id'), `A.b_c-${'9'.repeat(58)}`);
    const id = [...seen][1] ?? '';
    assert.ok(
      lines().some((line) => line.reqId === id),
      'the replacement id is the one logged',
    );
  });

  test('no secret reaches a log line: API key, customer code, password, session cookie', async () => {
    const authCode = '139876543210123457';
    const password = `pw-${uniqueId('secret')}-zebra`;
    const email = `${uniqueId('owner')}@example.test`;
    await createUser(t.app.deps.store.db, { email, password, role: 'owner', merchantId: m.id, now: Date.now() });

    const paid = uniqueId('sale');
    await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(paid, 1000, { payment_auth_key: authCode }) });
    await waitFinal(t.url, m.apiKey, paid);
    // A refused body and a malformed code are logged on error paths too.
    await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(uniqueId('bad'), -5, { payment_auth_key: authCode }) });
    await call(t.url, 'POST', '/api/v2/transactions', {
      key: m.apiKey,
      raw: `{"payment_auth_key":"${authCode}"`,
      headers: { 'content-type': 'application/json' },
    });
    await call(t.url, 'POST', '/api/v2/transactions', { key: `${m.apiKey}-revoked`, body: saleBody(uniqueId('x'), 1000, { payment_auth_key: authCode }) });

    const session = new HttpSession(t.url);
    assert.equal(await session.signIn({ email, password: `${password}-wrong` }), 401);
    assert.equal(await session.signIn({ email, password }), 303);
    const cookie = session.cookieHeader();
    assert.ok(cookie.length > 10);
    assert.equal((await session.get('/dashboard')).status, 200);

    // The logger itself censors secret fields wherever a line would carry them.
    t.app.server.log.info(
      { req: { headers: { authorization: `Bearer ${m.apiKey}`, cookie } }, body: { payment_auth_key: authCode, password } },
      'redaction probe',
    );
    const probe = lines().find((line) => line.msg === 'redaction probe');
    assert.deepEqual(probe?.body, { payment_auth_key: '[redacted]', password: '[redacted]' });

    const text = t.logs.join('');
    const cookieValues = cookie.split(';').map((pair) => pair.split('=')[1] ?? '');
    const secrets = [['API key', m.apiKey], ['customer code', authCode], ['password', password], ...cookieValues.map((value) => ['cookie', value])];
    for (const [name, secret] of secrets as Array<[string, string]>) {
      assert.ok(secret.length >= 10, name);
      assert.ok(!text.includes(secret), `the ${name} appears in the logs`);
    }
  });

  test('every log line is one JSON object with a level and a time', () => {
    const raw = t.logs
      .join('')
      .split('\n')
      .filter((line) => line !== '');
    assert.ok(raw.length > 20);
    for (const line of raw) {
      const parsed = JSON.parse(line) as LogLine;
      assert.equal(typeof parsed.level, 'number', line);
      assert.equal(typeof parsed.time, 'number', line);
    }
  });
});
