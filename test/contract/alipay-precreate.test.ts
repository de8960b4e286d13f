/**
 * Alipay face-to-face QR (alipay.trade.precreate) for hosted checkout: the
 * adapter against the simulator over real HTTP, with the sandbox wallet
 * scanning the qr_code. precreate → query → scan → refunds, declines,
 * alipay.trade.close, test values, expiry, signatures, the wire format, and a
 * cross-check with the official alipay-sdk.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { AlipaySdk } from 'alipay-sdk';
import { money } from '../../src/domain/money.js';
import type { OnlineAdapter, OrderRequest, PosAdapter, QueryOutcome } from '../../src/providers/contract.js';
import { createAlipayAdapter, type AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import { precreateExpiry } from '../../src/providers/alipay/simulator-qr.js';
import { beijingTimestamp, parseBeijingTimestamp } from '../../src/providers/china-time.js';
import {
  CONFIRM_DELAY_MS,
  newOrderNo,
  orderRequestBuilder,
  otherKeyPair,
  pemBody,
  refundRequest,
  traceChecker,
  useSimulatorServer,
  CALL_TIMEOUT_MS,
} from '../support/contract.js';

const TIMEOUT_MS = CALL_TIMEOUT_MS;
const QR_CODE = /^https:\/\/qr\.alipay\.com\/bax0[a-z0-9]{21}$/;

let keys: AlipaySandboxKeys;
let credentials: AlipayCredentials;
let gatewayUrl = '';
let adapter: PosAdapter & OnlineAdapter;
/** Gateway calls the recording adapter made: the form parameters, and the inner answer. */
const calls: Array<{ params: Record<string, string>; answer: Record<string, unknown> }> = [];
let recordingAdapter: OnlineAdapter;

const sim = useSimulatorServer(
  'alipay',
  ({ dir, ledger, wallet }) => {
    keys = loadOrCreateAlipaySandboxKeys(join(dir, 'data'));
    credentials = { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: keys.app.privateKeyPem, alipayPublicKeyPem: keys.platform.publicKeyPem };
    return alipaySimulator({
      ledger,
      apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: keys.app.publicKeyPem }],
      platformPrivateKeyPem: keys.platform.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: 600,
      wallet,
    });
  },
  ({ baseUrl }) => {
    gatewayUrl = `${baseUrl}/gateway.do`;
    adapter = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: TIMEOUT_MS });
    const recordingFetch: typeof fetch = async (input, init) => {
      const params = Object.fromEntries(new URLSearchParams(String(init?.body)));
      const response = await fetch(input, init);
      const body: unknown = JSON.parse(await response.clone().text());
      assert.ok(typeof body === 'object' && body !== null);
      const inner: unknown = Object.values(body)[0];
      assert.ok(typeof inner === 'object' && inner !== null);
      calls.push({ params, answer: Object.fromEntries(Object.entries(inner)) });
      return response;
    };
    recordingAdapter = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: TIMEOUT_MS, fetch: recordingFetch });
  },
);
const { ledgerEntry, scanOverHttp } = sim;

// ------------------------------------------------------------------ helpers

const orderRequest = orderRequestBuilder(() => ({
  description: 'Hosted checkout test',
  paymentMethod: 'alipay',
  expiresAt: Date.now() + 10 * 60_000,
  returnUrl: null,
  notifyUrl: null,
}));

/** Every trace must name the call and never carry a private key. */
const checkTrace = traceChecker('alipay', () => [pemBody(keys.app.privateKeyPem), pemBody(keys.platform.privateKeyPem)]);

async function create(request: OrderRequest): Promise<string> {
  const outcome = checkTrace(await adapter.createOrder(request), 'alipay.trade.precreate');
  assert.equal(outcome.kind, 'created', JSON.stringify(outcome));
  assert.ok(outcome.kind === 'created');
  assert.match(outcome.qrCode, QR_CODE);
  assert.equal(outcome.payForm, null);
  return outcome.qrCode;
}

async function query(orderNo: string): Promise<QueryOutcome> {
  return checkTrace(await adapter.query(orderNo), 'alipay.trade.query');
}

/** What alipay.trade.query answered, field by field. */
async function rawQuery(orderNo: string): Promise<Record<string, unknown>> {
  calls.length = 0;
  await recordingAdapter.query(orderNo);
  const call = calls[0];
  assert.ok(call !== undefined);
  return call.answer;
}

