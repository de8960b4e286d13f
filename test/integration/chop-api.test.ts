/** The CHOP and Online APIs over real HTTP, on both databases: parameters, charges, inquire, pay_qr, lists. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiKey } from '../../src/store/merchants.js';
import { call, ledger, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitInquire } from '../support/chop.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

for (const kind of DB_KINDS) {
  describe(`CHOP API (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    before(async () => {
      t = await startTestApp(kind);
      m = await t.merchant(CHOP_METHODS);
    });
    after(() => t.close());

    const charge = (fields: Record<string, string | number> = {}, options: { json?: boolean; bare?: boolean } = {}) =>
      chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'wechatpay', amount: 1000, currency: 'USD', reference: uniqueId('order'), ...fields }, options);

    const qrOf = async (id: string): Promise<string> => {
      const row = await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst();
      if (!row?.qr_code) {
        await new Promise((r) => setTimeout(r, 50));
        return qrOf(id);
      }
      return row.qr_code;
    };

    test('a form-encoded charge with a Bearer token answers the landing URL', async () => {
      const response = await charge();
      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'success');
      const url = new URL(response.body.url);
      assert.equal(url.origin, t.url);
      assert.equal(url.pathname, '/chop/landing');
      assert.match(idFromUrl(response.body.url), /^[0-9a-f]{32}$/);
      const page = await fetch(response.body.url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.match(await page.text(), /data-qr/);
    });

    test('a JSON body and a token without "Bearer " work too', async () => {
      const response = await charge({ amount: '1200' }, { json: true, bare: true });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.result, 'success');
    });

    test('a bad token is refused with 401 in the CHOP envelope', async () => {
      const response = await chop(t.url, '/chop/chop', 'sk_test_nope', { payment_method: 'wechatpay', amount: 1, currency: 'USD', reference: 'x' });
      assert.equal(response.status, 401);
      assert.equal(response.body.result, 'fail');
      assert.equal(response.body.code, 'unauthorized');
      const none = await chop(t.url, '/chop/inquire', null, { q: 'x' });
      assert.equal(none.status, 401);
    });

    test('every missing parameter is reported at once', async () => {
      const response = await chop(t.url, '/chop/chop', m.apiKey, {});
      assert.equal(response.status, 400);
      assert.equal(response.body.result, 'fail');
      for (const name of ['payment_method', 'amount', 'currency', 'reference']) assert.match(response.body.error, new RegExp(name));
    });

    test('amounts are integers in cents; decimals and junk are refused', async () => {
      for (const amount of ['9.99', '-5', '0', '1e3', 'ten']) {
        const response = await charge({ amount });
        assert.equal(response.status, 400, amount);
        assert.equal(response.body.code, 'invalid_parameter', amount);
      }
    });

    test('trans_amount/trans_currency are accepted for any method; both names with different values conflict', async () => {
      const mixed = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'alipay_hk', trans_amount: 1000, currency: 'HKD', reference: uniqueId() });
      assert.equal(mixed.status, 200, mixed.text);
      const same = await charge({ trans_amount: 1000 });
      assert.equal(same.status, 200, same.text);
      const conflict = await charge({ trans_amount: 999 });
      assert.equal(conflict.status, 400);
      assert.equal(conflict.body.code, 'conflicting_parameters');
      assert.match(conflict.body.error, /amount \(1000\) and trans_amount \(999\)/);
    });

    test('unknown methods, disabled methods, wrong currencies and bad URLs are refused', async () => {
      assert.equal((await charge({ payment_method: 'bitcoin' })).body.code, 'invalid_parameter');
      const wrongCurrency = await charge({ payment_method: 'kakaopay', currency: 'USD' });
      assert.equal(wrongCurrency.status, 400);
      assert.equal(wrongCurrency.body.code, 'unsupported_currency');
      assert.match(wrongCurrency.body.error, /KRW/);
      const badUrl = await charge({ ipn_url: 'ftp://shop.example/ipn' });
      assert.equal(badUrl.status, 400);
      assert.match(badUrl.body.error, /ipn_url/);
      const other = await t.merchant(['alipay']);
      const disabled = await chop(t.url, '/chop/chop', other.apiKey, { payment_method: 'wechatpay', amount: 100, currency: 'USD', reference: 'r' });
      assert.equal(disabled.status, 403);
      assert.equal(disabled.body.code, 'payment_method_not_enabled');
    });

    test('the same reference answers the earlier charge unless allow_duplicates=yes', async () => {
      const reference = uniqueId('dup');
      const first = await charge({ reference });
      const again = await charge({ reference });
      assert.equal(again.body.url, first.body.url);
      const duplicate = await charge({ reference, allow_duplicates: 'yes' });
      assert.notEqual(duplicate.body.url, first.body.url);
      const bad = await charge({ reference, allow_duplicates: 'maybe' });
      assert.equal(bad.status, 400);
    });

    test('a reused reference asking for another amount, currency or method is refused and makes nothing', async () => {
      const reference = uniqueId('conflict');
      const first = await charge({ reference });
      assert.equal(first.status, 200, first.text);
      const count = async () => (await t.app.deps.store.db.selectFrom('transactions').select('seq').where('reference', '=', reference).execute()).length;
      for (const [change, named] of [
        [{ amount: 1001 }, /amount/],
        [{ currency: 'CAD' }, /currency USD/],
        [{ payment_method: 'alipay' }, /payment method wechatpay/],
      ] as const) {
        const refused = await charge({ reference, ...change });
        assert.equal(refused.status, 409, refused.text);
        assert.equal(refused.body.result, 'fail');
        assert.equal(refused.body.code, 'duplicate_reference');
        assert.match(refused.body.error, named);
      }
      assert.equal(await count(), 1);
      // The identical request is still a safe retry.
      assert.equal((await charge({ reference })).body.url, first.body.url);
    });

    test('unknown extra parameters and ext are kept with the charge', async () => {
      const response = await charge({ note: 'gift wrap', client_country: 'US', ext: encodeURIComponent(JSON.stringify({ order: 42 })) });
      const row = await t.app.deps.store.db
        .selectFrom('transactions')
        .select('checkout')
        .where('ref', '=', idFromUrl(response.body.url))
        .executeTakeFirstOrThrow();
      const checkout = JSON.parse(row.checkout ?? '{}');
      assert.deepEqual(checkout.extras, { note: 'gift wrap', client_country: 'US' });
      assert.deepEqual(JSON.parse(checkout.ext), { order: 42 });
      const badExt = await charge({ ext: '{not json' });
      assert.equal(badExt.status, 400);
      assert.match(badExt.body.error, /ext/);
    });

    test('inquire: null while payable, success once the customer pays, by id or by reference', async () => {
      const reference = uniqueId('inq');
      const created = await charge({ reference, payment_method: 'alipay' });
      const id = idFromUrl(created.body.url);
      const pending = await chop(t.url, '/chop/inquire', m.apiKey, { q: id, inquire_method: 'real' });
      assert.equal(pending.status, 200);
      assert.equal(pending.body.id, id);
      assert.equal(pending.body.type, 'charge');
      assert.equal(pending.body.notify_result, null);
      assert.equal(pending.body.payment_method, 'alipay');
      assert.equal((await scan(t.url, await qrOf(id), 'approve')).status, 200);
      const paid = await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null);
      assert.equal(paid.notify_result, 'success');
      assert.equal(paid.amount, 1000);
      assert.equal(paid.currency, 'USD');
      assert.match(String(paid.time), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      const byReference = await chop(t.url, '/chop/inquire', m.apiKey, { reference });
      assert.equal(byReference.body.id, id);
      const unknown = await chop(t.url, '/chop/inquire', m.apiKey, { q: 'f'.repeat(32) });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.result, 'fail');
    });

    test('inquire_methods=real (the plural some clients send) asks the provider at once, as inquire_method=real does', async () => {
      const created = await charge({ payment_method: 'alipay' });
      const id = idFromUrl(created.body.url);
      const qr = await qrOf(id);
      const db = t.app.deps.store.db;
      const { seq } = await db.selectFrom('transactions').select('seq').where('ref', '=', id).executeTakeFirstOrThrow();
      // Park the charge's poll an hour away, while no worker holds it: only an inquire that asks the provider can now see the payment.
      for (;;) {
        const parked = await db
          .updateTable('jobs')
          .set({ run_at: Date.now() + 3_600_000 })
          .where('transaction_seq', '=', seq)
          .where('done_at', 'is', null)
          .where('lease_until', 'is', null)
          .executeTakeFirst();
        if (Number(parked.numUpdatedRows) === 1) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal((await scan(t.url, qr, 'approve')).status, 200);
      const stored = await chop(t.url, '/chop/inquire', m.apiKey, { q: id });
      assert.equal(stored.body.notify_result, null);
      const real = await chop(t.url, '/chop/inquire', m.apiKey, { q: id, inquire_methods: 'real' });
      assert.equal(real.status, 200);
      assert.equal(real.body.notify_result, 'success');
    });

    test('a declined payment ends with notify_result fail; another merchant cannot see the charge', async () => {
      const created = await charge({ payment_method: 'wechatpay' });
      const id = idFromUrl(created.body.url);
      await scan(t.url, await qrOf(id), 'decline');
      const declined = await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null);
      assert.equal(declined.notify_result, 'fail');
      const other = await t.merchant(CHOP_METHODS);
      assert.equal((await chop(t.url, '/chop/inquire', other.apiKey, { q: id })).status, 404);
    });

    test('pay_qr answers a PNG of the payment code; format=json the code itself', async () => {
      const png = await fetch(`${t.url}/payment/pay_qr`, {
        method: 'POST',
        headers: { authorization: `Bearer ${m.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ vendor: 'alipay', amount: '500', currency: 'USD', reference: uniqueId('qr') }).toString(),
      });
      assert.equal(png.status, 200);
      assert.equal(png.headers.get('content-type'), 'image/png');
      const bytes = Buffer.from(await png.arrayBuffer());
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

      const json = await call(t.url, 'POST', '/payment/pay_qr?format=json', {
        key: m.apiKey,
        raw: new URLSearchParams({ vendor: 'wechatpay', amount: '700', currency: 'USD', reference: uniqueId('qr') }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(json.status, 200, json.text);
      assert.equal(json.body.result, 'success');
      assert.match(json.body.qr_code, /^weixin:\/\//);
      assert.equal((await scan(t.url, json.body.qr_code, 'approve')).status, 200);
      const paid = await waitInquire(t.url, m.apiKey, json.body.id, (b) => b.notify_result !== null);
      assert.equal(paid.notify_result, 'success');
      const viaOnline = await chop(t.url, '/payment/inquire', m.apiKey, { q: json.body.id });
      assert.equal(viaOnline.body.notify_result, 'success');
      const card = await chop(t.url, '/payment/pay_qr', m.apiKey, { vendor: 'cc', amount: 100, currency: 'USD', reference: 'x' });
      assert.equal(card.status, 400);
    });

    test('the merchant lists its CHOP transactions newest first, in pages', async () => {
      const other = await t.merchant(CHOP_METHODS);
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const r = await chop(t.url, '/chop/chop', other.apiKey, { payment_method: 'alipay', amount: 100 + i, currency: 'USD', reference: `list-${i}` });
        ids.push(idFromUrl(r.body.url));
      }
      const page1 = await call(t.url, 'GET', '/chop/transactions?limit=2', { key: other.apiKey });
      assert.equal(page1.body.result, 'success');
      assert.deepEqual(
        page1.body.data.map((d: { id: string }) => d.id),
        [ids[2], ids[1]],
      );
      assert.equal(page1.body.has_more, true);
      const page2 = await call(t.url, 'GET', `/chop/transactions?limit=2&starting_after=${ids[1]}`, { key: other.apiKey });
      assert.deepEqual(
        page2.body.data.map((d: { id: string }) => d.id),
        [ids[0]],
      );
      assert.equal(page2.body.has_more, false);
      assert.equal((await call(t.url, 'GET', '/chop/transactions?limit=0', { key: other.apiKey })).status, 400);
    });

    test('POS listing does not show CHOP charges', async () => {
      await charge();
      const pos = await call(t.url, 'GET', '/api/v2/transactions', { key: m.apiKey });
      assert.equal(pos.status, 200);
      assert.equal(pos.body.data.filter((d: { type: string }) => d.type === 'charge').length, 0);
    });

    test('an unknown landing id shows a clear 404 page', async () => {
      for (const q of ['nope', 'a'.repeat(32), '']) {
        const page = await fetch(`${t.url}/chop/landing?q=${q}`);
        assert.equal(page.status, 404);
        const html = await page.text();
        assert.match(html, /Payment not found/);
        assert.doesNotMatch(html, /at .*\.js:\d+/);
      }
    });

    test('with CANCAN_ALLOW_PRIVATE_URLS, link-local and metadata addresses are still refused in both modes; loopback is allowed', async () => {
      const live = await createApiKey(t.app.deps.store.db, t.app.deps.secrets, { merchantId: m.id, mode: 'live', now: Date.now() });
      for (const url of [
        'http://169.254.169.254/latest',
        'http://[fe80::1]/ipn',
        'http://100.100.100.200/',
        'http://[fd00:ec2::254]/',
        'http://[::ffff:169.254.169.254]/',
      ]) {
        for (const key of [live.apiKey, m.apiKey]) {
          const response = await chop(t.url, '/chop/chop', key, {
            payment_method: 'wechatpay',
            amount: 100,
            currency: 'USD',
            reference: uniqueId(),
            ipn_url: url,
          });
          assert.equal(response.status, 400, url);
          assert.equal(response.body.code, 'url_not_allowed', url);
          assert.match(response.body.error, /^ipn_url: .* is not allowed: .*(link-local|cloud metadata)/, url);
        }
      }
      // Refusals without the setting: test/security/ssrf.test.ts.
      assert.equal((await charge({ ipn_url: 'http://127.0.0.1:8080/ipn' })).status, 200);
    });

    test('the simulators record the orders the checkout created', async () => {
      const created = await charge({ payment_method: 'alipay', amount: 4321 });
      await qrOf(idFromUrl(created.body.url));
      const entries = (await ledger(t.url)).filter((e) => e.amount === 4321);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.provider, 'alipay');
    });
  });
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = WAIT_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('CHOP expiry (sqlite)', () => {
  let t: TestApp;
  let m: TestMerchant;
  before(async () => {
    t = await startTestApp('sqlite', { CANCAN_CHECKOUT_EXPIRY_MS: '1500' });
    m = await t.merchant(CHOP_METHODS);
  });
  after(() => t.close());

  test('an unpaid QR expires: inquire says expired, the provider order is closed and can no longer be paid', async () => {
    const created = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'wechatpay', amount: 2200, currency: 'USD', reference: uniqueId() });
    const id = idFromUrl(created.body.url);
    const expired = await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null);
    assert.equal(expired.notify_result, 'expired');
    const row = await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirstOrThrow();
    const late = await scan(t.url, row.qr_code ?? '', 'approve');
    assert.equal(late.status, 409);
    assert.deepEqual(
      (await ledger(t.url)).filter((e) => e.amount === 2200).map((e) => e.status),
      ['closed'],
    );
    // Its true reason: the page expired (not a wrong password); the CHOP answers keep the seed's fields.
    const failed = await t.app.deps.store.db
      .selectFrom('transactions')
      .select(['state', 'close_reason', 'failure_code', 'failure_detail'])
      .where('ref', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(failed, {
      state: 'failed',
      close_reason: 'expired',
      failure_code: 'checkout_expired_failure',
      failure_detail: 'The payment page expired before the shopper paid',
    });
    assert.equal(expired.status, 'expired');
  });

  test('an unpaid card form expires too', async () => {
    const created = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'cc', amount: 2300, currency: 'USD', reference: uniqueId() });
    const id = idFromUrl(created.body.url);
    const expired = await waitInquire(t.url, m.apiKey, id, (b) => b.notify_result !== null);
    assert.equal(expired.notify_result, 'expired');
    // Inquire says expired from the page's deadline; the charge's job ends it just after.
    const final = await waitFor(
      () => t.app.deps.store.db.selectFrom('transactions').select(['state', 'failure_code']).where('ref', '=', id).executeTakeFirstOrThrow(),
      (row) => row.state !== 'pending',
    );
    assert.deepEqual(final, { state: 'failed', failure_code: 'checkout_expired_failure' });
  });
});
