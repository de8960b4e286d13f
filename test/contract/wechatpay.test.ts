/**
 * The WeChat Pay adapter against the WeChat Pay simulator over real HTTP:
 * every test value from docs/providers.md, plus queries, reversals, refunds,
 * timeouts, signatures and the sandbox ledger.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { money } from '../../src/domain/money.js';
import type { PosAdapter } from '../../src/providers/contract.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter, type WeChatPayCredentials } from '../../src/providers/wechatpay/adapter.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { signFields, verifyFields, withSignature } from '../../src/providers/wechatpay/sign.js';
import { buildXml, parseXml } from '../../src/providers/wechatpay/xml.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import {
  CALL_TIMEOUT_MS,
  CONFIRM_DELAY_MS,
  IMPATIENT_TIMEOUT_MS,
  SLOW_RESPONSE_MS,
  newOrderNo,
  payRequestBuilder,
  refundRequest,
  traceChecker,
  useSimulatorServer,
} from '../support/contract.js';

const AUTH_CODE = '134567890123456789';

/** A second merchant on the simulator, signing with MD5 (the protocol's default). */
const MD5_MERCHANT: WeChatPayCredentials = {
  appId: 'wx0000000000md5000',
  mchId: '10000200',
  apiKey: 'md5merchantkey000000000000000032',
  signType: 'MD5',
};

let baseUrl = '';
let adapter: PosAdapter;

const sim = useSimulatorServer(
  'wechatpay',
  ({ ledger }) =>
    wechatPaySimulator({
      ledger,
      credentials: [WECHATPAY_SANDBOX_CREDENTIALS, MD5_MERCHANT],
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: SLOW_RESPONSE_MS,
    }),
  (server) => {
    baseUrl = server.baseUrl;
    adapter = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS });
  },
);
const { ledgerEntries, ledgerEntry, assertLedger } = sim;

// ------------------------------------------------------------------ helpers

const payRequest = payRequestBuilder({ authCode: AUTH_CODE, currency: 'CNY' });
const checkTrace = traceChecker('wechatpay', () => [AUTH_CODE, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, MD5_MERCHANT.apiKey]);

// ------------------------------------------------------------------ test values

