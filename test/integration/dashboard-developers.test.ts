/**
 * The developers page over plain HTTP on both databases: API keys created
 * (shown once, working on the POS API) and revoked (401 at once), another
 * merchant's key is a 404, staff read without controls, the webhook secret
 * revealed and rotated as IPN signing sees it, and every change audited
 * without a secret.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webhookSecret } from '../../src/chop/ipn.js';
import { call } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashUser, HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

const KEY_PATTERN = /sk_(?:test|live)_[A-Za-z0-9_-]{32}/g;
const WHSEC_PATTERN = /whsec_[0-9a-f]{48}/g;

/** The text of an example as the user copies it. */
const exampleOf = (page: string, name: string): string =>
  (new RegExp(`<pre class="dev-code" data-example="${name}"><code>([^]*?)</code>`).exec(page)?.[1] ?? '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

for (const kind of DB_KINDS) {
  describe(`dashboard developers (${kind})`, () => {
    const fx = useDashboardApp(kind);
    const db = () => fx().app.app.deps.store.db;
    /** Every secret a test saw, to look for in the audit log and the logs at the end. */
    const secrets: string[] = [];

    async function signedIn(user: DashUser): Promise<{ session: HttpSession; csrf: string; page: string }> {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(user), 303);
      const page = await session.get('/dashboard/developers');
      return { session, csrf: page.status === 200 ? csrfOf(page.text) : '', page: page.text };
    }
    const apiStatus = async (key: string) => (await call(fx().url, 'GET', '/api/v2/transactions?page[size]=1', { key })).status;
    const auditOf = (action: string) =>
      db().selectFrom('audit_log').selectAll().where('action', '=', action).where('merchant_id', '=', fx().merchant.id).execute();

    test('the page lists key prefixes, never a key, and examples with the test key prefix and this server', async () => {
      const { page } = await signedIn(fx().owner);
      const prefix = fx().merchant.apiKey.slice(0, 12);
      assert.match(page, new RegExp(`<code>${prefix}…</code>`));
      assert.deepEqual(page.match(KEY_PATTERN), null, 'no full key anywhere');
      const pos = exampleOf(page, 'pos');
      assert.ok(pos.startsWith(`KEY='${prefix}…'   # paste your full test key here\n`), pos);
      assert.ok(pos.includes(`curl -s -X POST ${fx().url}/api/v2/transactions`), pos);
      assert.match(pos, /Authorization: Bearer \$KEY/);
      assert.ok(exampleOf(page, 'chop').includes(`curl -s ${fx().url}/chop/chop -H "Authorization: Bearer $KEY"`));
      assert.match(page, /data-webhook-secret-hidden/);
      assert.deepEqual(page.match(WHSEC_PATTERN), null, 'the webhook secret is hidden by default');
      assert.match(page, /HMAC-SHA256 of &quot;&lt;t&gt;\.&lt;body&gt;&quot;/);
    });

    test('a created key is shown once (201, no-store), works on the API, then shows only as its prefix', async () => {
      const { session, csrf } = await signedIn(fx().owner);
      assert.equal((await session.post('/dashboard/developers/keys', { _csrf: csrf, mode: 'sandbox' })).status, 400);
      const created = await session.post('/dashboard/developers/keys', { _csrf: csrf, mode: 'test' });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      assert.equal(created.headers.get('location'), null, 'no redirect carrying the key');
      assert.match(created.text, /Copy it now and keep it safe: it will not be shown again\./);
      const apiKey = /<code class="dev-secret-value" id="new-key"[^>]*>(sk_test_[^<]+)<\/code>/.exec(created.text)?.[1] ?? '';
      assert.match(apiKey, /^sk_test_[A-Za-z0-9_-]{32}$/);
      secrets.push(apiKey);
      assert.equal(await apiStatus(apiKey), 200);

      const again = await session.get('/dashboard/developers');
      assert.ok(!again.text.includes(apiKey), 'not shown a second time');
      assert.match(again.text, new RegExp(`<code>${apiKey.slice(0, 12)}…</code>`));
      const row = await db().selectFrom('api_keys').select(['id', 'merchant_id', 'mode']).where('prefix', '=', apiKey.slice(0, 12)).executeTakeFirstOrThrow();
      assert.deepEqual([row.merchant_id, row.mode], [fx().merchant.id, 'test']);
      const audits = await auditOf('api_key.created');
      assert.deepEqual(
        audits.map((a) => a.target),
        [row.id],
      );
    });

    test('revoking asks first, then the key gets 401 on the API at once', async () => {
      const { session, csrf, page } = await signedIn(fx().owner);
      const keyId = /data-key="(key_[0-9a-f]+)"[^]*?href="\/dashboard\/developers\/keys\/\1\/revoke"/.exec(page)?.[1] ?? '';
      const key = await db().selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow();
      const apiKey = secrets.find((s) => s.startsWith(key.prefix)) ?? fx().merchant.apiKey;
      assert.equal(await apiStatus(apiKey), 200);
      const confirm = await session.get(`/dashboard/developers/keys/${keyId}/revoke`);
      assert.equal(confirm.status, 200);
      assert.match(confirm.text, new RegExp(`<form method="post" action="/dashboard/developers/keys/${keyId}/revoke"`));
      assert.match(confirm.text, /Every request made with it is refused \(401\)/);
      assert.equal(await apiStatus(apiKey), 200, 'the confirmation page changes nothing');

      const revoked = await session.post(`/dashboard/developers/keys/${keyId}/revoke`, { _csrf: csrf });
      assert.equal(revoked.status, 303);
      assert.equal(revoked.headers.get('location'), `/dashboard/developers?done=revoked&key=${keyId}`);
      assert.equal(await apiStatus(apiKey), 401);
      const after = await session.get(revoked.headers.get('location') ?? '');
      assert.match(after.text, new RegExp(`The key ${key.prefix}… is revoked`));
      assert.match(after.text, new RegExp(`data-key="${keyId}"[^]*?data-status="revoked"`));
      assert.ok(!after.text.includes(`/dashboard/developers/keys/${keyId}/revoke`), 'no revoke control for a revoked key');
      assert.deepEqual(
        (await auditOf('api_key.revoked')).map((a) => a.target),
        [keyId],
      );
    });

    test("another merchant's key is a 404, and stays active", async () => {
      const keyOfA = await db()
        .selectFrom('api_keys')
        .select('id')
        .where('merchant_id', '=', fx().merchant.id)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      const { session, csrf } = await signedIn(fx().otherOwner);
      assert.equal((await session.get(`/dashboard/developers/keys/${keyOfA.id}/revoke`)).status, 404);
      assert.equal((await session.post(`/dashboard/developers/keys/${keyOfA.id}/revoke`, { _csrf: csrf })).status, 404);
      assert.equal((await session.get('/dashboard/developers/keys/key_0000000000000000/revoke')).status, 404);
      assert.equal(await apiStatus(fx().merchant.apiKey), 200);
    });

    test('staff see keys and examples but no controls, and every action is refused', async () => {
      const before = await db().selectFrom('api_keys').select('id').where('merchant_id', '=', fx().merchant.id).execute();
      const { session, csrf, page } = await signedIn(fx().staff);
      assert.match(page, new RegExp(`<code>${fx().merchant.apiKey.slice(0, 12)}…</code>`));
      assert.match(page, /data-example="pos"/);
      assert.match(page, /data-read-only/);
      assert.doesNotMatch(page, /action="\/dashboard\/developers|href="\/dashboard\/developers\/(keys|webhook)/, 'no forms or action links');
      assert.equal((await session.post('/dashboard/developers/keys', { _csrf: csrf, mode: 'test' })).status, 403);
      assert.equal((await session.post('/dashboard/developers/webhook-secret/reveal', { _csrf: csrf })).status, 403);
      assert.equal((await session.post('/dashboard/developers/webhook-secret/rotate', { _csrf: csrf, confirm: 'yes' })).status, 403);
      assert.equal((await session.get(`/dashboard/developers/keys/${before[0]?.id}/revoke`)).status, 403);
      assert.equal((await session.get('/dashboard/developers/webhook-secret/rotate')).status, 403);
      assert.equal((await db().selectFrom('api_keys').select('id').where('merchant_id', '=', fx().merchant.id).execute()).length, before.length);
    });

    test('operators have no developers page (it is per merchant)', async () => {
      const session = new HttpSession(fx().url);
      await session.signIn(fx().operator);
      assert.equal((await session.get('/dashboard/developers')).status, 404);
    });

    test('reveal shows the secret IPNs are signed with; rotate (confirmed) replaces it', async () => {
      const deps = fx().app.app.deps;
      const { session, csrf } = await signedIn(fx().owner);
      const revealed = await session.post('/dashboard/developers/webhook-secret/reveal', { _csrf: csrf });
      assert.equal(revealed.status, 200);
      const shown = /<code class="dev-secret-value" id="webhook-secret"[^>]*>(whsec_[0-9a-f]{48})<\/code>/.exec(revealed.text)?.[1] ?? '';
      assert.equal(shown, await webhookSecret(deps, fx().merchant.id));
      secrets.push(shown);
      assert.equal((await auditOf('webhook_secret.revealed')).length, 1);

      const confirm = await session.get('/dashboard/developers/webhook-secret/rotate');
      assert.match(confirm.text, /<form method="post" action="\/dashboard\/developers\/webhook-secret\/rotate"/);
      assert.match(confirm.text, /name="confirm" value="yes"/);
      assert.equal((await session.post('/dashboard/developers/webhook-secret/rotate', { _csrf: csrf })).status, 400, 'not without the confirmation');
      assert.equal(await webhookSecret(deps, fx().merchant.id), shown);
      const rotated = await session.post('/dashboard/developers/webhook-secret/rotate', { _csrf: csrf, confirm: 'yes' });
      assert.equal(rotated.status, 200);
      const fresh = rotated.text.match(WHSEC_PATTERN) ?? [];
      assert.equal(fresh.length, 1);
      assert.notEqual(fresh[0], shown);
      assert.equal(fresh[0], await webhookSecret(deps, fx().merchant.id));
      secrets.push(fresh[0] ?? '');
      assert.match(rotated.text, /This is your new secret/);
      assert.equal((await auditOf('webhook_secret.rotated')).length, 1);
      assert.deepEqual((await session.get('/dashboard/developers')).text.match(WHSEC_PATTERN), null, 'hidden again');
    });

    test('the audit log has every change and no secret; the logs have no secret either', async () => {
      const rows = await db().selectFrom('audit_log').select(['action', 'user_id', 'detail']).where('merchant_id', '=', fx().merchant.id).execute();
      assert.deepEqual([...new Set(rows.map((r) => r.action))].sort(), [
        'api_key.created',
        'api_key.revoked',
        'webhook_secret.revealed',
        'webhook_secret.rotated',
      ]);
      assert.equal(secrets.length, 3);
      for (const secret of secrets) {
        assert.ok(secret.length > 20);
        for (const row of rows) assert.ok(!row.detail.includes(secret) && !row.detail.includes(secret.slice(-20)), `${row.action} detail holds a secret`);
        assert.ok(!fx().app.logs.join('').includes(secret), 'a secret reached the logs');
      }
    });
  });
}
