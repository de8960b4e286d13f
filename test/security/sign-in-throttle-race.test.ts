/**
 * Sign-in throttling holds under concurrency, on both databases: a wave of
 * simultaneous guesses for one e-mail (or from one address) gets at most the
 * limit of password checks, and the right password arriving behind the wave
 * is refused as throttled.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_IP } from '../../src/dashboard/accounts.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashUser, HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

const WAVE = 30;

/**
 * Posts every attempt at once except the last, which goes as soon as the wave
 * has shown the limit is reached (its first 429, or `limit` answers): so the
 * last one is behind the limit whatever order the server took the others in.
 * Answers the statuses, in the order of `attempts`.
 */
async function wave(url: string, attempts: readonly DashUser[], limit: number): Promise<number[]> {
  const forms = await Promise.all(
    attempts.map(async (user) => {
      const session = new HttpSession(url);
      const form = await session.get('/dashboard/sign-in');
      return { session, user, csrf: csrfOf(form.text) };
    }),
  );
  let answered = 0;
  let release!: () => void;
  const limitReached = new Promise<void>((resolve) => (release = resolve));
  const post = async ({ session, user, csrf }: (typeof forms)[number]): Promise<number> => {
    const { status } = await session.post('/dashboard/sign-in', { _csrf: csrf, email: user.email, password: user.password });
    answered += 1;
    if (status === 429 || answered >= limit) release();
    return status;
  };
  const last = forms[forms.length - 1]!;
  return Promise.all([...forms.slice(0, -1).map(post), limitReached.then(() => post(last))]);
}

const checked = (statuses: readonly number[]) => statuses.filter((s) => s !== 429).length;

for (const kind of DB_KINDS) {
  describe(`concurrent sign-in throttling (${kind})`, () => {
    const fx = useDashboardApp(kind);
    beforeEach(async () => {
      await fx().app.app.deps.store.db.deleteFrom('sign_in_failures').execute();
    });

    test(`${WAVE} simultaneous sign-ins for one e-mail: ${MAX_FAILURES_PER_EMAIL} checked, the right password last is throttled`, async () => {
      const { email, password } = fx().otherOwner;
      const attempts = [...Array.from({ length: WAVE - 1 }, (_, i) => ({ email, password: `wrong guess ${i}` })), { email, password }];
      const statuses = await wave(fx().url, attempts, MAX_FAILURES_PER_EMAIL);
      assert.equal(checked(statuses), MAX_FAILURES_PER_EMAIL, `statuses: ${statuses.join(',')}`);
      assert.deepEqual(
        statuses.filter((s) => s !== 429),
        Array(MAX_FAILURES_PER_EMAIL).fill(401),
        'only wrong guesses were checked',
      );
      assert.equal(statuses[WAVE - 1], 429, 'the right password behind the wave is refused as throttled');
      const db = fx().app.app.deps.store.db;
      const counted = await db.selectFrom('sign_in_failures').select('id').where('key', '=', `email:${email}`).execute();
      assert.equal(counted.length, MAX_FAILURES_PER_EMAIL, 'throttled attempts are not counted as failures');
    });

    test(`${WAVE} simultaneous sign-ins from one address: ${MAX_FAILURES_PER_IP} checked, the right password last is throttled`, async () => {
      const tag = Date.now().toString(36);
      const attempts = [...Array.from({ length: WAVE - 1 }, (_, i) => ({ email: `guess-${i}-${tag}@example.test`, password: 'wrong password' })), fx().staff];
      const statuses = await wave(fx().url, attempts, MAX_FAILURES_PER_IP);
      assert.equal(checked(statuses), MAX_FAILURES_PER_IP, `statuses: ${statuses.join(',')}`);
      assert.deepEqual(
        statuses.filter((s) => s !== 429),
        Array(MAX_FAILURES_PER_IP).fill(401),
      );
      assert.equal(statuses[WAVE - 1], 429, 'the right password behind the wave is refused as throttled');
    });
  });
}
