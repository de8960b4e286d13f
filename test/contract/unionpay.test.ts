/**
 * The UnionPay online adapter against the UnionPay simulator over real HTTP:
 * the shopper's browser (fetch) posts the signed front consume form, follows
 * the payment page's Pay / Decline buttons and the redirect back; a tiny
 * receiver takes the back notifications; queries, close, refunds, the
 * sandbox wallet, the test values, and signatures both ways.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import type { OnlineAdapter, OrderRequest, PayForm, RefundRequest } from '../../src/providers/contract.js';
import {
  createUnionPayAdapter,
  UNIONPAY_LIVE_BASE_URL,
  UNIONPAY_NO_NOTIFY_URL,
  unionPayTxnTimeData,
  verifyUnionPayNotification,
  type UnionPayCredentials,
} from '../../src/providers/unionpay/adapter.js';
import {
  loadOrCreateUnionPaySandboxKeys,
  UNIONPAY_SANDBOX_MER_ID,
  unionPaySandboxCredentials,
  type UnionPaySandboxKeys,
} from '../../src/providers/unionpay/keys.js';
import { formatAnswer, parseAnswer, signFields, verifyFields } from '../../src/providers/unionpay/sign.js';
import { unionPaySimulator } from '../../src/providers/unionpay/simulator.js';
import { chinaTime } from '../../src/providers/china-time.js';
import {
  CALL_TIMEOUT_MS,
  CONFIRM_DELAY_MS,
  IMPATIENT_TIMEOUT_MS,
  hangingFetch,
  newOrderNo,
  orderRequestBuilder,
  otherKeyPair,
  pemBody,
  refundRequest as refundOf,
  remembering,
  traceChecker,
  useSimulatorServer,
} from '../support/contract.js';

let keys: UnionPaySandboxKeys;
let credentials: UnionPayCredentials;
let baseUrl = '';
let adapter: OnlineAdapter;
/** The simulator's clock runs this far ahead of the real one (payTimeout tests). */
let clockSkewMs = 0;

