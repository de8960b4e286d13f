/**
 * Branded checkout in headless Chromium: two merchants with different
 * templates, every page state (wallet QR, card form, UnionPay redirect,
 * success, failure, expired) shows its merchant's logo, colours and words,
 * with no CSP violation and nothing from another origin; the sandbox buttons
 * keep CanCan's colours. Screenshots go to docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { changeBranding } from '../../src/core/checkout-branding.js';
import { CHOP_METHODS, DESKTOP, PHONE, assertOnlyOwnRequests, createChopCharge, useBrowser, useCheckoutApp, watchPage } from '../support/browser.js';
import type { TestMerchant } from '../support/harness.js';
import { png } from '../support/images.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

// Long enough to photograph the live pages, short enough to see the "expired" page in the same run.
const EXPIRY_MS = 20_000;
const chromium = useBrowser();
const fixture = useCheckoutApp({ CANCAN_CHECKOUT_EXPIRY_MS: String(EXPIRY_MS) });
const SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

interface Shop {
  readonly key: string;
  merchant: TestMerchant;
  readonly name: string;
  readonly line: string;
  readonly link: string;
  readonly brand: string;
  readonly background: string;
  readonly input: Record<string, string>;
  readonly logoSize: { width: number; height: number };
  readonly logoColour: [number, number, number];
}

const SHOPS: Shop[] = [
  {
    key: 'lotus',
    merchant: { id: '', apiKey: '' },
    name: 'Lotus Tea House',
    line: 'Fresh tea since 1999',
    link: 'Terms',
    brand: 'rgb(15, 118, 110)',
    background: 'rgb(236, 253, 245)',
    input: {
      brandColor: '#0f766e',
      buttonTextColor: '#ffffff',
      accentColor: '#0f766e',
      backgroundColor: '#ecfdf5',
      backgroundTextColor: '#064e3b',
      corners: 'pill',
    },
    logoSize: { width: 240, height: 80 },
    logoColour: [15, 118, 110],
  },
  {
    key: 'ember',
    merchant: { id: '', apiKey: '' },
    name: 'Ember Outfitters',
    line: 'Gear for the long trail',
    link: 'Returns',
    brand: 'rgb(154, 52, 18)',
    background: 'rgb(28, 25, 23)',
    input: {
      brandColor: '#9a3412',
      buttonTextColor: '#ffffff',
      accentColor: '#9a3412',
      backgroundColor: '#1c1917',
      backgroundTextColor: '#fef3c7',
      corners: 'square',
    },
    logoSize: { width: 160, height: 160 },
    logoColour: [234, 88, 12],
  },
];

const CANCAN_BUTTON = 'rgb(29, 78, 216)';

/** Both merchants and their templates, made once, at the first test (after the fixture's own setup). */
let shopsReady: Promise<void> | null = null;
const setUpShops = () => (shopsReady ??= makeShops());

async function makeShops(): Promise<void> {
  const { app } = fixture();
  for (const shop of SHOPS) {
    shop.merchant = await app.merchant([...CHOP_METHODS]);
    const result = await changeBranding(
      app.app.deps.store.db,
      {
        merchantId: shop.merchant.id,
        method: '',
        actor: 'test',
        now: Date.now(),
        logo: png(shop.logoSize.width, shop.logoSize.height, shop.logoColour),
        input: {
          ...shop.input,
          displayName: shop.name,
          headerLine: shop.line,
          footerLinks: `${shop.link}|https://${shop.key}.example/${shop.link.toLowerCase()}`,
          supportEmail: `help@${shop.key}.example`,
        },
      },
      (field) => field,
    );
    assert.ok(result.ok, JSON.stringify(result));
  }
}

async function charge(shop: Shop, method: string): Promise<{ url: string; id: string }> {
  return createChopCharge(fixture().app.url, shop.merchant.apiKey, {
    payment_method: method,
    amount: '4200',
    currency: 'USD',
    reference: `${shop.key}-${method}-${Date.now().toString(36)}`,
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}-phone.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `${SHOTS}${name}-desktop.png`, fullPage: true });
  await page.setViewportSize(PHONE);
}

const colourOf = (page: Page, selector: string, property: 'backgroundColor' | 'color') =>
  page
    .locator(selector)
    .first()
    .evaluate((el, prop) => getComputedStyle(el)[prop as 'color'], property);

