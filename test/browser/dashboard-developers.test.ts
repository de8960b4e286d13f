/**
 * The developers page in headless Chromium: creating a key in the form
 * (shown once, gone on the next visit), revoking it through the
 * confirmation page, revealing the webhook secret; phone layout without
 * horizontal scrolling and the strict CSP holding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { call } from '../support/client.js';
import { DESKTOP, PHONE, screenshot, useBrowser, watchPage, assertOnlyOwnRequests, assertNoHorizontalScroll } from '../support/browser.js';
import { signIn, useDashboardApp } from '../support/dashboard.js';

const chromium = useBrowser();
const fx = useDashboardApp();

async function assertFits(page: Page): Promise<void> {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await assertNoHorizontalScroll(page);
  }
  await page.setViewportSize(PHONE);
}

test('an owner creates a key (shown once), revokes it after confirming, and reveals the webhook secret', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, '/dashboard/developers');
  assert.equal(await page.locator('h1').innerText(), 'Developers');
  assert.match(await page.locator('[data-example="pos"]').innerText(), new RegExp(`KEY='${fx().merchant.apiKey.slice(0, 12)}…'`));
  await assertFits(page);
  await screenshot(page, 'dashboard-developers', { desktop: true });

  await page.getByLabel(/^Mode/).selectOption('test');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Create key' }).click()]);
  const secret = (await page.locator('code#new-key').innerText()).trim();
  assert.match(secret, /^sk_test_[A-Za-z0-9_-]{32}$/);
  assert.match(await page.locator('[data-new-key] .notice').innerText(), /it will not be shown again/);
  assert.equal((await call(fx().url, 'GET', '/api/v2/transactions?page[size]=1', { key: secret })).status, 200);
  await assertFits(page);
  await screenshot(page, 'dashboard-developers-new-key', { desktop: true });

  // The next visit shows the prefix only.
  await page.getByRole('link', { name: 'Developers' }).click();
  await page.waitForURL((url) => url.pathname === '/dashboard/developers');
  assert.equal(await page.locator('[data-new-key]').count(), 0);
  assert.ok(!(await page.content()).includes(secret));
  const row = page.locator('tr', { has: page.locator('code', { hasText: `${secret.slice(0, 12)}…` }) });
  assert.equal(await row.count(), 1);

  await row.getByRole('link', { name: `Revoke key ${secret.slice(0, 12)}…` }).click();
  await page.waitForURL(/\/revoke$/);
  assert.match(await page.locator('main').innerText(), /Every request made with it is refused \(401\)/);
  await screenshot(page, 'dashboard-developers-revoke-confirm', { desktop: true });
  await Promise.all([page.waitForURL(/done=revoked/), page.getByRole('button', { name: 'Revoke key' }).click()]);
  assert.match(await page.locator('.notice-ok').innerText(), /is revoked/);
  assert.equal(await row.locator('[data-status]').getAttribute('data-status'), 'revoked');
  assert.equal((await call(fx().url, 'GET', '/api/v2/transactions?page[size]=1', { key: secret })).status, 401);

  assert.equal(await page.locator('#webhook-secret').getAttribute('data-webhook-secret-hidden'), '');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Reveal secret' }).click()]);
  assert.match((await page.locator('code#webhook-secret').innerText()).trim(), /^whsec_[0-9a-f]{48}$/);
  await assertFits(page);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('staff see the page without any control', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().staff, '/dashboard/developers');
  assert.equal(await page.locator('main form').count(), 0);
  assert.equal(await page.getByRole('link', { name: /Revoke|Rotate/ }).count(), 0);
  assert.match(await page.locator('[data-read-only]').innerText(), /an owner creates and revokes keys/);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
