/**
 * Dashboard accounts over plain HTTP on both databases: sign-in, the generic
 * wrong-password answer, throttling, CSRF, expired sessions keeping the page
 * the user wanted, sign-out, and cookie attributes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SESSION_IDLE_MS } from '../../src/dashboard/accounts.js';
import { hashPassword, verifyPassword } from '../../src/dashboard/passwords.js';
import { DB_KINDS } from '../support/databases.js';
import { HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

test('passwords are scrypt hashes that verify only the right password', async () => {
  const stored = await hashPassword('correct horse battery staple');
  assert.match(stored, /^scrypt\$131072\$8\$1\$/);
  assert.ok(!stored.includes('correct horse'));
  assert.equal(await verifyPassword('correct horse battery staple', stored), true);
  assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
  assert.notEqual(await hashPassword('correct horse battery staple'), stored, 'every hash has its own salt');
});

for (const kind of DB_KINDS) {
  describe(`dashboard sign-in (${kind})`, () => {
    const fx = useDashboardApp(kind);

    test('a signed-out visitor is sent to sign-in, keeping the page wanted', async () => {
      const session = new HttpSession(fx().url);
      const page = await session.get('/dashboard/transactions?state=failed');
      assert.equal(page.status, 303);
      assert.equal(page.headers.get('location'), `/dashboard/sign-in?next=${encodeURIComponent('/dashboard/transactions?state=failed')}`);
    });

    test('the right password starts a session with a HttpOnly SameSite=Lax cookie and goes to next', async () => {
      const session = new HttpSession(fx().url);
      const form = await session.get('/dashboard/sign-in?next=%2Fdashboard%2Ftransactions');
      assert.match(form.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const response = await session.post('/dashboard/sign-in', {
        _csrf: csrfOf(form.text),
        next: '/dashboard/transactions',
        email: fx().owner.email.toUpperCase(),
        password: fx().owner.password,
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/dashboard/transactions');
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('cancan_session='));
      assert.ok(cookie);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.match(cookie, /Path=\/dashboard/);
      assert.doesNotMatch(cookie, /Secure/, 'plain http: a Secure cookie would never come back');
      const overview = await session.get('/dashboard');
      assert.equal(overview.status, 200);
      assert.ok(overview.text.includes(fx().owner.email));
    });

    test('next may only point inside the dashboard', async () => {
      const session = new HttpSession(fx().url);
      const form = await session.get('/dashboard/sign-in');
      const response = await session.post('/dashboard/sign-in', {
        _csrf: csrfOf(form.text),
        next: '//evil.example/dashboard',
        email: fx().owner.email,
        password: fx().owner.password,
      });
      assert.equal(response.headers.get('location'), '/dashboard');
    });

    test('a wrong password and an unknown e-mail get the same generic answer', async () => {
      const wrongPassword = new HttpSession(fx().url);
      const form1 = await wrongPassword.get('/dashboard/sign-in');
      const a = await wrongPassword.post('/dashboard/sign-in', { _csrf: csrfOf(form1.text), email: fx().staff.email, password: 'not the password' });
      const unknown = new HttpSession(fx().url);
      const form2 = await unknown.get('/dashboard/sign-in');
      const b = await unknown.post('/dashboard/sign-in', { _csrf: csrfOf(form2.text), email: 'nobody@example.test', password: 'not the password' });
      assert.equal(a.status, 401);
      assert.equal(b.status, 401);
      const message = (text: string) => /<p class="notice notice-error"[^>]*>([^<]+)</.exec(text)?.[1];
      assert.equal(message(a.text), 'The e-mail or password is not right.');
      assert.equal(message(b.text), message(a.text));
      assert.ok(!a.headers.getSetCookie().some((c) => c.startsWith('cancan_session=')));
      assert.ok(!fx().app.logs.join('').includes('not the password'), 'a typed password never reaches the logs');
    });

    test('after five failures the e-mail is throttled, even with the right password', async () => {
      const db = fx().app.app.deps.store.db;
      const session = new HttpSession(fx().url);
      const email = fx().otherOwner.email;
      for (let i = 0; i < 5; i += 1) {
        const form = await session.get('/dashboard/sign-in');
        const response = await session.post('/dashboard/sign-in', { _csrf: csrfOf(form.text), email, password: `guess ${i} wrong` });
        assert.equal(response.status, 401);
      }
      const form = await session.get('/dashboard/sign-in');
      const blocked = await session.post('/dashboard/sign-in', { _csrf: csrfOf(form.text), email, password: fx().otherOwner.password });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get('retry-after')) > 800, 'about 15 minutes');
      assert.match(blocked.text, /Too many failed attempts\. Try again in 15 min\./);
      // The window passing frees the account: pretend the failures are old.
      await db.updateTable('sign_in_failures').set({ at: 0 }).where('key', '=', `email:${email}`).execute();
      const again = await session.get('/dashboard/sign-in');
      assert.equal((await session.post('/dashboard/sign-in', { _csrf: csrfOf(again.text), email, password: fx().otherOwner.password })).status, 303);
    });

    test('a sign-in form without its token is refused', async () => {
      const session = new HttpSession(fx().url);
      await session.get('/dashboard/sign-in');
      const response = await session.post('/dashboard/sign-in', { _csrf: 'forged', email: fx().owner.email, password: fx().owner.password });
      assert.equal(response.status, 403);
      assert.ok(!response.headers.getSetCookie().some((c) => c.startsWith('cancan_session=')));
    });

    test('an expired session goes back to sign-in with the page kept, and says why', async () => {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(fx().owner), 303);
      assert.equal((await session.get('/dashboard')).status, 200);
      await fx()
        .app.app.deps.store.db.updateTable('sessions')
        .set({ last_seen_at: Date.now() - SESSION_IDLE_MS - 1000 })
        .execute();
      const page = await session.get('/dashboard/developers');
      assert.equal(page.status, 303);
      const location = page.headers.get('location') ?? '';
      assert.equal(location, `/dashboard/sign-in?next=${encodeURIComponent('/dashboard/developers')}&expired=1`);
      const form = await session.get(location);
      assert.match(form.text, /Your session has ended/);
      assert.match(form.text, /name="next" value="\/dashboard\/developers"/);
    });

    test('sign-out needs the CSRF token and ends the session', async () => {
      const session = new HttpSession(fx().url);
      await session.signIn(fx().owner);
      const overview = await session.get('/dashboard');
      assert.equal((await session.post('/dashboard/sign-out', {})).status, 403);
      assert.equal((await session.get('/dashboard')).status, 200, 'a forged sign-out changes nothing');
      const out = await session.post('/dashboard/sign-out', { _csrf: csrfOf(overview.text) });
      assert.equal(out.status, 303);
      assert.equal(out.headers.get('location'), '/dashboard/sign-in?signed_out=1');
      assert.equal((await session.get('/dashboard')).status, 303);
    });

    test('an unknown dashboard path is an HTML 404 for a signed-in user', async () => {
      const session = new HttpSession(fx().url);
      await session.signIn(fx().owner);
      const page = await session.get('/dashboard/no-such-page');
      assert.equal(page.status, 404);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    });

    test("a form post's answer links its language switch to the page the form was on", async () => {
      const session = new HttpSession(fx().url);
      await session.signIn(fx().owner);
      const page = await session.get('/dashboard/developers');
      const post = (referer: string | null) =>
        fetch(`${fx().url}/dashboard/developers/keys`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: session.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...(referer ? { referer } : {}) },
          body: new URLSearchParams({ _csrf: csrfOf(page.text), mode: 'test' }).toString(),
        });
      const fromPage = await post(`${fx().url}/dashboard/developers`);
      assert.equal(fromPage.status, 201);
      assert.match(await fromPage.text(), /class="lang" href="\/dashboard\/developers\?lang=zh"/);
      const elsewhere = await post('http://evil.example/dashboard/developers');
      assert.match(await elsewhere.text(), /class="lang" href="\/dashboard\?lang=zh"/);
    });

    test('Chinese is chosen by ?lang=zh and remembered', async () => {
      const session = new HttpSession(fx().url);
      const zh = await session.get('/dashboard/sign-in?lang=zh');
      assert.match(zh.text, /登录 CanCan/);
      assert.match(zh.text, /<html lang="zh-CN">/);
      assert.match((await session.get('/dashboard/sign-in')).text, /登录 CanCan/);
    });
  });
}
