/**
 * alipay.trade.cancel, alipay.trade.refund and alipay.trade.fastpay.refund.query
 * cross-checked with the independent `alipay-sdk` in both directions: the SDK
 * signs requests our simulator must accept and verifies the answers our
 * simulator signs; the SDK's verifier accepts the requests our adapter signs.
 * Then Alipay's published response examples of those three methods, read by
 * the adapter, and matched in shape by the simulator.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AlipaySdk } from 'alipay-sdk';
import { money } from '../../src/domain/money.js';
import type { PosAdapter, RefundRequest } from '../../src/providers/contract.js';
import { createAlipayAdapter, type AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { signedResponseBody } from '../../src/providers/alipay/sign.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import {
  CONFIRM_DELAY_MS,
  newOrderNo,
  payRequestBuilder,
  pemBody,
  refundRequest,
  traceChecker,
  useSimulatorServer,
  CALL_TIMEOUT_MS,
} from '../support/contract.js';

const AUTH_CODE = '286543210987654321';
const TIMEOUT_MS = CALL_TIMEOUT_MS;

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
      slowResponseMs: 600,
    });
  },
  ({ baseUrl }) => {
    gatewayUrl = `${baseUrl}/gateway.do`;
    adapter = createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: TIMEOUT_MS });
  },
);

const payRequest = payRequestBuilder({ authCode: AUTH_CODE, currency: 'CNY' });
const checkTrace = traceChecker('alipay', () => [AUTH_CODE, pemBody(keys.app.privateKeyPem), pemBody(keys.platform.privateKeyPem)]);

const sdkFor = (privateKey: string, alipayPublicKey: string): AlipaySdk =>
  new AlipaySdk({ appId: ALIPAY_SANDBOX_APP_ID, privateKey, keyType: 'PKCS8', alipayPublicKey, gateway: gatewayUrl, camelcase: false, timeout: TIMEOUT_MS });

/** A paid sale made through the SDK; its out_trade_no. */
async function sdkPaid(sdk: AlipaySdk, totalAmount: string): Promise<string> {
  const orderNo = newOrderNo();
  const bizContent = { out_trade_no: orderNo, scene: 'bar_code', auth_code: AUTH_CODE, subject: 'SDK refunds', total_amount: totalAmount };
  const paid = await sdk.exec('alipay.trade.pay', { bizContent }, { validateSign: true });
  assert.equal(paid.code, '10000', JSON.stringify(paid));
  return orderNo;
}

