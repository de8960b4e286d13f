/**
 * Malformed input on both databases: a NUL character anywhere (path, query,
 * body, unauthenticated sign-in), bodies that are not what a route takes, a
 * sign-in `next` that cannot be a header, bad percent-encoding, over-long
 * path segments and URLs. Each is a 4xx in the path's envelope, changes no
 * row and writes no error-level log line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import { type ApiResponse, call, saleBody, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

const TABLES = [
  'merchants',
  'merchant_gateways',
  'api_keys',
  'transactions',
  'transaction_events',
  'jobs',
  'provider_credentials',
  'notifications',
  'notification_attempts',
  'users',
  'sessions',
  'sign_in_failures',
  'audit_log',
] as const;

/** Every row of every table, to prove a request changed nothing. */
async function snapshot(db: Kysely<Database>): Promise<string> {
  const all: Record<string, unknown> = {};
  for (const table of TABLES) all[table] = await db.selectFrom(table).selectAll().execute();
  return JSON.stringify(all);
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

function assertJsonApi(response: ApiResponse, status: number, detail: RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers.get('content-type'), 'application/json');
  assert.equal(response.body.errors.length, 1);
  assert.equal(response.body.errors[0].status, String(status));
  assert.equal(response.body.errors[0].code, 'attribute_error');
  assert.match(response.body.errors[0].detail, detail);
}

function assertChopFail(response: ApiResponse, status: number, code: string, error: RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.deepEqual(Object.keys(response.body).sort(), ['code', 'error', 'result']);
  assert.equal(response.body.result, 'fail');
  assert.equal(response.body.code, code);
  assert.match(response.body.error, error);
}

const NUL = /contains a NUL character \(U\+0000\)/;

