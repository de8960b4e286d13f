/**
 * @cancan/client (packages/client) against a running CanCan: POS and CHOP
 * calls, typed errors with the API's envelope, idempotent retries through a
 * proxy that fails on purpose, IPN verification of a real IPN, and that every
 * operation it calls is in the served OpenAPI document.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENT_OPERATIONS, CanCan, CanCanApiError, CanCanConnectionError, parseIpn, verifySign, verifySignature } from '../../packages/client/src/index.js';
import { SIGNATURE_HEADER, webhookSecret } from '../../src/chop/ipn.js';
import { CHOP_METHODS, type IpnReceiver, chop as rawChop, scan, startIpnReceiver, waitFor } from '../support/chop.js';
import { WECHAT_AUTH_CODE, call, saleBody, uniqueId } from '../support/client.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { type FlakyProxy, startFlakyProxy } from './proxy.js';

let t: TestApp;
let m: TestMerchant;
let proxy: FlakyProxy;
let receiver: IpnReceiver;
/** Straight to the server. */
let client: CanCan;
/** Through the proxy, with short pauses between tries. */
let flaky: CanCan;

before(async () => {
  t = await startTestApp('sqlite');
  m = await t.merchant([...CHOP_METHODS, 'wechatpay_cn_domestic']);
  proxy = await startFlakyProxy(t.url);
  receiver = await startIpnReceiver();
  client = new CanCan({ baseUrl: t.url, apiKey: m.apiKey });
  flaky = new CanCan({ baseUrl: proxy.url, apiKey: m.apiKey, baseDelayMs: 10, maxRetries: 2 });
});
after(async () => {
  await receiver.close();
  await proxy.close();
  await t.close();
});

const sale = (posId: string) => ({
  payment_gateway: 'wechatpay_cn_domestic',
  payment_auth_key: WECHAT_AUTH_CODE,
  amount: 1000,
  currency: 'CNY',
  description: 'Two coffees',
  pos_id: posId,
});
const requestsTo = (path: string) => proxy.seen.filter((r) => r.path.startsWith(path));

