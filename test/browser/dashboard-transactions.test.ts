/**
 * The dashboard's transactions list in headless Chromium: a sale made through
 * the POS API shows up; the filter form and the search box work without
 * scripts; the next-page link; the CSV downloads through its link; staff may
 * read; operators see every merchant; Chinese; no CSP violations and nothing fetched from other origins.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { DESKTOP, PHONE, screenshot, useBrowser, watchPage, assertOnlyOwnRequests } from '../support/browser.js';
import { posSale, signIn, useDashboardApp } from '../support/dashboard.js';

/** Screenshots the docs show (the others go to test-artifacts/). */
const DOC_SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

const chromium = useBrowser();
const fx = useDashboardApp('sqlite');

const shownRefs = (page: Page): Promise<string[]> => page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-ref') ?? ''));

async function submitFilters(page: Page): Promise<void> {
  await Promise.all([page.waitForURL(/\/dashboard\/transactions\?/), page.getByRole('button', { name: 'Filter' }).click()]);
}

test('the owner lists, filters, searches, pages and exports transactions', async () => {
  const sale = await posSale(fx(), 1000, { pos_id: 'LANE-7', mch_level_1: 'north' });
  const failed = await posSale(fx(), 1051);
  const third = await posSale(fx(), 2000);
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, '/dashboard/transactions');
  assert.equal(new URL(page.url()).pathname, '/dashboard/transactions');

  assert.deepEqual(await shownRefs(page), [third.ref, failed.ref, sale.ref], 'newest first');
  const link = page.getByRole('link', { name: sale.id, exact: true });
  assert.equal(await link.getAttribute('href'), `/dashboard/transactions/${sale.ref}`);
  assert.match(await page.locator(`tr[data-ref="${sale.ref}"]`).innerText(), /CN¥10\.00/);
  await screenshot(page, 'dashboard-transactions', { desktop: true });
  await link.focus();
  assert.equal(await link.evaluate((element) => element === document.activeElement), true, 'the row link takes the keyboard focus');

  await page.getByLabel('State', { exact: true }).selectOption('failed');
  await submitFilters(page);
  assert.equal(new URL(page.url()).searchParams.get('state'), 'failed');
  assert.deepEqual(await shownRefs(page), [failed.ref]);

  await page.getByLabel('State', { exact: true }).selectOption('');
  await page.getByLabel(/^Search/).fill(sale.ref);
  await submitFilters(page);
  assert.deepEqual(await shownRefs(page), [sale.ref]);
  // The start of the POS transaction id, and an amount as the list shows it.
  await page.getByLabel(/^Search/).fill(third.id.slice(0, -1));
  await submitFilters(page);
  assert.deepEqual(await shownRefs(page), [third.ref]);
  await page.getByLabel(/^Search/).fill('20.00');
  await submitFilters(page);
  assert.deepEqual(await shownRefs(page), [third.ref]);
  assert.match(await page.locator(`tr[data-ref="${third.ref}"]`).innerText(), /CN¥20\.00/);
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `${DOC_SHOTS}dashboard-search-amount.png`, fullPage: true });
  await page.setViewportSize(PHONE);

  await page.goto(`${fx().url}/dashboard/transactions?size=2`);
  assert.deepEqual(await shownRefs(page), [third.ref, failed.ref]);
  await Promise.all([page.waitForURL(/after=/), page.getByRole('link', { name: 'Next page' }).click()]);
  assert.deepEqual(await shownRefs(page), [sale.ref]);
  assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0, 'the last page');
  await Promise.all([page.waitForURL((url) => !url.search.includes('after=')), page.getByRole('link', { name: 'First page' }).click()]);
  assert.deepEqual(await shownRefs(page), [third.ref, failed.ref]);

  await page.goto(`${fx().url}/dashboard/transactions?pos_id=LANE-7`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  assert.match(download.suggestedFilename(), /^cancan-transactions-test-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = (await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, '');
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines[0]?.split(',')[0], 'created_at');
  assert.equal(lines.length, 2, 'the header and the one LANE-7 sale');
  assert.ok(lines[1]?.includes(sale.ref) && lines[1].includes(sale.id) && lines[1].includes(',10.00,CNY,'), lines[1]);

  await page.goto(`${fx().url}/dashboard/transactions?q=no-such-transaction`);
  assert.match(await page.locator('main').innerText(), /No transactions match these filters\./);
  await screenshot(page, 'dashboard-transactions-empty', { desktop: true });

  const bad = await page.goto(`${fx().url}/dashboard/transactions?from=2024-02-30&state=lost`);
  assert.equal(bad?.status(), 400);
  assert.match(await page.getByRole('alert').innerText(), /Some filters are not valid/);
  assert.equal(await page.getByLabel('From', { exact: false }).getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'dashboard-transactions-invalid', { desktop: true });

  await page.goto(`${fx().url}/dashboard/transactions?lang=zh`);
  assert.equal(await page.locator('h1').innerText(), '交易');
  assert.equal(await page.getByRole('link', { name: '导出 CSV' }).count(), 1);
  assert.match(await page.locator(`tr[data-ref="${sale.ref}"]`).innerText(), /成功/);
  assert.match(await page.locator(`tr[data-ref="${sale.ref}"]`).innerText(), /¥10\.00/, 'the yuan as Chinese readers write it');
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `${DOC_SHOTS}dashboard-money-zh.png`, fullPage: true });
  await page.setViewportSize(PHONE);
  await screenshot(page, 'dashboard-transactions-zh', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('staff see the same list, read-only', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().staff, '/dashboard/transactions');
  assert.ok((await shownRefs(page)).length >= 3, 'the sales of the first test');
  assert.equal(await page.locator('form[method=post]:not(.mode-toggle)').count(), 1, 'only the sign-out form (and the mode toggle, a view choice)');
  assert.equal(await page.getByRole('link', { name: 'Export CSV' }).count(), 1);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test("the operator sees every merchant's rows with a Merchant column", async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().operator, '/dashboard/transactions');
  assert.equal(await page.getByRole('columnheader', { name: 'Merchant' }).count(), 1);
  assert.ok((await shownRefs(page)).length >= 3);
  await page.getByLabel('Merchant', { exact: true }).selectOption(fx().other.id);
  await submitFilters(page);
  assert.deepEqual(await shownRefs(page), [], 'merchant B has no transactions');
  assert.match(await page.locator('main').innerText(), /No transactions match these filters\./);
  await page.goto(`${fx().url}/dashboard/transactions`);
  await screenshot(page, 'dashboard-transactions-operator', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