/** The merchant's logo (loaded, from CanCan), name, header line, footer link and background. */
async function expectBranded(page: Page, shop: Shop): Promise<void> {
  const logo = page.locator('[data-brand-logo]');
  assert.equal(await logo.getAttribute('alt'), shop.name);
  assert.match((await logo.getAttribute('src')) ?? '', /^\/chop\/assets\/logo\/[0-9a-f]{64}$/);
  await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('[data-brand-logo]')?.naturalWidth ?? 0) > 0);
  assert.equal(await logo.evaluate((img) => (img as HTMLImageElement).naturalWidth), shop.logoSize.width, 'the logo loaded');
  assert.match(await page.locator('header h1').innerText(), new RegExp(shop.name));
  assert.equal(await page.locator('[data-brand-line]').innerText(), shop.line);
  assert.equal(await page.locator('footer a', { hasText: shop.link }).count(), 1);
  assert.equal(await colourOf(page, 'body', 'backgroundColor'), shop.background);
  assert.match(await page.locator('footer').innerText(), /Secured by CanCan|CanCan 安全支付/);
}

/** The sandbox buttons are CanCan's, whatever the merchant's colours. */
async function expectSandboxUnbranded(page: Page): Promise<void> {
  assert.equal(await colourOf(page, '[data-sandbox=approve]', 'backgroundColor'), CANCAN_BUTTON);
}

for (const shop of SHOPS) {
  test(`${shop.name}: wallet QR, card form and UnionPay redirect carry the template (en and zh)`, async () => {
    await setUpShops();
    const { page } = await chromium.newPage();
    const watch = watchPage(page);

    await page.goto((await charge(shop, 'alipay')).url);
    assert.equal(await page.locator('[data-qr] svg').count(), 1);
    await expectBranded(page, shop);
    assert.equal(await colourOf(page, '[data-amount]', 'color'), shop.brand, 'the amount takes the accent colour');
    await expectSandboxUnbranded(page);
    await shoot(page, `branding-${shop.key}-wallet`);
    await page.locator('header .lang').click();
    await page.waitForURL((url) => url.searchParams.get('lang') === 'zh');
    assert.match(await page.locator('main').innerText(), /请使用支付宝扫码支付/);
    await expectBranded(page, shop);
    await shoot(page, `branding-${shop.key}-wallet-zh`);

    await page.goto((await charge(shop, 'cc')).url);
    await expectBranded(page, shop);
    assert.equal(await colourOf(page, '[data-pay-card]', 'backgroundColor'), shop.brand, 'the pay button takes the brand colour');
    await shoot(page, `branding-${shop.key}-card`);

    await page.goto((await charge(shop, 'upop')).url);
    await expectBranded(page, shop);
    assert.equal(await colourOf(page, '[data-pay-redirect]', 'backgroundColor'), shop.brand);
    await expectSandboxUnbranded(page);
    await shoot(page, `branding-${shop.key}-unionpay`);

    const { app, callbacks } = fixture();
    assertOnlyOwnRequests(watch, [new URL(app.url).origin, callbacks.origin]);
  });

  test(`${shop.name}: success, failure and expired result pages carry the template`, async () => {
    await setUpShops();
    const expiring = await charge(shop, 'wechatpay');
    const { page } = await chromium.newPage();
    const watch = watchPage(page);

    for (const [action, state, text] of [
      ['approve', 'succeeded', /Payment received/],
      ['decline', 'failed', /did not go through/],
    ] as const) {
      await page.goto((await charge(shop, 'alipay')).url);
      await page.click(`[data-sandbox=${action}]`);
      await page.waitForURL((url) => url.pathname === '/chop/result');
      assert.equal(await page.locator('[role=status]').getAttribute('data-state'), state);
      assert.match(await page.locator('main').innerText(), text);
      await expectBranded(page, shop);
      await shoot(page, `branding-${shop.key}-${action === 'approve' ? 'success' : 'failure'}`);
    }

    // Left alone past its deadline, the page takes the shopper to the "expired" result.
    await page.goto(expiring.url);
    await page.waitForURL((url) => url.pathname === '/chop/result', { timeout: EXPIRY_MS + WAIT_LIMIT_MS });
    assert.match(await page.locator('main').innerText(), /This payment page has expired\./);
    await expectBranded(page, shop);
    await shoot(page, `branding-${shop.key}-expired`);

    const { app, callbacks } = fixture();
    assertOnlyOwnRequests(watch, [new URL(app.url).origin, callbacks.origin]);
  });
}
