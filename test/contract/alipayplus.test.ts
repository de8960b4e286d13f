/**
 * The Alipay+ adapter against the Alipay+ simulator over real HTTP: Cashier
 * Payment creation, the sandbox wallet's test values, inquiries, cancels,
 * expiry, refunds, signatures both ways and the wire format of amounts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { money, type CurrencyCode } from '../../src/domain/money.js';
import type { OnlineAdapter, OrderOutcome, OrderRequest } from '../../src/providers/contract.js';
import { createAlipayPlusAdapter, type AlipayPlusCredentials } from '../../src/providers/alipayplus/adapter.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys, type AlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import { isoTime, signMessage, verifyMessage } from '../../src/providers/alipayplus/sign.js';
import { alipayPlusSimulator } from '../../src/providers/alipayplus/simulator.js';
import { ALIPAYPLUS_WALLET_CURRENCIES, type AlipayPlusPaymentMethod } from '../../src/providers/alipayplus/transformers.js';
import {
  CALL_TIMEOUT_MS,
  CONFIRM_DELAY_MS,
  IMPATIENT_TIMEOUT_MS,
  SLOW_RESPONSE_MS,
  newOrderNo,
  otherKeyPair,
  pemBody,
  refundRequest,
  traceChecker,
  useSimulatorServer,
} from '../support/contract.js';

const LIVE_STYLE_CLIENT_ID = '2188120000000001';

let keys: AlipayPlusSandboxKeys;
let credentials: AlipayPlusCredentials;
let baseUrl = '';
let adapter: OnlineAdapter;

const sim = useSimulatorServer(
  'alipayplus',
  ({ dir, ledger, wallet }) => {
    keys = loadOrCreateAlipayPlusSandboxKeys(join(dir, 'data'));
    credentials = {
      clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
      merchantPrivateKeyPem: keys.merchant.privateKeyPem,
      providerPublicKeyPem: keys.provider.publicKeyPem,
    };
    return alipayPlusSimulator({
      ledger,
      wallet,
      clients: [
        { clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, publicKeyPem: keys.merchant.publicKeyPem },
        { clientId: LIVE_STYLE_CLIENT_ID, publicKeyPem: keys.merchant.publicKeyPem },
      ],
      providerPrivateKeyPem: keys.provider.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: SLOW_RESPONSE_MS,
    });
  },
  (server) => {
    baseUrl = server.baseUrl;
    adapter = createAlipayPlusAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });
  },
);
const { ledgerEntry, assertLedger, scanOverHttp } = sim;

// ------------------------------------------------------------------ helpers

function orderRequest(amount: number, method: AlipayPlusPaymentMethod | string = 'alipay_hk', overrides: Partial<OrderRequest> = {}): OrderRequest {
  const currency: CurrencyCode = (ALIPAYPLUS_WALLET_CURRENCIES as Record<string, readonly CurrencyCode[]>)[method]?.[0] ?? 'HKD';
  return {
    orderNo: newOrderNo(),
    money: money(amount, currency),
    description: 'Contract test',
    paymentMethod: method,
    expiresAt: Date.now() + 60_000,
    returnUrl: 'https://shop.example/return',
    notifyUrl: 'https://cancan.example/notify/alipayplus',
    ...overrides,
  };
}

/** Every trace must name the provider and call and never carry a key. */
const checkTrace = traceChecker('alipayplus', () => [pemBody(keys.merchant.privateKeyPem), pemBody(keys.provider.privateKeyPem)]);

async function create(request: OrderRequest): Promise<string> {
  const outcome = checkTrace(await adapter.createOrder(request), 'pay');
  assert.ok(outcome.kind === 'created' && outcome.payForm === null, JSON.stringify(outcome));
  return outcome.qrCode;
}

/** paymentExpiryTime carries whole seconds: the first whole second at least `minMs` from now. */
function nextWholeSecond(minMs: number): number {
  return Math.ceil((Date.now() + minMs) / 1000) * 1000;
}

interface Sent {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A fetch that records what the adapter sent and lets a test rewrite the answer (body and headers). */
function spyFetch(sent: Sent[], rewrite: (body: string, headers: Headers) => string = (body) => body): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    sent.push({ url: String(input), headers, body: JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as Record<string, unknown> });
    const response = await fetch(input, init);
    const answerHeaders = new Headers(response.headers);
    const body = rewrite(await response.text(), answerHeaders);
    return new Response(body, { status: response.status, headers: answerHeaders });
  };
}

