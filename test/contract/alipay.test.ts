/**
 * The Alipay adapter against the Alipay simulator over real HTTP: every test
 * value from docs/providers.md, queries, cancels, refunds, timeouts, signatures
 * both ways, the wire format, and a cross-check with the independent
 * `alipay-sdk` package (it signs requests our simulator must accept, and
 * verifies the answers our simulator signs).
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { AlipayRequestError, AlipaySdk } from 'alipay-sdk';
import { providerFailure } from '../../src/core/process.js';
import { money } from '../../src/domain/money.js';
import type { PosAdapter } from '../../src/providers/contract.js';
import { createAlipayAdapter, type AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { ALIPAY_SANDBOX_APP_ID, ALIPAY_SANDBOX_KEYS_FILE, loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { openSignedResponse, rawMember, signParams, signedResponseBody, verifyParams } from '../../src/providers/alipay/sign.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import {
  CALL_TIMEOUT_MS,
  CONFIRM_DELAY_MS,
  IMPATIENT_TIMEOUT_MS,
  SLOW_RESPONSE_MS,
  hangingFetch,
  newOrderNo,
  otherKeyPair,
  payRequestBuilder,
  pemBody,
  refundRequest,
  traceChecker,
  useSimulatorServer,
} from '../support/contract.js';

const AUTH_CODE = '286543210987654321';

let keys: AlipaySandboxKeys;
let credentials: AlipayCredentials;
let gatewayUrl = '';
let adapter: PosAdapter;

const sim = useSimulatorServer(
  'alipay',
  ({ dir, ledger }) => {
    keys = loadOrCreateAlipaySandboxKeys(join(dir, 'data'));
    credentials = { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: keys.app.privateKeyPem, alipayPublicKeyPem: keys.platform.publicKeyPem };
    return alipaySimulator({
      ledger,
      apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: keys.app.publicKeyPem }],
      platformPrivateKeyPem: keys.platform.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: SLOW_RESPONSE_MS,
    });
  },
  ({ baseUrl }) => {
    gatewayUrl = `${baseUrl}/gateway.do`;
    adapter = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: CALL_TIMEOUT_MS });
  },
);
const { ledgerEntry, assertLedger } = sim;

// ------------------------------------------------------------------ helpers

const payRequest = payRequestBuilder({ authCode: AUTH_CODE, currency: 'CNY' });
const checkTrace = traceChecker('alipay', () => [AUTH_CODE, pemBody(keys.app.privateKeyPem), pemBody(keys.platform.privateKeyPem)]);

/** A fetch that records the form parameters the adapter sent and lets a test rewrite the answer. */
function spyFetch(sent: Array<{ params: URLSearchParams; contentType: string }>, rewrite: (body: string) => string = (body) => body): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    sent.push({ params: new URLSearchParams(typeof init?.body === 'string' ? init.body : ''), contentType: headers.get('content-type') ?? '' });
    const response = await fetch(input, init);
    return new Response(rewrite(await response.text()), { status: response.status });
  };
}

function bizOf(params: URLSearchParams): Record<string, unknown> {
  const biz: unknown = JSON.parse(params.get('biz_content') ?? 'null');
  assert.ok(typeof biz === 'object' && biz !== null && !Array.isArray(biz));
  return { ...biz };
}

// ------------------------------------------------------------------ test values

