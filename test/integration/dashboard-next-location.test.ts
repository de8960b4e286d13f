/**
 * Signing in with a `next` the Location header cannot carry as typed (RTL
 * marks, accents, a lone surrogate) never fails: sign-in ignores such a `next`
 * and goes to /dashboard, and every redirect's Location is percent-encoded
 * anyway, on both databases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { locationHeader } from '../../src/http/routes/dashboard.js';
import { DB_KINDS } from '../support/databases.js';
import { HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

test('a Location keeps printable ASCII and percent-encodes the rest', () => {
  assert.equal(locationHeader('/dashboard/transactions?state=failed#x'), '/dashboard/transactions?state=failed#x');
  assert.equal(locationHeader('/dashboard/\u202eü x'), '/dashboard/%E2%80%AE%C3%BC%20x');
  assert.equal(locationHeader('/dashboard/\ud800'), '/dashboard/');
});

for (const kind of DB_KINDS) {
  describe(`sign-in next outside ASCII (${kind})`, () => {
    const fx = useDashboardApp(kind);

    test('the right password with next=/dashboard/\\u202e signs in and goes to /dashboard', async () => {
      const session = new HttpSession(fx().url);
      const form = await session.get('/dashboard/sign-in');
      const response = await session.post('/dashboard/sign-in', {
        _csrf: csrfOf(form.text),
        next: '/dashboard/\u202e',
        email: fx().owner.email,
        password: fx().owner.password,
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/dashboard');
      assert.match(response.headers.get('set-cookie') ?? '', /cancan_session=/);
    });
  });
}