describe('micropay test values', () => {
  test('default amount: paid at once, with a 28-digit transaction id kept as a string', async () => {
    const sale = payRequest(1000);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'micropay');
    assert.equal(outcome.kind, 'paid');
    assert.ok(outcome.kind === 'paid' && outcome.providerTxnId !== null && /^\d{28}$/.test(outcome.providerTxnId));
    assert.equal(result.trace.httpStatus, 200);
    assert.equal(result.trace.code, 'SUCCESS');
    await assertLedger(sale.orderNo, { amount: 1000, currency: 'CNY', status: 'paid', refunded_amount: 0 });
    const query = checkTrace(await adapter.query(sale.orderNo), 'orderquery');
    assert.deepEqual(query, { kind: 'paid', providerTxnId: outcome.kind === 'paid' ? outcome.providerTxnId : null });
  });

  test('51: NOTENOUGH decline, order closed with PAYERROR', async () => {
    const sale = payRequest(2351);
    const outcome = checkTrace(await adapter.pay(sale), 'micropay');
    assert.equal(outcome.kind, 'declined');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'NOTENOUGH');
    assert.equal(adapter.mapFailure(outcome.code), 'customer_insufficient_balance_failure');
    await assertLedger(sale.orderNo, { status: 'closed', amount: 2351 });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'closed', code: 'PAYERROR' });
  });

  test('52: AUTHCODEEXPIRE decline, nothing recorded', async () => {
    const sale = payRequest(152);
    const outcome = checkTrace(await adapter.pay(sale), 'micropay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'AUTHCODEEXPIRE', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'payment_auth_key_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'not_paid' });
  });

  test('53: USERPAYING, then paid once the customer confirms', async () => {
    const sale = payRequest(1053);
    const outcome = checkTrace(await adapter.pay(sale), 'micropay');
    assert.deepEqual(outcome, { kind: 'awaiting_customer', code: 'USERPAYING' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'awaiting_customer' });
    await assertLedger(sale.orderNo, { status: 'unpaid' });
    await wait(CONFIRM_DELAY_MS + 100);
    const query = checkTrace(await adapter.query(sale.orderNo), 'orderquery');
    assert.ok(query.kind === 'paid' && query.providerTxnId !== null && /^\d{28}$/.test(query.providerTxnId), JSON.stringify(query));
    await assertLedger(sale.orderNo, { status: 'paid' });
  });

  test('54: USERPAYING forever; reverse closes it (REVOKED)', async () => {
    const sale = payRequest(54);
    const outcome = checkTrace(await adapter.pay(sale), 'micropay');
    assert.deepEqual(outcome, { kind: 'awaiting_customer', code: 'USERPAYING' });
    assert.equal(adapter.mapFailure(outcome.kind === 'awaiting_customer' ? outcome.code : ''), 'payment_password_failure');
    await wait(CONFIRM_DELAY_MS + 100);
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'awaiting_customer' });
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'reverse'), { kind: 'reversed' });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'closed', code: 'REVOKED' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
  });

  test('55: SYSTEMERROR answer, but the order was paid', async () => {
    const sale = payRequest(9955);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'micropay');
    assert.equal(outcome.kind, 'unknown');
    assert.ok(outcome.kind === 'unknown' && outcome.code === 'SYSTEMERROR');
    assert.equal(result.trace.code, 'SYSTEMERROR');
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orderquery').kind, 'paid');
    await assertLedger(sale.orderNo, { status: 'paid', amount: 9955 });
  });

  test('56: answer slower than the timeout is unknown, and the order was paid', async () => {
    const impatient = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: IMPATIENT_TIMEOUT_MS });
    const sale = payRequest(156);
    const result = await impatient.pay(sale);
    const outcome = checkTrace(result, 'micropay');
    assert.equal(outcome.kind, 'unknown');
    assert.ok(outcome.kind === 'unknown' && outcome.code === null);
    assert.match(outcome.reason, new RegExp(`^no answer within ${IMPATIENT_TIMEOUT_MS} ms$`));
    assert.equal(result.trace.httpStatus, null);
    assert.ok(result.trace.latencyMs >= IMPATIENT_TIMEOUT_MS - 20, String(result.trace.latencyMs));
    await assertLedger(sale.orderNo, { status: 'paid' }); // recorded before the late answer
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orderquery').kind, 'paid');
  });

  test('57: BUYER_MISMATCH decline', async () => {
    const outcome = checkTrace(await adapter.pay(payRequest(57)), 'micropay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'BUYER_MISMATCH', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'customer_not_allowed_to_pay_failure');
  });

  test('58: NOAUTH decline', async () => {
    const outcome = checkTrace(await adapter.pay(payRequest(1258)), 'micropay');
    assert.ok(outcome.kind === 'declined' && outcome.code === 'NOAUTH', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'merchant_not_allowed_to_sell_failure');
  });

  test('59: paid, but every refund is refused with TRADE_OVERDUE', async () => {
    const sale = payRequest(5959);
    assert.equal(checkTrace(await adapter.pay(sale), 'micropay').kind, 'paid');
    for (const amount of [5959, 100, 100]) {
      // full, partial, and the partial re-sent: same answer each time
      const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, amount)), 'refund');
      assert.ok(refund.kind === 'declined' && refund.code === 'TRADE_OVERDUE', JSON.stringify(refund));
      assert.equal(adapter.mapFailure(refund.code), 'refund_not_allowed_failure');
    }
    assert.deepEqual(checkTrace(await adapter.refundQuery(refundRequest(sale, `${sale.orderNo}R`, 100)), 'refundquery'), { kind: 'not_found' });
    await assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 });
  });

  test('61: SYSTEMERROR answer and not paid; reversed; a late micropay is refused', async () => {
    const sale = payRequest(361);
    const outcome = checkTrace(await adapter.pay(sale), 'micropay');
    assert.ok(outcome.kind === 'unknown' && outcome.code === 'SYSTEMERROR', JSON.stringify(outcome));
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'not_paid' });
    await assertLedger(sale.orderNo, { status: 'unpaid' });
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'reverse'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed' });
    const late = checkTrace(await adapter.pay(sale), 'micropay');
    assert.ok(late.kind === 'declined' && late.code === 'ORDERREVERSED', JSON.stringify(late));
    assert.equal(adapter.mapFailure(late.code), 'payment_gateway_failure');
  });

  test('malformed auth codes: refused locally, and AUTH_CODE_INVALID from the provider', async () => {
    for (const good of ['100000000000000000', '154567890123456789', AUTH_CODE]) assert.equal(adapter.isWellFormedAuthCode(good), true, good);
    for (const bad of [
      '',
      '16456789012345678',
      '094567890123456789',
      '164567890123456789',
      '13456789012345678',
      '1345678901234567890',
      '13456789012345678a',
      ' 134567890123456789',
    ]) {
      assert.equal(adapter.isWellFormedAuthCode(bad), false, bad);
    }
    const sale = payRequest(1000, { authCode: '284567890123456789' });
    const outcome = checkTrace(await adapter.pay(sale), 'micropay', ['284567890123456789']);
    assert.ok(outcome.kind === 'declined' && outcome.code === 'AUTH_CODE_INVALID', JSON.stringify(outcome));
    assert.equal(adapter.mapFailure(outcome.code), 'payment_auth_key_failure');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
  });

  test('re-used out_trade_no: ORDERPAID is unknown (query it), OUT_TRADE_NO_USED is a decline', async () => {
    const paid = payRequest(1000);
    assert.equal(checkTrace(await adapter.pay(paid), 'micropay').kind, 'paid');
    assert.deepEqual(checkTrace(await adapter.pay(paid), 'micropay'), { kind: 'unknown', reason: 'order has already been paid', code: 'ORDERPAID' });
    const closed = payRequest(51);
    assert.equal(checkTrace(await adapter.pay(closed), 'micropay').kind, 'declined');
    const again = checkTrace(await adapter.pay(closed), 'micropay');
    assert.ok(again.kind === 'declined' && again.code === 'OUT_TRADE_NO_USED', JSON.stringify(again));
    assert.equal(adapter.mapFailure(again.code), 'transaction_id_failure');
  });
});

