/**
 * The hosted payment page running out of time (CANCAN_CHECKOUT_EXPIRY_MS
 * shrunk to 4 s): the countdown reaches zero and the page, left alone, takes
 * the shopper to the fail callback (or CanCan's "expired" page).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reachCallback, screenshot, useBrowser, useCheckoutApp, watchPage } from '../support/browser.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const EXPIRY_MS = 4_000;
const chromium = useBrowser();
const fixture = useCheckoutApp({ CANCAN_CHECKOUT_EXPIRY_MS: String(EXPIRY_MS) });

test('unpaid wallet page expires → fail callback with a non-zero ssl_result', async () => {
  const reference = `expire-${Date.now()}`;
  const charge = await fixture().charge({ payment_method: 'wechatpay', amount: '1500', currency: 'CNY', reference });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(charge.url);
  await page.waitForFunction(() => /^00:0[0-4]$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''));
  await screenshot(page, 'wallet-expiring');
  const started = Date.now();
  const query = await reachCallback(page, fixture().callbacks, 'fail', 15_000);
  assert.ok(Date.now() - started < 12_000, 'the page noticed the expiry within a few polls');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('merchant_reference'), reference);
  assert.equal(query.get('ssl_amount'), '1500');
  assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/);
  assert.notEqual(query.get('ssl_result'), '1', 'expiry is told apart from a decline');
  const { app, callbacks } = fixture();
  assert.deepEqual(watch.foreignRequests([new URL(app.url).origin, callbacks.origin]), []);
  assert.deepEqual(watch.errors, []);
});

test('expired page without callback URLs shows CanCan\'s "expired" message; a late scan cannot pay it', async () => {
  const charge = await fixture().charge({ payment_method: 'alipay', amount: '1500', currency: 'USD' }, { callbacks: false });
  const { page } = await chromium.newPage();
  await page.goto(charge.url);
  assert.equal(await page.locator('[data-qr] svg').count(), 1);
  await page.waitForURL((url) => url.pathname === '/chop/result', { timeout: WAIT_LIMIT_MS });
  assert.equal(await page.locator('[role=status]').getAttribute('data-state'), 'failed');
  assert.match(await page.locator('main').innerText(), /This payment page has expired\./);
  await screenshot(page, 'result-expired', { desktop: true });
  await page.goto(`${charge.url}&lang=zh`);
  assert.match(await page.locator('main').innerText(), /支付页面已过期/);
  await screenshot(page, 'result-expired-zh');

  // An expired code cannot be approved afterwards.
  const { app } = fixture();
  const row = await app.app.deps.store.db.selectFrom('transactions').select(['qr_code', 'state']).where('ref', '=', charge.id).executeTakeFirstOrThrow();
  assert.equal(row.state, 'failed');
  await fetch(`${app.url}/_sandbox/wallet/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qr_code: row.qr_code, action: 'approve' }),
  });
  await page.goto(charge.url);
  assert.match(await page.locator('main').innerText(), /This payment page has expired\./);
});
