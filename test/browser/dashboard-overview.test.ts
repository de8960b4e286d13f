/**
 * The overview in headless Chromium: charts drawn as accessible SVG images
 * with their data one click away, links to the filtered transactions, no
 * horizontal scrolling on a phone, Chinese, and the strict CSP holding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DESKTOP, PHONE, screenshot, useBrowser, watchPage, assertOnlyOwnRequests, assertNoHorizontalScroll } from '../support/browser.js';
import { posSale, signIn, useDashboardApp } from '../support/dashboard.js';

const chromium = useBrowser();
const fx = useDashboardApp();

test('the owner sees the figures and charts; phone and desktop fit; data and links are reachable', async () => {
  // Three currencies and a refused sale, so every chart has something to draw.
  for (const [amount, overrides] of [
    [1000, {}],
    [2500, { payment_gateway: 'alipay_cn_domestic', payment_auth_key: '286543210987654321' }],
    [1051, {}],
    [500, { payment_gateway: 'wechatpay_international', currency: 'USD' }],
    [12000, { payment_gateway: 'linepay_th_domestic', payment_auth_key: '081149423436', currency: 'THB' }],
  ] as const)
    await posSale(fx(), amount, overrides);

  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner);
  assert.equal(new URL(page.url()).pathname, '/dashboard');
  assert.equal(await page.locator('[data-period="today"] [data-success-rate]').innerText(), '80.0%');

  const cny = page.getByRole('img', { name: 'Daily volume in CNY, last 30 days' });
  await cny.waitFor();
  assert.ok(await cny.isVisible());
  assert.equal(await page.locator('svg[role=img]').count(), 5, 'three daily charts, gateways, states');
  const box = await cny.boundingBox();
  assert.ok(box && box.width > 300 && box.width <= PHONE.width, `the chart fits the phone (${box?.width}px)`);
  await assertNoHorizontalScroll(page);

  // The figures behind a chart, for anyone who cannot see it.
  const figure = page.locator('[data-daily="CNY"]');
  assert.equal(await figure.locator('table').isVisible(), false);
  await figure.getByText('Show data').click();
  assert.ok(await figure.locator('table').isVisible());
  assert.match(await figure.locator('tbody tr').last().innerText(), /CN¥35\.00/);

  const link = page.locator('tr[data-gateway="alipay_cn_domestic"] td[data-period="month"] a');
  assert.match((await link.getAttribute('href')) ?? '', /^\/dashboard\/transactions\?gateway=alipay_cn_domestic&state=succeeded&from=\d{4}-\d\d-\d\d$/);
  await screenshot(page, 'dashboard-overview', { desktop: true });

  await page.setViewportSize(DESKTOP);
  await assertNoHorizontalScroll(page);
  await page.setViewportSize(PHONE);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('Chinese overview', async () => {
  const { page } = await chromium.newPage({ locale: 'zh-CN' });
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, '/dashboard?lang=zh');
  await page.getByRole('img', { name: 'CNY 每日金额（最近 30 天）' }).waitFor();
  assert.equal(await page.locator('h1').innerText(), '概览');
  await assertNoHorizontalScroll(page);
  await screenshot(page, 'dashboard-overview-zh', { desktop: true });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