// ------------------------------------------------------------------ query and reverse

describe('orderquery and reverse', () => {
  test('query of an unknown order is not_paid (ORDERNOTEXIST)', async () => {
    const result = await adapter.query(newOrderNo());
    assert.deepEqual(checkTrace(result, 'orderquery'), { kind: 'not_paid' });
    assert.equal(result.trace.code, 'ORDERNOTEXIST');
  });

  test('reverse of a paid order gives the money back: reversed in the ledger, REVOKED on query', async () => {
    const sale = payRequest(2000);
    assert.equal(checkTrace(await adapter.pay(sale), 'micropay').kind, 'paid');
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'reverse'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 2000 });
    assert.deepEqual(checkTrace(await adapter.query(sale.orderNo), 'orderquery'), { kind: 'closed', code: 'REVOKED' });
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'reverse'), { kind: 'reversed' }, 'reverse is idempotent');
    const refund = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R`, 100)), 'refund');
    assert.equal(refund.kind, 'declined', 'a reversed order cannot be refunded');
  });

  test('reverse of an order never seen leaves a tombstone that refuses a late micropay', async () => {
    const sale = payRequest(1000);
    assert.deepEqual(checkTrace(await adapter.reverse(sale.orderNo), 'reverse'), { kind: 'reversed' });
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 0 });
    const late = checkTrace(await adapter.pay(sale), 'micropay');
    assert.ok(late.kind === 'declined' && late.code === 'ORDERREVERSED', JSON.stringify(late));
    await assertLedger(sale.orderNo, { status: 'reversed', amount: 0 });
  });

  test('a partially refunded order can no longer be reversed', async () => {
    const sale = payRequest(3000);
    assert.equal(checkTrace(await adapter.pay(sale), 'micropay').kind, 'paid');
    const refund = refundRequest(sale, `${sale.orderNo}R`, 1000);
    assert.equal(checkTrace(await adapter.refund(refund), 'refund').kind, 'processing');
    const whileProcessing = checkTrace(await adapter.reverse(sale.orderNo), 'reverse');
    assert.ok(whileProcessing.kind === 'declined' && whileProcessing.code === 'TRADE_ERROR', JSON.stringify(whileProcessing));
    assert.equal(checkTrace(await adapter.refundQuery(refund), 'refundquery').kind, 'succeeded');
    const afterRefund = checkTrace(await adapter.reverse(sale.orderNo), 'reverse');
    assert.ok(afterRefund.kind === 'declined' && afterRefund.code === 'TRADE_ERROR', JSON.stringify(afterRefund));
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 1000 });
  });
});

// ------------------------------------------------------------------ refunds

describe('refund and refundquery', () => {
  test('partial refund, idempotent re-send, over-refund, then the rest', async () => {
    const sale = payRequest(10000);
    assert.equal(checkTrace(await adapter.pay(sale), 'micropay').kind, 'paid');

    const first = refundRequest(sale, `${sale.orderNo}R1`, 3000);
    assert.deepEqual(checkTrace(await adapter.refund(first), 'refund'), { kind: 'processing' });
    await assertLedger(sale.orderNo, { status: 'paid', refunded_amount: 0 }); // settles asynchronously
    assert.deepEqual(checkTrace(await adapter.refundQuery(first), 'refundquery'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 3000 });

    // Same out_refund_no again: same answer, no second refund.
    assert.deepEqual(checkTrace(await adapter.refund(first), 'refund'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(first), 'refundquery'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'partially_refunded', refunded_amount: 3000 });

    const tooMuch = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R2`, 7001)), 'refund');
    assert.ok(tooMuch.kind === 'declined' && tooMuch.code === 'PARAM_ERROR', JSON.stringify(tooMuch));
    assert.deepEqual(checkTrace(await adapter.refundQuery(refundRequest(sale, `${sale.orderNo}R2`, 7001)), 'refundquery'), { kind: 'not_found' });

    const rest = refundRequest(sale, `${sale.orderNo}R3`, 7000);
    assert.deepEqual(checkTrace(await adapter.refund(rest), 'refund'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(rest), 'refundquery'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 10000 });
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orderquery').kind, 'paid', 'trade_state REFUND is a paid sale');

    const more = checkTrace(await adapter.refund(refundRequest(sale, `${sale.orderNo}R4`, 1)), 'refund');
    assert.equal(more.kind, 'declined');
  });

  test('a full refund at once', async () => {
    const sale = payRequest(4500);
    assert.equal(checkTrace(await adapter.pay(sale), 'micropay').kind, 'paid');
    const full = refundRequest(sale, `${sale.orderNo}R`, 4500);
    assert.deepEqual(checkTrace(await adapter.refund(full), 'refund'), { kind: 'processing' });
    assert.deepEqual(checkTrace(await adapter.refundQuery(full), 'refundquery'), { kind: 'succeeded' });
    await assertLedger(sale.orderNo, { status: 'refunded', refunded_amount: 4500 });
  });

  test('refund of an unknown order is declined; refundquery of an unknown refund is not_found', async () => {
    const ghost = payRequest(1000);
    const refund = checkTrace(await adapter.refund(refundRequest(ghost, `${ghost.orderNo}R`, 100)), 'refund');
    assert.ok(refund.kind === 'declined' && refund.code === 'ORDERNOTEXIST', JSON.stringify(refund));
    const result = await adapter.refundQuery(refundRequest(ghost, `${ghost.orderNo}R`, 100));
    assert.deepEqual(checkTrace(result, 'refundquery'), { kind: 'not_found' });
    assert.equal(result.trace.code, 'REFUNDNOTEXIST');
  });

  test('a refund whose total_fee does not match the order is refused', async () => {
    const sale = payRequest(1000);
    assert.equal(checkTrace(await adapter.pay(sale), 'micropay').kind, 'paid');
    const wrong = { ...refundRequest(sale, `${sale.orderNo}R`, 100), saleMoney: money(999, 'CNY') };
    const refund = checkTrace(await adapter.refund(wrong), 'refund');
    assert.ok(refund.kind === 'declined' && refund.code === 'PARAM_ERROR', JSON.stringify(refund));
  });
});