/** The merchant's side: receives back notifications and the browser's return. */
const notifications: Array<{ path: string; fields: Record<string, string> }> = [];
const receiver = createServer((request, response) => {
  void readBody(request).then((body) => {
    notifications.push({ path: request.url ?? '', fields: Object.fromEntries(new URLSearchParams(body)) });
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
let receiverOrigin = '';

const sim = useSimulatorServer(
  'unionpay',
  ({ dir, ledger, wallet }) => {
    keys = loadOrCreateUnionPaySandboxKeys(join(dir, 'data'));
    credentials = unionPaySandboxCredentials(keys);
    return unionPaySimulator({
      ledger,
      wallet,
      merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
      providerPrivateKeyPem: keys.unionPay.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
      now: () => Date.now() + clockSkewMs,
    });
  },
  async (server) => {
    baseUrl = server.baseUrl;
    // The engine hands each call the provider data earlier calls returned; so does this wrapper.
    adapter = remembering(createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS }));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  },
);
const { ledgerEntry, assertLedger, scanOverHttp } = sim;

after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

// ------------------------------------------------------------------ helpers

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const orderRequest = orderRequestBuilder(() => ({
  description: 'Contract test',
  paymentMethod: 'upop',
  expiresAt: Date.now() + 15 * 60_000,
  returnUrl: `${receiverOrigin}/return?shop=1`,
  notifyUrl: `${receiverOrigin}/notify`,
}));

/** A refund under its own new orderId (UnionPay names refunds like orders). */
function refundRequest(sale: OrderRequest, amount: number, refundNo = newOrderNo()): RefundRequest {
  return refundOf(sale, refundNo, amount);
}

/** Every trace must name the provider and call and never carry a secret. */
const checkTrace = traceChecker('unionpay', () => [pemBody(keys.merchant.privateKeyPem), pemBody(keys.unionPay.privateKeyPem)]);

async function createOrder(request: OrderRequest): Promise<{ qrCode: string; payForm: PayForm }> {
  const outcome = checkTrace(await adapter.createOrder(request), 'frontTransReq');
  assert.ok(outcome.kind === 'created' && outcome.payForm !== null, JSON.stringify(outcome));
  return { qrCode: outcome.qrCode, payForm: outcome.payForm };
}

/** The browser submits the form: what the gateway answers. */
async function submitForm(form: PayForm, fields: Record<string, string> = { ...form.fields }): Promise<{ status: number; html: string; url: string }> {
  const response = await fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  return { status: response.status, html: await response.text(), url: response.url };
}

/** The browser presses Pay or Decline on the payment page: where it is sent next. */
async function press(page: { html: string; url: string }, decision: 'pay' | 'decline'): Promise<URL> {
  const action = /<form method="post" action="([^"]+)"/.exec(page.html)?.[1];
  assert.ok(action !== undefined, `no form on the page: ${page.html}`);
  const fields = new URLSearchParams();
  for (const match of page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.append(match[1] ?? '', match[2] ?? '');
  assert.ok(page.html.includes(`name="decision" value="${decision}"`), 'the page has the button');
  fields.append('decision', decision);
  const response = await fetch(new URL(action, page.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
    redirect: 'manual',
  });
  assert.equal(response.status, 303, await response.clone().text());
  return new URL(response.headers.get('location') ?? '');
}

/** Creates the order, posts the form, and presses a button. */
async function payThroughPage(request: OrderRequest, decision: 'pay' | 'decline'): Promise<URL> {
  const { payForm } = await createOrder(request);
  const page = await submitForm(payForm);
  assert.equal(page.status, 200, page.html);
  return press(page, decision);
}

async function notificationFor(orderId: string): Promise<Record<string, string>> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const found = notifications.find((entry) => entry.path === '/notify' && entry.fields['orderId'] === orderId);
    if (found) return found.fields;
    await wait(20);
  }
  assert.fail(`no notification for ${orderId}`);
}

/** A fetch that lets a test rewrite the gateway's answer to queries. */
function rewritingFetch(rewrite: (body: string) => string): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    return new Response(rewrite(await response.text()), { status: response.status });
  };
}

// ------------------------------------------------------------------ the flow

