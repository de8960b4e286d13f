/**
 * The hosted card form in headless Chromium: rendering (EN/ZH), validation
 * errors, the simulator's test cards (approve, decline, CVV mismatch, past
 * expiry), a decline that keeps the shopper on the form to try again (and
 * charges once), the test-mode panel, the callback's ssl_* fields, and that the card number and CVC
 * never reach a URL or a log line. Also without JavaScript.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { type PageWatch, reachCallback, screenshot, useBrowser, useCheckoutApp, watchPage } from '../support/browser.js';

/** Screenshots the docs show (the others go to test-artifacts/). */
const DOC_SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

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

/** Submits a card and waits for the form to come back with a decline (the shopper may try again). */
async function declinedOnce(page: Page, card: CardInput): Promise<string> {
  await fillCard(page, card);
  const answered = page.waitForResponse((response) => response.url().endsWith('/chop/landing/card'));
  await page.click('[data-pay-card]');
  assert.equal((await answered).status(), 402);
  const alert = page.locator('[data-decline]');
  await alert.waitFor();
  assert.equal(await page.inputValue('#card-number'), '', 'the number is not echoed');
  assert.equal(await page.inputValue('#card-cvc'), '', 'the CVC is not echoed');
  assert.equal(await page.inputValue('#card-name'), card.name, 'the name is kept');
  return (await alert.innerText()).replace(/\s+/g, ' ').trim();
}

/** The charge as stored, and what the acquirer holds under each attempt's order number. */
async function acquirerView(
  chargeId: string,
  orderNos: string[],
): Promise<{ row: { provider_order_no: string | null; checkout: string | null }; outcomes: string[] }> {
  const deps = fixture().app.app.deps;
  const row = await deps.store.db.selectFrom('transactions').selectAll().where('ref', '=', chargeId).executeTakeFirstOrThrow();
  const adapter = await deps.adapters.cardAdapterFor(row.mode, row.merchant_id);
  assert.ok(adapter);
  const outcomes = [];
  for (const orderNo of orderNos) outcomes.push((await adapter.query(orderNo)).outcome.kind);
  return { row, outcomes };
}

test('card declined (4000…0002): the shopper stays on the form with the reason, tries another card, pays once', async () => {
  const { page, charge, reference, watch } = await openCardPage();
  const declined = { number: DECLINE, expiry: FUTURE_EXPIRY, cvc: '123', name: 'Alex Doe' };
  assert.equal(
    await declinedOnce(page, declined),
    'The card was declined. No money was taken. Your bank declined this card. Try another card, or ask your bank why. You can try 2 more time(s).',
  );
  assert.equal(await page.inputValue('#card-expiry'), FUTURE_EXPIRY);
  assert.equal((await page.locator('[data-pay-card]').textContent())?.trim(), 'Pay $25.99', 'the same charge, the same amount');
  await screenshot(page, 'card-decline-retry', { desktop: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: `${DOC_SHOTS}checkout-card-decline-retry.png`, fullPage: true });

  const approved = { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '123', name: 'Alex Doe' };
  await fillCard(page, approved);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('merchant_reference'), reference);
  assert.equal(query.get('ssl_result'), '0');
  assert.equal(query.get('ssl_card_number'), '4111xxxxxxxx1111', 'the approved card, not the declined one');

  // Two sales under two invoice numbers: the first declined for good, the second paid; nothing else was approved.
  const second = `${charge.id.slice(0, 22)}-2`;
  const { row, outcomes } = await acquirerView(charge.id, [charge.id, second]);
  assert.deepEqual(outcomes, ['closed', 'paid']);
  assert.equal(row.provider_order_no, second, 'refunds go to the paid sale');
  assert.deepEqual((({ cardAttempts, lastDecline }) => ({ cardAttempts, lastDecline }))(JSON.parse(row.checkout ?? '{}') as Record<string, unknown>), {
    cardAttempts: 2,
    lastDecline: null,
  });
  assertCardSecretsKept(watch, declined);
  assertCardSecretsKept(watch, approved);
});

test('three declines end the charge: fail callback with a non-zero ssl_result and no approval code', async () => {
  const { page, charge, watch } = await openCardPage();
  const card = { number: DECLINE, expiry: FUTURE_EXPIRY, cvc: '123', name: 'Alex Doe' };
  assert.match(await declinedOnce(page, card), /You can try 2 more time\(s\)\./);
  assert.match(await declinedOnce(page, card), /This is the last try on this page\./);
  await fillCard(page, card);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'fail');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.match(query.get('ssl_result') ?? '', /^[1-9]\d*$/);
  assert.equal(query.get('ssl_card_number'), '4000xxxxxxxx0002');
  assert.equal(query.get('ssl_approval_code'), null);
  await screenshot(page, 'card-declined-callback');
  const { outcomes } = await acquirerView(charge.id, [charge.id, `${charge.id.slice(0, 22)}-2`, `${charge.id.slice(0, 22)}-3`]);
  assert.deepEqual(outcomes, ['closed', 'closed', 'closed']);
  assertCardSecretsKept(watch, card);
});

test('card CVC 000: the reason names the security code; the right CVC then pays (ssl_cvv2_response M)', async () => {
  const { page, charge, watch } = await openCardPage();
  const wrong = { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '000', name: 'Alex Doe' };
  assert.match(await declinedOnce(page, wrong), /The security code \(CVC\) did not match\. Check the 3 or 4 digits and try again\./);
  const right = { ...wrong, cvc: '123' };
  await fillCard(page, right);
  await page.click('[data-pay-card]');
  const query = await reachCallback(page, fixture().callbacks, 'ok');
  assert.equal(query.get('payment_instance_token'), charge.id);
  assert.equal(query.get('ssl_cvv2_response'), 'M');
  assert.ok(!new URL(page.url()).search.includes(APPROVE));
  assertCardSecretsKept(watch, wrong);
});

test('card with a past expiry: the form accepts MM/YY, the acquirer declines it as expired, in the shopper words', async () => {
  const { page, watch } = await openCardPage({ lang: 'zh' });
  const card = { number: APPROVE, expiry: '01/20', cvc: '123', name: 'Alex Doe' };
  assert.match(await declinedOnce(page, card), /发卡行表示该卡已过期。请检查有效期，或换一张卡。/);
  assert.equal(await page.inputValue('#card-expiry'), '01/20', 'kept, to be corrected');
  assertCardSecretsKept(watch, card);
});

test('a test-mode card page says so and lists the simulator test cards', async () => {
  const { page } = await openCardPage();
  const panel = page.locator('[data-test-mode]');
  assert.match(await panel.innerText(), /Test mode: no real money moves\./);
  assert.deepEqual(await page.locator('[data-test-card]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-test-card'))), [
    '4111111111111111',
    '5555555555554444',
    '4000000000000002',
    '4000000000009995',
  ]);
  assert.match(await panel.innerText(), /4000 0000 0000 9995 is declined for insufficient funds/);
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
  const card = { number: APPROVE, expiry: FUTURE_EXPIRY, cvc: '000', name: 'Alex Doe' };
  for (let i = 0; i < 2; i += 1) assert.match(await declinedOnce(declined.page, card), /安全码 \(CVC\) 不正确/);
  await fillCard(declined.page, card);
  await declined.page.click('[data-pay-card]');
  await declined.page.waitForURL((url) => url.pathname === '/chop/result');
  assert.equal(await declined.page.locator('[role=status]').getAttribute('data-state'), 'failed');
  assert.match(await declined.page.locator('main').innerText(), /支付未成功/);
  await screenshot(declined.page, 'card-cvv-mismatch-result-zh');
});