describe('alipay-sdk signs, the simulator accepts, the SDK verifies the signed answers', () => {
  test('alipay.trade.refund (partial, then a repeat of the same out_request_no) and alipay.trade.fastpay.refund.query', async () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const orderNo = await sdkPaid(sdk, '20.00');
    const bizContent = { out_trade_no: orderNo, refund_amount: '5.25', out_request_no: 'RF1', refund_reason: 'sdk cross-check' };
    const refunded = await sdk.exec('alipay.trade.refund', { bizContent }, { validateSign: true });
    assert.deepEqual([refunded.code, refunded['out_trade_no'], refunded['fund_change'], refunded['refund_fee']], ['10000', orderNo, 'Y', '5.25']);
    // Alipay's idempotency: the same out_request_no moves no more money.
    const again = await sdk.exec('alipay.trade.refund', { bizContent }, { validateSign: true });
    assert.deepEqual([again.code, again['fund_change']], ['10000', 'N']);
    await sim.assertLedger(orderNo, { status: 'partially_refunded', refunded_amount: 525 });

    const queried = await sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: orderNo, out_request_no: 'RF1' } },
      { validateSign: true },
    );
    assert.deepEqual([queried.code, queried['out_request_no'], queried['refund_amount'], queried['refund_status']], ['10000', 'RF1', '5.25', 'REFUND_SUCCESS']);
    const unknown = await sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: orderNo, out_request_no: 'RFX' } },
      { validateSign: true },
    );
    assert.equal(unknown.code, '10000');
    assert.equal(unknown['refund_status'], undefined, 'a refund never received has no status');

    // What the SDK did, our adapter reads back the same way.
    const ours: RefundRequest = { ...refundRequest({ orderNo, money: money(2000, 'CNY') }, 'RF1', 525) };
    assert.deepEqual(checkTrace(await adapter.refundQuery(ours), 'alipay.trade.fastpay.refund.query'), { kind: 'succeeded' });
    assert.deepEqual(checkTrace(await adapter.refundQuery({ ...ours, refundNo: 'RFX' }), 'alipay.trade.fastpay.refund.query'), { kind: 'not_found' });
  });

  test('alipay.trade.cancel of a paid sale (action refund) and of a sale never made', async () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const orderNo = await sdkPaid(sdk, '12.00');
    const cancelled = await sdk.exec('alipay.trade.cancel', { bizContent: { out_trade_no: orderNo } }, { validateSign: true });
    assert.deepEqual([cancelled.code, cancelled['out_trade_no'], cancelled['retry_flag'], cancelled['action']], ['10000', orderNo, 'N', 'refund']);
    await sim.assertLedger(orderNo, { status: 'reversed' });
    assert.deepEqual(checkTrace(await adapter.query(orderNo), 'alipay.trade.query'), { kind: 'closed', code: 'TRADE_CLOSED' });

    const never = await sdk.exec('alipay.trade.cancel', { bizContent: { out_trade_no: newOrderNo() } }, { validateSign: true });
    assert.equal(never.code === '10000' || never.sub_code === 'ACQ.TRADE_NOT_EXIST', true, JSON.stringify(never));
  });

  test('business refusals of the three methods come back signed too, and the SDK verifies them', async () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const orderNo = await sdkPaid(sdk, '10.00');
    const tooMuch = await sdk.exec(
      'alipay.trade.refund',
      { bizContent: { out_trade_no: orderNo, refund_amount: '10.01', out_request_no: 'RFBIG' } },
      { validateSign: true },
    );
    assert.deepEqual([tooMuch.code, tooMuch.sub_code], ['40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL']);
    const noTrade = await sdk.exec(
      'alipay.trade.refund',
      { bizContent: { out_trade_no: newOrderNo(), refund_amount: '1.00', out_request_no: 'R' } },
      { validateSign: true },
    );
    assert.deepEqual([noTrade.code, noTrade.sub_code], ['40004', 'ACQ.TRADE_NOT_EXIST']);
  });
});

describe("the SDK's verifier accepts what our adapter signs for these methods", () => {
  test('cancel, refund and refund query requests verify with alipay-sdk (rsaCheck over the form we send)', async () => {
    const sent: Array<Record<string, string>> = [];
    const spying = createAlipayAdapter({
      gatewayUrl,
      credentials,
      timeoutMs: TIMEOUT_MS,
      fetch: async (input, init) => {
        sent.push(Object.fromEntries(new URLSearchParams(String(init?.body))));
        return fetch(input, init);
      },
    });
    const sale = payRequest(3000);
    assert.equal(checkTrace(await spying.pay(sale), 'alipay.trade.pay').kind, 'paid');
    const refund = refundRequest(sale, 'RFA', 1000);
    assert.equal(checkTrace(await spying.refund(refund), 'alipay.trade.refund').kind, 'succeeded');
    assert.equal(checkTrace(await spying.refundQuery(refund), 'alipay.trade.fastpay.refund.query').kind, 'succeeded');
    // A trade with refunds can no longer be cancelled: cancel one that is simply unknown to Alipay.
    assert.equal(checkTrace(await spying.reverse(newOrderNo()), 'alipay.trade.cancel').kind, 'reversed');
    // The SDK verifies with the key it is given as "Alipay's": here the app's public key, to check our request signatures.
    const verifier = sdkFor(keys.app.privateKeyPem, keys.app.publicKeyPem);
    const methods = sent.map((params) => params['method']);
    assert.deepEqual(methods, ['alipay.trade.pay', 'alipay.trade.refund', 'alipay.trade.fastpay.refund.query', 'alipay.trade.cancel']);
    for (const params of sent) {
      // Alipay's request signing string: every parameter but sign, sorted by name (sign_type included).
      const { sign, ...rest } = params;
      const signingString = Object.keys(rest)
        .sort()
        .map((name) => `${name}=${rest[name] ?? ''}`)
        .join('&');
      assert.equal(verifier.rsaCheck(signingString, sign ?? ''), true, params['method']);
      assert.equal(verifier.rsaCheck(signingString.replace('"out_trade_no"', '"out_trade_nO"'), sign ?? ''), false, 'a changed request fails');
    }
  });
});

