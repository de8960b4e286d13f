/**
 * Dashboard sign-in in headless Chromium: the form by keyboard, the generic
 * wrong-password message, landing on the page first asked for, an expired
 * session returning there after signing in again, Chinese, sign-out, and the
 * strict CSP holding on every page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screenshot, useBrowser, watchPage, assertOnlyOwnRequests } from '../support/browser.js';
import { signIn, useDashboardApp } from '../support/dashboard.js';

const chromium = useBrowser();
const fx = useDashboardApp();

test('the form works from the keyboard and a wrong password gets the generic message', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(`${fx().url}/dashboard`);
  assert.match(new URL(page.url()).pathname, /\/dashboard\/sign-in$/);
  await screenshot(page, 'dashboard-sign-in', { desktop: true });
  // The e-mail field has focus; Tab moves to the password, Enter submits.
  await page.keyboard.type(fx().owner.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type('wrong password');
  await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
  await page.waitForSelector('.notice-error');
  assert.equal((await page.locator('.notice-error').innerText()).trim(), 'The e-mail or password is not right.');
  assert.equal(await page.getByLabel('E-mail').inputValue(), fx().owner.email, 'the e-mail is kept');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not');
  await screenshot(page, 'dashboard-sign-in-error', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('signing in lands on the page asked for; an expired session comes back to it', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(`${fx().url}/dashboard/developers`);
  await page.getByLabel('E-mail').fill(fx().owner.email);
  await page.getByLabel('Password').fill(fx().owner.password);
  await Promise.all([page.waitForURL(/\/dashboard\/developers$/), page.getByRole('button', { name: 'Sign in' }).click()]);

  await fx()
    .app.app.deps.store.db.updateTable('sessions')
    .set({ expires_at: Date.now() - 1 })
    .execute();
  await page.goto(`${fx().url}/dashboard/transactions?state=succeeded`);
  assert.match(await page.locator('.notice-info').innerText(), /Your session has ended/);
  await screenshot(page, 'dashboard-session-expired', { desktop: true });
  await page.getByLabel('E-mail').fill(fx().owner.email);
  await page.getByLabel('Password').fill(fx().owner.password);
  await Promise.all([page.waitForURL((url) => url.pathname === '/dashboard/transactions'), page.getByRole('button', { name: 'Sign in' }).click()]);
  assert.equal(new URL(page.url()).search, '?state=succeeded');
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('Chinese sign-in, the 404 page, and sign-out', async () => {
  const { page } = await chromium.newPage({ locale: 'zh-CN' });
  const watch = watchPage(page);
  await page.goto(`${fx().url}/dashboard/sign-in`);
  assert.equal(await page.locator('h1').innerText(), '登录 CanCan');
  await screenshot(page, 'dashboard-sign-in-zh', { desktop: true });
  await signIn(page, fx().url, fx().staff, '/dashboard/nothing-here');
  assert.equal(await page.locator('h1').innerText(), '未找到');
  await screenshot(page, 'dashboard-not-found-zh', { desktop: true });
  await Promise.all([page.waitForURL(/signed_out=1/), page.getByRole('button', { name: '退出' }).click()]);
  assert.match(await page.locator('.notice-ok').innerText(), /您已退出/);
  await page.goto(`${fx().url}/dashboard`);
  assert.match(new URL(page.url()).pathname, /sign-in$/, 'the session is gone');
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