// ------------------------------------------------------------------ signatures and wire format

describe('signatures and wire format', () => {
  /** A fetch that records what the adapter sent and lets a test rewrite the answer. */
  function spyFetch(sent: string[], rewrite: (body: string) => string = (body) => body): typeof fetch {
    return async (input, init) => {
      sent.push(typeof init?.body === 'string' ? init.body : '');
      const response = await fetch(input, init);
      return new Response(rewrite(await response.text()), { status: response.status });
    };
  }

  test('an adapter with the wrong key is refused by the simulator: rejected, nothing recorded', async () => {
    const wrongKey = { ...WECHATPAY_SANDBOX_CREDENTIALS, apiKey: 'wrongwrongwrongwrongwrongwrong32' };
    const impostor = createWeChatPayAdapter({ baseUrl, credentials: wrongKey, timeoutMs: CALL_TIMEOUT_MS });
    const sale = payRequest(1000);
    const result = await impostor.pay(sale);
    const outcome = checkTrace(result, 'micropay', [wrongKey.apiKey]);
    assert.deepEqual(outcome, { kind: 'rejected', code: 'FAIL', message: 'signature error' });
    assert.equal(result.trace.code, 'FAIL');
    assert.equal(result.trace.message, 'signature error');
    assert.equal(await ledgerEntry(sale.orderNo), undefined);
    assert.equal(checkTrace(await impostor.query(sale.orderNo), 'orderquery', [wrongKey.apiKey]).kind, 'rejected');
  });

  test('a response whose signature does not verify is unknown, never paid', async () => {
    const tampering = createWeChatPayAdapter({
      baseUrl,
      credentials: WECHATPAY_SANDBOX_CREDENTIALS,
      timeoutMs: CALL_TIMEOUT_MS,
      fetch: spyFetch([], (body) => body.replace(/<transaction_id><!\[CDATA\[\d+/, '<transaction_id><![CDATA[1')),
    });
    const sale = payRequest(1000);
    const result = await tampering.pay(sale);
    const outcome = checkTrace(result, 'micropay');
    assert.equal(outcome.kind, 'unknown');
    assert.match(result.trace.message ?? '', /signature/);
    await assertLedger(sale.orderNo, { status: 'paid' }); // the money did move: only a query can tell
  });

  test('the simulator refuses unsigned and badly signed requests', async () => {
    const fields = { appid: WECHATPAY_SANDBOX_CREDENTIALS.appId, mch_id: WECHATPAY_SANDBOX_CREDENTIALS.mchId, nonce_str: 'abc', out_trade_no: newOrderNo() };
    const post = async (body: string): Promise<Record<string, string>> => {
      const response = await fetch(`${baseUrl}/pay/orderquery`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
      assert.equal(response.status, 200);
      return parseXml(await response.text());
    };
    assert.deepEqual(await post(buildXml(fields)), { return_code: 'FAIL', return_msg: 'signature error' });
    const md5Signed = withSignature(fields, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, 'MD5');
    assert.equal((await post(buildXml({ ...md5Signed, sign_type: 'HMAC-SHA256' })))['return_msg'], 'signature error');
    assert.equal((await post('<xml><a>1</xml>'))['return_code'], 'FAIL');
    // Correctly signed with MD5 (no sign_type): accepted, and the answer is signed with MD5 too.
    const answer = await post(buildXml(md5Signed));
    assert.equal(answer['return_code'], 'SUCCESS');
    assert.equal(answer['err_code'], 'ORDERNOTEXIST');
    assert.equal(verifyFields(answer, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, 'MD5'), true);
  });

  test('HMAC-SHA256 requests carry sign_type and every documented micropay field', async () => {
    const sent: string[] = [];
    const spied = createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent) });
    const sale = payRequest(123400, { description: 'x'.repeat(200) }, 'HKD');
    assert.equal(checkTrace(await spied.pay(sale), 'micropay').kind, 'paid');
    const request = parseXml(sent[0] ?? '');
    assert.equal(request['sign_type'], 'HMAC-SHA256');
    assert.equal(request['sign'], signFields(request, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, 'HMAC-SHA256'));
    assert.equal(request['total_fee'], '123400');
    assert.equal(request['fee_type'], 'HKD');
    assert.equal(request['body'], 'x'.repeat(128));
    assert.equal(request['spbill_create_ip'], '127.0.0.1');
    assert.equal(request['auth_code'], AUTH_CODE);
    assert.equal(request['out_trade_no'], sale.orderNo);
    assert.match(request['nonce_str'] ?? '', /^[0-9a-f]{32}$/);
    await assertLedger(sale.orderNo, { amount: 123400, currency: 'HKD', status: 'paid' });
  });

  test('an MD5 merchant works end to end and sends no sign_type', async () => {
    const sent: string[] = [];
    const md5 = createWeChatPayAdapter({ baseUrl, credentials: MD5_MERCHANT, timeoutMs: CALL_TIMEOUT_MS, fetch: spyFetch(sent) });
    const sale = payRequest(700);
    assert.equal(checkTrace(await md5.pay(sale), 'micropay').kind, 'paid');
    assert.equal(checkTrace(await md5.query(sale.orderNo), 'orderquery').kind, 'paid');
    const request = parseXml(sent[0] ?? '');
    assert.equal(request['sign_type'], undefined);
    assert.equal(request['sign'], signFields(request, MD5_MERCHANT.apiKey, 'MD5'));
  });
});