describe('front consume through the payment page', () => {
  test('createOrder: a signed front form, a code URL, no HTTP call', async () => {
    const request = orderRequest(1000);
    const result = await adapter.createOrder(request);
    assert.deepEqual(result.trace, { provider: 'unionpay', call: 'frontTransReq', latencyMs: 0, httpStatus: null, code: null, message: null });
    assert.ok(result.outcome.kind === 'created' && result.outcome.payForm !== null);
    const { payForm, qrCode } = result.outcome;
    assert.equal(payForm.action, `${baseUrl}/gateway/api/frontTransReq.do`);
    const fields = payForm.fields;
    assert.deepEqual(
      { ...fields, signature: 'x', txnTime: 'x' },
      {
        version: '5.1.0',
        encoding: 'UTF-8',
        signMethod: '01',
        accessType: '0',
        merId: UNIONPAY_SANDBOX_MER_ID,
        txnType: '01',
        txnSubType: '01',
        bizType: '000201',
        channelType: '07',
        orderId: request.orderNo,
        txnTime: 'x',
        txnAmt: '1000',
        currencyCode: '156',
        frontUrl: request.returnUrl,
        backUrl: request.notifyUrl,
        payTimeout: chinaTime(request.expiresAt),
        signature: 'x',
      },
    );
    assert.match(fields['txnTime'] ?? '', /^20\d{12}$/);
    assert.equal(verifyFields(fields, keys.merchant.publicKeyPem), true, 'signed with the merchant key');
    assert.equal(verifyFields(fields, keys.unionPay.publicKeyPem), false);
    const code = new URL(qrCode);
    assert.equal(`${code.origin}${code.pathname}`, payForm.action);
    assert.deepEqual(Object.fromEntries(code.searchParams), { merId: UNIONPAY_SANDBOX_MER_ID, orderId: request.orderNo, txnTime: fields['txnTime'] });
    // A retry of the same order sends the same txnTime: UnionPay must see one transaction.
    const again = await adapter.createOrder(request);
    assert.ok(again.outcome.kind === 'created');
    assert.equal(again.outcome.qrCode, qrCode);
    assert.equal(UNIONPAY_LIVE_BASE_URL, 'https://gateway.95516.com');
  });

  test('pay: page, redirect back, paid, verified notification, partial refund, refund query', async () => {
    const sale = orderRequest(1000);
    const { payForm } = await createOrder(sale);
    const unposted = await adapter.query(sale.orderNo);
    assert.deepEqual(checkTrace(unposted, 'queryTrans'), { kind: 'not_paid' });
    assert.equal(unposted.trace.code, '34');
    assert.equal(unposted.trace.httpStatus, 200);

    const page = await submitForm(payForm);
    assert.equal(page.status, 200, page.html);
    assert.match(page.html, /10\.00 CNY/);
    assert.ok(page.html.includes(sale.orderNo));
    assert.ok(!/<script/i.test(page.html) && !/https?:\/\//.test(page.html.replace(/value="[^"]*"/g, '')), 'no script, no external assets');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'not_paid' }, 'undecided: still no transaction');
    await assertLedger(sale.orderNo, { status: 'unpaid', amount: 1000, currency: 'CNY' });

    const back = await press(page, 'pay');
    assert.equal(`${back.origin}${back.pathname}`, `${receiverOrigin}/return`);
    assert.equal(back.searchParams.get('shop'), '1', 'the frontUrl query is kept');
    const front = Object.fromEntries([...back.searchParams].filter(([name]) => name !== 'shop'));
    assert.equal(verifyUnionPayNotification(front, keys.unionPay.publicKeyPem), true);
    assert.equal(front['respCode'], '00');
    assert.equal(front['orderId'], sale.orderNo);

    const paid = await adapter.query(sale.orderNo);
    const outcome = checkTrace(paid, 'queryTrans');
    assert.ok(outcome.kind === 'paid' && outcome.providerTxnId !== null && /^\d{21}$/.test(outcome.providerTxnId), JSON.stringify(outcome));
    assert.equal(paid.trace.code, '00');
    assert.equal(front['queryId'], outcome.providerTxnId);

    const notification = await notificationFor(sale.orderNo);
    assert.equal(verifyUnionPayNotification(notification, keys.unionPay.publicKeyPem), true);
    assert.equal(notification['respCode'], '00');
    assert.equal(notification['txnAmt'], '1000');
    assert.equal(notification['currencyCode'], '156');
    assert.equal(notification['queryId'], outcome.providerTxnId);
    assert.equal(verifyUnionPayNotification({ ...notification, txnAmt: '1' }, keys.unionPay.publicKeyPem), false, 'tampered');
    assert.equal(verifyUnionPayNotification(notification, keys.merchant.publicKeyPem), false, 'another key');
    await assertLedger(sale.orderNo, { status: 'paid' });

    const refund = refundRequest(sale, 300);
    const refunded = await adapter.refund(refund);
    assert.deepEqual(checkTrace(refunded, 'backTransReq'), { kind: 'processing' });
    assert.equal(refunded.trace.code, '00');
    assert.deepEqual(checkTrace(await adapter.refundQuery(refund), 'queryTrans'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 300 });
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'queryTrans').kind, 'paid', 'the consume itself stays successful');

    // The same refund again: UnionPay says 12 (duplicate); the adapter lets refundQuery settle it.
    const repeated = await adapter.refund(refund);
    assert.deepEqual(checkTrace(repeated, 'backTransReq'), { kind: 'processing' });
    assert.equal(repeated.trace.code, '12');
    await assertLedger(sale.orderNo, { refunded_amount: 300 });

    const tooMuch = checkTrace(await adapter.refund(refundRequest(sale, 701)), 'backTransReq');
    assert.ok(tooMuch.kind === 'declined' && tooMuch.code === '33', JSON.stringify(tooMuch));
    assert.equal(adapter.mapFailure(tooMuch.code), 'refund_exceeds_sale_amount_failure');
    const rest = refundRequest(sale, 700);
    assert.deepEqual(checkTrace(await adapter.refund(rest), 'backTransReq'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(rest), 'queryTrans'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 1000 });
  });

  test('decline: closed at UnionPay, no notification, close says closed', async () => {
    const sale = orderRequest(1200);
    const back = await payThroughPage(sale, 'decline');
    assert.equal(back.searchParams.get('respCode'), '01');
    assert.equal(verifyUnionPayNotification(Object.fromEntries([...back.searchParams].filter(([name]) => name !== 'shop')), keys.unionPay.publicKeyPem), true);
    const query = await adapter.query(sale.orderNo);
    assert.deepEqual(checkTrace(query, 'queryTrans'), { kind: 'closed', code: '01' });
    assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'queryTrans'), { kind: 'closed' });
    await assertLedger(sale.orderNo, { status: 'closed' });
    await wait(100);
    assert.equal(
      notifications.some((entry) => entry.fields['orderId'] === sale.orderNo),
      false,
      'UnionPay notifies successes only',
    );
  });

  test('a form never posted: not_paid, and close closes', async () => {
    const sale = orderRequest(1000);
    await createOrder(sale);
    const query = await adapter.query(sale.orderNo);
    assert.deepEqual(checkTrace(query, 'queryTrans'), { kind: 'not_paid' });
    assert.equal(query.trace.code, '34');
    assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'queryTrans'), { kind: 'closed' });
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    const refund = checkTrace(await adapter.refund(refundRequest(sale, 100)), 'queryTrans');
    assert.ok(refund.kind === 'declined' && refund.code === '34', JSON.stringify(refund));
    assert.equal(adapter.mapFailure(refund.code), 'sale_not_found_failure');
  });

  test('close of a paid order: already_paid', async () => {
    const sale = orderRequest(2000);
    await payThroughPage(sale, 'pay');
    assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'queryTrans'), { kind: 'already_paid' });
  });

  test('the page cannot be used twice, and a reused orderId with other details is refused', async () => {
    const sale = orderRequest(1000);
    const { payForm } = await createOrder(sale);
    const page = await submitForm(payForm);
    assert.equal((await submitForm(payForm)).status, 200, 'posting the same form again shows the page again');
    await press(page, 'pay');
    const again = await submitForm(payForm);
    assert.equal(again.status, 409);
    assert.match(again.html, /respCode <code id="respCode">12<\/code>/);
    const other = signFields({ ...payForm.fields, txnAmt: '999' }, keys.merchant.privateKeyPem);
    const refused = await submitForm(payForm, other);
    assert.equal(refused.status, 400);
    assert.match(refused.html, /id="respCode">12</);
  });

  test('currency codes are ISO numeric and amounts minor units', async () => {
    for (const [amount, currency, code, shown] of [
      [1234, 'USD', '840', '12.34 USD'],
      [500, 'JPY', '392', '500 JPY'],
      [1001, 'HKD', '344', '10.01 HKD'],
    ] as const) {
      const sale = orderRequest(amount, currency);
      const { payForm } = await createOrder(sale);
      assert.equal(payForm.fields['currencyCode'], code);
      assert.equal(payForm.fields['txnAmt'], String(amount));
      const page = await submitForm(payForm);
      assert.ok(page.html.includes(shown), page.html);
      await press(page, 'pay');
      await assertLedger(sale.orderNo, { amount, currency, status: 'paid' });
      const notification = await notificationFor(sale.orderNo);
      assert.equal(notification['currencyCode'], code);
    }
  });
});

