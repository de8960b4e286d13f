/**
 * A QR charge's content has a way out besides the page: inquire (and the
 * charge list) carry `qr_code` while the charge is payable, the same code the
 * page draws and the sandbox wallet pays by; none once it is paid, or for a card.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueId } from '../support/client.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitInquire } from '../support/chop.js';

describe('CHOP inquire: the QR content of a payable charge', () => {
  let t: TestApp;
  let m: TestMerchant;
  before(async () => {
    t = await startTestApp('sqlite');
    m = await t.merchant(CHOP_METHODS);
  });
  after(() => t.close());

  const charge = async (method: string, currency = 'USD') => {
    const fields = { payment_method: method, amount: 999, currency, reference: uniqueId('order') };
    const created = await chop(t.url, '/chop/chop', m.apiKey, fields);
    assert.equal(created.status, 200, created.text);
    return idFromUrl(created.body.url);
  };
  const storedQr = async (id: string) =>
    (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirstOrThrow()).qr_code;

  for (const method of ['wechatpay', 'alipay'] as const) {
    test(`${method}: inquire answers the stored QR content while payable; the wallet pays by it; then it is gone`, async () => {
      const id = await charge(method);
      const payable = await waitInquire(t.url, m.apiKey, id, (body) => typeof body.qr_code === 'string');
      assert.equal(payable.notify_result, null);
      assert.equal(payable.status, 'pending');
      assert.equal(payable.qr_code, await storedQr(id));
      if (method === 'wechatpay') assert.match(String(payable.qr_code), /^weixin:\/\/wxpay\/bizpayurl\?pr=/);

      const list = await fetch(`${t.url}/chop/transactions`, { headers: { authorization: `Bearer ${m.apiKey}` } });
      const rows = ((await list.json()) as { data: { id: string; qr_code?: string }[] }).data;
      assert.equal(rows.find((row) => row.id === id)?.qr_code, payable.qr_code);

      const scanned = await scan(t.url, String(payable.qr_code), 'approve');
      assert.equal(scanned.status, 200, scanned.text);
      const paid = await waitInquire(t.url, m.apiKey, id, (body) => body.notify_result === 'success', 30_000);
      assert.equal(paid.notify_result, 'success');
      assert.equal(paid.status, 'succeeded');
      assert.equal('qr_code' in paid, false);
    });
  }

  test('a card charge has no qr_code', async () => {
    const id = await charge('cc');
    const inquired = await chop(t.url, '/chop/inquire', m.apiKey, { q: id });
    assert.equal(inquired.status, 200);
    assert.equal(inquired.body.status, 'pending');
    assert.equal('qr_code' in inquired.body, false);
  });
});
