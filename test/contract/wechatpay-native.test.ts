/**
 * WeChat Pay Native (merchant-presented QR) for hosted checkout: the adapter
 * against the simulator over real HTTP, with the sandbox wallet scanning the
 * code_url. unifiedorder → orderquery → scan → refunds, declines, closeorder,
 * test values, expiry, signatures and the wire format.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import type { OnlineAdapter, OrderRequest, PosAdapter } from '../../src/providers/contract.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from '../../src/providers/wechatpay/adapter.js';
import { providerNotifyUrl } from '../../src/providers/notify-url.js';
import { chinaTime, parseChinaTime } from '../../src/providers/china-time.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { verifyFields } from '../../src/providers/wechatpay/sign.js';
import { parseXml, type WireFields } from '../../src/providers/wechatpay/xml.js';
import { CONFIRM_DELAY_MS, newOrderNo, orderRequestBuilder, refundRequest, traceChecker, useSimulatorServer, CALL_TIMEOUT_MS } from '../support/contract.js';

const TIMEOUT_MS = CALL_TIMEOUT_MS;
/** CanCan's notification route as notify-url.ts names it. */
const NOTIFY_URL = providerNotifyUrl('http://127.0.0.1:8080', 'wechatpay');
const CODE_URL = /^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{7}$/;

let baseUrl = '';
let adapter: PosAdapter & OnlineAdapter;
/** Requests the recording adapter sent, and the answers it got, parsed. */
const sent: Array<{ path: string; fields: WireFields }> = [];
const received: WireFields[] = [];
let recordingAdapter: OnlineAdapter;

const sim = useSimulatorServer(
  'wechatpay',
  ({ ledger, wallet }) =>
    wechatPaySimulator({
      ledger,
      credentials: [WECHATPAY_SANDBOX_CREDENTIALS],
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: 600,
      wallet,
    }),
  (server) => {
    baseUrl = server.baseUrl;
    adapter = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: TIMEOUT_MS });
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push({ path: new URL(String(input)).pathname, fields: parseXml(String(init?.body)) });
      const response = await fetch(input, init);
      received.push(parseXml(await response.clone().text()));
      return response;
    };
    recordingAdapter = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: TIMEOUT_MS, fetch: recordingFetch });
  },
);
const { ledgerEntry, scanOverHttp } = sim;

// ------------------------------------------------------------------ helpers

const orderRequest = orderRequestBuilder(() => ({
  description: 'Hosted checkout test',
  paymentMethod: 'wechatpay',
  expiresAt: Date.now() + 10 * 60_000,
  returnUrl: null,
  notifyUrl: NOTIFY_URL,
}));

/** Every trace must name the call and never carry the API key. */
const checkTrace = traceChecker('wechatpay', () => [WECHATPAY_SANDBOX_CREDENTIALS.apiKey]);

/** Creates the order and returns its code_url. */
async function create(request: OrderRequest): Promise<string> {
  const outcome = checkTrace(await adapter.createOrder(request), 'unifiedorder');
  assert.equal(outcome.kind, 'created', JSON.stringify(outcome));
  assert.ok(outcome.kind === 'created');
  assert.match(outcome.qrCode, CODE_URL);
  assert.equal(outcome.payForm, null);
  return outcome.qrCode;
}

async function query(orderNo: string): Promise<unknown> {
  return checkTrace(await adapter.query(orderNo), 'orderquery');
}

/** orderquery answered straight from the simulator: trade_state and friends, as WeChat sends them. */
async function rawQuery(orderNo: string): Promise<WireFields> {
  received.length = 0;
  await recordingAdapter.query(orderNo);
  const answer = received[0];
  assert.ok(answer !== undefined);
  return answer;
}

// ------------------------------------------------------------------ the happy path