// ------------------------------------------------------------------ transport failures

describe('transport failures are unknown, never declines', () => {
  const answering =
    (status: number, body: string): typeof fetch =>
    async () =>
      new Response(body, { status });
  const signed = (fields: Record<string, string>): string =>
    buildXml(withSignature({ return_code: 'SUCCESS', ...fields }, WECHATPAY_SANDBOX_CREDENTIALS.apiKey, 'HMAC-SHA256'));
  const withFetch = (fetchImpl: typeof fetch): PosAdapter =>
    createWeChatPayAdapter({ baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS, fetch: fetchImpl });

  test('connection refused', async () => {
    const closed = createWeChatPayAdapter({ baseUrl: 'http://127.0.0.1:1', credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS });
    const result = await closed.pay(payRequest(1000));
    assert.equal(checkTrace(result, 'micropay').kind, 'unknown');
    assert.equal(result.trace.httpStatus, null);
  });

  test('HTTP 500, even with a signed decline in the body', async () => {
    const result = await withFetch(answering(500, signed({ result_code: 'FAIL', err_code: 'NOTENOUGH' }))).pay(payRequest(1000));
    assert.equal(checkTrace(result, 'micropay').kind, 'unknown');
    assert.equal(result.trace.httpStatus, 500);
  });

  test('an unparsable body', async () => {
    assert.equal(
      checkTrace(await withFetch(answering(200, '<html>Bad gateway</html>')).refund(refundRequest(payRequest(1000), 'R1', 100)), 'refund').kind,
      'unknown',
    );
  });

  test('return_code FAIL', async () => {
    const outcome = checkTrace(await withFetch(answering(200, buildXml({ return_code: 'FAIL', return_msg: 'busy' }))).reverse('X1'), 'reverse');
    assert.equal(outcome.kind, 'unknown');
  });

  test('reverse recall=Y asks for another reverse', async () => {
    const outcome = checkTrace(await withFetch(answering(200, signed({ result_code: 'FAIL', err_code: 'SYSTEMERROR', recall: 'Y' }))).reverse('X1'), 'reverse');
    assert.equal(outcome.kind, 'retry');
  });

  test('refund SYSTEMERROR and BIZERR_NEED_RETRY are unknown', async () => {
    for (const errCode of ['SYSTEMERROR', 'BIZERR_NEED_RETRY']) {
      const outcome = checkTrace(
        await withFetch(answering(200, signed({ result_code: 'FAIL', err_code: errCode }))).refund(refundRequest(payRequest(1000), 'R1', 100)),
        'refund',
      );
      assert.equal(outcome.kind, 'unknown', errCode);
    }
  });

  test('refundquery REFUNDCLOSE and CHANGE are failed', async () => {
    for (const status of ['REFUNDCLOSE', 'CHANGE']) {
      const outcome = checkTrace(
        await withFetch(
          answering(
            200,
            signed({
              result_code: 'SUCCESS',
              refund_count: '1',
              out_refund_no_0: 'R1',
              refund_status_0: status,
            }),
          ),
        ).refundQuery(refundRequest(payRequest(1000), 'R1', 100)),
        'refundquery',
      );
      assert.ok(outcome.kind === 'failed' && outcome.code === status, JSON.stringify(outcome));
    }
  });

  test('a paid answer about another order is unknown', async () => {
    const outcome = checkTrace(
      await withFetch(
        answering(
          200,
          signed({
            result_code: 'SUCCESS',
            out_trade_no: 'SOMEONE_ELSE',
            transaction_id: '4200000000000000000000000001',
          }),
        ),
      ).pay(payRequest(1000)),
      'micropay',
    );
    assert.equal(outcome.kind, 'unknown');
  });
});

