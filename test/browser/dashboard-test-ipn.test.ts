/**
 * "Send test IPN" in headless Chromium: the owner sends a sample IPN to a
 * local receiver and reads the outcome; a receiver that is down is said in
 * an error notice tied to the field; the page fits a phone and makes no
 * request elsewhere. Staff see no form.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type IpnReceiver, startIpnReceiver, waitFor } from '../support/chop.js';
import { DESKTOP, PHONE, assertNoHorizontalScroll, assertOnlyOwnRequests, screenshot, useBrowser, watchPage } from '../support/browser.js';
import { signIn, useDashboardApp } from '../support/dashboard.js';
import { freePort } from '../support/process.js';

const chromium = useBrowser();
// The receiver listens on 127.0.0.1.
const fx = useDashboardApp('sqlite', { CANCAN_ALLOW_PRIVATE_URLS: 'on' });
let receiver: IpnReceiver;
before(async () => {
  receiver = await startIpnReceiver();
});
after(() => receiver.close());

/** The seed's verification: md5 of the sorted `k=v&` of the named fields and `fields`, then `token=`. */
function seedSign(post: Record<string, string>, token: string): string {
  const data: Record<string, string> = { fields: post.fields ?? '' };
  for (const name of (post.fields ?? '').split(',')) if (name !== '') data[name] = post[name] ?? '';
  const flat = Object.keys(data)
    .sort()
    .map((key) => `${key}=${data[key]}&`)
    .join('');
  return createHash('md5').update(`${flat}token=${token}`).digest('hex');
}

test('an owner sends a test IPN and sees it delivered, then sees why one to a closed port was not', async () => {
  const { page } = await chromium.newPage();
  const watch = watchPage(page);
  await signIn(page, fx().url, fx().owner, '/dashboard/developers');
  const field = page.getByLabel(/^IPN URL/);
  await field.fill(receiver.url);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Send test IPN' }).click()]);
  assert.match(
    await page.locator('[data-test-ipn-result="delivered"] .notice-ok').innerText(),
    /^Delivered to http:\/\/127\.0\.0\.1:\d+\/ipn: your receiver answered HTTP 200 in \d+ ms\.$/,
  );
  const ipn = await waitFor(() => receiver.received[0]);
  assert.equal(ipn.fields.sign, seedSign(ipn.fields, fx().merchant.apiKey));
  assert.equal(ipn.fields.livemode, 'false');
  assert.equal(await page.getByLabel(/^IPN URL/).inputValue(), receiver.url, 'the URL stays in the field');
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await assertNoHorizontalScroll(page);
  }
  await screenshot(page, 'dashboard-developers-test-ipn', { desktop: true });

  await page.getByLabel(/^IPN URL/).fill(`http://127.0.0.1:${await freePort()}/ipn`);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Send test IPN' }).click()]);
  const error = page.locator('[data-test-ipn-result="unreachable"] .notice-error');
  assert.match(await error.innerText(), /^Could not deliver to http:\/\/127\.0\.0\.1:\d+\/ipn: .*ECONNREFUSED/);
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.equal(await page.getByLabel(/^IPN URL/).getAttribute('aria-describedby'), 'test-ipn-result');
  await page.setViewportSize(PHONE);
  await assertNoHorizontalScroll(page);
  assert.equal(receiver.received.length, 1);
  assertOnlyOwnRequests(watch, [new URL(fx().url).origin]);
});

test('staff see the section without a form', async () => {
  const { page } = await chromium.newPage();
  await signIn(page, fx().url, fx().staff, '/dashboard/developers');
  assert.equal(await page.locator('[data-test-ipn] form').count(), 0);
  assert.equal(await page.locator('[data-test-ipn-read-only]').innerText(), 'An owner sends test IPNs.');
});