function scanOutcome(qrCode: string, action: 'approve' | 'decline'): string {
  const result = sim.wallet.scan(qrCode, action);
  return result.ok ? result.outcome : result.error;
}

// ------------------------------------------------------------------ the happy path

describe('Alipay precreate: create, scan, pay, refund', () => {
  test('one adapter object serves both contracts', () => {
    const pos: PosAdapter = adapter;
    const online: OnlineAdapter = adapter;
    assert.equal(pos.provider, 'alipay');
    assert.equal(online.query, pos.query, 'query is shared');
    assert.equal(typeof online.createOrder, 'function');
    assert.equal(typeof online.close, 'function');
  });

  test('precreate → no trade until scanned (not_paid) → scan approves → paid → partial and full refunds', async () => {
    const request = orderRequest(2500);
    const qrCode = await create(request);
    assert.deepEqual(await query(request.orderNo), { kind: 'not_paid' });
    const unscanned = await rawQuery(request.orderNo);
    assert.deepEqual([unscanned['code'], unscanned['sub_code']], ['40004', 'ACQ.TRADE_NOT_EXIST']);
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'unpaid');

    const scanned = await scanOverHttp(qrCode, 'approve');
    assert.equal(scanned.status, 200);
    assert.deepEqual(scanned.body, { provider: 'alipay', order_no: request.orderNo, outcome: 'paid', message: 'payment succeeded' });

    const paid = await query(request.orderNo);
    assert.equal(paid.kind, 'paid');
    assert.ok(paid.kind === 'paid');
    assert.match(String(paid.providerTxnId), /^\d{28}$/);
    const raw = await rawQuery(request.orderNo);
    assert.deepEqual([raw['trade_status'], raw['total_amount'], raw['trade_no']], ['TRADE_SUCCESS', '25.00', paid.providerTxnId]);

    const partial = refundRequest(request, `${request.orderNo}R1`, 1000);
    assert.deepEqual(checkTrace(await adapter.refund(partial), 'alipay.trade.refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(partial), 'alipay.trade.fastpay.refund.query'), { kind: 'succeeded' });
    assert.deepEqual(await ledgerEntry(request.orderNo), {
      provider: 'alipay',
      order_no: request.orderNo,
      amount: 2500,
      currency: 'CNY',
      status: 'partially_refunded',
      refunded_amount: 1000,
    });
    const rest = refundRequest(request, `${request.orderNo}R2`, 1500);
    assert.deepEqual((await adapter.refund(rest)).outcome, { kind: 'succeeded' });
    assert.deepEqual((await adapter.refundQuery(rest)).outcome, { kind: 'succeeded' });
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'refunded');
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'TRADE_CLOSED' }, 'refunded in full: Alipay closes the trade');
    assert.equal((await adapter.refund(refundRequest(request, `${request.orderNo}R3`, 1))).outcome.kind, 'declined');
  });

  test('a paid code cannot be scanned again; a code nobody issued is unknown', async () => {
    const qrCode = await create(orderRequest(300));
    assert.equal(scanOutcome(qrCode, 'approve'), 'paid');
    const again = await scanOverHttp(qrCode, 'approve');
    assert.deepEqual([again.status, again.body['error']], [409, 'not_payable']);
    const unknown = await scanOverHttp('https://qr.alipay.com/bax0nobodyissuedthis000', 'approve');
    assert.deepEqual([unknown.status, unknown.body['error']], [404, 'unknown_code']);
  });
});

// ------------------------------------------------------------------ declines, close, test values

