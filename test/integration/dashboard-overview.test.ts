/**
 * The dashboard overview over plain HTTP on both databases: figures match
 * transactions made through the POS and CHOP APIs (success rate, per-currency
 * volumes and reversals, per gateway and state, open balance), merchants see
 * only their own, operators see everyone's, and the charts are accessible SVG.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTime } from '../../src/dashboard/html.js';
import { dayStarts } from '../../src/dashboard/overview-data.js';
import { call, refundBody, saleBody, uniqueId, voidBody, waitFinal } from '../support/client.js';
import { chop, idFromUrl, scan, waitFor, waitInquire } from '../support/chop.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashboardFixture, type DashUser, HttpSession, posSale, useDashboardApp } from '../support/dashboard.js';

/** The HTML of the first element that opens with `open` (up to its matching `close` tag, no nesting of the same tag inside). */
function part(html: string, open: string, close: string): string {
  const start = html.indexOf(open);
  assert.ok(start >= 0, `no ${open} in the page`);
  const end = html.indexOf(close, start);
  return html.slice(start, end + close.length);
}
const cell = (row: string, name: string): string | undefined => new RegExp(`data-${name}>([^<]*)<`).exec(row)?.[1];

async function overviewOf(fx: DashboardFixture, user: DashUser, query = ''): Promise<string> {
  const session = new HttpSession(fx.url);
  assert.equal(await session.signIn(user), 303);
  const page = await session.get(`/dashboard${query}`);
  assert.equal(page.status, 200);
  return page.text;
}

test('day boundaries are local midnights, with a 23-hour day at the spring DST change', () => {
  const starts = dayStarts('Europe/Berlin', Date.UTC(2026, 3, 10, 12));
  assert.equal(starts.length, 30);
  assert.ok(starts.every((s) => formatTime(s, 'Europe/Berlin').endsWith(' 00:00:00')));
  assert.equal(formatTime(starts[29] ?? 0, 'Europe/Berlin'), '2026-04-10 00:00:00');
  const lengths = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
  assert.deepEqual(
    lengths.filter((l) => l !== 86_400_000),
    [82_800_000],
    'only 2026-03-29 is shorter',
  );
});