describe('WeChat Pay Native: create, scan, pay, refund', () => {
  test('one adapter object serves both contracts', () => {
    const pos: PosAdapter = adapter;
    const online: OnlineAdapter = adapter;
    assert.equal(pos.provider, 'wechatpay');
    assert.equal(online.query, pos.query, 'query is shared');
    assert.equal(typeof online.createOrder, 'function');
    assert.equal(typeof online.close, 'function');
  });

  test('unifiedorder → NOTPAY → scan approves → paid → partial and full refunds settle', async () => {
    const request = orderRequest(2500);
    const qrCode = await create(request);
    assert.deepEqual(await query(request.orderNo), { kind: 'not_paid' });
    assert.equal((await rawQuery(request.orderNo))['trade_state'], 'NOTPAY');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'unpaid');

    const scanned = await scanOverHttp(qrCode, 'approve');
    assert.equal(scanned.status, 200);
    assert.deepEqual(scanned.body, { provider: 'wechatpay', order_no: request.orderNo, outcome: 'paid', message: 'payment succeeded' });

    const paid = await query(request.orderNo);
    assert.ok(typeof paid === 'object' && paid !== null && 'kind' in paid && paid.kind === 'paid' && 'providerTxnId' in paid);
    assert.match(String(paid.providerTxnId), /^4200\d{24}$/);
    const raw = await rawQuery(request.orderNo);
    assert.deepEqual([raw['trade_state'], raw['trade_type'], raw['total_fee'], raw['fee_type']], ['SUCCESS', 'NATIVE', '2500', 'CNY']);

    const partial = refundRequest(request, `${request.orderNo}R1`, 1000);
    assert.deepEqual(checkTrace(await adapter.refund(partial), 'refund'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(partial), 'refundquery'), { kind: 'succeeded' });
    assert.deepEqual(await ledgerEntry(request.orderNo), {
      provider: 'wechatpay',
      order_no: request.orderNo,
      amount: 2500,
      currency: 'CNY',
      status: 'partially_refunded',
      refunded_amount: 1000,
    });
    const rest = refundRequest(request, `${request.orderNo}R2`, 1500);
    assert.deepEqual(checkTrace(await adapter.refund(rest), 'refund'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(rest), 'refundquery'), { kind: 'succeeded' });
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'refunded');
    assert.deepEqual(await query(request.orderNo), paid, 'REFUND: the sale itself was paid');

    const tooMuch = refundRequest(request, `${request.orderNo}R3`, 1);
    const refused = checkTrace(await adapter.refund(tooMuch), 'refund');
    assert.equal(refused.kind, 'declined');
  });

  test('a paid code cannot be scanned again', async () => {
    const request = orderRequest(300);
    const qrCode = await create(request);
    assert.equal(sim.wallet.scan(qrCode, 'approve').ok, true);
    const again = await scanOverHttp(qrCode, 'approve');
    assert.equal(again.status, 409);
    assert.equal(again.body['error'], 'not_payable');
  });

  test('a code nobody issued is unknown to the wallet', async () => {
    const unknown = await scanOverHttp('weixin://wxpay/bizpayurl?pr=Nobody1', 'approve');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body['error'], 'unknown_code');
  });
});

// ------------------------------------------------------------------ declines, close, test values