describe('alipay.trade.pay test values', () => {
  test('default amount: paid at once, 28-digit trade_no kept as a string', async () => {
    const sale = payRequest(1000);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'alipay.trade.pay');
    assert.ok(outcome.kind === 'paid' && outcome.providerTxnId !== null && /^\d{28}$/.test(outcome.providerTxnId), JSON.stringify(outcome));
    assert.equal(result.trace.httpStatus, 200);
    assert.equal(result.trace.code, '10000');
    await assertLedger(sale.orderNo, { amount: 1000, currency: 'CNY', status: 'paid', refunded_amount: 0 });
    const query = checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query');
    assert.deepEqual(query, { kind: 'paid', providerTxnId: outcome.providerTxnId });
  });

  test('51: ACQ.BUYER_BALANCE_NOT_ENOUGH decline, trade closed', async () => {
    const sale = payRequest(2351);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'alipay.trade.pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'ACQ.BUYER_BALANCE_NOT_ENOUGH', JSON.stringify(outcome));
    assert.equal(result.trace.code, 'ACQ.BUYER_BALANCE_NOT_ENOUGH');
    assert.equal(adapter.mapFailure(outcome.code), 'customer_insufficient_balance_failure');
    await assertLedger(sale.orderNo, { status: 'closed', amount: 2351 });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'closed', code: 'TRADE_CLOSED' });
  });

  test('52: ACQ.PAYMENT_AUTH_CODE_INVALID decline, nothing recorded', async () => {
    const sale = payRequest(152);
    const outcome = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'ACQ.PAYMENT_AUTH_CODE_INVALID', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'payment_auth_key_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'not_paid' });
  });

  test('53: 10003, then paid once the customer confirms', async () => {
    const sale = payRequest(1053);
    assert.deepEqual(checkTrace(await adapter.pay(sale), 'alipay.trade.pay'), { kind: 'awaiting_customer', code: '10003' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'awaiting_customer' });
    await assertLedger(sale.orderNo, { status: 'unpaid' });
    await wait(CONFIRM_DELAY_MS + 100);
    const query = checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query');
    assert.ok(query.kind === 'paid' && query.providerTxnId !== null && /^\d{28}$/.test(query.providerTxnId), JSON.stringify(query));
    await assertLedger(sale.orderNo, { status: 'paid' });
  });

  test('54: 10003 forever; cancel closes it (action close)', async () => {
    const sale = payRequest(54);
    const outcome = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.deepEqual(outcome, { kind: 'awaiting_customer', code: '10003' });
    assert.equal(adapter.mapFailure(outcome.kind === 'awaiting_customer' ? outcome.code : ''), 'payment_password_failure');
    await wait(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'awaiting_customer' });
    const cancel = await adapter.reverse(sale.orderNo);
    assert.deepEqual(checkTrace(cancel, 'alipay.trade.cancel'), { kind: 'reversed' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'closed', code: 'TRADE_CLOSED' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
  });

  test('55: 20000 ACQ.SYSTEM_ERROR answer, but the trade was paid', async () => {
    const sale = payRequest(9955);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'alipay.trade.pay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === 'ACQ.SYSTEM_ERROR', JSON.stringify(outcome));
    assert.equal(result.trace.code, 'ACQ.SYSTEM_ERROR');
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query').kind, 'paid');
    await assertLedger(sale.orderNo, { status: 'paid', amount: 9955 });
  });

  test('56: an answer slower than the timeout is unknown, and the trade was paid', async () => {
    const impatient = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: IMPATIENT_TIMEOUT_MS });
    const sale = payRequest(156);
    const result = await impatient.pay(sale);
    const outcome = checkTrace(result, 'alipay.trade.pay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === null, JSON.stringify(outcome));
    assert.match(outcome.reason, new RegExp(`no answer within ${IMPATIENT_TIMEOUT_MS} ms`));
    assert.equal(result.trace.httpStatus, null);
    assert.ok(result.trace.latencyMs >= IMPATIENT_TIMEOUT_MS - 20, String(result.trace.latencyMs));
    await assertLedger(sale.orderNo, { status: 'paid' }); // recorded before the late answer
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query').kind, 'paid');
  });

  test('56 with a timeout longer than the delay: paid, after the delay', async () => {
    const result = await adapter.pay(payRequest(256));
    assert.equal(checkTrace(result, 'alipay.trade.pay').kind, 'paid');
    assert.ok(result.trace.latencyMs >= SLOW_RESPONSE_MS - 20, String(result.trace.latencyMs));
  });

  test('57: ACQ.BUYER_ENABLE_STATUS_FORBID decline, nothing recorded', async () => {
    const sale = payRequest(57);
    const outcome = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'ACQ.BUYER_ENABLE_STATUS_FORBID', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'customer_not_allowed_to_pay_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
  });

  test('58: 40006 isv.insufficient-isv-permissions is a rejection of the setup', async () => {
    const outcome = checkTrace(await adapter.pay(payRequest(1258)), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'rejected' && outcome.code === 'isv.insufficient-isv-permissions', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'merchant_not_allowed_to_sell_failure');
  });

  test('59: paid, but every refund is refused with ACQ.TRADE_NOT_ALLOW_REFUND', async () => {
    const sale = payRequest(5959);
    assert.equal(checkTrace(await adapter.pay(sale), 'alipay.trade.pay').kind, 'paid');
    for (const amount of [5959, 100, 100]) {
      // full, partial, and the partial re-sent: same answer each time
      const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, amount)), 'alipay.trade.refund');
      assert.ok(refund.kind === 'declined' && refund.code === 'ACQ.TRADE_NOT_ALLOW_REFUND', JSON.stringify(refund));
      assert.equal(adapter.mapFailure(refund.code), 'refund_not_allowed_failure');
    }
    const query = checkTrace(await adapter.refundQuery(refundRequest(sale, `${sale.orderNo}R`, 100)), 'alipay.trade.fastpay.refund.query');
    assert.deepEqual(query, { kind: 'not_found' });
    await assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 });
  });

  test('61: 20000 answer and not paid (no trade); cancelled; a late pay is refused', async () => {
    const sale = payRequest(361);
    const outcome = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === 'ACQ.SYSTEM_ERROR', JSON.stringify(outcome));
    const query = await adapter.query(sale.orderNo);
    assert.deepEqual(checkTrace(query, 'alipay.trade.query'), { kind: 'not_paid' });
    assert.equal(query.trace.code, 'ACQ.TRADE_NOT_EXIST');
    await assertLedger(sale.orderNo, { status: 'unpaid' });
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'alipay.trade.cancel'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
    const late = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.ok(late.kind === 'declined' && late.code === 'ACQ.TRADE_HAS_CLOSE', JSON.stringify(late));
    assert.equal(adapter.mapFailure(late.code), 'payment_gateway_failure');
  });

  test('malformed auth codes: refused locally, and ACQ.PAYMENT_AUTH_CODE_INVALID from the gateway', async () => {
    for (const good of ['2500000000000000', '301234567890123456789012', AUTH_CODE]) assert.equal(adapter.isWellFormedAuthCode(good), true, good);
    for (const bad of [
      '',
      '250000000000000',
      '3012345678901234567890123',
      '2400000000000000',
      '3100000000000000',
      '134567890123456789',
      '28654321098765432x',
    ]) {
      assert.equal(adapter.isWellFormedAuthCode(bad), false, bad);
    }
    const badCode = '134567890123456789'; // a WeChat code
    const sale = payRequest(1000, { authCode: badCode });
    const outcome = checkTrace(await adapter.pay(sale), 'alipay.trade.pay', [badCode]);
    assert.ok(outcome.kind === 'declined' && outcome.code === 'ACQ.PAYMENT_AUTH_CODE_INVALID', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'payment_auth_key_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
  });

  test('re-used out_trade_no: TRADE_HAS_SUCCESS is unknown (query it); other details are CONTEXT_INCONSISTENT', async () => {
    const paid = payRequest(1000);
    assert.equal(checkTrace(await adapter.pay(paid), 'alipay.trade.pay').kind, 'paid');
    const again = checkTrace(await adapter.pay(paid), 'alipay.trade.pay');
    assert.ok(again.kind === 'unknown' && again.code === 'ACQ.TRADE_HAS_SUCCESS', JSON.stringify(again));
    const other = checkTrace(await adapter.pay({ ...paid, money: money(1001, 'CNY') }), 'alipay.trade.pay');
    assert.ok(other.kind === 'declined' && other.code === 'ACQ.CONTEXT_INCONSISTENT', JSON.stringify(other));
    assert.equal(adapter.mapFailure(other.code), 'transaction_id_failure');
    const closed = payRequest(51);
    assert.equal(checkTrace(await adapter.pay(closed), 'alipay.trade.pay').kind, 'declined');
    const closedAgain = checkTrace(await adapter.pay(closed), 'alipay.trade.pay');
    assert.ok(closedAgain.kind === 'declined' && closedAgain.code === 'ACQ.TRADE_HAS_CLOSE', JSON.stringify(closedAgain));
    await assertLedger(paid.orderNo, { status: 'paid', amount: 1000 });
  });
});