describe('Alipay precreate: declines, closing and the test values', () => {
  test('the customer declines in the wallet: TRADE_CLOSED, and the code is refused afterwards', async () => {
    const request = orderRequest(1200);
    const qrCode = await create(request);
    assert.equal(scanOutcome(qrCode, 'decline'), 'declined');
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'TRADE_CLOSED' });
    assert.equal(scanOutcome(qrCode, 'approve'), 'not_payable');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'closed');
  });

  test('closing an unscanned order: ACQ.TRADE_NOT_EXIST → closed, the code stops working, query says TRADE_CLOSED', async () => {
    const request = orderRequest(1300);
    const qrCode = await create(request);
    const closed = await adapter.close(request.orderNo);
    assert.deepEqual(checkTrace(closed, 'alipay.trade.close'), { kind: 'closed' });
    assert.equal(closed.trace.code, 'ACQ.TRADE_NOT_EXIST');
    const refused = await scanOverHttp(qrCode, 'approve');
    assert.deepEqual([refused.status, refused.body['error']], [409, 'not_payable']);
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'TRADE_CLOSED' });
    // Closing again: "not waiting for the buyer", and the query says closed, not paid.
    const again = await adapter.close(request.orderNo);
    assert.deepEqual(again.outcome, { kind: 'closed' });
    assert.equal(again.trace.code, 'ACQ.TRADE_STATUS_ERROR');
    assert.match(again.trace.message ?? '', /alipay\.trade\.query: TRADE_CLOSED/);
  });

  test('closing a paid order answers ACQ.TRADE_STATUS_ERROR; the query confirms: already_paid', async () => {
    const request = orderRequest(1400);
    assert.equal(scanOutcome(await create(request), 'approve'), 'paid');
    const closed = await adapter.close(request.orderNo);
    assert.deepEqual(checkTrace(closed, 'alipay.trade.close'), { kind: 'already_paid' });
    assert.equal(closed.trace.code, 'ACQ.TRADE_STATUS_ERROR');
    assert.match(closed.trace.message ?? '', /alipay\.trade\.query: TRADE_SUCCESS/);
    assert.equal((await query(request.orderNo)).kind, 'paid');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'paid');
  });

  test('closing an order Alipay never saw is closed: there is no trade anyone could pay', async () => {
    const closed = await adapter.close(newOrderNo());
    assert.deepEqual(closed.outcome, { kind: 'closed' });
    assert.equal(closed.trace.code, 'ACQ.TRADE_NOT_EXIST');
  });

  for (const amount of [2351, 2357]) {
    test(`test value ${amount % 100}: the wallet approves, the payment is declined, the trade is closed`, async () => {
      const request = orderRequest(amount);
      const qrCode = await create(request);
      assert.equal(scanOutcome(qrCode, 'approve'), 'declined');
      assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'TRADE_CLOSED' });
      assert.equal(scanOutcome(qrCode, 'approve'), 'not_payable');
    });
  }

  test('test value 53: WAIT_BUYER_PAY after the scan, paid after the confirm delay', async () => {
    const request = orderRequest(2353);
    const qrCode = await create(request);
    assert.equal(scanOutcome(qrCode, 'approve'), 'awaiting_confirmation');
    assert.deepEqual(await query(request.orderNo), { kind: 'awaiting_customer' });
    assert.equal((await rawQuery(request.orderNo))['trade_status'], 'WAIT_BUYER_PAY');
    await sleep(CONFIRM_DELAY_MS + 100);
    assert.equal((await query(request.orderNo)).kind, 'paid');
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'paid');
  });

  test('test value 54: the customer never confirms; closing the scanned trade answers 10000', async () => {
    const request = orderRequest(2354);
    const qrCode = await create(request);
    assert.equal(scanOutcome(qrCode, 'approve'), 'awaiting_confirmation');
    await sleep(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(await query(request.orderNo), { kind: 'awaiting_customer' });
    const closed = await adapter.close(request.orderNo);
    assert.deepEqual(closed.outcome, { kind: 'closed' });
    assert.equal(closed.trace.code, '10000');
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'TRADE_CLOSED' });
  });

  test('test value 59: paid, and the refund is refused', async () => {
    const request = orderRequest(2359);
    assert.equal(scanOutcome(await create(request), 'approve'), 'paid');
    const refused = checkTrace(await adapter.refund(refundRequest(request, `${request.orderNo}R1`, 2359)), 'alipay.trade.refund');
    assert.deepEqual(refused, { kind: 'declined', code: 'ACQ.TRADE_NOT_ALLOW_REFUND', message: 'the trade does not allow refunds' });
  });

  test('an expired code cannot be paid, and the order reports TRADE_CLOSED', async () => {
    const request = orderRequest(1500, 'CNY', { expiresAt: Date.now() + 1_500 });
    const qrCode = await create(request);
    assert.deepEqual(await query(request.orderNo), { kind: 'not_paid' });
    await sleep(1_600);
    assert.deepEqual(sim.wallet.scan(qrCode, 'approve'), { ok: false, error: 'not_payable', message: 'the trade is TRADE_CLOSED; it can no longer be paid' });
    assert.deepEqual(await query(request.orderNo), { kind: 'closed', code: 'TRADE_CLOSED' });
    assert.equal((await ledgerEntry(request.orderNo))?.status, 'closed');
  });

  test('an expiry already past is refused at precreate', async () => {
    const outcome = (await adapter.createOrder(orderRequest(100, 'CNY', { expiresAt: Date.now() - 2_000 }))).outcome;
    assert.deepEqual(outcome, { kind: 'declined', code: 'ACQ.INVALID_PARAMETER', message: 'invalid parameter: time_expire or timeout_express' });
  });
});