// ------------------------------------------------------------------ the ledger endpoint

describe('sandbox ledger', () => {
  test('reports one entry per order with the simulator statuses, durably on disk', async () => {
    const waiting = payRequest(254); // never confirms: stays unpaid
    assert.equal(checkTrace(await adapter.pay(waiting), 'micropay').kind, 'awaiting_customer');
    const entries = await ledgerEntries();
    assert.equal(entries.find((entry) => entry.order_no === waiting.orderNo)?.status, 'unpaid');
    const statuses = new Set(entries.map((entry) => entry.status));
    for (const status of ['paid', 'unpaid', 'closed', 'reversed', 'refunded', 'partially_refunded'] as const) {
      assert.ok(statuses.has(status), `no ${status} entry in ${JSON.stringify([...statuses])}`);
    }
    const keys = entries.map((entry) => `${entry.provider}/${entry.order_no}`);
    assert.equal(new Set(keys).size, keys.length, 'one entry per provider order');
    assert.ok(entries.every((entry) => entry.provider === 'wechatpay'));

    // A second connection on the same file sees the same books: every write was committed.
    const reopened = SimulatorLedger.open(sim.ledgerFile);
    try {
      assert.deepEqual(reopened.entries(), entries);
    } finally {
      reopened.close();
    }
  });
});