describe('WeChat Pay Native: declines, closing and the test values', () => {
  test('the customer declines in the wallet: PAYERROR, closed, and the code is refused afterwards', async () => {
    const request = orderRequest(1200);
    const qrCode = await create(request);
    const declined = sim.wallet.scan(qrCode, 'decline');
    assert.deepEqual(declined, {
      ok: true,
      provider: 'wechatpay',
      orderNo: request.orderNo,
      outcome: 'declined',
      message: 'the customer declined the payment',
    });
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'PAYERROR' });
    assert.equal(sim.wallet.scan(qrCode, 'approve').ok, false);
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'closed');
  });

  test('closing an unscanned order: closed, the code stops working, query says CLOSED, closing again stays closed', async () => {
    const request = orderRequest(1300);
    const qrCode = await create(request);
    assert.deepEqual(checkTrace(await adapter.close(request.orderNo), 'closeorder'), { kind: 'closed' });
    const refused = await scanOverHttp(qrCode, 'approve');
    assert.equal(refused.status, 409);
    assert.equal(refused.body['error'], 'not_payable');
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'CLOSED' });
    const again = await adapter.close(request.orderNo);
    assert.deepEqual(again.outcome, { kind: 'closed' });
    assert.equal(again.trace.code, 'ORDERCLOSED');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'closed');
  });

  test('closing a paid order answers ORDERPAID: already_paid, and the order stays paid', async () => {
    const request = orderRequest(1400);
    const qrCode = await create(request);
    assert.equal(sim.wallet.scan(qrCode, 'approve').ok, true);
    const closed = await adapter.close(request.orderNo);
    assert.deepEqual(checkTrace(closed, 'closeorder'), { kind: 'already_paid' });
    assert.equal(closed.trace.code, 'ORDERPAID');
    assert.equal(((await query(request.orderNo)) as { kind: string }).kind, 'paid');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'paid');
  });

  test('closing an order WeChat never created is closed: there is no code anyone could pay', async () => {
    const closed = await adapter.close(newOrderNo());
    assert.deepEqual(closed.outcome, { kind: 'closed' });
    assert.equal(closed.trace.code, 'ORDERNOTEXIST');
  });

  for (const [amount, message] of [
    [2351, /NOTENOUGH/],
    [2357, /BUYER_MISMATCH/],
  ] as const) {
    test(`test value ${amount % 100}: the wallet approves, the payment is declined, the order is closed`, async () => {
      const request = orderRequest(amount);
      const qrCode = await create(request);
      const result = sim.wallet.scan(qrCode, 'approve');
      assert.ok(result.ok);
      assert.equal(result.outcome, 'declined');
      assert.match(result.message, message);
      assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'PAYERROR' });
      assert.equal(sim.wallet.scan(qrCode, 'approve').ok, false);
    });
  }

  test('test value 53: the customer confirms after the delay; until then USERPAYING', async () => {
    const request = orderRequest(2353);
    const qrCode = await create(request);
    const scanned = await scanOverHttp(qrCode, 'approve');
    assert.equal(scanned.body['outcome'], 'awaiting_confirmation');
    assert.deepEqual(await query(request.orderNo), { kind: 'awaiting_customer' });
    await sleep(CONFIRM_DELAY_MS + 100);
    assert.equal(((await query(request.orderNo)) as { kind: string }).kind, 'paid');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'paid');
  });

  test('test value 54: the customer never confirms; closing the order ends it', async () => {
    const request = orderRequest(2354);
    const qrCode = await create(request);
    assert.equal((sim.wallet.scan(qrCode, 'approve') as { outcome?: string }).outcome, 'awaiting_confirmation');
    await sleep(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(await query(request.orderNo), { kind: 'awaiting_customer' });
    assert.deepEqual((await adapter.close(request.orderNo)).outcome, { kind: 'closed' });
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'CLOSED' });
  });

  test('test value 59: paid, and the refund is refused', async () => {
    const request = orderRequest(2359);
    const qrCode = await create(request);
    assert.equal((sim.wallet.scan(qrCode, 'approve') as { outcome?: string }).outcome, 'paid');
    const refused = checkTrace(await adapter.refund(refundRequest(request, `${request.orderNo}R1`, 2359)), 'refund');
    assert.deepEqual(refused, { kind: 'declined', code: 'TRADE_OVERDUE', message: 'order is past its refund period' });
    assert.equal(adapter.mapFailure('TRADE_OVERDUE'), 'refund_not_allowed_failure');
  });

  test('an expired code cannot be paid, and the order reports CLOSED', async () => {
    const request = orderRequest(1500, 'CNY', { expiresAt: Date.now() + 1_500 });
    const qrCode = await create(request);
    assert.deepEqual(await query(request.orderNo), { kind: 'not_paid' });
    await sleep(1_600);
    const refused = sim.wallet.scan(qrCode, 'approve');
    assert.deepEqual(refused, { ok: false, error: 'not_payable', message: 'order is CLOSED; it can no longer be paid' });
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'CLOSED' });
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'closed');
  });

  test('an expiry already past is refused at creation', async () => {
    const outcome = checkTrace(await adapter.createOrder(orderRequest(100, 'CNY', { expiresAt: Date.now() - 2_000 })), 'unifiedorder');
    assert.deepEqual(outcome, { kind: 'declined', code: 'INVALID_REQUEST', message: 'time_expire has already passed' });
  });
});