// ------------------------------------------------------------------ re-entry

describe('Alipay precreate: the same out_trade_no again', () => {
  test('an unpaid order answers the same qr_code; other details are refused', async () => {
    const request = orderRequest(1600);
    const first = await create(request);
    assert.equal(await create(request), first);
    const other = (await adapter.createOrder({ ...request, money: money(1601, 'CNY') })).outcome;
    assert.deepEqual(other, { kind: 'declined', code: 'ACQ.CONTEXT_INCONSISTENT', message: 'out_trade_no was used with other trade details' });
  });

  test('a paid order: ACQ.TRADE_HAS_SUCCESS, unknown (query it); a closed one: ACQ.TRADE_HAS_CLOSE, declined', async () => {
    const paid = orderRequest(1700);
    assert.equal(scanOutcome(await create(paid), 'approve'), 'paid');
    assert.deepEqual((await adapter.createOrder(paid)).outcome, { kind: 'unknown', reason: 'the trade has already been paid', code: 'ACQ.TRADE_HAS_SUCCESS' });
    const closed = orderRequest(1800);
    await create(closed);
    await adapter.close(closed.orderNo);
    assert.deepEqual((await adapter.createOrder(closed)).outcome, { kind: 'declined', code: 'ACQ.TRADE_HAS_CLOSE', message: 'the trade has been closed' });
  });

  test('a bar-code pay cannot reuse a precreated order number', async () => {
    const request = orderRequest(1900);
    await create(request);
    const paid = await adapter.pay({ orderNo: request.orderNo, money: request.money, authCode: '286543210987654321', description: 'POS' });
    assert.deepEqual(paid.outcome, { kind: 'declined', code: 'ACQ.CONTEXT_INCONSISTENT', message: 'out_trade_no belongs to a precreated (QR) trade' });
  });
});

// ------------------------------------------------------------------ the wire

describe('Alipay precreate: the wire', () => {
  for (const [amount, currency, totalAmount] of [
    [1500, 'JPY', '1500'],
    [1234, 'USD', '12.34'],
    [88, 'CNY', '0.88'],
  ] as const) {
    test(`precreate carries ${amount} ${currency} as total_amount ${totalAmount} in major units, and the simulator books it so`, async () => {
      calls.length = 0;
      const request = orderRequest(amount, currency, { description: 'Tea & cake / 2=1' });
      assert.equal((await recordingAdapter.createOrder(request)).outcome.kind, 'created');
      const params = calls[0]?.params ?? {};
      assert.equal(params['method'], 'alipay.trade.precreate');
      assert.equal(params['notify_url'], undefined, 'no notify_url when CanCan has none');
      const biz: unknown = JSON.parse(params['biz_content'] ?? 'null');
      const foreign = currency === 'CNY' ? {} : { trans_currency: currency, settle_currency: currency };
      assert.deepEqual(biz, {
        out_trade_no: request.orderNo,
        total_amount: totalAmount,
        subject: 'Tea cake 2 1',
        product_code: 'FACE_TO_FACE_PAYMENT',
        time_expire: beijingTimestamp(request.expiresAt),
        ...foreign,
      });
      assert.deepEqual(await ledgerEntry(request.orderNo), {
        provider: 'alipay',
        order_no: request.orderNo,
        amount,
        currency,
        status: 'unpaid',
        refunded_amount: 0,
      });
      assert.deepEqual(calls[0]?.answer, { code: '10000', msg: 'Success', out_trade_no: request.orderNo, qr_code: calls[0]?.answer['qr_code'] });
    });
  }

  test('the caller’s notify_url goes in the common parameters; alipay.trade.close names the order', async () => {
    calls.length = 0;
    const request = orderRequest(2000, 'CNY', { notifyUrl: 'https://shop.example/notify' });
    await recordingAdapter.createOrder(request);
    await recordingAdapter.close(request.orderNo);
    assert.equal(calls[0]?.params['notify_url'], 'https://shop.example/notify');
    assert.equal(calls[1]?.params['method'], 'alipay.trade.close');
    assert.deepEqual(JSON.parse(calls[1]?.params['biz_content'] ?? 'null'), { out_trade_no: request.orderNo });
  });

  test('expiry rules: time_expire wins, timeout_express 1m–15d or 1c, default 3h, never beyond the code’s 2h', () => {
    const now = Date.UTC(2025, 0, 1, 4, 0, 0); // 12:00 in Beijing
    assert.equal(precreateExpiry('2025-01-01 12:30:00', '1d', now), now + 30 * 60_000);
    assert.equal(precreateExpiry(undefined, '90m', now), now + 90 * 60_000);
    assert.equal(precreateExpiry(undefined, '1d', now), now + 2 * 3_600_000);
    assert.equal(precreateExpiry(undefined, undefined, now), now + 2 * 3_600_000);
    assert.equal(precreateExpiry(undefined, '1c', now), now + 2 * 3_600_000);
    assert.equal(precreateExpiry(undefined, '1.5h', now), null);
    assert.equal(precreateExpiry(undefined, '16d', now), null);
    assert.equal(precreateExpiry('2025-01-01 11:59:59', undefined, now), null);
    assert.equal(parseBeijingTimestamp('2025-02-30 12:00:00'), null);
    assert.equal(parseBeijingTimestamp(beijingTimestamp(now)), now);
  });
});

