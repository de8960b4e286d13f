/**
 * The operator console over plain HTTP on both databases: only operators see
 * it; creating a merchant (its key works at once); gateways, settings and
 * live credentials per merchant, with the POS API following the gateway
 * changes, the CLI's validation messages, write-only credentials, audit
 * entries without secrets, and CSRF.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allGatewayCodes } from '../../src/core/merchant-settings.js';
import { call, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashUser, HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';

const ALIPAY_INTL = { payment_gateway: 'alipay_international', currency: 'USD', payment_auth_key: '286543210987654321' };

/** Every gateway and method checked, except `without`. */
const gatewayFields = (without: readonly string[] = []): Record<string, string> =>
  Object.fromEntries(
    allGatewayCodes()
      .filter((code) => !without.includes(code))
      .map((code) => [`gw_${code}`, 'on']),
  );

for (const kind of DB_KINDS) {
  describe(`dashboard operator console (${kind})`, () => {
    const fx = useDashboardApp(kind);
    const db = () => fx().app.app.deps.store.db;

    async function session(user: DashUser = fx().operator): Promise<HttpSession> {
      const s = new HttpSession(fx().url);
      assert.equal(await s.signIn(user), 303);
      return s;
    }

    /** The CSRF token of a page the session may see. */
    async function tokenOf(s: HttpSession, path: string): Promise<string> {
      const page = await s.get(path);
      assert.equal(page.status, 200, `${path} answered ${page.status}`);
      return csrfOf(page.text);
    }

    /** A POS sale; answers the API's response and the sale's client id. */
    async function sale(key: string, overrides: Record<string, unknown> = {}) {
      const id = uniqueId('op');
      return { id, ...(await call(fx().url, 'POST', '/api/v2/transactions', { key, body: saleBody(id, 1000, overrides) })) };
    }

    const auditRows = (merchantId: string, action: string) =>
      db().selectFrom('audit_log').selectAll().where('merchant_id', '=', merchantId).where('action', '=', action).orderBy('id', 'desc').execute();

    test("the operator lists every merchant; merchants' users get 404", async () => {
      const operator = await session();
      const list = await operator.get('/dashboard/merchants');
      assert.equal(list.status, 200);
      assert.ok(list.text.includes(`href="/dashboard/merchants/${fx().merchant.id}"`));
      assert.ok(list.text.includes(`href="/dashboard/merchants/${fx().other.id}"`));
      assert.match(list.text, /Transactions today/);
      assert.equal((await operator.get('/dashboard/merchants/mch_0000000000000000')).status, 404);

      for (const user of [fx().owner, fx().staff]) {
        const s = await session(user);
        const overview = await s.get('/dashboard');
        assert.equal((await s.get('/dashboard/merchants')).status, 404);
        assert.equal((await s.get(`/dashboard/merchants/${fx().merchant.id}`)).status, 404);
        const post = await s.post(`/dashboard/merchants/${fx().merchant.id}/settings`, {
          _csrf: csrfOf(overview.text),
          timezone: 'Asia/Tokyo',
          void_window: '1m',
          cancel_window: '1h',
        });
        assert.equal(post.status, 404);
      }
      const row = await db().selectFrom('merchants').select('timezone').where('id', '=', fx().merchant.id).executeTakeFirstOrThrow();
      assert.equal(row.timezone, 'UTC');
    });

    test('creating a merchant shows its test key once; the key works on the enabled gateways only', async () => {
      const operator = await session();
      const _csrf = await tokenOf(operator, '/dashboard/merchants');
      const name = `Noodle Bar ${uniqueId()}`;
      const created = await operator.post('/dashboard/merchants', { _csrf, name, timezone: 'Asia/Bangkok', gw_wechatpay_cn_domestic: 'on', gw_alipay: 'on' });
      assert.equal(created.status, 201);
      const apiKey = /data-api-key>(sk_test_[A-Za-z0-9_-]+)</.exec(created.text)?.[1];
      assert.ok(apiKey, 'the page shows the key');
      const merchant = await db().selectFrom('merchants').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
      assert.equal(merchant.timezone, 'Asia/Bangkok');
      const gateways = await db().selectFrom('merchant_gateways').select('gateway').where('merchant_id', '=', merchant.id).orderBy('gateway').execute();
      assert.deepEqual(
        gateways.map((g) => g.gateway),
        ['alipay', 'wechatpay_cn_domestic'],
      );

      const accepted = await sale(apiKey);
      assert.equal(accepted.status, 201, accepted.text);
      assert.equal((await waitFinal(fx().url, apiKey, accepted.id)).body.data.attributes.state, 'succeeded');
      assert.equal((await sale(apiKey, ALIPAY_INTL)).status, 403, 'a gateway not checked is not enabled');

      const [entry] = await auditRows(merchant.id, 'merchant.created');
      assert.ok(entry);
      assert.deepEqual(JSON.parse(entry.detail).gateways, ['wechatpay_cn_domestic', 'alipay']);
      assert.ok(!entry.detail.includes(apiKey));
      assert.ok(!fx().app.logs.join('').includes(apiKey), 'the key never reaches the logs');
      const merchantPage = await operator.get(`/dashboard/merchants/${merchant.id}`);
      assert.equal(merchantPage.status, 200);
      assert.ok(!merchantPage.text.includes(apiKey), 'the key is never shown again');
      const list = (await operator.get('/dashboard/merchants')).text;
      const row = new RegExp(`merchants/${merchant.id}"[\\s\\S]*?</tr>`).exec(list)?.[0] ?? '';
      assert.ok(row.includes(name));
      assert.match(row, /data-label="Gateways &amp; methods" class="num">2</);
      assert.match(row, /data-label="Transactions today" class="num">1</, 'the refused sale was never recorded');
    });

    test('an invalid merchant is refused with the messages and the values kept', async () => {
      const operator = await session();
      const _csrf = await tokenOf(operator, '/dashboard/merchants');
      const before = await db().selectFrom('merchants').select('id').execute();
      const empty = await operator.post('/dashboard/merchants', { _csrf, name: '   ', timezone: 'Mars/Olympus', gw_alipay: 'on' });
      assert.equal(empty.status, 422);
      assert.match(empty.text, /Name is required/);
      assert.match(empty.text, /unknown time zone Mars\/Olympus \(use an IANA name such as Asia\/Bangkok\)/);
      assert.match(empty.text, /<option selected>Mars\/Olympus<\/option>/);
      assert.match(empty.text, /id="new-gw-alipay" name="gw_alipay" value="on" checked/);
      assert.match(empty.text, /id="new-gw-wechatpay" name="gw_wechatpay" value="on">/, 'unchecked stays unchecked');
      const badZone = await operator.post('/dashboard/merchants', { _csrf, name: 'Kept <Name>', timezone: 'Nowhere' });
      assert.equal(badZone.status, 422);
      assert.match(badZone.text, /value="Kept &lt;Name&gt;"/);
      assert.doesNotMatch(badZone.text, /Name is required/);
      assert.equal((await db().selectFrom('merchants').select('id').execute()).length, before.length);
    });

    test('in Chinese the console and its messages are translated', async () => {
      const operator = await session();
      const list = await operator.get('/dashboard/merchants?lang=zh');
      assert.match(list.text, /<h2 id="new-merchant-title">新建商户<\/h2>/);
      const refused = await operator.post('/dashboard/merchants', { _csrf: csrfOf(list.text), name: '', timezone: 'UTC' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /请填写名称/);
    });

    test('unchecking a gateway makes the POS API refuse it (403); checking it again makes it accept a sale', async () => {
      const { merchant } = fx();
      const operator = await session();
      const path = `/dashboard/merchants/${merchant.id}`;
      const disabled = await operator.post(`${path}/gateways`, { _csrf: await tokenOf(operator, path), ...gatewayFields(['alipay_international']) });
      assert.equal(disabled.status, 303);
      assert.equal(disabled.headers.get('location'), `${path}?done=gateways`);
      assert.equal((await sale(merchant.apiKey, ALIPAY_INTL)).status, 403);
      const [removal] = await auditRows(merchant.id, 'merchant.gateways_changed');
      assert.deepEqual(JSON.parse(removal?.detail ?? '{}'), { added: [], removed: ['alipay_international'] });
      const after = await operator.get(`${path}?done=gateways`);
      assert.match(after.text, /Gateways and payment methods saved\./);
      assert.match(after.text, /id="gw-alipay_international" name="gw_alipay_international" value="on">/, 'shown unchecked');

      const enabled = await operator.post(`${path}/gateways`, { _csrf: csrfOf(after.text), ...gatewayFields() });
      assert.equal(enabled.status, 303);
      const accepted = await sale(merchant.apiKey, ALIPAY_INTL);
      assert.equal(accepted.status, 201, accepted.text);
      assert.equal((await waitFinal(fx().url, merchant.apiKey, accepted.id)).body.data.attributes.state, 'succeeded');
      const [addition] = await auditRows(merchant.id, 'merchant.gateways_changed');
      assert.deepEqual(JSON.parse(addition?.detail ?? '{}'), { added: ['alipay_international'], removed: [] });
      const forged = await operator.post(`${path}/gateways`, { _csrf: csrfOf(after.text), ...gatewayFields(), gw_paypal: 'on' });
      assert.equal(forged.status, 422);
      assert.match(forged.text, /unknown gateway or payment method paypal/);
    });

    test("settings are saved and audited old → new; a bad duration gets the CLI's message", async () => {
      const { other } = fx();
      const operator = await session();
      const path = `/dashboard/merchants/${other.id}`;
      const _csrf = await tokenOf(operator, path);
      const saved = await operator.post(`${path}/settings`, {
        _csrf,
        timezone: 'Asia/Bangkok',
        void_window: '30m',
        cancel_window: '2d',
        refund_balance_exempt: 'on',
      });
      assert.equal(saved.status, 303);
      const read = () => db().selectFrom('merchants').selectAll().where('id', '=', other.id).executeTakeFirstOrThrow();
      const row = await read();
      assert.deepEqual(
        [row.timezone, Number(row.void_window_ms), Number(row.cancel_window_ms), Number(row.refund_balance_exempt)],
        ['Asia/Bangkok', 1_800_000, 172_800_000, 1],
      );
      const [entry] = await auditRows(other.id, 'merchant.settings_changed');
      assert.deepEqual(JSON.parse(entry?.detail ?? '{}'), {
        timezone: { from: 'UTC', to: 'Asia/Bangkok' },
        void_window_ms: { from: 900_000, to: 1_800_000 },
        cancel_window_ms: { from: 86_400_000, to: 172_800_000 },
        refund_balance_exempt: { from: 0, to: 1 },
      });
      const page = await operator.get(`${path}?done=settings`);
      assert.match(page.text, /Settings saved\./);
      assert.match(page.text, /name="void_window" value="30m"/);
      assert.match(page.text, /id="settings-exempt" name="refund_balance_exempt" value="on" checked/);

      const refused = await operator.post(`${path}/settings`, { _csrf, timezone: 'Asia/Bangkok', void_window: 'soon', cancel_window: '2d' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /Void window must be one duration such as 15m, 24h or 2d/);
      assert.match(refused.text, /name="void_window" value="soon"/);
      const unchanged = await read();
      assert.deepEqual([Number(unchanged.void_window_ms), Number(unchanged.refund_balance_exempt)], [1_800_000, 1], 'nothing of a refused form is saved');
    });

    test('live credentials are stored sealed and never shown back, not even in the audit log', async () => {
      const { merchant } = fx();
      const operator = await session();
      const path = `/dashboard/merchants/${merchant.id}`;
      const before = await operator.get(path);
      assert.match(before.text, /data-credentials-status="unset">Not set/);
      const secrets = { appId: 'wx-app-7f3a91', mchId: 'mch-5521984', apiKey: 'k3y-s3cr3t-0a9b8c7d6e5f' };
      const stored = await operator.post(`${path}/credentials/wechatpay`, {
        _csrf: csrfOf(before.text),
        credentials: JSON.stringify({ ...secrets, signType: 'HMAC-SHA256' }),
      });
      assert.equal(stored.status, 303);
      assert.equal(stored.headers.get('location'), `${path}?done=credentials-wechatpay`);

      const row = await db()
        .selectFrom('provider_credentials')
        .selectAll()
        .where('merchant_id', '=', merchant.id)
        .where('provider', '=', 'wechatpay')
        .executeTakeFirstOrThrow();
      for (const value of Object.values(secrets)) assert.ok(!row.sealed.includes(value), 'sealed, not plaintext');
      assert.deepEqual(JSON.parse(fx().app.app.deps.secrets.decrypt(row.sealed)), { ...secrets, signType: 'HMAC-SHA256' });

      const after = await operator.get(`${path}?done=credentials-wechatpay`);
      assert.match(after.text, /Live WeChat Pay credentials stored \(sealed\)\./);
      assert.match(after.text, /data-credentials-status="set">Set on \d{4}-\d\d-\d\d/);
      for (const value of Object.values(secrets)) assert.ok(!after.text.includes(value), `the page does not show ${value}`);
      const [entry] = await auditRows(merchant.id, 'provider_credentials.set');
      assert.deepEqual(JSON.parse(entry?.detail ?? '{}'), { provider: 'wechatpay' });
      const everything = await db().selectFrom('audit_log').select('detail').execute();
      for (const value of Object.values(secrets)) assert.ok(!everything.some((a) => a.detail.includes(value)));
      for (const value of Object.values(secrets)) assert.ok(!fx().app.logs.join('').includes(value), `${value} reached the logs`);
    });

    test('invalid credentials are refused with the problems listed and the input not echoed', async () => {
      const { merchant } = fx();
      const operator = await session();
      const path = `/dashboard/merchants/${merchant.id}`;
      const _csrf = await tokenOf(operator, path);
      const input = { appId: 'ali-app-visible-31337', appPrivateKeyPem: 'not-a-pem-but-secret-4242' };
      const refused = await operator.post(`${path}/credentials/alipay`, { _csrf, credentials: JSON.stringify(input) });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /The Alipay credentials were not stored:/);
      assert.match(refused.text, /<li>alipayPublicKeyPem is required \(a non-empty string\)<\/li>/);
      assert.match(refused.text, /<li>appPrivateKeyPem must be a PEM key<\/li>/);
      for (const value of Object.values(input)) assert.ok(!refused.text.includes(value));
      assert.match(refused.text, /<textarea id="credentials-alipay"[^>]*><\/textarea>/, 'the textarea comes back empty');

      const broken = await operator.post(`${path}/credentials/linepay`, { _csrf, credentials: '{"channelSecret": "half-typed-secret' });
      assert.equal(broken.status, 422);
      assert.match(broken.text, /credentials must be a JSON object/);
      assert.ok(!broken.text.includes('half-typed-secret'));
      for (const value of [...Object.values(input), 'half-typed-secret']) assert.ok(!fx().app.logs.join('').includes(value), `${value} reached the logs`);
      const rows = await db()
        .selectFrom('provider_credentials')
        .select('provider')
        .where('merchant_id', '=', merchant.id)
        .where('provider', 'in', ['alipay', 'linepay'])
        .execute();
      assert.deepEqual(rows, []);
      assert.equal((await operator.post(`${path}/credentials/paypal`, { _csrf, credentials: '{}' })).status, 404);
    });

    test('a form without its CSRF token is refused (403) and changes nothing', async () => {
      const { merchant } = fx();
      const operator = await session();
      const path = `/dashboard/merchants/${merchant.id}`;
      await operator.get(path);
      const merchants = (await db().selectFrom('merchants').select('id').execute()).length;
      const settings = await operator.post(`${path}/settings`, { timezone: 'Asia/Tokyo', void_window: '1m', cancel_window: '1h' });
      assert.equal(settings.status, 403);
      const gateways = await operator.post(`${path}/gateways`, { _csrf: 'forged', gw_alipay: 'on' });
      assert.equal(gateways.status, 403);
      const created = await operator.post('/dashboard/merchants', { name: 'Forged', timezone: 'UTC' });
      assert.equal(created.status, 403);
      const row = await db().selectFrom('merchants').select('timezone').where('id', '=', merchant.id).executeTakeFirstOrThrow();
      assert.equal(row.timezone, 'UTC');
      const enabled = await db().selectFrom('merchant_gateways').select('gateway').where('merchant_id', '=', merchant.id).execute();
      assert.equal(enabled.length, allGatewayCodes().length);
      assert.equal((await db().selectFrom('merchants').select('id').execute()).length, merchants);
    });
  });
}