describe('the client and the OpenAPI document', () => {
  test('every operation the client calls is in the served document, with its method, path and operationId', async () => {
    const doc = (await (await fetch(`${t.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    for (const operation of CLIENT_OPERATIONS) {
      assert.equal(doc.paths[operation.path]?.[operation.method]?.operationId, operation.operationId, `${operation.method} ${operation.path}`);
    }
    assert.deepEqual(CLIENT_OPERATIONS.flatMap((o) => o.calls).sort(), [
      'chop.cancel',
      'chop.chop',
      'chop.inquire',
      'chop.payQr',
      'chop.refund',
      'pos.list',
      'pos.refund',
      'pos.retrieve',
      'pos.sale',
      'pos.void',
    ]);
  });
});

describe('POS', () => {
  test('sale with Prefer: wait, retrieve, list, refund and void', async () => {
    const posId = uniqueId('pos');
    const id = uniqueId('sale');
    const created = await client.pos.sale(id, sale(posId), { wait: 10 });
    assert.equal(created.replayed, false);
    assert.equal(created.transaction.id, id);
    assert.equal(created.transaction.attributes.state, 'succeeded');
    assert.equal(created.transaction.attributes.amount, 1000);
    assert.deepEqual(await client.pos.retrieve(id), created.transaction);

    const again = await client.pos.sale(id, sale(posId));
    assert.equal(again.replayed, true, 'the same id and params are a replay');

    const refund = await client.pos.refund(uniqueId('refund'), { sale: id, amount: 300, pos_id: posId }, { wait: 10 });
    assert.equal(refund.transaction.type, 'refund');
    assert.equal(refund.transaction.attributes.state, 'succeeded');
    assert.equal(refund.transaction.attributes.amount, 300);

    const second = uniqueId('sale');
    await client.pos.sale(second, sale(posId), { wait: 10 });
    const voided = await client.pos.void(uniqueId('void'), { sale: second, pos_id: posId }, { wait: 10 });
    assert.equal(voided.transaction.attributes.sale, second);
    assert.equal(voided.transaction.attributes.state, 'succeeded');

    const first = await client.pos.list({ pos_id: posId, size: 2 });
    assert.equal(first.data.length, 2);
    assert.ok(first.next, 'a second page');
    const rest = await client.pos.list({ pos_id: posId, size: 2, after: first.next });
    assert.equal(rest.next, null);
    assert.deepEqual([...first.data, ...rest.data].map((tx) => tx.type).sort(), ['refund', 'sale', 'sale', 'void']);
    assert.deepEqual((await client.pos.list({ pos_id: posId, type: 'sale' })).data.map((tx) => tx.id).sort(), [id, second].sort());
  });

  test("a refusal is a CanCanApiError carrying the API's envelope", async () => {
    const id = uniqueId('sale');
    const error = await client.pos.sale(id, { ...sale('p'), amount: -5 }).then(
      () => assert.fail('refused'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CanCanApiError);
    const raw = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, -5, { pos_id: 'p', description: 'Two coffees' }) });
    assert.equal(error.status, 400);
    assert.equal(error.code, 'attribute_error');
    assert.equal(error.errors[0]?.source?.pointer, '/data/attributes/amount');
    assert.deepEqual(error.body, raw.body);

    const missing = await client.pos.retrieve(uniqueId('nothing')).catch((e: unknown) => e);
    assert.ok(missing instanceof CanCanApiError);
    assert.deepEqual([missing.status, missing.code], [404, 'not_found_error']);
  });
});

describe('retries', () => {
  test('a 503 then a 201 makes one sale: the retry sends the same id and body', async () => {
    const posId = uniqueId('pos');
    const id = uniqueId('sale');
    const before = requestsTo('/api/v2/transactions').length;
    proxy.failNext('503');
    const created = await flaky.pos.sale(id, sale(posId));
    const tries = requestsTo('/api/v2/transactions').slice(before);
    assert.deepEqual(
      tries.map((r) => r.forwarded),
      [false, true],
    );
    assert.equal(tries[0]?.body, tries[1]?.body, 'the same body');
    assert.equal(JSON.parse(tries[1]?.body ?? '').data.id, id);
    assert.equal(created.transaction.id, id);
    assert.equal(created.replayed, false, 'the server saw it once: 201');
    assert.deepEqual(
      (await client.pos.list({ pos_id: posId })).data.map((tx) => tx.id),
      [id],
    );
  });

  test('a sale whose answer was lost is answered on the retry as a replay: still one sale', async () => {
    const posId = uniqueId('pos');
    const id = uniqueId('sale');
    const before = requestsTo('/api/v2/transactions').length;
    proxy.failNext('lost');
    const created = await flaky.pos.sale(id, sale(posId));
    const tries = requestsTo('/api/v2/transactions').slice(before);
    assert.deepEqual(
      tries.map((r) => r.forwarded),
      [true, true],
    );
    assert.equal(tries[0]?.body, tries[1]?.body);
    assert.equal(created.replayed, true, 'Idempotent-Replayed: the server had made the sale on the first try');
    assert.deepEqual(
      (await client.pos.list({ pos_id: posId })).data.map((tx) => tx.id),
      [id],
    );
  });

  test('a dropped connection and a 429 are retried; a 400 is not', async () => {
    const before = proxy.seen.length;
    proxy.failNext('drop', '429');
    const id = uniqueId('sale');
    await flaky.pos.sale(id, sale(uniqueId('pos')));
    assert.deepEqual(
      proxy.seen.slice(before).map((r) => r.forwarded),
      [false, false, true],
    );
    const refusedAt = proxy.seen.length;
    await assert.rejects(flaky.pos.sale(uniqueId('sale'), { ...sale('p'), currency: 'XXX' }), CanCanApiError);
    assert.equal(proxy.seen.length - refusedAt, 1, 'one try');
  });

  test('when every try fails, the last answer or a CanCanConnectionError', async () => {
    proxy.failNext('503', '503', '503');
    const error = await flaky.pos.retrieve('x').catch((e: unknown) => e);
    assert.ok(error instanceof CanCanApiError);
    assert.deepEqual([error.status, error.code], [503, 'service_unavailable_error']);
    proxy.failNext('drop', 'drop', 'drop');
    await assert.rejects(flaky.pos.retrieve('x'), CanCanConnectionError);
  });

  test('a CHOP charge retried after a 503 keeps its Idempotency-Key and body: one charge', async () => {
    const reference = uniqueId('order');
    const before = requestsTo('/chop/chop').length;
    proxy.failNext('503');
    const { url } = await flaky.chop.chop({ payment_method: 'alipay', amount: 999, currency: 'USD', reference });
    const tries = requestsTo('/chop/chop').slice(before);
    assert.equal(tries.length, 2);
    assert.equal(tries[0]?.body, tries[1]?.body);
    assert.ok(tries[0]?.headers['idempotency-key']);
    assert.equal(tries[0]?.headers['idempotency-key'], tries[1]?.headers['idempotency-key']);
    const listed = await call(t.url, 'GET', `/chop/transactions?reference=${reference}`, { key: m.apiKey });
    assert.deepEqual(
      listed.body.data.map((tx: { id: string }) => tx.id),
      [new URL(url).searchParams.get('q')],
    );
  });
});

describe('CHOP and Online', () => {
  test('payQr, a real IPN verified both ways, inquire, refund; cancel; a refusal', async () => {
    const reference = uniqueId('order');
    const qr = await client.chop.payQr({ vendor: 'wechatpay', amount: 1200, currency: 'USD', reference, ipn_url: receiver.url });
    assert.ok(qr.qr_code && qr.id);
    assert.equal((await scan(t.url, qr.qr_code, 'approve')).status, 200);
    const ipn = await waitFor(() => receiver.received.find((r) => r.fields.id === qr.id));

    const fields = parseIpn(ipn.raw);
    assert.equal(fields.notify_status, 'success');
    assert.equal(verifySign(fields, m.apiKey), true);
    assert.equal(verifySign(fields, `${m.apiKey}x`), false);
    assert.equal(verifySign({ ...fields, amount: '1' }, m.apiKey), false);

    const header = ipn.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    const secret = await webhookSecret(t.app.deps, m.id);
    assert.equal(verifySignature({ rawBody: ipn.raw, header, secret }), true);
    assert.equal(verifySignature({ rawBody: ipn.raw.replace('amount=1200', 'amount=1'), header, secret }), false);
    assert.equal(verifySignature({ rawBody: ipn.raw, header, secret: `${secret}x` }), false);
    const sent = Number(/t=(\d+)/.exec(header)?.[1]);
    assert.equal(verifySignature({ rawBody: ipn.raw, header, secret, now: sent + 301 }), false, 'too old');
    assert.equal(verifySignature({ rawBody: ipn.raw, header: null, secret }), false);

    const inquired = await client.chop.inquire({ q: qr.id });
    assert.deepEqual([inquired.id, inquired.status, inquired.amount, inquired.reference], [qr.id, 'succeeded', 1200, reference]);
    const refund = await client.chop.refund({ transaction_id: qr.id, amount: 200, currency: 'USD' });
    assert.equal(refund.refunded, true);
    const tooMuch = await client.chop.refund({ transaction_id: qr.id, amount: 5000, currency: 'USD' });
    assert.deepEqual([tooMuch.refunded, 'code' in tooMuch ? tooMuch.code : null], [false, '4071']);

    const pending = await client.chop.chop({ payment_method: 'alipay', amount: 500, currency: 'USD', reference: uniqueId('order') });
    const cancelled = await client.chop.cancel({ transaction_id: new URL(pending.url).searchParams.get('q') ?? '' });
    assert.equal(cancelled.cancelled, true);

    const refused = await client.chop.chop({ payment_method: 'bitcoin', amount: 1, currency: 'USD', reference: 'r' }).catch((e: unknown) => e);
    assert.ok(refused instanceof CanCanApiError);
    const raw = await rawChop(t.url, '/chop/chop', m.apiKey, { payment_method: 'bitcoin', amount: 1, currency: 'USD', reference: 'r' });
    assert.equal(refused.status, raw.status);
    assert.deepEqual(refused.body, raw.body);
    assert.equal(refused.code, raw.body.code);
  });
});
