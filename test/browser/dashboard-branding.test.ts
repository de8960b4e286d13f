/**
 * The "Checkout branding" page in headless Chromium: a low-contrast choice is
 * refused with its ratio and a suggestion; a good template with an uploaded
 * logo is saved and the preview frames (every state, phone and desktop) show
 * it; a draft is previewed without saving; the CSP holds in page and frames.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DESKTOP, PHONE, assertNoHorizontalScroll, assertOnlyOwnRequests, useBrowser, watchPage } from '../support/browser.js';
import { signIn, useDashboardApp } from '../support/dashboard.js';
import { png } from '../support/images.js';

const chromium = useBrowser();
const fx = useDashboardApp();
const SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

test('an owner is refused a low-contrast pair, saves a template with a logo, and previews every state', async () => {
  const { page } = await chromium.newPage({ viewport: DESKTOP });
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, '/dashboard/branding');
  assert.equal(await page.locator('h1').innerText(), 'Checkout branding');

  await page.getByLabel('Display name').fill('Harbour Books');
  await page.getByLabel('Button colour').fill('#facc15');
  await page.getByLabel('Button text colour').fill('#ffffff');
  await Promise.all([page.waitForLoadState('load'), page.locator('[data-save]').click()]);
  assert.match(await page.locator('.notice-error').innerText(), /Nothing was saved: 1 problem\(s\) below\./);
  assert.match(
    await page.locator('#branding-button_text_color-error').innerText(),
    /#ffffff on #facc15 has a contrast of 1\.\d\d:1, below the 4\.5:1 WCAG AA minimum; try #[0-9a-f]{6}/,
  );
  assert.equal(await page.locator('#branding-button_text_color').getAttribute('aria-invalid'), 'true');

  await page.getByLabel('Button colour').fill('#1e3a8a');
  await page.getByLabel('Header line').fill('Secondhand books, first-class service');
  await page.getByLabel(/^Footer links/).fill('Returns|https://harbour.example/returns');
  await page.locator('#branding-logo').setInputFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: png(300, 90, [30, 58, 138]) });
  await Promise.all([page.waitForURL((url) => url.searchParams.get('done') === 'saved'), page.locator('[data-save]').click()]);
  assert.match(await page.locator('.notice-ok').innerText(), /Template saved/);
  assert.equal(await page.locator('[data-logo-now]').count(), 1);

  // Every state at both widths; each frame shows the saved template.
  assert.equal(await page.locator('iframe[data-frame=phone]').count(), 6);
  assert.equal(await page.locator('iframe[data-frame=desktop]').count(), 6);
  for (const state of ['wallet', 'card', 'unionpay', 'success', 'failure', 'expired']) {
    const frame = page.frameLocator(`[data-preview-state=${state}] iframe`);
    await frame.locator('[data-brand-line]').scrollIntoViewIfNeeded();
    assert.equal(await frame.locator('[data-brand-line]').innerText(), 'Secondhand books, first-class service', state);
    assert.match(await frame.locator('header h1').innerText(), /Harbour Books/, state);
    assert.equal(await frame.locator('[data-brand-logo]').count(), 1, state);
  }
  const card = page.frameLocator('[data-preview-state=card] iframe');
  assert.equal(await card.locator('[data-pay-card]').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(30, 58, 138)');
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}dashboard-branding-desktop.png`, fullPage: true });

  // A draft: previewed, not saved.
  await page.getByLabel('Button colour').fill('#7c2d12');
  await Promise.all([page.waitForURL((url) => url.pathname === '/dashboard/branding/draft'), page.locator('[data-preview-draft]').click()]);
  assert.match(await page.locator('.notice-info').first().innerText(), /Previewing unsaved values/);
  const draftCard = page.frameLocator('[data-preview-state=card] iframe');
  await draftCard.locator('[data-pay-card]').scrollIntoViewIfNeeded();
  assert.equal(await draftCard.locator('[data-pay-card]').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(124, 45, 18)');
  const stored = await fx()
    .app.app.deps.store.db.selectFrom('checkout_brandings')
    .select('template')
    .where('merchant_id', '=', fx().merchant.id)
    .executeTakeFirstOrThrow();
  assert.match(stored.template, /"brandColor":"#1e3a8a"/);

  // Chinese preview language.
  await page.goto(`${fx().url}/dashboard/branding?preview_lang=zh`);
  const zhWallet = page.frameLocator('[data-preview-state=wallet] iframe');
  assert.match(await zhWallet.locator('main').innerText(), /请使用支付宝扫码支付/);

  await page.setViewportSize(PHONE);
  await assertNoHorizontalScroll(page);
  await page.screenshot({ path: `${SHOTS}dashboard-branding-phone.png` });
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});
