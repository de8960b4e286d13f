/**
 * The hosted card form in headless Chromium: rendering (EN/ZH), validation
 * errors, the simulator's test cards (approve, decline, CVV mismatch, past
 * expiry), the callback's ssl_* fields, and that the card number and CVC
 * never reach a URL or a log line. Also without JavaScript.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { type PageWatch, reachCallback, screenshot, useBrowser, useCheckoutApp, watchPage } from '../support/browser.js';

const chromium = useBrowser();
const fixture = useCheckoutApp();

const APPROVE = '4111111111111111';
const DECLINE = '4000000000000002';
/** Two years ahead, so the test keeps working as time passes. */
const FUTURE = { mm: '12', yy: String((new Date().getUTCFullYear() + 2) % 100).padStart(2, '0') };
const FUTURE_EXPIRY = `${FUTURE.mm}/${FUTURE.yy}`;

interface CardInput {
  number: string;
  expiry: string;
  cvc: string;
  name: string;
  postalCode?: string;
}

async function fillCard(page: Page, card: CardInput): Promise<void> {
  await page.fill('#card-number', card.number);
  await page.fill('#card-expiry', card.expiry);
  await page.fill('#card-cvc', card.cvc);
  await page.fill('#card-name', card.name);
  if (card.postalCode !== undefined) await page.fill('#card-postal_code', card.postalCode);
}

/** The secrets must not travel in any URL, the callback's included, nor land in the server's logs. */
function assertCardSecretsKept(watch: PageWatch, card: CardInput): void {
  const digits = card.number.replace(/\D/g, '');
  const { app, callbacks } = fixture();
  for (const url of [...watch.requests, ...callbacks.hits.map((h) => h.url)]) {
    assert.ok(!url.replace(/%20|\+|\s/g, '').includes(digits), `no card number in ${url}`);
    assert.ok(!new URL(url).searchParams.has('cvc') && !new URL(url).searchParams.has('number'), `no card fields in ${url}`);
  }
  assert.ok(!app.logs.some((line) => line.includes(digits)), 'no card number in the server logs');
  assert.deepEqual(watch.foreignRequests([new URL(app.url).origin, callbacks.origin]), []);
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.cspViolations(), []);
}

async function openCardPage(options: { callbacks?: boolean; lang?: string; javaScriptEnabled?: boolean; amount?: string } = {}) {
  const reference = `card-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const charge = await fixture().charge(
    { payment_method: 'cc', amount: options.amount ?? '2599', currency: 'USD', reference },
    { callbacks: options.callbacks ?? true },
  );
  const { page } = await chromium.newPage(options.javaScriptEnabled === false ? { javaScriptEnabled: false } : {});
  const watch = watchPage(page);
  const response = await page.goto(`${charge.url}${options.lang ? `&lang=${options.lang}` : ''}`);
  assert.equal(response?.status(), 200);
  return { charge, reference, page, watch };
}

test('card form: fields, labels and amount, in English and Chinese', async () => {
  const { page, charge, watch } = await openCardPage();
  for (const id of ['card-number', 'card-expiry', 'card-cvc', 'card-name', 'card-postal_code']) {
    assert.equal(await page.locator(`label[for=${id}]`).count(), 1, `#${id} has a label`);
    assert.equal(await page.locator(`#${id}`).count(), 1);
  }
  assert.equal(await page.getAttribute('#card-expiry', 'placeholder'), 'MM/YY');
  assert.equal(await page.getAttribute('#card-number', 'autocomplete'), 'cc-number');
  assert.equal((await page.locator('[data-amount]').textContent())?.trim(), '$25.99');
  assert.equal((await page.locator('[data-pay-card]').textContent())?.trim(), 'Pay $25.99');
  assert.equal(await page.locator('[data-qr]').count(), 0, 'no QR for cards');
  assert.equal(await page.locator('[data-sandbox]').count(), 0, 'no wallet sandbox buttons for cards');
  await page.waitForFunction(() => /^\d\d:\d\d$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''));
  await screenshot(page, 'card-form-en', { desktop: true });

  await page.goto(`${charge.url}&lang=zh`);
  const text = await page.locator('main').innerText();
  for (const words of ['卡号', '有效期 (MM/YY)', '安全码 (CVC)', '持卡人姓名', '邮政编码', '支付 US$25.99'])
    assert.ok(text.includes(words), `the page says ${words}`);
  await screenshot(page, 'card-form-zh');
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.cspViolations(), []);
});

