/**
 * The hosted payment page for QR wallets, in headless Chromium: the QR,
 * amount, countdown and live status; the sandbox customer approving or
 * declining (page buttons and the JSON scan endpoint); the redirect to the
 * merchant's callback with the seed's query parameters; Chinese text; the
 * UnionPay redirect flow; the not-found page; CSP and no third-party requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, type PageWatch, reachCallback, screenshot, useBrowser, useCheckoutApp, watchPage } from '../support/browser.js';

const chromium = useBrowser();
const fixture = useCheckoutApp();

/** Only CanCan and the merchant's site may be contacted: no CDN, fonts or analytics. */
function assertOwnRequestsOnly(watch: PageWatch): void {
  const { app, callbacks } = fixture();
  assert.deepEqual(watch.foreignRequests([new URL(app.url).origin, callbacks.origin]), []);
  assert.deepEqual(watch.errors, [], 'no uncaught script errors');
  assert.deepEqual(watch.cspViolations(), [], 'no Content-Security-Policy violations');
}

function assertWalletCallback(query: URLSearchParams, charge: { id: string }, reference: string, amount: string, result: 'success' | 'failure'): void {
  assert.equal(query.get('merchant_reference'), reference);
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('ssl_amount'), amount);
  if (result === 'success') assert.equal(query.get('ssl_result'), '0');
  else assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/, 'a failure has a non-zero ssl_result');
  assert.equal(query.get('ssl_card_number'), null, 'no card fields for wallets');
}

async function expectWalletPage(page: Page, amount: string, method: string): Promise<void> {
  assert.equal(await page.locator('[data-qr] svg').count(), 1, 'the QR is an inline SVG');
  assert.equal((await page.locator('[data-amount]').textContent())?.trim(), amount);
  assert.equal(await page.locator('[data-status]').getAttribute('data-state'), 'pending');
  assert.match(await page.locator('main').innerText(), new RegExp(`Scan with ${method} to pay`));
  // The script turns the countdown into minutes:seconds left.
  await page.waitForFunction(() => /^\d\d:\d\d$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''));
}

async function lastHit(path: string) {
  const hits = fixture().callbacks.hits.filter((h) => h.path === path);
  return hits.at(-1);
}