// ------------------------------------------------------------------ the sandbox wallet and test values

describe('sandbox wallet and test values', () => {
  test('wallet.scan approve pays a posted order; the code is unknown before the post', async () => {
    const sale = orderRequest(1000);
    const { qrCode, payForm } = await createOrder(sale);
    const early = await scanOverHttp(qrCode, 'approve');
    assert.equal(early.status, 404);
    assert.equal(early.body['error'], 'unknown_code');
    assert.equal((await fetch(qrCode)).status, 404, 'the code URL shows nothing before the form is posted');
    await submitForm(payForm);
    const codePage = await fetch(qrCode);
    assert.equal(codePage.status, 200);
    assert.match(await codePage.text(), /name="decision" value="pay"/);

    const scanned = await scanOverHttp(qrCode, 'approve');
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    assert.deepEqual(
      { provider: scanned.body['provider'], order_no: scanned.body['order_no'], outcome: scanned.body['outcome'] },
      { provider: 'unionpay', order_no: sale.orderNo, outcome: 'paid' },
    );
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'queryTrans').kind, 'paid');
    assert.equal(verifyUnionPayNotification(await notificationFor(sale.orderNo), keys.unionPay.publicKeyPem), true);
    const twice = await scanOverHttp(qrCode, 'approve');
    assert.equal(twice.status, 409);
    assert.equal((await fetch(qrCode)).status, 409, 'the code URL no longer offers the page');
  });

  test('wallet.scan decline closes the order', async () => {
    const sale = orderRequest(1000);
    const { qrCode, payForm } = await createOrder(sale);
    await submitForm(payForm);
    assert.equal((await scanOverHttp(qrCode, 'decline')).body['outcome'], 'declined');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'closed', code: '01' });
  });

  test('51 through the page: declined, 64 insufficient balance', async () => {
    const sale = orderRequest(2351);
    const back = await payThroughPage(sale, 'pay');
    assert.equal(back.searchParams.get('respCode'), '64');
    const query = checkTrace(await adapter.query(sale.orderNo), 'queryTrans');
    assert.deepEqual(query, { kind: 'closed', code: '64' });
    assert.equal(adapter.mapFailure('64'), 'customer_insufficient_balance_failure');
    await assertLedger(sale.orderNo, { status: 'closed' });
  });

  test('51 and 57 through the wallet: declined', async () => {
    for (const [amount, code, failure] of [
      [51, '64', 'customer_insufficient_balance_failure'],
      [157, '63', 'customer_not_allowed_to_pay_failure'],
    ] as const) {
      const sale = orderRequest(amount);
      const { qrCode, payForm } = await createOrder(sale);
      await submitForm(payForm);
      assert.equal((await scanOverHttp(qrCode, 'approve')).body['outcome'], 'declined');
      assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'closed', code });
      assert.equal(adapter.mapFailure(code), failure);
    }
  });

  test('53: processing, close says retry, then paid and notified', async () => {
    const sale = orderRequest(1053);
    const { qrCode, payForm } = await createOrder(sale);
    await submitForm(payForm);
    assert.equal((await scanOverHttp(qrCode, 'approve')).body['outcome'], 'awaiting_confirmation');
    const waiting = await adapter.query(sale.orderNo);
    assert.deepEqual(checkTrace(waiting, 'queryTrans'), { kind: 'awaiting_customer' });
    assert.equal(waiting.trace.code, '05');
    assert.equal(checkTrace(await adapter.close(sale.orderNo), 'queryTrans').kind, 'retry');
    const notification = await notificationFor(sale.orderNo); // sent by the simulator's own timer
    assert.equal(verifyUnionPayNotification(notification, keys.unionPay.publicKeyPem), true);
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'queryTrans').kind, 'paid');
  });

  test('54: processing until payTimeout, then failed and closable', async () => {
    const sale = orderRequest(54, 'CNY', { expiresAt: Date.now() + 60_000 });
    const { qrCode, payForm } = await createOrder(sale);
    await submitForm(payForm);
    assert.equal((await scanOverHttp(qrCode, 'approve')).body['outcome'], 'awaiting_confirmation');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'awaiting_customer' });
    assert.equal(adapter.mapFailure('05'), 'payment_password_failure');
    clockSkewMs = 61_000; // the simulator's clock passes payTimeout
    try {
      assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'closed', code: '01' });
      assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'queryTrans'), { kind: 'closed' });
      const late = await submitForm(payForm);
      assert.equal(late.status, 400, 'past payTimeout the form is refused');
      assert.match(late.html, /id="respCode">39</);
    } finally {
      clockSkewMs = 0;
    }
  });

  test('an expired form is refused (39) and a code past payTimeout cannot be paid', async () => {
    const sale = orderRequest(1000, 'CNY', { expiresAt: Date.now() + 60_000 });
    const { qrCode, payForm } = await createOrder(sale);
    await submitForm(payForm);
    clockSkewMs = 61_000;
    try {
      assert.equal((await scanOverHttp(qrCode, 'approve')).status, 409);
      const other = await createOrder(orderRequest(1000, 'CNY', { expiresAt: Date.now() + 60_000 }));
      const refused = await submitForm(other.payForm);
      assert.equal(refused.status, 400);
      assert.match(refused.html, /id="respCode">39</);
    } finally {
      clockSkewMs = 0;
    }
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'not_paid' });
  });

  test('58: the gateway refuses the form (32); nothing recorded', async () => {
    const sale = orderRequest(1258);
    const { payForm } = await createOrder(sale);
    const page = await submitForm(payForm);
    assert.equal(page.status, 403);
    assert.match(page.html, /id="respCode">32</);
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'not_paid' });
    assert.equal(adapter.mapFailure('32'), 'merchant_not_allowed_to_sell_failure');
  });

  test('59: paid, every refund refused (35)', async () => {
    const sale = orderRequest(5959);
    await payThroughPage(sale, 'pay');
    for (const amount of [5959, 100]) {
      const refund = refundRequest(sale, amount);
      const outcome = checkTrace(await adapter.refund(refund), 'backTransReq');
      assert.ok(outcome.kind === 'declined' && outcome.code === '35', JSON.stringify(outcome));
      assert.equal(adapter.mapFailure(outcome.code), 'refund_not_allowed_failure');
      assert.deepEqual(checkTrace(await adapter.refundQuery(refund), 'queryTrans'), { kind: 'not_found' });
    }
    await assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 });
  });
});

