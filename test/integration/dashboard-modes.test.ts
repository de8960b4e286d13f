/**
 * The dashboard shows one mode at a time, over plain HTTP on both databases:
 * the default mode, the toggle and the test-mode banner; lists, search, CSV,
 * overview figures, detail pages and operator views of one mode only;
 * actions on the other mode's transactions refused (404, nothing changed,
 * nothing logged as an error); and sums no stored amount can break.
 *
 * Live transactions are made with the test key and then flipped to
 * mode 'live' in SQL: a live key would call the real providers, which tests
 * never reach, and the dashboard only needs the rows to exist to show them
 * (or refuse to act on them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { audit } from '../../src/dashboard/accounts.js';
import { randomHex } from '../../src/domain/ids.js';
import { createApiKey } from '../../src/store/merchants.js';
import { call, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { type DashUser, HttpSession, csrfOf, posSale, useDashboardApp } from '../support/dashboard.js';
import { DB_KINDS } from '../support/databases.js';

const refsIn = (html: string): string[] => [...html.matchAll(/<tr data-ref="([0-9a-f]{32})"/g)].map((m) => m[1] ?? '').sort();
const modeOf = (html: string): string | undefined => /class="mode-toggle"[^>]*data-mode="(test|live)"/.exec(html)?.[1];
const hasBanner = (html: string): boolean => html.includes('data-test-banner');
const sorted = (...refs: string[]): string[] => [...refs].sort();

/** The CanCan ids of a CSV export (its cells hold no quotes or commas here: checked). */
function csvRefs(text: string): string[] {
  assert.ok(!text.includes('"'), 'no quoted cells to parse');
  const [header, ...rows] = text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','));
  const at = (header ?? []).indexOf('cancan_id');
  assert.ok(at >= 0);
  return rows.map((cells) => cells[at] ?? '').sort();
}

/** The HTML from `open` to the next `close`. */
function part(html: string, open: string, close: string): string {
  const start = html.indexOf(open);
  assert.ok(start >= 0, `no ${open} in the page`);
  return html.slice(start, html.indexOf(close, start) + close.length);
}
/** A per-currency cell of the month card of the overview, e.g. volume of CNY. */
const monthCell = (html: string, currency: string, name: string): string | undefined =>
  new RegExp(`<tr data-currency="${currency}">[\\s\\S]*?data-${name}>([^<]*)<`).exec(part(html, 'data-period="month"', '</section>'))?.[1];
const openBalance = (html: string, currency: string): string | undefined => new RegExp(`<dd class="num" data-currency="${currency}">([^<]*)<`).exec(html)?.[1];

/** Error-level lines (pino: level ≥ 50) the server logged. */
const errorLines = (logs: readonly string[]): string[] =>
  logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => {
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 50;
      } catch {
        return false;
      }
    });