// ------------------------------------------------------------------ what can't be trusted

describe('Alipay precreate: signatures and failures', () => {
  test('a request signed with another key is refused (isv.invalid-signature) and creates nothing', async () => {
    const impostor = createAlipayAdapter({ gatewayUrl, credentials: { ...credentials, appPrivateKeyPem: otherKeyPair().privateKey }, timeoutMs: TIMEOUT_MS });
    const request = orderRequest(2100);
    const outcome = checkTrace(await impostor.createOrder(request), 'alipay.trade.precreate');
    assert.equal(outcome.kind, 'rejected');
    assert.ok(outcome.kind === 'rejected');
    assert.equal(outcome.code, 'isv.invalid-signature');
    assert.equal(await ledgerEntry(request.orderNo), undefined);
  });

  test('an answer altered on the way (another qr_code) fails its signature: unknown', async () => {
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const text = (await response.text()).replace(/bax0[a-z0-9]{21}/, 'bax0attackerattackerattac');
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const tampered = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: TIMEOUT_MS, fetch: tampering });
    assert.deepEqual((await tampered.createOrder(orderRequest(2200))).outcome, { kind: 'unknown', reason: 'response signature does not verify', code: null });
  });

  test('no answer in time: unknown, never declined', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const slow = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: 50, fetch: hanging });
    assert.deepEqual((await slow.createOrder(orderRequest(2300))).outcome, { kind: 'unknown', reason: 'no answer within 50 ms', code: null });
    assert.deepEqual((await slow.close(newOrderNo())).outcome, { kind: 'unknown', reason: 'no answer within 50 ms' });
  });
});

// ------------------------------------------------------------------ cross-check with alipay-sdk

describe('Alipay precreate: cross-check with the official alipay-sdk', () => {
  test('the SDK precreates and closes through our simulator, and verifies every answer', async () => {
    const sdk = new AlipaySdk({
      appId: ALIPAY_SANDBOX_APP_ID,
      privateKey: keys.app.privateKeyPem,
      keyType: 'PKCS8',
      alipayPublicKey: keys.platform.publicKeyPem,
      gateway: gatewayUrl,
      camelcase: false,
      timeout: 5000,
    });
    const orderNo = newOrderNo();
    const created = await sdk.exec(
      'alipay.trade.precreate',
      {
        bizContent: { out_trade_no: orderNo, total_amount: '19.90', subject: 'SDK cross-check', timeout_express: '30m' },
      },
      { validateSign: true },
    );
    assert.equal(created.code, '10000', JSON.stringify(created));
    assert.match(String(created['qr_code']), QR_CODE);
    assert.equal(scanOutcome(String(created['qr_code']), 'approve'), 'paid');
    const closed = await sdk.exec('alipay.trade.close', { bizContent: { out_trade_no: orderNo } }, { validateSign: true });
    assert.deepEqual([closed.code, closed.sub_code], ['40004', 'ACQ.TRADE_STATUS_ERROR']);
    // What the SDK created, our adapter reads back the same way.
    assert.equal((await query(orderNo)).kind, 'paid');
    assert.deepEqual(await ledgerEntry(orderNo), { provider: 'alipay', order_no: orderNo, amount: 1990, currency: 'CNY', status: 'paid', refunded_amount: 0 });
  });
});