// ------------------------------------------------------------------ the happy path

describe('Cashier Payment: create, scan, inquire, refund', () => {
  test('create → PROCESSING → wallet approves → SUCCESS → partial refunds → inquiryRefund', async () => {
    const sent: Sent[] = [];
    const spied = createAlipayPlusAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent) });
    const sale = orderRequest(1000);
    const result = await spied.createOrder(sale);
    const outcome = checkTrace(result, 'pay');
    assert.ok(outcome.kind === 'created', JSON.stringify(outcome));
    assert.equal(outcome.payForm, null);
    assert.equal(result.trace.code, 'PAYMENT_IN_PROCESS');
    assert.equal(result.trace.httpStatus, 200);

    // The wire: the sandbox path, signed headers, Cashier Payment fields.
    const pay = sent[0];
    assert.ok(pay !== undefined);
    assert.equal(pay.url, `${baseUrl}/ams/sandbox/api/v1/payments/pay`);
    assert.equal(pay.headers.get('client-id'), ALIPAYPLUS_SANDBOX_CLIENT_ID);
    // request-time: epoch milliseconds, the form Antom's API overview shows (`request-time: 1685599933871`).
    const requestTime = pay.headers.get('request-time') ?? '';
    assert.match(requestTime, /^\d{13}$/);
    assert.ok(Math.abs(Number(requestTime) - Date.now()) < 60_000, requestTime);
    assert.match(pay.headers.get('signature') ?? '', /^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/);
    assert.equal(pay.body['productCode'], 'CASHIER_PAYMENT');
    assert.equal(pay.body['paymentRequestId'], sale.orderNo);
    assert.deepEqual(pay.body['paymentAmount'], { currency: 'HKD', value: '1000' });
    assert.deepEqual(pay.body['paymentMethod'], { paymentMethodType: 'ALIPAY_HK' });
    assert.equal(pay.body['paymentExpiryTime'], isoTime(sale.expiresAt));
    assert.equal(pay.body['paymentRedirectUrl'], 'https://shop.example/return');
    assert.equal(pay.body['paymentNotifyUrl'], 'https://cancan.example/notify/alipayplus');

    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'awaiting_customer' });
    await assertLedger(sale.orderNo, { status: 'unpaid', amount: 1000, currency: 'HKD' });

    const scanned = await scanOverHttp(outcome.qrCode);
    assert.equal(scanned.status, 200);
    assert.equal(scanned.body['outcome'], 'paid');
    assert.equal(scanned.body['order_no'], sale.orderNo);
    const paid = checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment');
    assert.ok(paid.kind === 'paid' && paid.providerTxnId !== null && /^\d{33}$/.test(paid.providerTxnId), JSON.stringify(paid));
    assert.equal((await scanOverHttp(outcome.qrCode)).status, 409, 'a paid code cannot be paid twice');

    const first = refundRequest(sale, `${sale.orderNo}R1`, 300);
    const refund = await adapter.refund(first);
    assert.deepEqual(checkTrace(refund, 'refund'), { kind: 'succeeded' });
    assert.equal(refund.trace.code, 'SUCCESS');
    assert.deepEqual(checkTrace(await adapter.refundQuery(first), 'inquiryRefund'), { kind: 'succeeded' });
    // refundRequestId is idempotent: the replay succeeds and moves no money.
    assert.deepEqual(checkTrace(await adapter.refund(first), 'refund'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 300 });

    const second = refundRequest(sale, `${sale.orderNo}R2`, 200);
    assert.deepEqual(checkTrace(await adapter.refund(second), 'refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(second), 'inquiryRefund'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 500 });

    const tooMuch = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R3`, 501)), 'refund');
    assert.ok(tooMuch.kind === 'declined' && tooMuch.code === 'REFUND_AMOUNT_EXCEED', JSON.stringify(tooMuch));
    assert.equal(adapter.mapFailure(tooMuch.code), 'refund_exceeds_sale_amount_failure');
    const inconsistent = checkTrace(await adapter.refund(refundRequest(sale, first.refundNo, 100)), 'refund');
    assert.ok(inconsistent.kind === 'declined' && inconsistent.code === 'REPEAT_REQ_INCONSISTENT', JSON.stringify(inconsistent));
    // Refunds leave paymentStatus SUCCESS.
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment').kind, 'paid');
  });

  test('pay is idempotent on paymentRequestId: the same code again, other details refused', async () => {
    const sale = orderRequest(2000);
    const code = await create(sale);
    assert.equal(await create(sale), code);
    const changed = checkTrace(await adapter.createOrder({ ...sale, money: money(2001, 'HKD') }), 'pay');
    assert.ok(changed.kind === 'declined' && changed.code === 'REPEAT_REQ_INCONSISTENT', JSON.stringify(changed));
    assert.equal(adapter.mapFailure(changed.code), 'transaction_id_failure');
  });

  test('the cashier URL scans like the QR content', async () => {
    const sent: Sent[] = [];
    const spied = createAlipayPlusAdapter({
      baseUrl,
      credentials,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch(sent, (body) => {
        normalUrl = (JSON.parse(body) as { normalUrl?: string }).normalUrl ?? '';
        return body;
      }),
    });
    let normalUrl = '';
    const sale = orderRequest(3000, 'gcash');
    assert.equal(checkTrace(await spied.createOrder(sale), 'pay').kind, 'created');
    assert.match(normalUrl, /\/_sim\/alipayplus\/cashier\/\d{33}$/);
    const page = await fetch(normalUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /PHP, unpaid/);
    assert.equal((await scanOverHttp(normalUrl)).body['outcome'], 'paid');
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment').kind, 'paid');
  });
});

// ------------------------------------------------------------------ test values through the wallet

describe('test values through the sandbox wallet', () => {
  test('decline: the payment FAILs and the code stops working', async () => {
    const sale = orderRequest(1500);
    const code = await create(sale);
    const scanned = await scanOverHttp(code, 'decline');
    assert.equal(scanned.body['outcome'], 'declined');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'PROCESS_FAIL' });
    assert.equal((await scanOverHttp(code)).status, 409);
    await assertLedger(sale.orderNo, { status: 'closed' });
  });

  test('51: insufficient balance, FAIL with USER_BALANCE_NOT_ENOUGH', async () => {
    const sale = orderRequest(2351, 'kakaopay');
    const code = await create(sale);
    assert.equal((await scanOverHttp(code)).body['outcome'], 'declined');
    const query = checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment');
    assert.deepEqual(query, { kind: 'closed', code: 'USER_BALANCE_NOT_ENOUGH' });
    assert.equal(adapter.mapFailure('USER_BALANCE_NOT_ENOUGH'), 'customer_insufficient_balance_failure');
  });

  test('57: customer not allowed, FAIL with USER_STATUS_ABNORMAL', async () => {
    const sale = orderRequest(157, 'gcash');
    assert.equal((await scanOverHttp(await create(sale))).body['outcome'], 'declined');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'USER_STATUS_ABNORMAL' });
    assert.equal(adapter.mapFailure('USER_STATUS_ABNORMAL'), 'customer_not_allowed_to_pay_failure');
  });

  test('53: the customer confirms after the confirm delay', async () => {
    const sale = orderRequest(1053);
    const code = await create(sale);
    assert.equal((await scanOverHttp(code)).body['outcome'], 'awaiting_confirmation');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'awaiting_customer' });
    await wait(CONFIRM_DELAY_MS + 100);
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment').kind, 'paid');
    await assertLedger(sale.orderNo, { status: 'paid' });
  });

  test('54: never confirms; cancel closes it', async () => {
    const sale = orderRequest(1054);
    assert.equal((await scanOverHttp(await create(sale))).body['outcome'], 'awaiting_confirmation');
    await wait(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'awaiting_customer' });
    assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'cancel'), { kind: 'closed' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'CANCELLED' });
  });

  test('58: the merchant may not sell: ACCESS_DENIED at creation', async () => {
    const outcome = checkTrace(await adapter.createOrder(orderRequest(1058)), 'pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'ACCESS_DENIED', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'merchant_not_allowed_to_sell_failure');
  });

  test('59: paid, but every refund is refused', async () => {
    const sale = orderRequest(1059);
    await scanOverHttp(await create(sale));
    const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R1`, 100)), 'refund');
    assert.ok(refund.kind === 'declined' && refund.code === 'REFUND_NOT_ALLOWED', JSON.stringify(refund));
    assert.equal(adapter.mapFailure(refund.code), 'refund_not_allowed_failure');
    assert.deepEqual(checkTrace(await adapter.refundQuery(refundRequest(sale, `${sale.orderNo}R1`, 100)), 'inquiryRefund'), { kind: 'not_found' });
  });

  test('55: UNKNOWN_EXCEPTION, yet the payment exists; the retried pay returns its code', async () => {
    const sale = orderRequest(1055);
    const outcome = checkTrace(await adapter.createOrder(sale), 'pay');
    assert.deepEqual(outcome, {
      kind: 'unknown',
      reason: 'UNKNOWN_EXCEPTION: An API calling is failed, which is caused by unknown reasons.',
      code: 'UNKNOWN_EXCEPTION',
    });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'awaiting_customer' });
    assert.equal((await scanOverHttp(await create(sale))).body['outcome'], 'paid');
  });

  test('56: the answer comes after the timeout; the payment exists', async () => {
    const impatient = createAlipayPlusAdapter({ baseUrl, credentials, timeoutMs: IMPATIENT_TIMEOUT_MS });
    const sale = orderRequest(1056);
    const result = await impatient.createOrder(sale);
    const outcome = checkTrace(result, 'pay');
    assert.deepEqual(outcome, { kind: 'unknown', reason: `no answer within ${IMPATIENT_TIMEOUT_MS} ms`, code: null });
    assert.ok(result.trace.latencyMs >= IMPATIENT_TIMEOUT_MS - 20, String(result.trace.latencyMs));
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'awaiting_customer' });
    await wait(SLOW_RESPONSE_MS);
  });

  test('61: UNKNOWN_EXCEPTION and no payment: ORDER_NOT_EXIST', async () => {
    const sale = orderRequest(1061);
    assert.equal(checkTrace(await adapter.createOrder(sale), 'pay').kind, 'unknown');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'not_paid' });
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
  });
});