// ------------------------------------------------------------------ re-entry

describe('WeChat Pay Native: the same out_trade_no again', () => {
  test('an unpaid order answers the same code_url; other parameters are refused', async () => {
    const request = orderRequest(1600);
    const first = await create(request);
    assert.equal(await create(request), first);
    const other = checkTrace(await adapter.createOrder({ ...request, money: money(1601, 'CNY') }), 'unifiedorder');
    assert.deepEqual(other, { kind: 'declined', code: 'INVALID_REQUEST', message: 'out_trade_no was used with other parameters' });
  });

  test('a paid order answers ORDERPAID: unknown, so the caller queries; a closed one ORDERCLOSED: declined', async () => {
    const paid = orderRequest(1700);
    assert.equal(sim.wallet.scan(await create(paid), 'approve').ok, true);
    assert.deepEqual((await adapter.createOrder(paid)).outcome, { kind: 'unknown', reason: 'order has already been paid', code: 'ORDERPAID' });
    const closed = orderRequest(1800);
    await create(closed);
    await adapter.close(closed.orderNo);
    assert.deepEqual((await adapter.createOrder(closed)).outcome, { kind: 'declined', code: 'ORDERCLOSED', message: 'order has been closed' });
  });

  test('a micropay order number cannot become a Native order', async () => {
    const orderNo = newOrderNo();
    const paid = await adapter.pay({ orderNo, money: money(2354, 'CNY'), authCode: '134567890123456789', description: 'POS' });
    assert.equal(paid.outcome.kind, 'awaiting_customer');
    assert.deepEqual((await adapter.createOrder(orderRequest(2354, 'CNY', { orderNo }))).outcome, {
      kind: 'declined',
      code: 'OUT_TRADE_NO_USED',
      message: 'out_trade_no has already been used',
    });
  });
});

// ------------------------------------------------------------------ the wire