for (const kind of DB_KINDS) {
  describe(`dashboard modes (${kind})`, () => {
    const fx = useDashboardApp(kind);
    let receiver: IpnReceiver;
    const db = () => fx().app.app.deps.store.db;
    /** Merchant A's transactions: two of each mode, a POS sale and a paid CHOP charge (IPN delivered). */
    const made = { testSale: '', testSaleId: '', testCharge: '', liveSale: '', liveSaleId: '', liveCharge: '' };

    const paidCharge = async (amount: number): Promise<string> => {
      const response = await chop(fx().url, '/chop/chop', fx().merchant.apiKey, {
        payment_method: 'wechatpay',
        amount,
        currency: 'USD',
        reference: uniqueId('mode'),
        ipn_url: receiver.url,
      });
      assert.equal(response.status, 200, response.text);
      const ref = idFromUrl(response.body.url);
      const qr = await waitFor(
        async () => (await db().selectFrom('transactions').select('qr_code').where('ref', '=', ref).executeTakeFirst())?.qr_code ?? undefined,
      );
      assert.equal((await scan(fx().url, qr, 'approve')).status, 200);
      // Settled: paid, and its IPN delivered (nothing left in flight to change rows later).
      await waitFor(async () => {
        const row = await db().selectFrom('transactions').select('seq').where('ref', '=', ref).where('state', '=', 'succeeded').executeTakeFirst();
        if (!row) return undefined;
        return db().selectFrom('notifications').select('id').where('transaction_seq', '=', row.seq).where('status', '=', 'delivered').executeTakeFirst();
      }, 15_000);
      return ref;
    };

    before(async () => {
      receiver = await startIpnReceiver();
      const f = fx();
      await createApiKey(db(), f.app.app.deps.secrets, { merchantId: f.merchant.id, mode: 'live', now: Date.now() });
      const testSale = await posSale(f, 1000);
      const liveSale = await posSale(f, 2500);
      assert.equal(testSale.state, 'succeeded');
      assert.equal(liveSale.state, 'succeeded');
      Object.assign(made, {
        testSale: testSale.ref,
        testSaleId: testSale.id,
        liveSale: liveSale.ref,
        liveSaleId: liveSale.id,
        testCharge: await paidCharge(700),
        liveCharge: await paidCharge(1300),
      });
      await db().updateTable('transactions').set({ mode: 'live' }).where('ref', 'in', [made.liveSale, made.liveCharge]).execute();
    });
    after(() => receiver.close());

    const sessions = new Map<string, HttpSession>();
    const as = async (user: DashUser): Promise<HttpSession> => {
      let session = sessions.get(user.email);
      if (!session) {
        session = new HttpSession(fx().url);
        assert.equal(await session.signIn(user), 303);
        sessions.set(user.email, session);
      }
      return session;
    };
    /** Switches `session` to `mode` through the toggle's form. */
    const switchTo = async (session: HttpSession, mode: 'test' | 'live', next = '/dashboard') => {
      const shown = await session.get('/dashboard/transactions');
      const answer = await session.post('/dashboard/mode', { _csrf: csrfOf(shown.text), mode, next });
      assert.equal(answer.status, 303);
      return answer;
    };

    test('the default is live for a merchant with a live key, test for one without; the banner shows in test mode only', async () => {
      const live = (await (await as(fx().owner)).get('/dashboard/transactions')).text;
      assert.equal(modeOf(live), 'live');
      assert.ok(!hasBanner(live));
      assert.match(live, /<button type="submit" name="mode" value="live" class="mode-live" aria-pressed="true">Live<\/button>/);
      assert.deepEqual(refsIn(live), sorted(made.liveSale, made.liveCharge));

      const other = await as(fx().otherOwner);
      const test_ = (await other.get('/dashboard')).text;
      assert.equal(modeOf(test_), 'test');
      assert.match(test_, /<p class="test-banner" data-test-banner><strong>Test mode: you are viewing test data\.<\/strong>/);
      assert.match(test_, /<button type="submit" name="mode" value="test" class="mode-test" aria-pressed="true">Test<\/button>/);
      assert.match((await other.get('/dashboard/transactions?lang=zh')).text, /<strong>测试模式：您正在查看测试数据。<\/strong>/);
      await other.get('/dashboard?lang=en');
    });

    test('the toggle switches with a CSRF-checked form, remembers the choice and comes back to the page', async () => {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(fx().staff), 303);
      const first = await session.get('/dashboard');
      assert.equal(modeOf(first.text), 'live');
      assert.match(
        first.headers.get('set-cookie') ?? '',
        /^cancan_mode=live; Path=\/dashboard; HttpOnly; SameSite=Lax$/,
        'the default, for this browser session',
      );
      const forged = await session.post('/dashboard/mode', { _csrf: 'x'.repeat(43), mode: 'test', next: '/dashboard' });
      assert.equal(forged.status, 403);
      assert.equal(modeOf((await session.get('/dashboard')).text), 'live', 'a forged form changes nothing');

      // Staff may switch: it is a view, not an action.
      const answer = await switchTo(session, 'test', '/dashboard/transactions?state=succeeded');
      assert.equal(answer.headers.get('location'), '/dashboard/transactions?state=succeeded');
      assert.match(answer.headers.get('set-cookie') ?? '', /^cancan_mode=test; Path=\/dashboard; HttpOnly; SameSite=Lax; Max-Age=31536000$/);
      const list = (await session.get('/dashboard/transactions?state=succeeded')).text;
      assert.equal(modeOf(list), 'test');
      assert.ok(hasBanner(list));
      assert.deepEqual(refsIn(list), sorted(made.testSale, made.testCharge));

      // From a transaction's page, back to the list (that transaction is the other mode's).
      assert.equal((await switchTo(session, 'live', `/dashboard/transactions/${made.testSale}`)).headers.get('location'), '/dashboard/transactions');
      assert.equal((await switchTo(session, 'live', 'https://evil.example/')).headers.get('location'), '/dashboard');
      const bad = await session.post('/dashboard/mode', { _csrf: csrfOf((await session.get('/dashboard')).text), mode: 'both', next: '/dashboard' });
      assert.equal(bad.status, 400);
      assert.equal(modeOf((await session.get('/dashboard')).text), 'live');

      // The choice is kept; signing in again starts from the user's default.
      await switchTo(session, 'test');
      assert.equal(modeOf((await session.get('/dashboard')).text), 'test');
      assert.equal(await session.signIn(fx().staff), 303);
      assert.equal(modeOf((await session.get('/dashboard')).text), 'live');
    });

    test('lists, search, filters and the CSV show only the shown mode', async () => {
      const owner = await as(fx().owner);
      for (const [mode, mine, theirs] of [
        ['test', [made.testSale, made.testCharge], [made.liveSale, made.liveCharge]],
        ['live', [made.liveSale, made.liveCharge], [made.testSale, made.testCharge]],
      ] as const) {
        await switchTo(owner, mode);
        assert.deepEqual(refsIn((await owner.get('/dashboard/transactions')).text), sorted(...mine), `${mode}: the list`);
        assert.deepEqual(refsIn((await owner.get('/dashboard/transactions?state=succeeded&type=sale')).text), [mine[0]], `${mode}: filtered`);
        assert.deepEqual(refsIn((await owner.get(`/dashboard/transactions?q=${mine[0]}`)).text), [mine[0]], `${mode}: search finds its own`);
        const other = await owner.get(`/dashboard/transactions?q=${theirs[0]}`);
        assert.deepEqual(refsIn(other.text), [], `${mode}: search does not find the other mode's`);
        assert.match(other.text, /No transactions match these filters\./);
        const csv = await owner.get('/dashboard/transactions.csv');
        assert.equal(csv.status, 200);
        assert.match(csv.headers.get('content-disposition') ?? '', new RegExp(`filename="cancan-transactions-${mode}-`));
        assert.deepEqual(csvRefs(csv.text), sorted(...mine), `${mode}: the CSV`);
      }
    });

    test('overview figures, charts and the open balance count only the shown mode', async () => {
      const owner = await as(fx().owner);
      const expect = { test: { cny: 'CN¥10.00', usd: '$7.00', payments: '1' }, live: { cny: 'CN¥25.00', usd: '$13.00', payments: '1' } };
      for (const mode of ['test', 'live'] as const) {
        await switchTo(owner, mode);
        const html = (await owner.get('/dashboard')).text;
        assert.equal(monthCell(html, 'CNY', 'volume'), expect[mode].cny, `${mode} CNY`);
        assert.equal(monthCell(html, 'USD', 'volume'), expect[mode].usd, `${mode} USD`);
        assert.equal(monthCell(html, 'CNY', 'payments'), expect[mode].payments);
        assert.equal(openBalance(html, 'USD'), expect[mode].usd, `${mode} open balance`);
        assert.match(
          part(html, '<figure class="card ov-chart" data-daily="CNY"', '</figure>'),
          new RegExp(`: ${expect[mode].cny.replace('.', '\\.')} in 1 succeeded payments`),
        );
        assert.match(part(html, 'data-period="month"', '</section>'), /data-count="succeeded">2</);
      }
    });

    test('a transaction of the other mode is not found, and the toggle shows it', async () => {
      const owner = await as(fx().owner);
      await switchTo(owner, 'test');
      assert.equal((await owner.get(`/dashboard/transactions/${made.testSale}`)).status, 200);
      for (const ref of [made.liveSale, made.liveCharge]) {
        const page = await owner.get(`/dashboard/transactions/${ref}`);
        assert.equal(page.status, 404);
        assert.match(page.text, /There is nothing here, or you may not see it\./);
      }
      await switchTo(owner, 'live');
      assert.equal((await owner.get(`/dashboard/transactions/${made.liveSale}`)).status, 200);
      assert.equal((await owner.get(`/dashboard/transactions/${made.testCharge}`)).status, 404);
    });

    test("refund, void, cancel and IPN re-send of the other mode's transaction: 404, nothing changed, no error logged", async () => {
      const owner = await as(fx().owner);
      const snapshot = async () => ({
        transactions: await db()
          .selectFrom('transactions')
          .select(['seq', 'state', 'version', 'refunded_amount', 'voided', 'void_seq', 'mode'])
          .orderBy('seq')
          .execute(),
        notifications: (await db().selectFrom('notifications').select('id').execute()).length,
        audit: (await db().selectFrom('audit_log').select('id').execute()).length,
      });
      const before_ = await snapshot();
      const logged = fx().app.logs.length;
      const attempts: [string, string, Record<string, string>][] = [];
      for (const [mode, sale, charge] of [
        ['test', made.liveSale, made.liveCharge],
        ['live', made.testSale, made.testCharge],
      ] as const) {
        await switchTo(owner, mode);
        const csrf = csrfOf((await owner.get('/dashboard/transactions')).text);
        const posts: [string, Record<string, string>][] = [
          [`${sale}/refund`, { amount: '1.00', confirm: 'yes', id: `dash-refund-${randomHex(16)}` }],
          [`${sale}/void`, { confirm: 'yes', id: `dash-void-${randomHex(16)}` }],
          [`${charge}/refund`, { amount: '1.00', confirm: 'yes' }],
          [`${charge}/cancel`, { confirm: 'yes' }],
          [`${charge}/resend-ipn`, { confirm: 'yes' }],
        ];
        for (const [path, fields] of posts) {
          attempts.push([mode, path, fields]);
          assert.equal((await owner.get(`/dashboard/transactions/${path}`)).status, 404, `${mode} GET ${path}`);
          const answer = await owner.post(`/dashboard/transactions/${path}`, { _csrf: csrf, ...fields });
          assert.equal(answer.status, 404, `${mode} POST ${path}`);
          assert.match(answer.text, /There is nothing here, or you may not see it\./);
        }
      }
      assert.equal(attempts.length, 10);
      assert.deepEqual(await snapshot(), before_, 'no row changed, no IPN, no audit entry');
      assert.deepEqual(errorLines(fx().app.logs.slice(logged)), [], 'a refused action is not an error');
      assert.ok(!fx().app.logs.some((line) => line.includes("Cannot use 'in' operator")));
    });

    test('operators see one mode at a time: overview, list, merchants and detail', async () => {
      // Activity on a transaction belongs to its mode; activity on settings shows in both.
      const ownerId = (await db().selectFrom('users').select('id').where('email', '=', fx().owner.email).executeTakeFirstOrThrow()).id;
      const entry = (target: string, action: string, marker: string) =>
        audit(db(), { userId: ownerId, merchantId: fx().merchant.id, action, target, detail: { marker } }, Date.now());
      await entry(made.liveSale, 'refund.requested', 'live-entry');
      await entry(made.testSale, 'refund.requested', 'test-entry');
      await entry(fx().merchant.id, 'merchant.settings_changed', 'settings-entry');

      const operator = await as(fx().operator);
      // A live key exists on the platform: operators start in live mode too.
      const first = (await operator.get('/dashboard/transactions')).text;
      assert.equal(modeOf(first), 'live');
      assert.deepEqual(refsIn(first), sorted(made.liveSale, made.liveCharge));
      for (const [mode, mine, theirs, cny] of [
        ['test', [made.testSale, made.testCharge], made.liveSale, 'CN¥10.00'],
        ['live', [made.liveSale, made.liveCharge], made.testSale, 'CN¥25.00'],
      ] as const) {
        await switchTo(operator, mode);
        assert.deepEqual(refsIn((await operator.get(`/dashboard/transactions?merchant=${fx().merchant.id}`)).text), sorted(...mine), `${mode} list`);
        assert.deepEqual(csvRefs((await operator.get('/dashboard/transactions.csv')).text), sorted(...mine), `${mode} CSV`);
        assert.equal(monthCell((await operator.get('/dashboard')).text, 'CNY', 'volume'), cny, `${mode} overview`);
        const merchants = (await operator.get('/dashboard/merchants')).text;
        assert.match(merchants, new RegExp(`${fx().merchant.id}[\\s\\S]*?data-label="Transactions today" class="num">2<`), `${mode} merchants: today's count`);
        const activity = part((await operator.get(`/dashboard/merchants/${fx().merchant.id}`)).text, '<section class="card" id="activity"', '</section>');
        assert.deepEqual(
          [...activity.matchAll(/marker: (\w+-entry)/g)].map((m) => m[1]).sort(),
          [`${mode}-entry`, 'settings-entry'].sort(),
          `${mode} activity`,
        );
        assert.equal((await operator.get(`/dashboard/transactions/${mine[0]}`)).status, 200);
        assert.equal((await operator.get(`/dashboard/transactions/${theirs}`)).status, 404);
      }
    });

    test('no stored amount breaks a page: exact sums past 2^53 and 2^63 on the overview, list, CSV, detail and operator views', async () => {
      const f = fx();
      // Merchant B (test mode only): a real sale and charge, then copies with huge amounts written straight to the table.
      const id = uniqueId('huge');
      assert.equal((await call(f.url, 'POST', '/api/v2/transactions', { key: f.other.apiKey, body: saleBody(id, 100) })).status, 201);
      await waitFinal(f.url, f.other.apiKey, id);
      const sale = await db()
        .selectFrom('transactions')
        .selectAll()
        .where('merchant_id', '=', f.other.id)
        .where('client_id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(sale.state, 'succeeded');
      const charge = await db().selectFrom('transactions').selectAll().where('ref', '=', made.testCharge).executeTakeFirstOrThrow();
      const copy = async (row: typeof sale, amount: number): Promise<string> => {
        const { seq: _seq, ...fields } = row;
        const ref = randomHex(16);
        await db()
          .insertInto('transactions')
          .values({
            ...fields,
            merchant_id: f.other.id,
            ref,
            client_id: `huge-${ref}`,
            provider_order_no: ref,
            amount,
            created_at: Date.now(),
            finalized_at: Date.now(),
          })
          .execute();
        return ref;
      };
      const max = Number.MAX_SAFE_INTEGER;
      const a = await copy(sale, max);
      await copy(sale, max);
      const biggest = await copy(sale, 1);
      // The largest BIGINT (a JavaScript number cannot even carry it): with the others, SQLite's sum() would overflow.
      await sql`update transactions set amount = 9223372036854775807 where ref = ${biggest}`.execute(db());
      const chargeCopy = await copy({ ...charge, sale_seq: null }, max);
      const cny = 100n + 2n * BigInt(max) + 9223372036854775807n;
      // Written out by hand (not with Intl) so that the page's formatting is checked, not repeated.
      const symbols: Record<string, string> = { CNY: 'CN¥', USD: '$' };
      const grouped = (whole: bigint) => whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      const text = (minor: bigint, currency: string) => `${symbols[currency]}${grouped(minor / 100n)}.${String(minor % 100n).padStart(2, '0')}`;

      const other = await as(f.otherOwner);
      const overview = await other.get('/dashboard');
      assert.equal(overview.status, 200);
      assert.equal(monthCell(overview.text, 'CNY', 'volume'), text(cny, 'CNY'));
      assert.equal(monthCell(overview.text, 'USD', 'volume'), text(BigInt(max), 'USD'));
      assert.equal(openBalance(overview.text, 'USD'), text(BigInt(max), 'USD'));
      assert.match(part(overview.text, 'data-daily="CNY"', '</figure>'), new RegExp(`: ${text(cny, 'CNY').replace(/[.$]/g, '\\$&')} in 4 succeeded payments`));
      const list = await other.get('/dashboard/transactions');
      assert.equal(list.status, 200);
      assert.ok(list.text.includes('CN¥90,071,992,547,409.91'));
      assert.equal(refsIn(list.text).length, 5);
      const csv = await other.get('/dashboard/transactions.csv');
      assert.equal(csv.status, 200);
      assert.equal(csvRefs(csv.text).length, 5);
      assert.ok(csv.text.includes(',90071992547409.91,CNY,'));
      for (const ref of [a, biggest, chargeCopy]) assert.equal((await other.get(`/dashboard/transactions/${ref}`)).status, 200, ref);

      const operator = await as(f.operator);
      await switchTo(operator, 'test');
      const all = await operator.get('/dashboard');
      assert.equal(all.status, 200);
      assert.equal(monthCell(all.text, 'CNY', 'volume'), text(cny + 1000n, 'CNY'), "both merchants' test CNY");
      assert.equal((await operator.get('/dashboard/merchants')).status, 200);
      assert.equal((await operator.get(`/dashboard/merchants/${f.other.id}`)).status, 200);
      assert.deepEqual(errorLines(f.app.logs), []);
    });
  });
}