// ------------------------------------------------------------------ cancel and expiry

describe('cancel and expiry', () => {
  test('cancel an unpaid payment: CANCELLED, the wallet refuses the code', async () => {
    const sale = orderRequest(1200);
    const code = await create(sale);
    const result = await adapter.close(sale.orderNo);
    assert.deepEqual(checkTrace(result, 'cancel'), { kind: 'closed' });
    assert.equal(result.trace.code, 'SUCCESS');
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'CANCELLED' });
    const scanned = await scanOverHttp(code);
    assert.equal(scanned.status, 409);
    assert.equal(scanned.body['error'], 'not_payable');
    assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'cancel'), { kind: 'closed' }, 'cancel is idempotent');
    await assertLedger(sale.orderNo, { status: 'reversed' });
  });

  test('cancel a paid payment: Antom refunds it in full (CANCELLED), no money stays', async () => {
    const sale = orderRequest(1300);
    await scanOverHttp(await create(sale));
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment').kind, 'paid');
    assert.deepEqual(checkTrace(await adapter.close(sale.orderNo), 'cancel'), { kind: 'closed' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'CANCELLED' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
  });

  test('a refunded payment cannot be cancelled: PROCESS_FAIL', async () => {
    const sale = orderRequest(1400);
    await scanOverHttp(await create(sale));
    assert.equal(checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R1`, 100)), 'refund').kind, 'succeeded');
    const outcome = checkTrace(await adapter.close(sale.orderNo), 'cancel');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'PROCESS_FAIL', JSON.stringify(outcome));
  });

  test('DANA and JKOPay payments cannot be cancelled: CANCEL_WINDOW_EXCEED', async () => {
    for (const method of ['dana', 'jkopay'] as const) {
      const sale = orderRequest(method === 'dana' ? 3_000_000 : 10_000, method);
      await create(sale);
      const outcome = checkTrace(await adapter.close(sale.orderNo), 'cancel');
      assert.ok(outcome.kind === 'declined' && outcome.code === 'CANCEL_WINDOW_EXCEED', JSON.stringify(outcome));
      assert.equal(adapter.mapFailure(outcome.code), 'void_not_allowed_failure');
      assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'awaiting_customer' });
    }
  });

  test('cancel of an unknown payment: nothing can be paid', async () => {
    assert.deepEqual(checkTrace(await adapter.close(newOrderNo()), 'cancel'), { kind: 'closed' });
  });

  test('past paymentExpiryTime the payment FAILs (ORDER_IS_CLOSED) and cannot be paid', async () => {
    const sale = orderRequest(1600, 'alipay_hk', { expiresAt: nextWholeSecond(300) });
    const code = await create(sale);
    await wait(sale.expiresAt - Date.now() + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'ORDER_IS_CLOSED' });
    assert.equal((await scanOverHttp(code)).status, 409);
    await assertLedger(sale.orderNo, { status: 'closed' });
    const again = checkTrace(await adapter.createOrder(sale), 'pay');
    assert.ok(again.kind === 'declined' && again.code === 'ORDER_IS_CLOSED', JSON.stringify(again));
  });

  test('a confirmation that comes after the expiry does not pay', async () => {
    // paymentExpiryTime has whole seconds: an expiry at least 150 ms away but before the confirmation.
    let expiresAt = nextWholeSecond(150);
    while (expiresAt - Date.now() > CONFIRM_DELAY_MS - 50) {
      await wait(50);
      expiresAt = nextWholeSecond(150);
    }
    const sale = orderRequest(1753, 'alipay_hk', { expiresAt });
    assert.equal((await scanOverHttp(await create(sale))).body['outcome'], 'awaiting_confirmation');
    await wait(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'inquiryPayment'), { kind: 'closed', code: 'ORDER_IS_CLOSED' });
  });
});

// ------------------------------------------------------------------ refusals, signatures, wire format

describe('refusals and signatures', () => {
  test('unsupported paymentMethodType: UNAVAILABLE_PAYMENT_METHOD; wrong currency: CURRENCY_NOT_SUPPORT', async () => {
    const boost = checkTrace(await adapter.createOrder(orderRequest(1000, 'boost')), 'pay');
    assert.ok(boost.kind === 'declined' && boost.code === 'UNAVAILABLE_PAYMENT_METHOD', JSON.stringify(boost));
    const wrongCurrency = checkTrace(await adapter.createOrder({ ...orderRequest(1000, 'gcash'), money: money(1000, 'HKD') }), 'pay');
    assert.ok(wrongCurrency.kind === 'declined' && wrongCurrency.code === 'CURRENCY_NOT_SUPPORT', JSON.stringify(wrongCurrency));
  });

  test('a request signed with another key is refused (INVALID_SIGNATURE) and records nothing', async () => {
    const { privateKey } = otherKeyPair();
    const forger = createAlipayPlusAdapter({ baseUrl, credentials: { ...credentials, merchantPrivateKeyPem: privateKey }, timeoutMs: CALL_TIMEOUT_MS });
    const sale = orderRequest(1000);
    const outcome = checkTrace(await forger.createOrder(sale), 'pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'INVALID_SIGNATURE', JSON.stringify(outcome));
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
  });

  test('raw requests: a tampered body or an unknown client is refused, and the refusal is signed', async () => {
    const path = '/ams/api/v1/payments/inquiryPayment';
    const requestTime = isoTime(Date.now());
    const body = JSON.stringify({ paymentRequestId: 'NOPE1' });
    const signature = signMessage({ httpMethod: 'POST', path, clientId: LIVE_STYLE_CLIENT_ID, time: requestTime, body }, keys.merchant.privateKeyPem);
    const post = async (clientId: string, sentBody: string): Promise<{ result: Record<string, unknown>; verified: boolean }> => {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': clientId, 'request-time': requestTime, signature },
        body: sentBody,
      });
      const text = await response.text();
      const verified = verifyMessage(
        { httpMethod: 'POST', path, clientId, time: response.headers.get('response-time') ?? '', body: text },
        response.headers.get('signature'),
        keys.provider.publicKeyPem,
      );
      return { result: (JSON.parse(text) as { result: Record<string, unknown> }).result, verified };
    };
    const genuine = await post(LIVE_STYLE_CLIENT_ID, body);
    assert.deepEqual(genuine.result, { resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F', resultMessage: 'The order does not exist.' });
    assert.ok(genuine.verified);
    const tampered = await post(LIVE_STYLE_CLIENT_ID, JSON.stringify({ paymentRequestId: 'NOPE2' }));
    assert.equal(tampered.result['resultCode'], 'INVALID_SIGNATURE');
    assert.ok(tampered.verified);
    const stranger = await post('2188999999999999', body);
    assert.equal(stranger.result['resultCode'], 'INVALID_CLIENT');
  });

  test('a live-style client id uses /ams/api paths', async () => {
    const sent: Sent[] = [];
    const live = createAlipayPlusAdapter({
      baseUrl,
      credentials: { ...credentials, clientId: LIVE_STYLE_CLIENT_ID },
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch(sent),
    });
    const sale = orderRequest(1000);
    assert.equal(checkTrace(await live.createOrder(sale), 'pay').kind, 'created');
    assert.equal(sent[0]?.url, `${baseUrl}/ams/api/v1/payments/pay`);
  });

  test('a tampered or unsigned answer is unknown, never believed', async () => {
    const sale = orderRequest(1000);
    await create(sale);
    const forged = createAlipayPlusAdapter({
      baseUrl,
      credentials,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch([], (body) => body.replace('"PROCESSING"', '"SUCCESS"')),
    });
    assert.deepEqual(checkTrace(await forged.query(sale.orderNo), 'inquiryPayment'), { kind: 'unknown', reason: 'response signature does not verify' });
    const unsigned = createAlipayPlusAdapter({
      baseUrl,
      credentials,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch([], (body, headers) => {
        headers.delete('signature');
        return body;
      }),
    });
    assert.deepEqual(checkTrace(await unsigned.query(sale.orderNo), 'inquiryPayment'), { kind: 'unknown', reason: 'answer is not signed' });
    // One extra space breaks the signature of an answer that would otherwise be believed.
    const spaced = createAlipayPlusAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch([], (body) => body.replace('{', '{ ')) });
    const forgedCreate: OrderOutcome = checkTrace(await spaced.createOrder(orderRequest(1000)), 'pay');
    assert.deepEqual(forgedCreate, { kind: 'unknown', reason: 'response signature does not verify', code: null });
    const down = createAlipayPlusAdapter({ baseUrl: 'http://127.0.0.1:9', credentials, timeoutMs: CALL_TIMEOUT_MS });
    assert.equal(checkTrace(await down.close(sale.orderNo), 'cancel').kind, 'unknown');
  });

  test('refunds of unknown payments: ORDER_NOT_EXIST; unknown refunds: not_found', async () => {
    const sale = orderRequest(1000);
    const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R1`, 100)), 'inquiryPayment');
    assert.ok(refund.kind === 'declined' && refund.code === 'ORDER_NOT_EXIST', JSON.stringify(refund));
    assert.deepEqual(checkTrace(await adapter.refundQuery(refundRequest(sale, `${sale.orderNo}R1`, 100)), 'inquiryRefund'), { kind: 'not_found' });
    await create(sale);
    const unpaid = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R2`, 100)), 'refund');
    assert.ok(unpaid.kind === 'declined' && unpaid.code === 'ORDER_STATUS_INVALID', JSON.stringify(unpaid));
  });

  test('KRW (no decimals) and IDR (two) amounts are minor units on the wire', async () => {
    const sent: Sent[] = [];
    const spied = createAlipayPlusAdapter({ baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent) });
    const won = orderRequest(12_345, 'kakaopay'); // ₩12,345
    const rupiah = orderRequest(1_500_000, 'dana'); // Rp15,000.00
    assert.equal(checkTrace(await spied.createOrder(won), 'pay').kind, 'created');
    assert.equal(checkTrace(await spied.createOrder(rupiah), 'pay').kind, 'created');
    assert.deepEqual(sent[0]?.body['paymentAmount'], { currency: 'KRW', value: '12345' });
    assert.deepEqual(sent[0]?.body['paymentMethod'], { paymentMethodType: 'KAKAOPAY' });
    assert.deepEqual(sent[1]?.body['paymentAmount'], { currency: 'IDR', value: '1500000' });
    assert.deepEqual(sent[1]?.body['paymentMethod'], { paymentMethodType: 'DANA' });
    await assertLedger(won.orderNo, { amount: 12_345, currency: 'KRW' });
    await assertLedger(rupiah.orderNo, { amount: 1_500_000, currency: 'IDR' });
    await scanOverHttp((await ledgerCodes(won.orderNo))[0] ?? '');
    const refund = refundRequest(won, `${won.orderNo}R1`, 345);
    assert.deepEqual(checkTrace(await spied.refund(refund), 'refund'), { kind: 'succeeded' });
    assert.deepEqual(sent.at(-1)?.body['refundAmount'], { currency: 'KRW', value: '345' });
  });
});

/** The codes a payment registered for the wallet (read back through a repeated pay call). */
async function ledgerCodes(orderNo: string): Promise<string[]> {
  const entry = await ledgerEntry(orderNo);
  assert.ok(entry !== undefined);
  const sale: OrderRequest = {
    orderNo,
    money: money(entry.amount, entry.currency as CurrencyCode),
    description: 'again',
    paymentMethod: 'kakaopay',
    expiresAt: Date.now() + 60_000,
    returnUrl: null,
    notifyUrl: null,
  };
  return [await create(sale)];
}