test('card form validation: errors per field, card number and CVC never echoed, then a corrected form pays', async () => {
  const { page, reference, charge, watch } = await openCardPage();
  const submitted = page.waitForResponse((response) => response.url().endsWith('/chop/landing/card'));
  await page.click('[data-pay-card]');
  assert.equal((await submitted).status(), 422);
  await page.waitForSelector('[role=alert]');
  assert.match((await page.locator('[role=alert]').textContent()) ?? '', /Please check the highlighted fields/);
  for (const [id, message] of [
    ['number', /Enter the card number/],
    ['expiry', /Enter the expiry date/],
    ['cvc', /Enter the security code/],
    ['name', /Enter the name on the card/],
  ] as const) {
    assert.equal(await page.getAttribute(`#card-${id}`, 'aria-invalid'), 'true', `${id} is marked invalid`);
    assert.match((await page.locator(`#card-${id}-error`).textContent()) ?? '', message);
  }
  assert.equal(await page.getAttribute('#card-postal_code', 'aria-invalid'), null, 'an empty postal code is fine');
  await screenshot(page, 'card-form-errors', { desktop: true });

  // A mistyped number, a 13th month and a short CVC: the name and expiry are kept, the number and CVC are not.
  await fillCard(page, { number: '4111 1111 1111 1112', expiry: '13/30', cvc: '12', name: 'Mei Chen', postalCode: 'V6B 1A1' });
  await page.click('[data-pay-card]');
  await page.waitForSelector('#card-number-error');
  assert.match((await page.locator('#card-number-error').textContent()) ?? '', /not valid/);
  assert.match((await page.locator('#card-expiry-error').textContent()) ?? '', /month from 01 to 12/);
  assert.match((await page.locator('#card-cvc-error').textContent()) ?? '', /3 or 4 digits/);
  assert.equal(await page.inputValue('#card-number'), '');
  assert.equal(await page.inputValue('#card-cvc'), '');
  assert.equal(await page.inputValue('#card-name'), 'Mei Chen');
  assert.equal(await page.inputValue('#card-expiry'), '13/30');
  assert.equal(await page.inputValue('#card-postal_code'), 'V6B 1A1');
  assert.ok(!(await page.content()).includes('4111 1111 1111 1112'), 'the number is not in the page');
  await screenshot(page, 'card-form-errors-invalid-values');

  const card = {
    number: `${APPROVE.slice(0, 4)} ${APPROVE.slice(4, 8)} ${APPROVE.slice(8, 12)} ${APPROVE.slice(12)}`,
    expiry: FUTURE_EXPIRY,
    cvc: '123',
    name: 'Mei Chen',
  };
  await fillCard(page, card);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('merchant_reference'), reference);
  assert.equal(query.get('ssl_result'), '0');
  assertCardSecretsKept(watch, card);
});

test('card approved (4111…): success callback with the ssl_* card fields, masked number, no CVC', async () => {
  const { page, reference, charge, watch } = await openCardPage();
  const card = { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '737', name: 'Alex Doe', postalCode: '94107' };
  await fillCard(page, card);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assert.equal(query.get('merchant_reference'), reference);
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('ssl_amount'), '2599');
  assert.equal(query.get('ssl_result'), '0');
  assert.equal(query.get('ssl_card_number'), '4111xxxxxxxx1111');
  assert.equal(query.get('ssl_exp_date'), `${FUTURE.mm}${FUTURE.yy}`);
  assert.match(query.get('ssl_txn_id') ?? '', /\S/);
  assert.match(query.get('ssl_approval_code') ?? '', /^\w+$/);
  assert.equal(query.get('ssl_cvv2_response'), 'M');
  assert.match(query.get('ssl_txn_time') ?? '', /\d/);
  const search = new URL(page.url()).search;
  // A random token may contain 737: the CVC must not be any parameter's value, nor the full number anywhere.
  assert.ok(!search.includes(APPROVE), 'the full number is not in the callback URL');
  assert.deepEqual(
    [...query.entries()].filter(([, value]) => value === '737'),
    [],
    'the CVC is no parameter of the callback URL',
  );
  await screenshot(page, 'card-approved-callback', { desktop: true });
  assertCardSecretsKept(watch, card);
});

