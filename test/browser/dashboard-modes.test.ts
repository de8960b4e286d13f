/**
 * The dashboard's mode toggle in headless Chromium: a merchant without a
 * live key starts in test mode under the test-mode banner; clicking Live
 * hides the banner and lists the live transaction only; clicking Test brings
 * both back. No script, no CSP violation, nothing fetched from other origins.
 *
 * The page shows test mode as long as the merchant has nothing live; the
 * live sale is made with the test key and flipped to mode 'live' in SQL:
 * a live key would call the real providers, and the dashboard only needs the
 * row to exist to show it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertNoHorizontalScroll, assertOnlyOwnRequests, screenshot, useBrowser, watchPage } from '../support/browser.js';
import { posSale, signIn, useDashboardApp } from '../support/dashboard.js';

const chromium = useBrowser();
const fx = useDashboardApp('sqlite');

const shownRefs = (page: Page): Promise<string[]> => page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-ref') ?? ''));

test('the toggle switches between test and live: the banner and the list follow', async () => {
  const testSale = await posSale(fx(), 1000);
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, '/dashboard/transactions');
  const banner = page.locator('[data-test-banner]');
  const toggle = page.getByRole('group', { name: 'Data shown: test or live' });
  const live = toggle.getByRole('button', { name: 'Live', exact: true });
  const testButton = toggle.getByRole('button', { name: 'Test', exact: true });

  // No live key and no live transaction yet: test mode.
  assert.equal(await banner.innerText(), 'Test mode: you are viewing test data. Nothing here moved real money. Switch to Live to see real payments.');
  assert.equal(await testButton.getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await shownRefs(page), [testSale.ref]);
  await assertNoHorizontalScroll(page);
  await screenshot(page, 'dashboard-mode-test', { desktop: true });

  const liveSale = await posSale(fx(), 2500);
  await fx().app.app.deps.store.db.updateTable('transactions').set({ mode: 'live' }).where('ref', '=', liveSale.ref).execute();
  await page.reload();
  assert.deepEqual(await shownRefs(page), [testSale.ref], 'the mode shown stays until the toggle changes it');

  await Promise.all([page.waitForURL(/\/dashboard\/transactions$/), live.click()]);
  await banner.waitFor({ state: 'detached' });
  assert.equal(await live.getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await shownRefs(page), [liveSale.ref]);
  await screenshot(page, 'dashboard-mode-live', { desktop: true });

  // The choice stays on every page: the overview counts the live sale only.
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.waitForURL(/\/dashboard$/);
  assert.equal(await banner.count(), 0);
  assert.match(await page.locator('section[data-period="today"] tr[data-currency="CNY"] [data-volume]').innerText(), /^CN¥25\.00$/);

  await Promise.all([page.waitForURL(/\/dashboard$/), testButton.click()]);
  await banner.waitFor({ state: 'visible' });
  assert.match(await page.locator('section[data-period="today"] tr[data-currency="CNY"] [data-volume]').innerText(), /^CN¥10\.00$/);
  await page.goto(`${fx().url}/dashboard/transactions?lang=zh`);
  assert.match(await banner.innerText(), /^测试模式：您正在查看测试数据。/);
  assert.deepEqual(await shownRefs(page), [testSale.ref]);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