// ------------------------------------------------------------------ signatures and failures

describe('signatures and failures', () => {
  test('a tampered form gets the error page (11) and records nothing', async () => {
    const sale = orderRequest(1000);
    const { payForm } = await createOrder(sale);
    const tampered = await submitForm(payForm, { ...payForm.fields, txnAmt: '1' });
    assert.equal(tampered.status, 400);
    assert.match(tampered.html, /id="respCode">11</);
    assert.ok(!/name="decision"/.test(tampered.html), 'no payment buttons');
    const unsigned = { ...payForm.fields };
    delete unsigned['signature'];
    assert.match((await submitForm(payForm, unsigned)).html, /id="respCode">13</);
    const stranger = otherKeyPair();
    assert.match((await submitForm(payForm, signFields(payForm.fields, stranger.privateKey))).html, /id="respCode">11</);
    assert.match(
      (await submitForm(payForm, signFields({ ...payForm.fields, merId: '777290058110000' }, keys.merchant.privateKeyPem))).html,
      /id="respCode">31</,
    );
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'queryTrans'), { kind: 'not_paid' });
  });

  test('a tampered or foreign-signed query answer is unknown', async () => {
    const sale = orderRequest(1000);
    const { payForm } = await createOrder(sale);
    await press(await submitForm(payForm), 'pay');
    // Adapters that know the order's txnTime, each with a fetch that changes the answer.
    const txnTimes = unionPayTxnTimeData(sale.orderNo, payForm.fields['txnTime'] ?? '');
    const withFetch = (rewrite: (body: string) => string): OnlineAdapter =>
      remembering(createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: rewritingFetch(rewrite) }), { ...txnTimes });
    assert.equal(checkTrace(await withFetch((body) => body).query(sale.orderNo), 'queryTrans').kind, 'paid', 'the honest path works');

    const tampered = await withFetch((body) => body.replace('origRespCode=00', 'origRespCode=01')).query(sale.orderNo);
    assert.deepEqual(checkTrace(tampered, 'queryTrans'), { kind: 'unknown', reason: 'answer signature does not verify' });
    assert.equal(tampered.trace.httpStatus, 200);

    const stranger = otherKeyPair();
    const forged = await withFetch((body) => {
      const fields = parseAnswer(body) ?? {};
      return formatAnswer(signFields({ ...fields, origRespCode: '00' }, stranger.privateKey));
    }).query(sale.orderNo);
    assert.equal(checkTrace(forged, 'queryTrans').kind, 'unknown');

    const unsigned = await withFetch((body) => body.replace(/&signature=[^&]*/, '')).query(sale.orderNo);
    assert.equal(checkTrace(unsigned, 'queryTrans').kind, 'unknown');
    const garbage = await withFetch(() => '<html>502 Bad Gateway</html>').query(sale.orderNo);
    assert.equal(checkTrace(garbage, 'queryTrans').kind, 'unknown');
  });

  test('HTTP errors and timeouts are unknown', async () => {
    const sale = orderRequest(1000);
    const { payForm } = await createOrder(sale);
    const txnTimes = unionPayTxnTimeData(sale.orderNo, payForm.fields['txnTime'] ?? '');
    const failing = createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: async () => new Response('busy', { status: 503 }) });
    const failed = await failing.query(sale.orderNo, txnTimes);
    assert.deepEqual(checkTrace(failed, 'queryTrans'), { kind: 'unknown', reason: 'HTTP 503' });
    assert.equal(failed.trace.httpStatus, 503);
    const slow = createUnionPayAdapter({ baseUrl, credentials, timeoutMs: IMPATIENT_TIMEOUT_MS, fetch: hangingFetch });
    const timedOut = await slow.query(sale.orderNo, txnTimes);
    const outcome = checkTrace(timedOut, 'queryTrans');
    assert.ok(outcome.kind === 'unknown' && outcome.reason === `no answer within ${IMPATIENT_TIMEOUT_MS} ms`, JSON.stringify(outcome));
    assert.equal(timedOut.trace.httpStatus, null);
    const refused = await createUnionPayAdapter({ baseUrl: 'http://127.0.0.1:1', credentials, timeoutMs: CALL_TIMEOUT_MS }).query(sale.orderNo, txnTimes);
    assert.equal(checkTrace(refused, 'queryTrans').kind, 'unknown');
  });

  test('a refund lost on the way: unknown, then refundQuery says not_found', async () => {
    const sale = orderRequest(1000);
    await payThroughPage(sale, 'pay');
    const { payForm } = await createOrder(sale);
    // Both adapters read the same stored data, as two processes read one database.
    const stored = { ...unionPayTxnTimeData(sale.orderNo, payForm.fields['txnTime'] ?? '') };
    const lossy: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/backTransReq.do')) throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
      return fetch(input, init);
    };
    const refund = refundRequest(sale, 100);
    const lost = remembering(createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: lossy }), stored);
    const outcome = checkTrace(await lost.refund(refund), 'backTransReq');
    assert.ok(outcome.kind === 'unknown' && /ECONNRESET/.test(outcome.reason), JSON.stringify(outcome));
    assert.deepEqual(checkTrace(await lost.refundQuery(refund), 'queryTrans'), { kind: 'not_found' });
    // Sent again with the same refund orderId (and txnTime): it happens once.
    const again = remembering(createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS }), stored);
    assert.deepEqual(checkTrace(await again.refund(refund), 'backTransReq'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await again.refundQuery(refund), 'queryTrans'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { refunded_amount: 100 });
  });

  test('what the adapter cannot know or send is said plainly', async () => {
    const stranger = createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });
    const query = checkTrace(await stranger.query(newOrderNo()), 'queryTrans');
    assert.ok(query.kind === 'unknown' && /txnTime/.test(query.reason), JSON.stringify(query));
    const refundQuery = checkTrace(await stranger.refundQuery(refundRequest(orderRequest(100), 100)), 'queryTrans');
    assert.equal(refundQuery.kind, 'unknown');
    const noReturn = checkTrace(await adapter.createOrder(orderRequest(100, 'CNY', { returnUrl: null })), 'frontTransReq');
    assert.ok(noReturn.kind === 'declined' && noReturn.code === '13', JSON.stringify(noReturn));
    const badId = checkTrace(await adapter.createOrder(orderRequest(100, 'CNY', { orderNo: 'order-1' })), 'frontTransReq');
    assert.ok(badId.kind === 'declined' && badId.code === '10', JSON.stringify(badId));
    const badKey = createUnionPayAdapter({ baseUrl, credentials: { ...credentials, merchantPrivateKeyPem: 'not a key' }, timeoutMs: CALL_TIMEOUT_MS });
    const unsignable = checkTrace(await badKey.createOrder(orderRequest(100)), 'frontTransReq');
    assert.equal(unsignable.kind, 'unknown');
    const noNotify = (await adapter.createOrder(orderRequest(100, 'CNY', { notifyUrl: null }))).outcome;
    assert.ok(noNotify.kind === 'created' && noNotify.payForm?.fields['backUrl'] === UNIONPAY_NO_NOTIFY_URL);
    const withCert = createUnionPayAdapter({ baseUrl, credentials: { ...credentials, certId: '69629715588' }, timeoutMs: CALL_TIMEOUT_MS });
    const created = (await withCert.createOrder(orderRequest(100))).outcome;
    assert.ok(created.kind === 'created' && created.payForm?.fields['certId'] === '69629715588');
    assert.equal(verifyFields(created.payForm.fields, keys.merchant.publicKeyPem), true, 'certId is signed too');
  });
});