// ------------------------------------------------------------------ query and cancel

describe('alipay.trade.query and alipay.trade.cancel', () => {
  test('query of an unknown trade is not_paid (ACQ.TRADE_NOT_EXIST)', async () => {
    const result = await adapter.query(newOrderNo());
    assert.deepEqual(checkTrace(result, 'alipay.trade.query'), { kind: 'not_paid' });
    assert.equal(result.trace.code, 'ACQ.TRADE_NOT_EXIST');
  });

  test('cancel of a paid trade gives the money back (action refund): reversed in the ledger', async () => {
    const sale = payRequest(2000);
    assert.equal(checkTrace(await adapter.pay(sale), 'alipay.trade.pay').kind, 'paid');
    const sent: Array<{ params: URLSearchParams; contentType: string }> = [];
    const cancelled: string[] = [];
    const spied = createAlipayAdapter({
      gatewayUrl,
      credentials,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch(sent, (body) => {
        cancelled.push(body);
        return body;
      }),
    });
    assert.deepEqual(checkTrace(await spied.reverse(sale.orderNo), 'alipay.trade.cancel'), { kind: 'reversed' });
    assert.equal(sent[0]?.params.get('method'), 'alipay.trade.cancel');
    assert.deepEqual(bizOf(sent[0]?.params ?? new URLSearchParams()), { out_trade_no: sale.orderNo });
    assert.match(cancelled[0] ?? '', /"action":"refund"/);
    assert.match(cancelled[0] ?? '', /"retry_flag":"N"/);
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 2000 });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'closed', code: 'TRADE_CLOSED' });
    assert.deepEqual(checkTrace(await spied.reverse(sale.orderNo), 'alipay.trade.cancel'), { kind: 'reversed' }, 'cancel is idempotent');
    assert.match(cancelled[1] ?? '', /"action":"refund"/);
    const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, 100)), 'alipay.trade.refund');
    assert.ok(refund.kind === 'declined' && refund.code === 'ACQ.TRADE_HAS_CLOSE', 'a cancelled trade cannot be refunded');
  });

  test('cancel of a trade never seen leaves a tombstone that refuses a late pay', async () => {
    const sale = payRequest(1000);
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'alipay.trade.cancel'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 0 });
    const late = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.ok(late.kind === 'declined' && late.code === 'ACQ.TRADE_HAS_CLOSE', JSON.stringify(late));
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 0 });
  });

  test('a partially refunded trade can no longer be cancelled', async () => {
    const sale = payRequest(3000);
    assert.equal(checkTrace(await adapter.pay(sale), 'alipay.trade.pay').kind, 'paid');
    assert.equal(checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, 1000)), 'alipay.trade.refund').kind, 'succeeded');
    const cancel = checkTrace(await adapter.reverse(sale.orderNo), 'alipay.trade.cancel');
    assert.ok(cancel.kind === 'declined' && cancel.code === 'ACQ.TRADE_STATUS_ERROR', JSON.stringify(cancel));
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 1000 });
  });
});

// ------------------------------------------------------------------ refunds