for (const kind of DB_KINDS) {
  describe(`malformed input (${kind})`, () => {
    const fx = useDashboardApp(kind);
    const db = () => fx().app.app.deps.store.db;

    /** Runs a request that must be refused: answers it, after checking no row changed. */
    async function refused(request: () => Promise<ApiResponse>): Promise<ApiResponse> {
      const before = await snapshot(db());
      const response = await request();
      assert.equal(await snapshot(db()), before, 'no row changed');
      return response;
    }

    test('NUL in the POS API: description, pos_id, a list filter, a transaction id', async () => {
      const { url, merchant } = fx();
      const key = merchant.apiKey;
      for (const overrides of [{ description: 'a\u0000b' }, { pos_id: 'POS\u00001' }]) {
        const id = uniqueId('nul');
        assertJsonApi(
          await refused(() => call(url, 'POST', '/api/v2/transactions', { key, body: saleBody(id, 100, overrides) })),
          400,
          /request body contains a NUL/,
        );
      }
      // A NUL in a key of the body too.
      assertJsonApi(
        await refused(() => call(url, 'POST', '/api/v2/transactions', { key, raw: '{"data":{"a\\u0000":1}}' })),
        400,
        /request body contains a NUL/,
      );
      assertJsonApi(await refused(() => call(url, 'GET', '/api/v2/transactions?filter%5Bpos_id%5D=a%00b', { key })), 400, /query string contains a NUL/);
      assertJsonApi(await refused(() => call(url, 'GET', '/api/v2/transactions/a%00b', { key })), 400, /URL path contains a NUL/);
    });

    test('NUL in the CHOP API and the hosted checkout: reference (JSON and form), q', async () => {
      const { url, merchant } = fx();
      const key = merchant.apiKey;
      const charge = { payment_method: 'wechatpay', amount: '100', currency: 'USD', reference: 'order\u00001' };
      assertChopFail(await refused(() => call(url, 'POST', '/chop/chop', { key, body: charge })), 400, 'invalid_request', NUL);
      assertChopFail(
        await refused(() => call(url, 'POST', '/chop/chop', { key, raw: new URLSearchParams(charge).toString(), headers: form })),
        400,
        'invalid_request',
        NUL,
      );
      assertChopFail(await refused(() => call(url, 'POST', '/chop/inquire', { key, raw: 'q=a%00b', headers: form })), 400, 'invalid_request', NUL);
      assertChopFail(await refused(() => call(url, 'GET', '/chop/transactions?reference=a%00b', { key })), 400, 'invalid_request', NUL);
      assertChopFail(await refused(() => call(url, 'GET', '/chop/landing?q=a%00b')), 400, 'invalid_request', NUL);
    });

    test('NUL in the dashboard: a filter of a signed-in user, and the unauthenticated sign-in e-mail', async () => {
      const { url, owner } = fx();
      const session = new HttpSession(url);
      assert.equal(await session.signIn(owner), 303);
      const filter = await refused(async () => {
        const page = await session.get('/dashboard/transactions?q=a%00b');
        return { ...page, body: null };
      });
      assert.equal(filter.status, 400);
      assert.match(filter.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(filter.text, /This form expired or did not come from this dashboard/);

      const visitor = new HttpSession(url);
      const signInForm = await visitor.get('/dashboard/sign-in');
      const signIn = await refused(async () => ({
        ...(await visitor.post('/dashboard/sign-in', { _csrf: csrfOf(signInForm.text), email: `a\u0000${owner.email}`, password: 'wrong password' })),
        body: null,
      }));
      assert.equal(signIn.status, 400, 'refused before any sign-in failure is recorded');
      assert.equal(signIn.headers.get('set-cookie'), null);
    });

    test('bodies a route cannot take are 4xx: a JSON array, text/plain, not JSON, XML, over 64 KiB', async () => {
      const { url, owner } = fx();
      assertChopFail(await refused(() => call(url, 'POST', '/chop/landing/card', { raw: '[1]' })), 400, 'invalid_body', /form fields .* or a JSON object/);
      assertChopFail(
        await refused(() => call(url, 'POST', '/chop/landing/sandbox', { raw: 'hello', headers: { 'content-type': 'text/plain' } })),
        400,
        'invalid_body',
        /form fields .* or a JSON object/,
      );

      const session = new HttpSession(url);
      assert.equal(await session.signIn(owner), 303);
      const post = (body: string, contentType: string) =>
        refused(async () => {
          const response = await fetch(`${url}/dashboard/sign-out`, {
            method: 'POST',
            redirect: 'manual',
            headers: { cookie: session.cookieHeader(), 'content-type': contentType },
            body,
          });
          return { status: response.status, headers: response.headers, text: await response.text(), body: null };
        });
      for (const [body, type, status] of [
        ['{"_csrf":', 'application/json', 400],
        ['<form><_csrf>x</_csrf></form>', 'application/xml', 400],
        [`_csrf=${'x'.repeat(70 * 1024)}`, 'application/x-www-form-urlencoded', 413],
      ] as const) {
        const response = await post(body, type);
        assert.equal(response.status, status, `${type}: ${response.text.slice(0, 200)}`);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(response.text, /This form expired or did not come from this dashboard/);
      }
      assert.equal((await session.get('/dashboard')).status, 200, 'still signed in: none of them reached sign-out');
    });

    test('a sign-in next with CR/LF or U+2028 is ignored; the session starts exactly when its cookie is delivered', async () => {
      const { url, owner } = fx();
      for (const next of ['/dashboard\r\nSet-Cookie: evil=1', '/dashboard/x\u2028y', '/dashboard/\u0007', '/dashboard?x=a b']) {
        const session = new HttpSession(url);
        const signInForm = await session.get('/dashboard/sign-in');
        assert.ok(!signInForm.text.includes('evil=1'));
        const sessions = Number(
          (
            await db()
              .selectFrom('sessions')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
        const response = await session.post('/dashboard/sign-in', { _csrf: csrfOf(signInForm.text), next, email: owner.email, password: owner.password });
        assert.equal(response.status, 303, JSON.stringify(next));
        assert.equal(response.headers.get('location'), '/dashboard');
        assert.ok(
          response.headers.getSetCookie().some((c) => c.startsWith('cancan_session=') && !/Max-Age=0/.test(c)),
          'the cookie is delivered',
        );
        const after = Number(
          (
            await db()
              .selectFrom('sessions')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
        assert.equal(after, sessions + 1, 'one session, the one whose cookie was delivered');
        assert.equal((await session.get('/dashboard')).status, 200);
      }
    });

    test("bad percent-encoding and over-long path segments answer in the path's envelope", async () => {
      const { url, merchant } = fx();
      const key = merchant.apiKey;
      assertJsonApi(await refused(() => call(url, 'GET', '/api/v2/transactions/%ff', { key })), 400, /not validly percent-encoded/);
      assertChopFail(
        await refused(() => call(url, 'GET', '/chop/transactions/%ff/notifications', { key })),
        400,
        'invalid_request',
        /not validly percent-encoded/,
      );
      assertChopFail(await refused(() => call(url, 'POST', '/payment/%ff', { key })), 400, 'invalid_request', /not validly percent-encoded/);
      const long = 'a'.repeat(101);
      const pos = await refused(() => call(url, 'GET', `/api/v2/transactions/${long}`, { key }));
      assertJsonApi(pos, 414, /path segment is longer than 100 characters/);
      assert.match(pos.headers.get('x-request-id') ?? '', /^[A-Za-z0-9._-]{1,64}$/);
      assertChopFail(await refused(() => call(url, 'GET', `/chop/transactions/${long}/notifications`, { key })), 414, 'uri_too_long', /path segment is longer/);
      // 100 characters still route (and are simply not found).
      assert.equal((await call(url, 'GET', `/api/v2/transactions/${'a'.repeat(100)}`, { key })).status, 404);
    });

    test("a URL over 16 KiB is a 431 in the path's envelope", async () => {
      const { url, merchant } = fx();
      const key = merchant.apiKey;
      const filler = 'a'.repeat(17 * 1024);
      const pos = await refused(() => call(url, 'GET', `/api/v2/transactions?filter%5Bpos_id%5D=${filler}`, { key }));
      assert.equal(pos.status, 431);
      assert.deepEqual(pos.body, { errors: [{ status: '431', code: 'attribute_error', detail: 'The URL and headers are larger than 16 KiB' }] });
      const chop = await refused(() => call(url, 'GET', `/chop/transactions?reference=${filler}`, { key }));
      assert.equal(chop.status, 431);
      assert.deepEqual(chop.body, { result: 'fail', error: 'The URL and headers are larger than 16 KiB', code: 'headers_too_large' });
    });

    test('none of it wrote an error-level log line', () => {
      const errors = fx()
        .app.logs.join('')
        .split('\n')
        .filter((line) => line !== '' && (JSON.parse(line) as { level: number }).level >= 50);
      assert.deepEqual(errors, []);
    });
  });
}