for (const kind of DB_KINDS) {
  describe(`dashboard overview (${kind})`, () => {
    const fx = useDashboardApp(kind);

    test('a merchant with nothing yet: no rate, no volume, no charts', async () => {
      const html = await overviewOf(fx(), fx().otherOwner);
      const today = part(html, '<section class="card ov-period" data-period="today"', '</section>');
      assert.match(today, /data-success-rate>—</);
      assert.match(today, /No succeeded payments in this period\./);
      assert.doesNotMatch(html, /<svg/);
      assert.match(html, /No succeeded payments in the last 30 days\./);
    });

    test('figures match the API: per currency, per gateway, per state, reversals, open balance, charts', async () => {
      const f = fx();
      const db = f.app.app.deps.store.db;
      // Merchant A: three CNY sales paid (one voided, one partly refunded), one refused, a USD sale and a USD online charge.
      const first = await posSale(f, 1000);
      assert.equal((await posSale(f, 1000)).state, 'succeeded');
      const voided = await posSale(f, 700);
      assert.equal((await posSale(f, 1051)).state, 'failed', 'ending in 51: insufficient balance');
      assert.equal((await posSale(f, 500, { payment_gateway: 'wechatpay_international', currency: 'USD' })).state, 'succeeded');
      for (const body of [refundBody(uniqueId('refund'), first.id, 300), voidBody(uniqueId('void'), voided.id)]) {
        assert.equal((await call(f.url, 'POST', '/api/v2/transactions', { key: f.merchant.apiKey, body })).status, 201);
        assert.equal((await waitFinal(f.url, f.merchant.apiKey, body.data.id)).body.data.attributes.state, 'succeeded');
      }
      const charge = await chop(f.url, '/chop/chop', f.merchant.apiKey, {
        payment_method: 'wechatpay',
        amount: 999,
        currency: 'USD',
        reference: uniqueId('order'),
      });
      assert.equal(charge.status, 200, charge.text);
      const id = idFromUrl(charge.body.url);
      const qr = await waitFor(
        async () => (await db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
      );
      assert.equal((await scan(f.url, qr, 'approve')).status, 200);
      assert.equal((await waitInquire(f.url, f.merchant.apiKey, id, (b) => b.notify_result !== null)).notify_result, 'success');
      assert.equal(
        (await chop(f.url, '/chop/refund', f.merchant.apiKey, { transaction_id: id, amount: 199, currency: 'USD', reason: 'test' })).body.refunded,
        true,
      );
      await waitFor(async () =>
        db
          .selectFrom('transactions')
          .select('state')
          .where('type', '=', 'refund')
          .where('channel', '=', 'chop')
          .where('state', '=', 'succeeded')
          .executeTakeFirst(),
      );
      // Merchant B: one CNY sale.
      const other = uniqueId('b');
      assert.equal((await call(f.url, 'POST', '/api/v2/transactions', { key: f.other.apiKey, body: saleBody(other, 2000) })).status, 201);
      assert.equal((await waitFinal(f.url, f.other.apiKey, other)).body.data.attributes.state, 'succeeded');

      const html = await overviewOf(f, f.owner);
      for (const period of ['today', 'month']) {
        const section = part(html, `<section class="card ov-period" data-period="${period}"`, '</section>');
        assert.equal(cell(section, 'success-rate'), '83.3%', '5 succeeded, 1 failed');
        assert.equal(/data-count="failed">(\d+)</.exec(section)?.[1], '1');
        const cny = part(section, '<tr data-currency="CNY"', '</tr>');
        assert.deepEqual([cell(cny, 'payments'), cell(cny, 'volume'), cell(cny, 'refunded'), cell(cny, 'voided')], ['3', 'CN¥27.00', 'CN¥3.00', 'CN¥7.00']);
        const usd = part(section, '<tr data-currency="USD"', '</tr>');
        assert.deepEqual([cell(usd, 'payments'), cell(usd, 'volume'), cell(usd, 'refunded')], ['2', '$14.99', '$1.99'], 'never added to CNY');
      }
      assert.equal(/data-open-balance>.*?data-currency="USD">([^<]+)</s.exec(html)?.[1], '$8.00', '9.99 charged − 1.99 refunded today');

      const today = formatTime(dayStarts('UTC', Date.now())[29] ?? 0, 'UTC').slice(0, 10);
      const gateways = part(html, '<section class="card ov-breakdown" aria-labelledby="ov-by-gateway"', '</section>');
      const cnyGateway = part(gateways, '<tr data-gateway="wechatpay_cn_domestic"', '</tr>');
      assert.match(cnyGateway, new RegExp(`href="/dashboard/transactions\\?gateway=wechatpay_cn_domestic&amp;state=succeeded&amp;from=${today}">3<`));
      assert.match(cnyGateway, /CN¥27\.00/);
      assert.match(part(gateways, '<tr data-gateway="wechatpay"', '</tr>'), /\$9\.99/);
      assert.match(part(gateways, '<tr data-gateway="wechatpay_international"', '</tr>'), /\$5\.00/);
      const states = part(html, '<section class="card ov-breakdown" aria-labelledby="ov-by-state"', '</section>');
      assert.match(part(states, '<tr data-state="failed"', '</tr>'), /href="\/dashboard\/transactions\?state=failed&amp;from=[\d-]+">1</);

      // Charts: accessible images with their numbers, one per currency, busiest first.
      assert.deepEqual(
        [...html.matchAll(/data-daily="([A-Z]+)"/g)].map((m) => m[1]),
        ['CNY', 'USD'],
      );
      const cnyChart = part(html, '<svg class="chart" id="ov-daily-0"', '</svg>');
      assert.match(cnyChart, /role="img"/);
      assert.match(cnyChart, /<title id="ov-daily-0-title">Daily volume in CNY, last 30 days<\/title>/);
      assert.match(cnyChart, new RegExp(`<desc id="ov-daily-0-desc">[^<]*CN¥27\\.00 in 3 succeeded payments\\. Days with payments: ${today} CN¥27\\.00\\.`));
      assert.match(cnyChart, /viewBox="0 0 360 180" width="100%"/);
      assert.doesNotMatch(html, /style=/, 'no style attributes (CSP)');
      assert.match(part(html, '<figure class="card ov-chart" data-daily="CNY"', '</figure>'), /<details><summary>Show data<\/summary>/);
      assert.match(
        part(html, '<svg class="chart" id="ov-state-chart"', '</svg>'),
        /<desc id="ov-state-chart-desc">Succeeded: 5; Failed: 1; Pending: 0\.<\/desc>/,
      );
      assert.doesNotMatch(html, /All merchants together|data-operator-note/);
    });

    test('merchant B sees only its own sale', async () => {
      const html = await overviewOf(fx(), fx().otherOwner);
      const month = part(html, '<section class="card ov-period" data-period="month"', '</section>');
      assert.equal(cell(month, 'success-rate'), '100.0%');
      assert.equal(cell(part(month, '<tr data-currency="CNY"', '</tr>'), 'volume'), 'CN¥20.00');
      assert.doesNotMatch(html, /USD|wechatpay_international|27\.00/);
    });

    test('an operator sees every merchant together, with a note saying so', async () => {
      const html = await overviewOf(fx(), fx().operator);
      assert.match(html, /data-operator-note>Figures for all merchants together\. Days are UTC days\./);
      const month = part(html, '<section class="card ov-period" data-period="month"', '</section>');
      assert.equal(cell(part(month, '<tr data-currency="CNY"', '</tr>'), 'volume'), 'CN¥47.00');
      assert.equal(cell(part(month, '<tr data-currency="USD"', '</tr>'), 'volume'), '$14.99');
      assert.equal(cell(month, 'success-rate'), '85.7%', '6 of 7');
      assert.doesNotMatch(html, /data-open-balance|Open balance today/, 'the open balance is per merchant');
    });

    test('staff read the same figures; Chinese words', async () => {
      const html = await overviewOf(fx(), fx().staff, '?lang=zh');
      assert.match(html, /成功率/);
      assert.match(html, /CNY 每日金额（最近 30 天）/);
      assert.equal(cell(part(html, '<section class="card ov-period" data-period="today"', '</section>'), 'success-rate'), '83.3%');
    });
  });
}