describe('alipay.trade.refund and alipay.trade.fastpay.refund.query', () => {
  test('partial refund, idempotent re-send, over-refund, then the rest', async () => {
    const sale = payRequest(10000);
    assert.equal(checkTrace(await adapter.pay(sale), 'alipay.trade.pay').kind, 'paid');

    const first = refundRequest(sale, `${sale.orderNo}R1`, 3000);
    assert.deepEqual(checkTrace(await adapter.refund(first), 'alipay.trade.refund'), { kind: 'succeeded' }); // fund_change Y
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 3000 });
    assert.deepEqual(checkTrace(await adapter.refundQuery(first), 'alipay.trade.fastpay.refund.query'), { kind: 'succeeded' });

    // Same out_request_no again: fund_change N (no money moved), the query confirms, nothing refunded twice.
    assert.deepEqual(checkTrace(await adapter.refund(first), 'alipay.trade.refund'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(first), 'alipay.trade.fastpay.refund.query'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 3000 });

    const reused = checkTrace(await adapter.refund({ ...first, refundMoney: money(2000, 'CNY') }), 'alipay.trade.refund');
    assert.ok(reused.kind === 'declined' && reused.code === 'ACQ.DISCORDANT_REPEAT_REQUEST', JSON.stringify(reused));

    const tooMuch = refundRequest(sale, `${sale.orderNo}R2`, 7001);
    const over = checkTrace(await adapter.refund(tooMuch), 'alipay.trade.refund');
    assert.ok(over.kind === 'declined' && over.code === 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', JSON.stringify(over));
    assert.equal(adapter.mapFailure(over.code), 'refund_exceeds_sale_amount_failure');
    assert.deepEqual(checkTrace(await adapter.refundQuery(tooMuch), 'alipay.trade.fastpay.refund.query'), { kind: 'not_found' });

    const rest = refundRequest(sale, `${sale.orderNo}R3`, 7000);
    assert.deepEqual(checkTrace(await adapter.refund(rest), 'alipay.trade.refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(rest), 'alipay.trade.fastpay.refund.query'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 10000 });
    // Refunded in full, Alipay closes the trade.
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'alipay.trade.query'), { kind: 'closed', code: 'TRADE_CLOSED' });

    const more = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R4`, 1)), 'alipay.trade.refund');
    assert.ok(more.kind === 'declined' && more.code === 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', JSON.stringify(more));
  });

  test('a full refund at once', async () => {
    const sale = payRequest(4500);
    assert.equal(checkTrace(await adapter.pay(sale), 'alipay.trade.pay').kind, 'paid');
    const full = refundRequest(sale, `${sale.orderNo}R`, 4500);
    assert.deepEqual(checkTrace(await adapter.refund(full), 'alipay.trade.refund'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(full), 'alipay.trade.fastpay.refund.query'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 4500 });
  });

  test('refund of an unknown trade is declined; refund query of an unknown trade is not_found', async () => {
    const ghost = payRequest(1000);
    const refund = checkTrace(await adapter.refund(refundRequest(ghost, `${ghost.orderNo}R`, 100)), 'alipay.trade.refund');
    assert.ok(refund.kind === 'declined' && refund.code === 'ACQ.TRADE_NOT_EXIST', JSON.stringify(refund));
    assert.equal(adapter.mapFailure(refund.code), 'sale_not_found_failure');
    const result = await adapter.refundQuery(refundRequest(ghost, `${ghost.orderNo}R`, 100));
    assert.deepEqual(checkTrace(result, 'alipay.trade.fastpay.refund.query'), { kind: 'not_found' });
    assert.equal(result.trace.code, 'ACQ.TRADE_NOT_EXIST');
  });

  test('a refund of an unpaid trade is refused', async () => {
    const sale = payRequest(154);
    assert.equal(checkTrace(await adapter.pay(sale), 'alipay.trade.pay').kind, 'awaiting_customer');
    const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, 100)), 'alipay.trade.refund');
    assert.ok(refund.kind === 'declined' && refund.code === 'ACQ.TRADE_STATUS_ERROR', JSON.stringify(refund));
  });
});

// ------------------------------------------------------------------ wire format and currencies

describe('wire format', () => {
  test('CNY: common params, Beijing timestamp, decimal total_amount, signed with the app key', async () => {
    const sent: Array<{ params: URLSearchParams; contentType: string }> = [];
    const fixedNow = Date.UTC(2024, 4, 13, 9, 49, 20);
    const spied = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent), now: () => fixedNow });
    const sale = payRequest(1234, { description: 'Tea & cake / 2 = ok\u0000' });
    assert.equal(checkTrace(await spied.pay(sale), 'alipay.trade.pay').kind, 'paid');
    const request = sent[0];
    assert.ok(request !== undefined);
    assert.match(request.contentType, /^application\/x-www-form-urlencoded/);
    const params = Object.fromEntries(request.params);
    assert.deepEqual(Object.keys(params).sort(), ['app_id', 'biz_content', 'charset', 'format', 'method', 'sign', 'sign_type', 'timestamp', 'version']);
    assert.equal(params['app_id'], ALIPAY_SANDBOX_APP_ID);
    assert.equal(params['method'], 'alipay.trade.pay');
    assert.equal(params['format'], 'JSON');
    assert.equal(params['charset'], 'utf-8');
    assert.equal(params['sign_type'], 'RSA2');
    assert.equal(params['version'], '1.0');
    assert.equal(params['timestamp'], '2024-05-13 17:49:20'); // UTC+8
    assert.equal(verifyParams(params, keys.app.publicKeyPem), true);
    assert.deepEqual(bizOf(request.params), {
      out_trade_no: sale.orderNo,
      scene: 'bar_code',
      auth_code: AUTH_CODE,
      product_code: 'FACE_TO_FACE_PAYMENT',
      subject: 'Tea cake 2 ok',
      total_amount: '12.34',
    });
    await assertLedger(sale.orderNo, { amount: 1234, currency: 'CNY', status: 'paid' });
  });

  test('USD: "10.05" with trans_currency and settle_currency; refunds name refund_currency', async () => {
    const sent: Array<{ params: URLSearchParams; contentType: string }> = [];
    const spied = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent) });
    const sale = payRequest(1005, {}, 'USD');
    assert.equal(checkTrace(await spied.pay(sale), 'alipay.trade.pay').kind, 'paid');
    const pay = bizOf(sent[0]?.params ?? new URLSearchParams());
    assert.equal(pay['total_amount'], '10.05');
    assert.equal(pay['trans_currency'], 'USD');
    assert.equal(pay['settle_currency'], 'USD');
    await assertLedger(sale.orderNo, { amount: 1005, currency: 'USD', status: 'paid' });

    const refund = refundRequest(sale, `${sale.orderNo}R`, 300);
    assert.equal(checkTrace(await spied.refund(refund), 'alipay.trade.refund').kind, 'succeeded');
    assert.deepEqual(bizOf(sent[1]?.params ?? new URLSearchParams()), {
      out_trade_no: sale.orderNo,
      out_request_no: refund.refundNo,
      refund_amount: '3.00',
      refund_currency: 'USD',
      refund_reason: 'test',
    });
    assert.equal(checkTrace(await spied.refundQuery(refund), 'alipay.trade.fastpay.refund.query').kind, 'succeeded');
    assert.deepEqual(bizOf(sent[2]?.params ?? new URLSearchParams()), { out_trade_no: sale.orderNo, out_request_no: refund.refundNo });
    await assertLedger(sale.orderNo, { amount: 1005, currency: 'USD', status: 'partially_refunded', refunded_amount: 300 });
  });

  test('JPY has no decimals; the test value still comes from the last two digits', async () => {
    const sent: Array<{ params: URLSearchParams; contentType: string }> = [];
    const spied = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent) });
    const sale = payRequest(1051, {}, 'JPY');
    const outcome = checkTrace(await spied.pay(sale), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'ACQ.BUYER_BALANCE_NOT_ENOUGH', JSON.stringify(outcome));
    assert.equal(bizOf(sent[0]?.params ?? new URLSearchParams())['total_amount'], '1051');
    await assertLedger(sale.orderNo, { amount: 1051, currency: 'JPY', status: 'closed' });
  });
});

// ------------------------------------------------------------------ signatures

describe('signatures', () => {
  test('requests signed with the wrong app key are refused (40002 isv.invalid-signature); nothing recorded; no secret in the trace', async () => {
    const impostorKey = otherKeyPair().privateKey;
    const impostor = createAlipayAdapter({ gatewayUrl, credentials: { ...credentials, appPrivateKeyPem: impostorKey }, timeoutMs: CALL_TIMEOUT_MS });
    const sale = payRequest(1000);
    const result = await impostor.pay(sale);
    const outcome = checkTrace(result, 'alipay.trade.pay', [pemBody(impostorKey)]);
    assert.ok(outcome.kind === 'rejected' && outcome.code === 'isv.invalid-signature', JSON.stringify(outcome));
    assert.equal(result.trace.code, 'isv.invalid-signature');
    // The gateway echoes the string it verified (biz_content and auth_code included): redacted.
    assert.match(result.trace.message ?? '', /auth_code\\?":\\?"\[redacted\]/);
    assert.match(outcome.message, /\[redacted\]/);
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.equal(checkTrace(await impostor.query(sale.orderNo), 'alipay.trade.query').kind, 'rejected');
  });

  test('an answer whose signature does not verify is unknown, never paid', async () => {
    const tampering = createAlipayAdapter({
      gatewayUrl,
      credentials,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch([], (body) => body.replace(/"trade_no":"(\d)/, (_match, digit: string) => `"trade_no":"${digit === '1' ? '2' : '1'}`)),
    });
    const sale = payRequest(1000);
    const result = await tampering.pay(sale);
    const outcome = checkTrace(result, 'alipay.trade.pay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === null, JSON.stringify(outcome));
    assert.equal(result.trace.message, 'response signature does not verify');
    await assertLedger(sale.orderNo, { status: 'paid' }); // the money did move: only a query can tell
  });

  test('answers signed by another platform key, or not signed at all, are unknown', async () => {
    const otherPlatform = otherKeyPair();
    const misconfigured = createAlipayAdapter({
      gatewayUrl,
      credentials: { ...credentials, alipayPublicKeyPem: otherPlatform.publicKey },
      timeoutMs: CALL_TIMEOUT_MS,
    });
    assert.equal(checkTrace(await misconfigured.query(newOrderNo()), 'alipay.trade.query').kind, 'unknown');
    const unsigned = createAlipayAdapter({
      gatewayUrl,
      credentials,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch([], (body) => body.replace(/,"sign":"[^"]*"/, '')),
    });
    const result = await unsigned.pay(payRequest(51));
    assert.equal(checkTrace(result, 'alipay.trade.pay').kind, 'unknown', 'an unsigned decline is not trusted');
    assert.equal(result.trace.message, 'answer is not signed');
  });

  test('the gateway checks app, signature type, signature and parameters; its refusals come unsigned in error_response, a bad signature and business answers signed', async () => {
    const post = async (params: Record<string, string>, query = ''): Promise<{ key: string; fields: Readonly<Record<string, string>> }> => {
      const response = await fetch(`${gatewayUrl}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(response.status, 200);
      const body = await response.text();
      const opened = openSignedResponse(body, params['method'] ?? 'alipay.trade.query', keys.platform.publicKeyPem);
      if (opened.ok) return { key: opened.responseKey, fields: opened.fields };
      // A gateway refusal: error_response alone, with no sign.
      assert.equal(opened.reason, 'answer is not signed', body);
      const parsed: unknown = JSON.parse(body);
      assert.ok(typeof parsed === 'object' && parsed !== null);
      assert.deepEqual(Object.keys(parsed), ['error_response'], body);
      return { key: 'unsigned error_response', fields: opened.unsigned ?? {} };
    };
    const base = {
      app_id: ALIPAY_SANDBOX_APP_ID,
      method: 'alipay.trade.query',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: '2024-05-13 17:49:20',
      version: '1.0',
      biz_content: JSON.stringify({ out_trade_no: newOrderNo() }),
    };
    const signed = signParams(base, keys.app.privateKeyPem);
    assert.equal((await post(signed)).fields['sub_code'], 'ACQ.TRADE_NOT_EXIST', 'a well-signed request reaches the business layer');
    assert.equal((await post(base)).fields['sub_code'], 'isv.missing-signature');
    const badSignature = await post({ ...signed, biz_content: JSON.stringify({ out_trade_no: 'OTHER' }) });
    assert.deepEqual([badSignature.key, badSignature.fields['sub_code']], ['alipay_trade_query_response', 'isv.invalid-signature']);
    assert.equal((await post(signParams({ ...base, sign_type: 'RSA' }, keys.app.privateKeyPem))).fields['sub_code'], 'isv.invalid-signature-type');
    assert.equal((await post(signParams({ ...base, app_id: '2021999999999999' }, keys.app.privateKeyPem))).fields['sub_code'], 'isv.invalid-app-id');
    assert.equal((await post(signParams({ ...base, timestamp: '13/05/2024' }, keys.app.privateKeyPem))).fields['sub_code'], 'isv.invalid-timestamp');
    const { sign_type: _signType, ...withoutSignType } = signed;
    assert.equal((await post(withoutSignType)).fields['sub_code'], 'isv.missing-signature-type');
    const unknownMethod = await post(signParams({ ...base, method: 'alipay.trade.explode' }, keys.app.privateKeyPem));
    assert.deepEqual([unknownMethod.key, unknownMethod.fields['sub_code']], ['unsigned error_response', 'isv.invalid-method']);
    const twice = await post(signed, `?app_id=${ALIPAY_SANDBOX_APP_ID}`);
    assert.deepEqual([twice.key, twice.fields['code']], ['unsigned error_response', '40002']);
    const badApp = await post(signParams({ ...base, app_id: '2021999999999999' }, keys.app.privateKeyPem));
    assert.deepEqual([badApp.key, badApp.fields['code'], badApp.fields['sub_code']], ['unsigned error_response', '40002', 'isv.invalid-app-id']);
    // Common parameters in the URL, biz_content in the body (what the official SDKs do): accepted.
    const { biz_content: bizContent, ...common } = signed;
    const split = await post({ biz_content: bizContent ?? '' }, `?${new URLSearchParams(common).toString()}`);
    assert.equal(split.fields['sub_code'], 'ACQ.TRADE_NOT_EXIST');
  });
});

// ------------------------------------------------------------------ transport failures and odd answers

describe('transport failures and odd answers are unknown, never declines', () => {
  const signedAnswer = (method: string, fields: Record<string, string>): string =>
    signedResponseBody(`${method.split('.').join('_')}_response`, JSON.stringify(fields), keys.platform.privateKeyPem);
  const answering =
    (status: number, body: () => string): typeof fetch =>
    async () =>
      new Response(body(), { status });
  const withFetch = (fetchImpl: typeof fetch, timeoutMs = CALL_TIMEOUT_MS): PosAdapter =>
    createAlipayAdapter({ gatewayUrl, credentials, timeoutMs, fetch: fetchImpl });

  test('connection refused', async () => {
    const closed = createAlipayAdapter({ gatewayUrl: 'http://127.0.0.1:1/gateway.do', credentials, timeoutMs: CALL_TIMEOUT_MS });
    const result = await closed.pay(payRequest(1000));
    assert.equal(checkTrace(result, 'alipay.trade.pay').kind, 'unknown');
    assert.equal(result.trace.httpStatus, null);
  });

  test('no answer within the timeout, on every call', async () => {
    const slow = withFetch(hangingFetch, IMPATIENT_TIMEOUT_MS);
    const sale = payRequest(1000);
    const refund = refundRequest(sale, 'R1', 100);
    const results = [
      checkTrace(await slow.pay(sale), 'alipay.trade.pay'),
      checkTrace(await slow.query(sale.orderNo), 'alipay.trade.query'),
      checkTrace(await slow.reverse(sale.orderNo), 'alipay.trade.cancel'),
      checkTrace(await slow.refund(refund), 'alipay.trade.refund'),
      checkTrace(await slow.refundQuery(refund), 'alipay.trade.fastpay.refund.query'),
    ];
    const timedOut = new RegExp(`no answer within ${IMPATIENT_TIMEOUT_MS} ms`);
    for (const outcome of results) assert.ok(outcome.kind === 'unknown' && timedOut.test(outcome.reason), JSON.stringify(outcome));
  });

  test('HTTP 502, even with a signed decline in the body', async () => {
    const body = (): string => signedAnswer('alipay.trade.pay', { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' });
    const result = await withFetch(answering(502, body)).pay(payRequest(1000));
    assert.equal(checkTrace(result, 'alipay.trade.pay').kind, 'unknown');
    assert.equal(result.trace.httpStatus, 502);
  });

  test('an unparsable body', async () => {
    const outcome = checkTrace(
      await withFetch(answering(200, () => '<html>Bad gateway</html>')).refund(refundRequest(payRequest(1000), 'R1', 100)),
      'alipay.trade.refund',
    );
    assert.equal(outcome.kind, 'unknown');
  });

  test('20000 on refund is unknown; cancel retry_flag=Y asks for another cancel', async () => {
    const refund = checkTrace(
      await withFetch(
        answering(200, () => signedAnswer('alipay.trade.refund', { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error' })),
      ).refund(refundRequest(payRequest(1000), 'R1', 100)),
      'alipay.trade.refund',
    );
    assert.equal(refund.kind, 'unknown');
    const cancel = checkTrace(
      await withFetch(
        answering(200, () => signedAnswer('alipay.trade.cancel', { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', retry_flag: 'Y' })),
      ).reverse('X1'),
      'alipay.trade.cancel',
    );
    assert.equal(cancel.kind, 'retry');
  });

  test('a paid answer about another trade is unknown', async () => {
    const outcome = checkTrace(
      await withFetch(
        answering(200, () =>
          signedAnswer('alipay.trade.pay', {
            code: '10000',
            msg: 'Success',
            out_trade_no: 'SOMEONE_ELSE',
            trade_no: '2024051322001400000000000001',
          }),
        ),
      ).pay(payRequest(1000)),
      'alipay.trade.pay',
    );
    assert.equal(outcome.kind, 'unknown');
  });
});

// ------------------------------------------------------------------ sandbox keys

describe('sandbox keys', () => {
  test('created once with mode 0600, then read back unchanged; no temp files left', () => {
    const keysDir = join(sim.dir, 'keys-test');
    const first = loadOrCreateAlipaySandboxKeys(keysDir);
    const file = join(keysDir, ALIPAY_SANDBOX_KEYS_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(keysDir), [ALIPAY_SANDBOX_KEYS_FILE]);
    assert.deepEqual(loadOrCreateAlipaySandboxKeys(keysDir), first);
    assert.notEqual(first.app.privateKeyPem, first.platform.privateKeyPem);
    assert.match(first.app.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(first.platform.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.notDeepEqual(loadOrCreateAlipaySandboxKeys(join(sim.dir, 'keys-other')), first, 'each data directory has its own keys');
  });

  test('a damaged key file is an error, not silently replaced', () => {
    const keysDir = join(sim.dir, 'keys-damaged');
    const good = loadOrCreateAlipaySandboxKeys(keysDir);
    const mismatched = { app: { privateKeyPem: good.app.privateKeyPem, publicKeyPem: good.platform.publicKeyPem }, platform: good.platform };
    writeFileSync(join(keysDir, ALIPAY_SANDBOX_KEYS_FILE), JSON.stringify(mismatched));
    assert.throws(() => loadOrCreateAlipaySandboxKeys(keysDir), /does not match/);
    writeFileSync(join(keysDir, ALIPAY_SANDBOX_KEYS_FILE), '{"app":1}');
    assert.throws(() => loadOrCreateAlipaySandboxKeys(keysDir), /not an Alipay sandbox key file/);
  });
});

// ------------------------------------------------------------------ cross-check with alipay-sdk

describe('cross-check with the official alipay-sdk', () => {
  const sdkFor = (privateKey: string, alipayPublicKey: string): AlipaySdk =>
    new AlipaySdk({
      appId: ALIPAY_SANDBOX_APP_ID,
      privateKey,
      keyType: 'PKCS8',
      alipayPublicKey,
      gateway: gatewayUrl,
      camelcase: false,
      timeout: 5000,
    });

  test('the SDK signs alipay.trade.pay / .query; the simulator accepts them; the SDK verifies the signed answers', async () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const orderNo = newOrderNo();
    const paid = await sdk.exec(
      'alipay.trade.pay',
      {
        bizContent: { out_trade_no: orderNo, scene: 'bar_code', auth_code: AUTH_CODE, subject: 'SDK cross-check', total_amount: '10.50' },
      },
      { validateSign: true },
    );
    assert.equal(paid.code, '10000', JSON.stringify(paid));
    assert.equal(paid['out_trade_no'], orderNo);
    assert.match(String(paid['trade_no']), /^\d{28}$/);
    assert.equal(paid['total_amount'], '10.50');
    await assertLedger(orderNo, { amount: 1050, currency: 'CNY', status: 'paid' });

    const queried = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: orderNo } }, { validateSign: true });
    assert.equal(queried.code, '10000');
    assert.equal(queried['trade_status'], 'TRADE_SUCCESS');
    // What the SDK created, our adapter reads back the same way.
    assert.deepEqual(checkTrace(await adapter.query(orderNo), 'alipay.trade.query'), { kind: 'paid', providerTxnId: String(paid['trade_no']) });
  });

  test('test values and business failures come back to the SDK signed too', async () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const orderNo = newOrderNo();
    const declined = await sdk.exec(
      'alipay.trade.pay',
      {
        bizContent: { out_trade_no: orderNo, scene: 'bar_code', auth_code: AUTH_CODE, subject: 'SDK 51', total_amount: '23.51' },
      },
      { validateSign: true },
    );
    assert.deepEqual([declined.code, declined.sub_code], ['40004', 'ACQ.BUYER_BALANCE_NOT_ENOUGH']);
    await assertLedger(orderNo, { amount: 2351, status: 'closed' });
  });

  test('the simulator really checks the SDK signature: a request signed with another key is refused', async () => {
    const impostor = sdkFor(otherKeyPair().privateKey, keys.platform.publicKeyPem);
    const orderNo = newOrderNo();
    const refused = await impostor.exec(
      'alipay.trade.pay',
      {
        bizContent: { out_trade_no: orderNo, scene: 'bar_code', auth_code: AUTH_CODE, subject: 'impostor', total_amount: '10.00' },
      },
      { validateSign: true },
    );
    assert.deepEqual([refused.code, refused.sub_code], ['40002', 'isv.invalid-signature']);
    assert.equal(await ledgerEntry(orderNo), undefined);
  });

  test('the SDK really checks our answer signature: a wrong Alipay public key or a tampered body fails', async () => {
    const otherPlatform = otherKeyPair();
    const suspicious = sdkFor(keys.app.privateKeyPem, otherPlatform.publicKey);
    await assert.rejects(
      suspicious.exec('alipay.trade.query', { bizContent: { out_trade_no: newOrderNo() } }, { validateSign: true }),
      (error: unknown) => error instanceof AlipayRequestError && /验签失败/.test(error.message),
    );
    // checkResponseSign is the SDK's own verification of a raw body: ours passes, a one-byte change fails.
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const body = signedResponseBody(
      'alipay_trade_query_response',
      JSON.stringify({ code: '10000', msg: 'Success', trade_status: 'TRADE_SUCCESS' }),
      keys.platform.privateKeyPem,
    );
    const sign: unknown = JSON.parse(rawMember(body, 'sign') ?? 'null');
    assert.ok(typeof sign === 'string');
    assert.doesNotThrow(() => sdk.checkResponseSign(body, 'alipay_trade_query_response', sign, 'trace'));
    assert.throws(() => sdk.checkResponseSign(body.replace('TRADE_SUCCESS', 'TRADE_CLOSED'), 'alipay_trade_query_response', sign, 'trace'), AlipayRequestError);
  });

  test('a request string the SDK signs verifies with our verifier, and ours with the SDK', () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.app.publicKeyPem); // verify our signatures with the app public key
    const signedBySdk = Object.fromEntries(new URLSearchParams(sdk.sdkExecute('alipay.trade.query', { bizContent: { out_trade_no: 'T1' } })));
    assert.equal(signedBySdk['sign_type'], 'RSA2');
    assert.equal(verifyParams(signedBySdk, keys.app.publicKeyPem), true);
    assert.equal(verifyParams({ ...signedBySdk, biz_content: '{"out_trade_no":"T2"}' }, keys.app.publicKeyPem), false);
    const ours = signParams(
      { app_id: ALIPAY_SANDBOX_APP_ID, method: 'alipay.trade.query', sign_type: 'RSA2', biz_content: '{"out_trade_no":"T1"}' },
      keys.app.privateKeyPem,
    );
    const { sign, ...rest } = ours;
    const sdkSigningString = Object.keys(rest)
      .sort()
      .map((name) => `${name}=${rest[name] ?? ''}`)
      .join('&');
    assert.equal(sdk.rsaCheck(sdkSigningString, sign ?? ''), true);
  });
});

// ------------------------------------------------------------------ a decline no test value produces

describe('a customer who switched off the payment feature', () => {
  test('ACQ.USER_FACE_PAYMENT_SWITCH_OFF is a definite decline: the sale fails with payment_feature_disabled_failure', async () => {
    const answer = signedResponseBody(
      'alipay_trade_pay_response',
      JSON.stringify({
        code: '40004',
        msg: 'Business Failed',
        sub_code: 'ACQ.USER_FACE_PAYMENT_SWITCH_OFF',
        sub_msg: 'the user switched face payment off',
      }),
      keys.platform.privateKeyPem,
    );
    const switchedOff = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: CALL_TIMEOUT_MS, fetch: async () => new Response(answer, { status: 200 }) });
    const outcome = checkTrace(await switchedOff.pay(payRequest(1000)), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'declined', JSON.stringify(outcome));
    assert.equal(outcome.code, 'ACQ.USER_FACE_PAYMENT_SWITCH_OFF');
    // What the step machine stores on the sale.
    assert.deepEqual(providerFailure(switchedOff, outcome.code, outcome.message), {
      code: 'payment_feature_disabled_failure',
      detail: 'Payment feature is disabled by the customer',
    });
  });
});