// Alipay's published response examples (opendocs.alipay.com, 响应示例 of alipay.trade.cancel, alipay.trade.refund,
// alipay.trade.fastpay.refund.query): the inner objects as published. Their `sign` is a placeholder that verifies
// against nothing, so the tests sign the published inner text with a test platform key.
const PUBLISHED_CANCEL =
  '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248","retry_flag":"N","action":"close"}';
const PUBLISHED_REFUND =
  '{"code":"10000","msg":"Success","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"88.88"}';
const PUBLISHED_REFUND_QUERY =
  '{"code":"10000","msg":"Success","trade_no":"2014112611001004680073956707","out_trade_no":"20150320010101001","out_request_no":"20150320010101001","total_amount":"100.20","refund_amount":"12.33","refund_status":"REFUND_SUCCESS"}';

describe("Alipay's published examples", () => {
  function answering(responseKey: string, inner: string): PosAdapter {
    const body = signedResponseBody(responseKey, inner, keys.platform.privateKeyPem);
    return createAlipayAdapter({ gatewayUrl, credentials, timeoutMs: TIMEOUT_MS, fetch: async () => new Response(body, { status: 200 }) });
  }

  test('the adapter reads them: cancel (action close) reversed, refund (fund_change Y) succeeded, refund query (REFUND_SUCCESS) succeeded', async () => {
    assert.deepEqual((await answering('alipay_trade_cancel_response', PUBLISHED_CANCEL).reverse('6823789339978248')).outcome, { kind: 'reversed' });
    const refund = refundRequest({ orderNo: '6823789339978248', money: money(10000, 'CNY') }, 'R1', 8888);
    assert.deepEqual((await answering('alipay_trade_refund_response', PUBLISHED_REFUND).refund(refund)).outcome, { kind: 'succeeded' });
    const queried = refundRequest({ orderNo: '20150320010101001', money: money(10020, 'CNY') }, '20150320010101001', 1233);
    assert.deepEqual((await answering('alipay_trade_fastpay_refund_query_response', PUBLISHED_REFUND_QUERY).refundQuery(queried)).outcome, {
      kind: 'succeeded',
    });
    // And it is the content that decides: the same examples naming another refund are not taken for this one.
    assert.equal(
      (await answering('alipay_trade_fastpay_refund_query_response', PUBLISHED_REFUND_QUERY).refundQuery({ ...queried, refundNo: 'R2' })).outcome.kind,
      'unknown',
    );
    assert.equal((await answering('alipay_trade_refund_response', PUBLISHED_REFUND).refund({ ...refund, orderNo: 'OTHER' })).outcome.kind, 'unknown');
  });

  test('the simulator answers with every member of the published examples', async () => {
    const sdk = sdkFor(keys.app.privateKeyPem, keys.platform.publicKeyPem);
    const keysOf = (text: string): string[] => Object.keys(JSON.parse(text) as object).sort();
    const orderNo = await sdkPaid(sdk, '100.20');
    const refunded = await sdk.exec(
      'alipay.trade.refund',
      { bizContent: { out_trade_no: orderNo, refund_amount: '12.33', out_request_no: 'RQ' } },
      { validateSign: true },
    );
    const queried = await sdk.exec(
      'alipay.trade.fastpay.refund.query',
      { bizContent: { out_trade_no: orderNo, out_request_no: 'RQ' } },
      { validateSign: true },
    );
    // A trade with refunds can no longer be cancelled: cancel another one.
    const cancelled = await sdk.exec('alipay.trade.cancel', { bizContent: { out_trade_no: await sdkPaid(sdk, '1.00') } }, { validateSign: true });
    for (const [name, answer, published] of [
      ['refund', refunded, PUBLISHED_REFUND],
      ['refund query', queried, PUBLISHED_REFUND_QUERY],
      ['cancel', cancelled, PUBLISHED_CANCEL],
    ] as const) {
      const missing = keysOf(published).filter((key) => !(key in answer));
      assert.deepEqual(missing, [], `${name} lacks ${missing.join()}`);
    }
    assert.deepEqual([queried['total_amount'], queried['refund_amount']], ['100.20', '12.33']);
  });
});
