/**
 * The operator console in headless Chromium: the merchant list, enabling a
 * gateway through the checkboxes (the POS API follows), storing live
 * credentials (never shown back) and a refused set, creating a merchant with
 * its one-time key, and a merchant owner finding no console. No CSP
 * violations, no requests anywhere but CanCan.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot, useBrowser, watchPage, assertOnlyOwnRequests } from '../support/browser.js';
import { call, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { signIn, useDashboardApp } from '../support/dashboard.js';

const chromium = useBrowser();
const fx = useDashboardApp('sqlite');

const LINEPAY_TH = { payment_gateway: 'linepay_th_domestic', currency: 'THB', payment_auth_key: '081149423436' };

/** Clicks a submit button and waits for the page the form leads to. */
async function submit(page: Page, button: string, landsOn: (url: URL) => boolean): Promise<void> {
  await Promise.all([page.waitForURL(landsOn), page.getByRole('button', { name: button }).click()]);
}

async function sale(key: string, overrides: Record<string, unknown>): Promise<{ id: string; status: number }> {
  const id = uniqueId('op-ui');
  const response = await call(fx().url, 'POST', '/api/v2/transactions', { key, body: saleBody(id, 1000, overrides) });
  return { id, status: response.status };
}

test('the operator enables a gateway and stores live credentials on a merchant', async () => {
  const { merchant } = fx();
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().operator, '/dashboard/merchants');
  assert.equal(await page.locator('h1').textContent(), 'Merchants');
  assert.equal(await page.locator(`a[href="/dashboard/merchants/${fx().other.id}"]`).count(), 1);
  await screenshot(page, 'dashboard-operator-merchants', { desktop: true });

  await Promise.all([page.waitForURL((url) => url.pathname.endsWith(merchant.id)), page.locator(`a[href="/dashboard/merchants/${merchant.id}"]`).click()]);
  const box = page.locator('#gw-linepay_th_domestic');
  await box.uncheck();
  await submit(page, 'Save gateways', (url) => url.searchParams.get('done') === 'gateways');
  assert.equal(await box.isChecked(), false);
  assert.equal((await sale(merchant.apiKey, LINEPAY_TH)).status, 403);

  await box.check();
  await submit(page, 'Save gateways', (url) => url.searchParams.get('done') === 'gateways');
  assert.equal(await page.locator('.notice-ok').textContent(), 'Gateways and payment methods saved.');
  assert.equal(await box.isChecked(), true);
  const accepted = await sale(merchant.apiKey, LINEPAY_TH);
  assert.equal(accepted.status, 201);
  assert.equal((await waitFinal(fx().url, merchant.apiKey, accepted.id)).body.data.attributes.state, 'succeeded');
  await screenshot(page, 'dashboard-operator-merchant', { desktop: true });

  const secrets = { channelId: '1657000042', channelSecret: 'line-s3cret-9f8e7d6c5b4a' };
  await page.locator('#credentials-linepay').fill(JSON.stringify({ ...secrets, authScheme: 'v4' }));
  await submit(page, 'Store LINE Pay credentials', (url) => url.searchParams.get('done') === 'credentials-linepay');
  assert.match((await page.locator('.notice-ok').textContent()) ?? '', /LINE Pay credentials stored/);
  assert.equal(await page.locator('#credentials-linepay').inputValue(), '');
  assert.match((await page.locator('#credentials-linepay-form [data-credentials-status]').textContent()) ?? '', /^Set on \d{4}-/);
  const html = await page.content();
  for (const value of Object.values(secrets)) assert.ok(!html.includes(value), `the page does not show ${value}`);

  const refused = { appId: 'ali-visible-app-2718' };
  await page.locator('#credentials-alipay').fill(JSON.stringify(refused));
  await submit(page, 'Store Alipay credentials', (url) => url.pathname.endsWith('/credentials/alipay'));
  assert.match(await page.locator('#credentials-alipay-error').innerText(), /alipayPublicKeyPem is required/);
  assert.equal(await page.locator('#credentials-alipay').inputValue(), '');
  assert.ok(!(await page.content()).includes(refused.appId));
  await page.locator('#credentials-alipay').scrollIntoViewIfNeeded();
  await screenshot(page, 'dashboard-operator-credentials-error', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('the operator creates a merchant and sees its test key once', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().operator, '/dashboard/merchants');
  const name = `Tea House ${uniqueId()}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.locator('#new-timezone').selectOption('Asia/Bangkok');
  for (const code of ['wechatpay_international', 'alipay_cn_domestic', 'alipay_international', 'linepay_tw_domestic', 'cc', 'upop'])
    await page.locator(`#new-gw-${code}`).uncheck();
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Create merchant' }).click()]);
  await page.locator('h1', { hasText: 'Merchant created' }).waitFor();
  const apiKey = (await page.locator('[data-api-key]').textContent()) ?? '';
  assert.match(apiKey, /^sk_test_[A-Za-z0-9_-]+$/);
  await screenshot(page, 'dashboard-operator-new-merchant', { desktop: true });

  assert.equal((await sale(apiKey, { payment_gateway: 'wechatpay_cn_domestic' })).status, 201);
  assert.equal((await sale(apiKey, LINEPAY_TH)).status, 201);
  assert.equal((await sale(apiKey, { payment_gateway: 'wechatpay_international', currency: 'USD' })).status, 403, 'unchecked at creation');
  await Promise.all([page.waitForURL((url) => /\/merchants\/mch_/.test(url.pathname)), page.getByRole('link', { name: 'Open the merchant' }).click()]);
  assert.equal(await page.locator('h1').textContent(), name);
  assert.ok(!(await page.content()).includes(apiKey), 'the key is not shown again');
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('a merchant owner finds no operator console (404)', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner);
  const response = await page.goto(`${fx().url}/dashboard/merchants`);
  assert.equal(response?.status(), 404);
  assert.equal(await page.locator('h1').textContent(), 'Not found');
  assert.equal(await page.locator('nav a[href="/dashboard/merchants"]').count(), 0);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