test('card declined (4000…0002): fail callback with a non-zero ssl_result and no approval code', async () => {
  const { page, charge, watch } = await openCardPage();
  const card = { number: DECLINE, expiry: FUTURE_EXPIRY, cvc: '123', name: 'Alex Doe' };
  await fillCard(page, card);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'fail');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/);
  assert.equal(query.get('ssl_card_number'), '4000xxxxxxxx0002');
  assert.equal(query.get('ssl_approval_code'), null);
  await screenshot(page, 'card-declined-callback');
  assertCardSecretsKept(watch, card);
});

test('card CVC 000: CVV mismatch decline → fail callback with ssl_cvv2_response N', async () => {
  const { page, charge, watch } = await openCardPage();
  const card = { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '000', name: 'Alex Doe' };
  await fillCard(page, card);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'fail');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/);
  assert.equal(query.get('ssl_cvv2_response'), 'N');
  assert.equal(query.get('ssl_card_number'), '4111xxxxxxxx1111');
  assert.ok(!new URL(page.url()).search.includes(APPROVE));
  await screenshot(page, 'card-cvv-mismatch-callback');
  assertCardSecretsKept(watch, card);
});

test('card with a past expiry: the form accepts MM/YY, the acquirer declines it → fail callback', async () => {
  const { page, charge, watch } = await openCardPage();
  const card = { number: APPROVE, expiry: '01/20', cvc: '123', name: 'Alex Doe' };
  await fillCard(page, card);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'fail');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/);
  assert.equal(query.get('ssl_exp_date'), '0120');
  assertCardSecretsKept(watch, card);
});

test('card form without JavaScript: submitting reaches the callback', async () => {
  const { page, charge, watch } = await openCardPage({ javaScriptEnabled: false });
  // Without the script the countdown shows the server's expiry time.
  assert.match((await page.locator('[data-countdown]').textContent()) ?? '', /UTC/);
  const card = { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '123', name: 'No Script' };
  await fillCard(page, card);
  await screenshot(page, 'card-form-no-js');
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('ssl_result'), '0');
  assertCardSecretsKept(watch, card);
});

test('card without callback URLs: CanCan result pages for approved and declined cards; a paid page cannot be paid again', async () => {
  const approved = await openCardPage({ callbacks: false });
  await fillCard(approved.page, { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '123', name: 'Alex Doe' });
  await approved.page.click('[data-pay-card]');
  await approved.page.waitForURL((url) => url.pathname === '/chop/result');
  assert.equal(await approved.page.locator('[role=status]').getAttribute('data-state'), 'succeeded');
  assert.match(await approved.page.locator('main').innerText(), /Payment received/);
  await screenshot(approved.page, 'card-approved-result', { desktop: true });
  // Back to the landing URL: a final charge goes straight to its result.
  await approved.page.goto(approved.charge.url);
  assert.equal(new URL(approved.page.url()).pathname, '/chop/result');

  const declined = await openCardPage({ callbacks: false, lang: 'zh' });
  await fillCard(declined.page, { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '000', name: 'Alex Doe' });
  await declined.page.click('[data-pay-card]');
  await declined.page.waitForURL((url) => url.pathname === '/chop/result');
  assert.equal(await declined.page.locator('[role=status]').getAttribute('data-state'), 'failed');
  assert.match(await declined.page.locator('main').innerText(), /支付未成功/);
  await screenshot(declined.page, 'card-cvv-mismatch-result-zh');
});