test('WeChat Pay: QR page, simulated approve → success callback with the seed parameters', async () => {
  const reference = `wx-${Date.now()}`;
  const charge = await fixture().charge({ payment_method: 'wechatpay', amount: '1234', currency: 'CNY', reference });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  const response = await page.goto(charge.url);
  assert.equal(response?.status(), 200);
  await expectWalletPage(page, 'CN¥12.34', 'WeChat Pay');
  const before = await page.locator('[data-countdown]').textContent();
  assert.match(before ?? '', /^1[45]:\d\d$/, 'about 15 minutes left');
  await screenshot(page, 'wallet-wechatpay-en', { desktop: true });

  await page.click('[data-sandbox=approve]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assertWalletCallback(query, charge, reference, '1234', 'success');
  assert.equal((await lastHit('/ok'))?.query.get('payment_instance_token'), charge.id, 'the merchant site saw the callback');
  assert.equal(await page.locator('[data-merchant]').textContent(), 'Thank you for your order');
  await screenshot(page, 'wallet-sandbox-approved-redirect', { desktop: true });
  assertOwnRequestsOnly(watch);
});

test("a wallet page on a phone: Alipay offers its app link (the order's own qr.alipay.com code); WeChat Pay has none", async () => {
  const alipay = await fixture().charge({ payment_method: 'alipay', amount: '2500', currency: 'USD', reference: `app-${Date.now()}` });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.setViewportSize(PHONE);
  await page.goto(alipay.url);
  await page.waitForSelector('[data-qr]');
  const link = page.locator('[data-open-app]');
  assert.equal(await link.isVisible(), true, 'shown on a phone');
  assert.equal((await link.textContent())?.trim(), 'Open Alipay');
  const row = await fixture().app.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', alipay.id).executeTakeFirstOrThrow();
  assert.match(row.qr_code ?? '', /^https:\/\/qr\.alipay\.com\/\w+$/);
  assert.equal(await link.getAttribute('href'), row.qr_code, 'the link is the code the QR shows');
  await screenshot(page, 'wallet-alipay-phone-app-link');
  await page.setViewportSize(DESKTOP);
  assert.equal(await link.isVisible(), false, 'a desktop scans with the phone instead');

  const wechat = await fixture().charge({ payment_method: 'wechatpay', amount: '1234', currency: 'CNY', reference: `app-wx-${Date.now()}` });
  await page.setViewportSize(PHONE);
  await page.goto(wechat.url);
  await page.waitForSelector('[data-qr]');
  assert.equal(await page.locator('[data-open-app]').count(), 0, 'WeChat Pay codes open only from its own scanner');
  assertOwnRequestsOnly(watch);
});

test('Alipay: the customer scans through the JSON sandbox endpoint while the page is open; the page redirects by itself', async () => {
  const { app, merchant, callbacks } = fixture();
  const reference = `ali-${Date.now()}`;
  const response = await fetch(`${app.url}/payment/pay_qr?format=json`, {
    method: 'POST',
    headers: { authorization: `Bearer ${merchant.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ vendor: 'alipay', amount: '2500', currency: 'USD', reference, callback_url: `${callbacks.url}/ok` }).toString(),
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { result: string; qr_code: string; id: string; url: string };
  assert.equal(body.result, 'success');
  assert.ok(body.qr_code.length > 0);

  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(body.url);
  await expectWalletPage(page, '$25.00', 'Alipay');
  await screenshot(page, 'wallet-alipay-en');

  const scan = await fetch(`${app.url}/_sandbox/wallet/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qr_code: body.qr_code, action: 'approve' }),
  });
  assert.ok(scan.ok, `the sandbox wallet accepted the scan (${scan.status} ${await scan.text()})`);
  // Nobody touches the page: its status polling must take it to the callback.
  const query = await reachCallback(page, callbacks, 'ok');
  assertWalletCallback(query, { id: body.id }, reference, '2500', 'success');
  assert.ok(
    watch.requests.some((url) => url.includes('/chop/landing/status?q=')),
    'the page polled its status',
  );
  assertOwnRequestsOnly(watch);
});

test('WeChat Pay: simulated decline → fail callback with a non-zero ssl_result', async () => {
  const reference = `wx-decline-${Date.now()}`;
  const charge = await fixture().charge({ payment_method: 'wechatpay', amount: '990', currency: 'CNY', reference });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(charge.url);
  await expectWalletPage(page, 'CN¥9.90', 'WeChat Pay');
  await page.click('[data-sandbox=decline]');
  const query = await reachCallback(page, fixture().callbacks, 'fail');
  assertWalletCallback(query, charge, reference, '990', 'failure');
  assert.equal(await page.locator('[data-merchant]').textContent(), 'Payment failed');
  await screenshot(page, 'wallet-declined-redirect');
  assertOwnRequestsOnly(watch);
});

test('without callback URLs CanCan shows its own result page: paid and declined', async () => {
  const paid = await fixture().charge({ payment_method: 'alipay', amount: '700', currency: 'USD' }, { callbacks: false });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(paid.url);
  await page.click('[data-sandbox=approve]');
  await page.waitForURL((url) => url.pathname === '/chop/result');
  assert.equal(new URL(page.url()).searchParams.get('q'), paid.id);
  assert.equal(await page.locator('[role=status]').getAttribute('data-state'), 'succeeded');
  assert.match(await page.locator('main').innerText(), /Payment received\. Thank you!/);
  await screenshot(page, 'result-paid', { desktop: true });

  const declined = await fixture().charge({ payment_method: 'wechatpay', amount: '700', currency: 'CNY' }, { callbacks: false });
  await page.goto(declined.url);
  await page.click('[data-sandbox=decline]');
  await page.waitForURL((url) => url.pathname === '/chop/result' && url.searchParams.get('q') === declined.id);
  assert.equal(await page.locator('[role=status]').getAttribute('data-state'), 'failed');
  assert.match(await page.locator('main').innerText(), /The payment did not go through\./);
  await screenshot(page, 'result-declined', { desktop: true });
  assertOwnRequestsOnly(watch);
});

