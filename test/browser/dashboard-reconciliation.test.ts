/**
 * The reconciliation pages in Chromium: an owner opens Reconciliation from
 * the navigation, sees the day with its differences, opens the day and
 * follows a difference's link to the transaction it names; the CSV downloads
 * through its link. No CSP violations and nothing fetched from other origins.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { assertOnlyOwnRequests, screenshot, useBrowser, watchPage } from '../support/browser.js';
import { posSale, signIn, useDashboardApp } from '../support/dashboard.js';
import { insertRun, summaryOf } from '../support/reconciliation-rows.js';

const chromium = useBrowser();
const fx = useDashboardApp('sqlite');

const DAY = '2026-11-20';

test("an owner opens a reconciled day and follows a difference's link to its transaction", async () => {
  const f = fx();
  const db = f.app.app.deps.store.db;
  const [matched, short] = await Promise.all([posSale(f, 1000), posSale(f, 2000)]);
  const rowOf = (ref: string) => db.selectFrom('transactions').select(['seq', 'provider_order_no']).where('ref', '=', ref).executeTakeFirstOrThrow();
  const [m, s] = await Promise.all([rowOf(matched.ref), rowOf(short.ref)]);
  const orderNo = s.provider_order_no ?? short.ref;
  await insertRun(
    db,
    {
      provider: 'wechatpay',
      mode: 'test',
      merchantId: null,
      day: DAY,
      state: 'done',
      summary: summaryOf(
        [
          {
            currency: 'CNY',
            provider: { payments: 2900, refunds: 0, fees: 17, net: 2883, lines: 2 },
            cancan: { payments: 3000, refunds: 0 },
            totals_agree: true,
          },
        ],
        { matched: 1, amount_mismatch: 1 },
      ),
    },
    [
      {
        class: 'matched',
        kind: 'payment',
        merchant_id: f.merchant.id,
        transaction_seq: Number(m.seq),
        order_no: m.provider_order_no ?? matched.ref,
        currency: 'CNY',
        provider_amount: 1000,
        cancan_amount: 1000,
        fee: 6,
        net: 994,
        provider_status: 'SUCCESS',
        cancan_state: 'succeeded',
      },
      {
        class: 'amount_mismatch',
        kind: 'payment',
        merchant_id: f.merchant.id,
        transaction_seq: Number(s.seq),
        order_no: orderNo,
        currency: 'CNY',
        provider_amount: 1900,
        cancan_amount: 2000,
        fee: 11,
        net: 1889,
        provider_status: 'SUCCESS',
        cancan_state: 'succeeded',
        detail: "the provider's amount is 1900, CanCan's 2000",
      },
    ],
  );

  const { page } = await chromium.newPage({ acceptDownloads: true });
  const watch = watchPage(page);
  await signIn(page, f.url, f.owner);
  await Promise.all([page.waitForURL(/\/dashboard\/reconciliation$/), page.getByRole('link', { name: 'Reconciliation' }).click()]);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Reconciliation');
  const row = page.locator(`tr[data-day="${DAY}"][data-provider="wechatpay"]`);
  assert.equal((await row.locator('[data-result]').innerText()).trim(), '1 difference');
  assert.equal((await row.locator('[data-count="amount_mismatch"]').innerText()).trim(), '1');
  await screenshot(page, 'dashboard-reconciliation-days', { desktop: true });

  await Promise.all([page.waitForURL(new RegExp(`/dashboard/reconciliation/${DAY}/wechatpay$`)), row.getByRole('link', { name: DAY }).click()]);
  assert.equal((await page.locator('h1').innerText()).trim(), `Reconciliation: WeChat Pay · ${DAY}`);
  assert.equal((await page.locator('tr[data-currency="CNY"] [data-figure="difference"]').innerText()).trim(), '-CN¥1.00');
  const difference = page.locator('tr[data-class="amount_mismatch"]');
  assert.equal(await difference.count(), 1);
  assert.equal(await page.locator('tr[data-class="matched"]').count(), 0, 'only differences are listed');
  await screenshot(page, 'dashboard-reconciliation-day', { desktop: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-csv]').click()]);
  assert.equal(download.suggestedFilename(), `cancan-reconciliation-test-wechatpay-${DAY}.csv`);
  const csv = await readFile(await download.path(), 'utf8');
  assert.equal(csv.split('\r\n').length, 4, 'header, both items, end');

  await Promise.all([page.waitForURL(new RegExp(`/dashboard/transactions/${short.ref}$`)), difference.getByRole('link', { name: orderNo }).click()]);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Sale CN¥20.00');
  assert.equal((await page.locator('[data-attr=state] .badge').innerText()).trim(), 'Succeeded');
  assertOnlyOwnRequests(watch, [new URL(f.url).origin]);
});