describe('queries name a transaction by orderId and txnTime', () => {
  test('another txnTime finds nothing (34), another merchant key is refused (11)', async () => {
    const sale = orderRequest(1000);
    const { payForm } = await createOrder(sale);
    await press(await submitForm(payForm), 'pay');
    const txnTime = payForm.fields['txnTime'] ?? '';
    const shifted = chinaTime(Date.now() - 3_600_000);
    assert.notEqual(shifted, txnTime);
    const wrongTime = createUnionPayAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });
    const missed = await wrongTime.query(sale.orderNo, unionPayTxnTimeData(sale.orderNo, shifted));
    assert.deepEqual(checkTrace(missed, 'queryTrans'), { kind: 'not_paid' });
    assert.equal(missed.trace.code, '34');

    const stranger = otherKeyPair();
    const impostor = remembering(
      createUnionPayAdapter({
        baseUrl,
        credentials: { ...credentials, merchantPrivateKeyPem: stranger.privateKey },
        timeoutMs: CALL_TIMEOUT_MS,
      }),
      { ...unionPayTxnTimeData(sale.orderNo, txnTime) },
    );
    const refused = await impostor.query(sale.orderNo);
    assert.equal(checkTrace(refused, 'queryTrans').kind, 'unknown');
    assert.equal(refused.trace.code, '11');
    const refund = await impostor.refund(refundRequest(sale, 100));
    assert.equal(checkTrace(refund, 'queryTrans').kind, 'unknown', 'the refund stops at the query of the sale');
    await assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 });
  });
});