test('Chinese page: ?lang=zh, and a browser that prefers Chinese', async () => {
  const charge = await fixture().charge({ payment_method: 'wechatpay', amount: '8800', currency: 'CNY' });
  // An English browser asking for ?lang=zh: the live status must stay Chinese too.
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(`${charge.url}&lang=zh`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  const text = await page.locator('main').innerText();
  for (const words of ['请使用微信支付扫码支付', '剩余时间：', '等待支付…', '模拟支付成功', '模拟拒绝支付', 'CanCan 安全支付']) {
    assert.ok(text.includes(words), `the page says ${words}`);
  }
  assert.equal((await page.locator('[data-amount]').textContent())?.trim(), '¥88.00', 'the yuan in Chinese is plain ¥');
  await page.waitForRequest((request) => request.url().includes('/chop/landing/status'));
  await page.waitForTimeout(300);
  assert.equal(await page.locator('[data-status]').textContent(), '等待支付…', 'the polled status is in Chinese too');
  await screenshot(page, 'wallet-wechatpay-zh', { desktop: true });
  // The language link goes back to English.
  await page.click('a.lang');
  await page.waitForURL((url) => url.searchParams.get('lang') === 'en');
  assert.match(await page.locator('main').innerText(), /Scan with WeChat Pay to pay/);

  const { page: chinese } = await chromium.newPage({ locale: 'zh-CN', extraHTTPHeaders: { 'accept-language': 'zh-CN,zh;q=0.9' } });
  const chineseWatch = watchPage(chinese);
  await chinese.goto(charge.url);
  assert.match(await chinese.locator('main').innerText(), /请使用微信支付扫码支付/);
  await chinese.click('[data-sandbox=decline]');
  const query = await reachCallback(chinese, fixture().callbacks, 'fail');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assertOwnRequestsOnly(watch);
  assertOwnRequestsOnly(chineseWatch);
});

test('Chinese page without callback URLs: paid by a JSON scan, the page goes to the Chinese result page', async () => {
  const { app } = fixture();
  const charge = await fixture().charge({ payment_method: 'alipay', amount: '1000', currency: 'CNY' }, { callbacks: false });
  const { page } = await chromium.newPage();
  await page.goto(`${charge.url}&lang=zh`);
  assert.match(await page.locator('main').innerText(), /请使用支付宝扫码支付/);
  const row = await app.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', charge.id).executeTakeFirstOrThrow();
  const scan = await fetch(`${app.url}/_sandbox/wallet/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qr_code: row.qr_code, action: 'approve' }),
  });
  assert.ok(scan.ok);
  await page.waitForURL((url) => url.pathname === '/chop/result');
  assert.equal(new URL(page.url()).searchParams.get('lang'), 'zh');
  assert.match(await page.locator('main').innerText(), /支付成功，谢谢！/);
  await screenshot(page, 'result-paid-zh');
});

test('AlipayHK in HKD: simulated approve → success callback', async () => {
  const reference = `hk-${Date.now()}`;
  const charge = await fixture().charge({ payment_method: 'alipay_hk', amount: '15000', currency: 'HKD', reference });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(charge.url);
  await expectWalletPage(page, 'HK$150.00', 'AlipayHK');
  await screenshot(page, 'wallet-alipay-hk-en');
  await page.click('[data-sandbox=approve]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assertWalletCallback(query, charge, reference, '15000', 'success');
  assertOwnRequestsOnly(watch);
});

test('UnionPay: continue to the UnionPay page, pay there, back to the landing page and on to the success callback', async () => {
  const reference = `upop-${Date.now()}`;
  const charge = await fixture().charge({ payment_method: 'upop', amount: '4321', currency: 'CNY', reference });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await page.goto(charge.url);
  assert.equal((await page.locator('[data-amount]').textContent())?.trim(), 'CN¥43.21');
  const button = page.locator('[data-pay-redirect]');
  assert.match((await button.textContent()) ?? '', /Continue to UnionPay/);
  await screenshot(page, 'upop-landing', { desktop: true });

  await button.click();
  await page.waitForSelector('button[value=pay]');
  assert.match(await page.locator('body').innerText(), /UnionPay online payment/);
  assert.equal(await page.locator('#amount').textContent(), '43.21 CNY');
  await screenshot(page, 'upop-simulator-page');

  const mark = watch.requests.length;
  await page.click('button[value=pay]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assertWalletCallback(query, charge, reference, '4321', 'success');
  assert.ok(
    watch.requests.slice(mark).some((url) => url.startsWith(`${fixture().app.url}/chop/landing?q=${charge.id}`)),
    'the browser came back through the landing page',
  );
  assertOwnRequestsOnly(watch);
});

test('UnionPay: decline on the UnionPay page → fail callback', async () => {
  const charge = await fixture().charge({ payment_method: 'upop', amount: '1200', currency: 'CNY' });
  const { page } = await chromium.newPage();
  await page.goto(charge.url);
  await page.click('[data-pay-redirect]');
  await page.click('button[value=decline]');
  const query = await reachCallback(page, fixture().callbacks, 'fail');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/);
});

test('unknown or malformed q → 404 page saying the payment was not found', async () => {
  const { app } = fixture();
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  for (const q of ['0123456789abcdef0123456789abcdef', 'not-an-id', '']) {
    const response = await page.goto(`${app.url}/chop/landing?q=${q}`);
    assert.equal(response?.status(), 404, `q=${q}`);
    assert.equal(await page.title(), 'Payment not found');
    assert.match(await page.locator('main').innerText(), /This payment link is not valid/);
    assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
  }
  await screenshot(page, 'not-found-en', { desktop: true });
  await page.goto(`${app.url}/chop/landing?q=0123456789abcdef0123456789abcdef&lang=zh`);
  assert.equal(await page.title(), '未找到该笔支付');
  assert.match(await page.locator('main').innerText(), /支付链接无效/);
  await screenshot(page, 'not-found-zh');
  assertOwnRequestsOnly(watch);
});

test('CSP header is strict and the wallet page runs without CSP violations or console errors', async () => {
  const charge = await fixture().charge({ payment_method: 'alipay', amount: '300', currency: 'USD' });
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  const failed: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) failed.push(`${response.status()} ${response.url()}`);
  });
  const response = await page.goto(charge.url);
  const headers = response?.headers() ?? {};
  const csp = headers['content-security-policy'] ?? '';
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.match(csp, /form-action [^;]*'self'[^;]*http:\/\/127\.0\.0\.1:\d+/, 'forms may end at the merchant callback');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  // Styles and the script applied (no CSP block): styled amount, ticking countdown, at least two status polls.
  assert.equal(await page.locator('.amount').evaluate((el) => getComputedStyle(el).fontWeight), '700');
  await page.waitForFunction(() => /^\d\d:\d\d$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''));
  await page.waitForTimeout(3_000);
  assert.ok(watch.requests.filter((url) => url.includes('/chop/landing/status')).length >= 2, 'the page keeps polling');
  assert.deepEqual(failed, [], 'no request failed');
  // Chromium's own favicon probe (the page declares no icon) logs a 404 on a browser's first page; that is not the page's doing.
  const noisy = watch.console.filter((m) => (m.type === 'error' || m.type === 'warning') && !m.url.endsWith('/favicon.ico'));
  assert.deepEqual(noisy, [], 'a quiet console');
  assertOwnRequestsOnly(watch);
});

test('wallet page without JavaScript: it refreshes itself and reaches the callback once paid', async () => {
  const { app, callbacks } = fixture();
  const charge = await fixture().charge({ payment_method: 'alipay', amount: '450', currency: 'USD' });
  const { page } = await chromium.newPage({ javaScriptEnabled: false });
  await page.goto(charge.url);
  assert.equal(await page.locator('[data-qr] svg').count(), 1);
  const qrCode = await app.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', charge.id).executeTakeFirstOrThrow();
  assert.ok(qrCode.qr_code);
  const scan = await fetch(`${app.url}/_sandbox/wallet/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qr_code: qrCode.qr_code, action: 'approve' }),
  });
  assert.ok(scan.ok);
  const query = await reachCallback(page, callbacks, 'ok', 12_000);
  assert.equal(query.get('ssl_result'), '0');
});