describe('WeChat Pay Native: the wire', () => {
  for (const [amount, currency] of [
    [1500, 'JPY'],
    [1234, 'USD'],
    [88, 'CNY'],
  ] as const) {
    test(`unifiedorder carries ${amount} ${currency} as total_fee in minor units, and the simulator books it so`, async () => {
      sent.length = 0;
      const request = orderRequest(amount, currency, { description: 'Café\u0007 order' });
      const outcome = await recordingAdapter.createOrder(request);
      assert.equal(outcome.outcome.kind, 'created');
      const unifiedOrder = sent.find((call) => call.path === '/_sim/wechatpay/pay/unifiedorder');
      assert.ok(unifiedOrder !== undefined);
      const fields = unifiedOrder.fields;
      assert.deepEqual(
        [fields['total_fee'], fields['fee_type'], fields['trade_type'], fields['product_id'], fields['out_trade_no'], fields['body']],
        [String(amount), currency, 'NATIVE', request.orderNo, request.orderNo, 'Café  order'],
      );
      assert.equal(fields['time_expire'], chinaTime(request.expiresAt));
      assert.equal(fields['notify_url'], NOTIFY_URL);
      assert.equal(fields['spbill_create_ip'], '127.0.0.1');
      assert.equal(fields['sign_type'], 'HMAC-SHA256');
      assert.ok(verifyFields(fields, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, 'HMAC-SHA256'), 'the request is signed');
      assert.deepEqual(await ledgerEntry(request.orderNo), {
        provider: 'wechatpay',
        order_no: request.orderNo,
        amount,
        currency,
        status: 'unpaid',
        refunded_amount: 0,
      });
    });
  }

  test('the caller’s notify_url is passed on; closeorder names the order', async () => {
    sent.length = 0;
    const request = orderRequest(1900, 'CNY', { notifyUrl: 'https://shop.example/notify' });
    await recordingAdapter.createOrder(request);
    await recordingAdapter.close(request.orderNo);
    assert.deepEqual(
      sent.map((call) => call.path),
      ['/_sim/wechatpay/pay/unifiedorder', '/_sim/wechatpay/pay/closeorder'],
    );
    assert.equal(sent[0]?.fields['notify_url'], 'https://shop.example/notify');
    const closeFields = sent[1]?.fields ?? {};
    assert.deepEqual(Object.keys(closeFields).sort(), ['appid', 'mch_id', 'nonce_str', 'out_trade_no', 'sign', 'sign_type']);
    assert.equal(closeFields['out_trade_no'], request.orderNo);
  });

  test('without a notification URL no made-up host is sent: unifiedorder lacks notify_url and is refused', async () => {
    sent.length = 0;
    const request = orderRequest(1900, 'CNY', { notifyUrl: null });
    const outcome = (await recordingAdapter.createOrder(request)).outcome;
    assert.equal(sent[0]?.fields['notify_url'], undefined);
    assert.deepEqual(outcome, { kind: 'declined', code: 'LACK_PARAMS', message: 'missing notify_url' });
    assert.equal(NOTIFY_URL, 'http://127.0.0.1:8080/notify/wechatpay');
  });

  test('time_expire is yyyyMMddHHmmss in China time (UTC+8), and reads back', () => {
    const epochMs = Date.UTC(2024, 11, 31, 17, 30, 5, 999); // 2025-01-01 01:30:05.999 in Beijing
    assert.equal(chinaTime(epochMs), '20250101013005');
    assert.equal(parseChinaTime('20250101013005'), Date.UTC(2024, 11, 31, 17, 30, 5));
    assert.equal(parseChinaTime('20250230120000'), null);
    assert.equal(parseChinaTime('2025-01-01 01:30:05'), null);
  });
});

// ------------------------------------------------------------------ what can't be trusted

describe('WeChat Pay Native: signatures and failures', () => {
  test('a request signed with another key is rejected (retrying cannot help) and creates nothing', async () => {
    const impostor = createWeChatPayAdapter({
      baseUrl,
      credentials: { ...WECHATPAY_SANDBOX_CREDENTIALS, apiKey: 'impostorkey00000000000000000032x' },
      timeoutMs: TIMEOUT_MS,
    });
    const request = orderRequest(2000);
    const outcome = (await impostor.createOrder(request)).outcome;
    assert.deepEqual(outcome, { kind: 'rejected', code: 'FAIL', message: 'signature error' });
    assert.equal(await ledgerEntry(request.orderNo), undefined);
    assert.deepEqual((await impostor.close(request.orderNo)).outcome, { kind: 'rejected', code: 'FAIL', message: 'signature error' });
  });

  test('an answer altered on the way (another code_url) fails its signature: unknown', async () => {
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const text = (await response.text()).replace(/bizpayurl\?pr=[0-9A-Za-z]{7}/, 'bizpayurl?pr=Attack1');
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const tampered = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: TIMEOUT_MS, fetch: tampering });
    const outcome = (await tampered.createOrder(orderRequest(2100))).outcome;
    assert.deepEqual(outcome, { kind: 'unknown', reason: 'response signature does not verify', code: null });
  });

  test('no answer in time: unknown, never declined', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const slow = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: 50, fetch: hanging });
    assert.deepEqual((await slow.createOrder(orderRequest(2200))).outcome, { kind: 'unknown', reason: 'no answer within 50 ms', code: null });
    assert.deepEqual((await slow.close(newOrderNo())).outcome, { kind: 'unknown', reason: 'no answer within 50 ms' });
  });
});
