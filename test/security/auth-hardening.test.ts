/**
 * API keys and failed authentications on both databases: a key in the query
 * string is refused (401) and never logged; failed authentications are
 * limited per client address (429 with Retry-After in the path's envelope),
 * while a valid key from that address keeps working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { redactUrl } from '../../src/observability/logging.js';
import { call } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

test('credential values in a logged URL are redacted, everything else kept', () => {
  assert.equal(redactUrl('/api/v2/transactions'), '/api/v2/transactions');
  assert.equal(
    redactUrl('/api/v2/transactions?api_key=sk_test_1&filter%5Bstate%5D=failed&KEY=x&token=&access_token=y&apikey=z'),
    '/api/v2/transactions?api_key=[redacted]&filter%5Bstate%5D=failed&KEY=[redacted]&token=[redacted]&access_token=[redacted]&apikey=[redacted]',
  );
  assert.equal(redactUrl('/x?api%5Fkey=secret&q=1'), '/x?api%5Fkey=[redacted]&q=1', 'an encoded name is still a credential');
  assert.equal(redactUrl('/x?keys=1&monkey=2'), '/x?keys=1&monkey=2');
});

test('the failure budget is per address: one address at its limit leaves another untouched', () => {
  const failures = new RateLimiter(5 / 60, 5, 'auth-failures');
  const now = Date.now();
  for (let i = 0; i < 5; i += 1) assert.equal(failures.take('198.51.100.7', now), 0);
  assert.equal(failures.take('198.51.100.7', now), 12, 'one failure back every 12 s');
  assert.equal(failures.take('203.0.113.9', now), 0);
  assert.equal(failures.take('198.51.100.7', now + 12_000), 0, 'refilled');
});

const errorLines = (logs: string[]) =>
  logs
    .join('')
    .split('\n')
    .filter((line) => line !== '' && (JSON.parse(line) as { level: number }).level >= 50);

for (const kind of DB_KINDS) {
  describe(`API keys in URLs (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant();
    });
    after(() => t.close());

    test("a key in the query string is refused with 401 in the path's envelope, even a valid one, and never logged", async () => {
      for (const name of ['api_key', 'key', 'token', 'access_token']) {
        const pos = await call(t.url, 'GET', `/api/v2/transactions?${name}=${m.apiKey}`);
        assert.equal(pos.status, 401);
        assert.equal(pos.body.errors[0].code, 'authentication_error');
        assert.match(pos.body.errors[0].detail, new RegExp(`Never send an API key in the URL \\(${name}=\\).*Authorization header`));
        assert.deepEqual(pos.body.errors[0].source, { parameter: name });
        // Refused even alongside a valid Authorization header: the key has leaked into the URL.
        const chop = await call(t.url, 'GET', `/chop/transactions?${name}=${m.apiKey}`, { key: m.apiKey });
        assert.equal(chop.status, 401);
        assert.equal(chop.body.result, 'fail');
        assert.equal(chop.body.code, 'unauthorized');
        assert.match(chop.body.error, /Authorization header/);
      }
      const logs = t.logs.join('');
      assert.ok(!logs.includes(m.apiKey), 'the key is in no log line');
      assert.ok(!logs.includes(m.apiKey.slice(8)), 'nor any recognisable part of it');
      assert.ok(logs.includes('"url":"/api/v2/transactions?api_key=[redacted]"'), 'the request line is logged, redacted');
      assert.ok(logs.includes('"url":"/chop/transactions?access_token=[redacted]"'));
    });

    test('no error-level log line', () => assert.deepEqual(errorLines(t.logs), []));
  });

  describe(`failed authentications per address (${kind})`, () => {
    const LIMIT = 5;
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_AUTH_FAILURES_PER_MINUTE: String(LIMIT) });
      m = await t.merchant();
    });
    after(() => t.close());

    test("past the limit, failures get 429 with Retry-After in each API's envelope; a valid key still works", async () => {
      const bad = 'sk_test_not-a-key';
      const statuses: number[] = [];
      // Missing, wrong and URL keys all count; both APIs share the address's budget.
      for (let i = 0; i < LIMIT; i += 1) {
        const response =
          i % 3 === 0
            ? await call(t.url, 'GET', '/api/v2/transactions')
            : i % 3 === 1
              ? await call(t.url, 'GET', '/chop/transactions', { key: bad })
              : await call(t.url, 'GET', `/api/v2/transactions?api_key=${bad}`);
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, Array(LIMIT).fill(401));

      const pos = await call(t.url, 'GET', '/api/v2/transactions', { key: bad });
      assert.equal(pos.status, 429);
      assert.ok(Number(pos.headers.get('retry-after')) >= 1, 'Retry-After in whole seconds');
      assert.deepEqual(
        pos.body.errors.map((e: { status: string; code: string }) => [e.status, e.code]),
        [['429', 'rate_limit_error']],
      );
      assert.match(pos.body.errors[0].detail, /Too many failed authentications from this address; retry after \d+ s/);
      const chop = await call(t.url, 'POST', '/chop/inquire', { raw: 'q=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(chop.status, 429);
      assert.ok(Number(chop.headers.get('retry-after')) >= 1);
      assert.equal(chop.body.result, 'fail');
      assert.equal(chop.body.code, 'rate_limited');

      // The limit is on failures: the merchant's own key from the same address is served.
      assert.equal((await call(t.url, 'GET', '/api/v2/transactions', { key: m.apiKey })).status, 200);
      assert.equal((await call(t.url, 'GET', '/chop/transactions', { key: m.apiKey })).status, 200);
      // And failures stay refused.
      assert.equal((await call(t.url, 'GET', '/chop/transactions', { key: bad })).status, 429);
    });

    test('no error-level log line', () => assert.deepEqual(errorLines(t.logs), []));
  });
}
