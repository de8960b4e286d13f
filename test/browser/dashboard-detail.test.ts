/**
 * The transaction detail page in Chromium: an owner refunds part of a POS
 * sale through the form (the browser refuses more than what is left; the
 * server refuses it when another refund got there first), sees the refund
 * succeed and listed under the sale; re-sends a CHOP charge's IPN; staff see
 * no controls; another merchant's owner gets the 404 page. No CSP
 * violations and no requests to other origins.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot, useBrowser, watchPage, assertOnlyOwnRequests } from '../support/browser.js';
import { type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { call, refundBody, uniqueId, waitFinal } from '../support/client.js';
import { posSale, signIn, useDashboardApp } from '../support/dashboard.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const chromium = useBrowser();
const fx = useDashboardApp('sqlite');
let receiver: IpnReceiver;
before(async () => {
  receiver = await startIpnReceiver();
});
after(() => receiver.close());

const detail = (ref: string) => `/dashboard/transactions/${ref}`;

/** Reloads until `probe` holds: pages without scripts show new state on reload. */
async function reloadUntil(page: Page, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
  assert.fail('the page never showed the expected state');
}

const stateText = (page: Page) => page.locator('[data-attr=state] .badge').innerText();

test('an owner refunds part of a sale: browser and server checks, review, success, listed under the sale', async () => {
  const sale = await posSale(fx(), 1000);
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, detail(sale.ref));
  assert.equal(new URL(page.url()).pathname, detail(sale.ref));
  assert.equal((await page.locator('h1').innerText()).trim(), 'Sale CN¥10.00');
  assert.equal(await stateText(page), 'Succeeded');
  assert.ok((await page.locator('[data-event=provider_attempt]').count()) >= 1);
  await screenshot(page, 'dashboard-detail-sale', { desktop: true });

  await Promise.all([page.waitForURL(/\/refund$/), page.click('[data-action=refund]')]);
  assert.equal(new URL(page.url()).pathname, `${detail(sale.ref)}/refund`);
  // More than what is left never leaves the browser.
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url());
  });
  await page.fill('#amount', '10.01');
  await page.click('form[data-refund-form] button[type=submit]');
  assert.equal(await page.$eval('#amount', (input) => (input as HTMLInputElement).validity.rangeOverflow), true);
  assert.deepEqual(posts, [], 'the form was not submitted');
  assert.equal(await page.locator('#amount-error, [data-confirm-amount]').count(), 0, 'still on the untouched form');

  // Meanwhile a POS refunds 3.00 through the API: the form's limit is stale, the server's is not.
  const apiRefund = uniqueId('pos-refund');
  assert.equal((await call(fx().url, 'POST', '/api/v2/transactions', { key: fx().merchant.apiKey, body: refundBody(apiRefund, sale.id, 300) })).status, 201);
  await waitFinal(fx().url, fx().merchant.apiKey, apiRefund);
  await page.fill('#amount', '8.00');
  await page.click('form[data-refund-form] button[type=submit]');
  await page.waitForSelector('#amount-error');
  assert.match(await page.locator('#amount-error').innerText(), /At most CN¥7\.00 is left to refund\./);
  assert.equal(await page.inputValue('#amount'), '8.00', 'the typed value is kept');
  assert.equal(await page.getAttribute('#amount', 'max'), '7.00');
  await screenshot(page, 'dashboard-detail-refund-error', { desktop: true });

  await page.fill('#amount', '2.50');
  await page.fill('#reason', 'Scratched lid');
  await page.click('form[data-refund-form] button[type=submit]');
  assert.equal((await page.locator('[data-confirm-amount]').innerText()).trim(), 'CN¥2.50');
  await screenshot(page, 'dashboard-detail-refund-confirm', { desktop: true });
  await Promise.all([page.waitForURL(/\?done=refund$/), page.getByRole('button', { name: 'Confirm refund' }).click()]);
  assert.match(await page.locator('.notice-ok').innerText(), /Refund requested\./);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Refund CN¥2.50');
  await reloadUntil(page, async () => (await stateText(page)) === 'Succeeded');
  assert.match(await page.locator('[data-audit="refund.requested"]').innerText(), new RegExp(fx().owner.email.replace(/\./g, '\\.')));
  const refundUrl = new URL(page.url()).pathname;

  await Promise.all([page.waitForURL((url) => url.pathname === detail(sale.ref)), page.click('[data-parent]')]);
  const row = page.locator(`[data-related="${refundUrl.split('/').at(-1)}"]`);
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /Succeeded[\s\S]*CN¥2\.50/);
  assert.equal(await page.locator('[data-attr=left]').innerText(), 'CN¥4.50');
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('an owner re-sends the IPN of a paid CHOP charge and sees the second delivery; Chinese page', async () => {
  const response = await chop(fx().url, '/chop/chop', fx().merchant.apiKey, {
    payment_method: 'alipay',
    amount: 4200,
    currency: 'USD',
    reference: uniqueId('web'),
    ipn_url: receiver.url,
  });
  assert.equal(response.status, 200, response.text);
  const ref = idFromUrl(response.body.url);
  const qr = await waitFor(
    async () => (await fx().app.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', ref).executeTakeFirst())?.qr_code ?? undefined,
  );
  await scan(fx().url, qr, 'approve');
  await waitFor(() => receiver.received.find((r) => r.fields.id === ref));

  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, detail(ref));
  await reloadUntil(page, async () => (await page.locator('[data-attempt]').count()) === 1);
  await Promise.all([page.waitForURL(/\/resend-ipn$/), page.click('[data-action=resend]')]);
  assert.match(await page.locator('main').innerText(), new RegExp(receiver.url.replace(/[./:]/g, '\\$&')));
  await Promise.all([page.waitForURL(/\?done=ipn$/), page.getByRole('button', { name: 'Re-send now' }).click()]);
  assert.match(await page.locator('.notice-ok').innerText(), /A new IPN is on its way\./);
  await reloadUntil(page, async () => (await page.locator('[data-attempt]').count()) === 2);
  assert.equal(await page.locator('[data-notification]').count(), 2);
  assert.equal(receiver.received.filter((r) => r.fields.id === ref).length, 2);
  await screenshot(page, 'dashboard-detail-charge-ipn', { desktop: true });

  await page.goto(`${fx().url}${detail(ref)}?lang=zh`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal((await page.locator('h1').innerText()).trim(), '收款 US$42.00');
  assert.equal((await page.locator('#ipn-h').innerText()).trim(), 'IPN 通知');
  assert.equal((await page.locator('[data-action=resend]').innerText()).trim(), '重发 IPN');
  await screenshot(page, 'dashboard-detail-charge-zh', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('staff see the transaction without any action control', async () => {
  const sale = await posSale(fx(), 700);
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().staff, detail(sale.ref));
  assert.equal((await page.locator('h1').innerText()).trim(), 'Sale CN¥7.00');
  assert.equal((await page.locator('[data-event]').count()) >= 3, true);
  const controls = page.locator(
    '[data-action], form[data-confirm], form[data-refund-form], a[href$="/refund"], a[href$="/void"], a[href$="/cancel"], a[href$="/resend-ipn"]',
  );
  assert.equal(await controls.count(), 0);
  await screenshot(page, 'dashboard-detail-staff', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test("another merchant's owner gets the 404 page for A's transaction", async () => {
  const sale = await posSale(fx(), 600);
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().otherOwner, detail(sale.ref));
  assert.equal((await page.locator('h1').innerText()).trim(), 'Not found');
  const response = await page.goto(`${fx().url}${detail(sale.ref)}`);
  assert.equal(response?.status(), 404);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Not found');
  assert.equal(await page.locator('[data-attr]').count(), 0);
  assert.equal((await page.goto(`${fx().url}${detail(sale.ref)}/refund`))?.status(), 404);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
