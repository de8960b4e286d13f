/**
 * Password hashes made at an older scrypt cost (N=2^15) keep working and are
 * re-hashed at the current one (N=2^17) by the next successful sign-in; a
 * wrong password leaves them as they are. Both databases, over real HTTP.
 */
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { needsRehash, verifyPassword } from '../../src/dashboard/passwords.js';
import { DB_KINDS } from '../support/databases.js';
import { HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

/** A hash as the previous release stored it: scrypt N=2^15, r=8, p=1. */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', 2 ** 15, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

for (const kind of DB_KINDS) {
  describe(`password re-hashing (${kind})`, () => {
    const fx = useDashboardApp(kind);

    test('an N=2^15 hash verifies, and the first successful sign-in rewrites it at N=2^17', async () => {
      const db = fx().app.app.deps.store.db;
      const { email, password } = fx().staff;
      const stored = oldHash(password);
      assert.equal(needsRehash(stored), true);
      await db.updateTable('users').set({ password_hash: stored }).where('email', '=', email).execute();
      const hashOf = async () => (await db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow()).password_hash;

      const wrong = new HttpSession(fx().url);
      const form = await wrong.get('/dashboard/sign-in');
      assert.equal((await wrong.post('/dashboard/sign-in', { _csrf: csrfOf(form.text), email, password: 'not the password' })).status, 401);
      assert.equal(await hashOf(), stored, 'a wrong password rewrites nothing');

      assert.equal(await new HttpSession(fx().url).signIn(fx().staff), 303, 'the old hash still verifies');
      const rewritten = await hashOf();
      assert.match(rewritten, /^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      assert.equal(needsRehash(rewritten), false);
      assert.equal(await verifyPassword(password, rewritten), true);
      assert.equal(await verifyPassword('not the password', rewritten), false);

      assert.equal(await new HttpSession(fx().url).signIn(fx().staff), 303, 'the new hash signs in');
      assert.equal(await hashOf(), rewritten, 'a current hash is left alone');
    });
  });
}
