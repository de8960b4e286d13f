/**
 * LINE Pay Offline API versions against the simulator over real HTTP: each
 * version whole (its paths, its authentication, its pay body), mixed requests
 * refused, the paid total (info.payInfo[].amount) checked against the amount
 * asked, and the merchant's device headers reaching the provider.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { PosAdapter } from '../../src/providers/contract.js';
import { LINEPAY_SANDBOX_CREDENTIALS, createLinePayAdapter, type LinePayCredentials } from '../../src/providers/linepay/adapter.js';
import { authHeaders, signV4 } from '../../src/providers/linepay/sign.js';
import { linePaySimulator, type SeenRequest } from '../../src/providers/linepay/simulator.js';
import { CONFIRM_DELAY_MS, newOrderNo, payRequestBuilder, refundRequest, traceChecker, useSimulatorServer, CALL_TIMEOUT_MS } from '../support/contract.js';

const TH_KEY = '123456789012';
const V2_CHANNEL: LinePayCredentials = { channelId: '1654000002', channelSecret: 'v2channelsecret00000000000000v2x', authScheme: 'v2' };
const DEVICE = { merchantDeviceProfileId: 'POS-0042', merchantDeviceType: 'CanCanPOS' };

let baseUrl = '';
const seen: SeenRequest[] = [];

const sim = useSimulatorServer(
  'linepay',
  ({ ledger }) =>
    linePaySimulator({
      ledger,
      channels: [LINEPAY_SANDBOX_CREDENTIALS, V2_CHANNEL],
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: 600,
      onRequest: (request) => seen.push(request),
    }),
  (server) => {
    baseUrl = server.baseUrl;
  },
);

function adapterFor(credentials: LinePayCredentials, fetchImpl?: typeof fetch): PosAdapter {
  return createLinePayAdapter({ baseUrl, credentials, region: 'TH', timeoutMs: CALL_TIMEOUT_MS, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}

const payRequest = payRequestBuilder({ authCode: TH_KEY, currency: 'THB' });
const checkTrace = traceChecker('linepay', () => [TH_KEY, LINEPAY_SANDBOX_CREDENTIALS.channelSecret, V2_CHANNEL.channelSecret]);

/** A raw request with the given headers; the simulator's returnCode. */
async function rawCode(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<string> {
  const response = await fetch(`${baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
  assert.equal(response.status, 200);
  const answer: unknown = await response.json();
  assert.ok(typeof answer === 'object' && answer !== null && 'returnCode' in answer && typeof answer.returnCode === 'string', JSON.stringify(answer));
  return answer.returnCode;
}

function v2Body(orderId: string): string {
  return JSON.stringify({ productName: 'Tea', amount: 10, currency: 'THB', orderId, oneTimeKey: TH_KEY, capture: true });
}

function v4Body(orderId: string): string {
  return JSON.stringify({
    amount: 10,
    currency: 'THB',
    orderId,
    oneTimeKey: TH_KEY,
    packages: [{ id: 'P1', amount: 10, products: [{ name: 'Tea', quantity: 2, price: 5 }] }],
  });
}

describe('each version whole; mixed requests refused', () => {
  const V2_PAY = '/v2/payments/oneTimeKeys/pay';
  const V4_PAY = '/v4/payments/oneTimeKeys/pay';

  test('a v2 request (secret header, v2 body, /v2 path) and a v4 request (HMAC, v4 body, /v4 path) are both paid', async () => {
    const v2Order = newOrderNo();
    assert.equal(await rawCode('POST', V2_PAY, authHeaders(V2_CHANNEL, V2_PAY, v2Body(v2Order)), v2Body(v2Order)), '0000');
    const v4Order = newOrderNo();
    assert.equal(await rawCode('POST', V4_PAY, authHeaders(LINEPAY_SANDBOX_CREDENTIALS, V4_PAY, v4Body(v4Order)), v4Body(v4Order)), '0000');
    await sim.assertLedger(v2Order, { status: 'paid', amount: 1000 });
    await sim.assertLedger(v4Order, { status: 'paid', amount: 1000 });
  });

  test('the old hybrid (v4 HMAC headers on the v2 path with the v2 body) is refused with 1106; nothing recorded', async () => {
    const order = newOrderNo();
    const hybrid = authHeaders(LINEPAY_SANDBOX_CREDENTIALS, V2_PAY, v2Body(order));
    assert.equal(await rawCode('POST', V2_PAY, hybrid, v2Body(order)), '1106');
    assert.equal(
      await rawCode('GET', `/v2/payments/orders/${order}/check`, authHeaders(LINEPAY_SANDBOX_CREDENTIALS, `/v2/payments/orders/${order}/check`, '')),
      '1106',
    );
    assert.equal(await sim.ledgerEntry(order), undefined);
  });

  test('the secret header on a v4 path is refused with 1106, even beside a valid signature', async () => {
    const order = newOrderNo();
    assert.equal(await rawCode('POST', V4_PAY, authHeaders(V2_CHANNEL, V4_PAY, v4Body(order)), v4Body(order)), '1106');
    const both = { ...authHeaders(LINEPAY_SANDBOX_CREDENTIALS, V4_PAY, v4Body(order)), 'X-LINE-ChannelSecret': LINEPAY_SANDBOX_CREDENTIALS.channelSecret };
    assert.equal(await rawCode('POST', V4_PAY, both, v4Body(order)), '1106');
    assert.equal(await sim.ledgerEntry(order), undefined);
  });

  test("each version's body on the other's path is refused with 2101; nothing recorded", async () => {
    const v2OnV4 = newOrderNo();
    assert.equal(await rawCode('POST', V4_PAY, authHeaders(LINEPAY_SANDBOX_CREDENTIALS, V4_PAY, v2Body(v2OnV4)), v2Body(v2OnV4)), '2101');
    const v4OnV2 = newOrderNo();
    assert.equal(await rawCode('POST', V2_PAY, authHeaders(V2_CHANNEL, V2_PAY, v4Body(v4OnV2)), v4Body(v4OnV2)), '2101');
    // A v4 body with one stray v2 member, and packages that do not add up.
    const stray = JSON.stringify({ ...JSON.parse(v4Body(newOrderNo())), capture: true });
    assert.equal(await rawCode('POST', V4_PAY, authHeaders(LINEPAY_SANDBOX_CREDENTIALS, V4_PAY, stray), stray), '2101');
    const wrongSum = v4Body(newOrderNo()).replace('"price":5', '"price":4');
    assert.equal(await rawCode('POST', V4_PAY, authHeaders(LINEPAY_SANDBOX_CREDENTIALS, V4_PAY, wrongSum), wrongSum), '2101');
    assert.equal(await sim.ledgerEntry(v2OnV4), undefined);
    assert.equal(await sim.ledgerEntry(v4OnV2), undefined);
  });

  test('a v4 signature made for the v2 path does not verify on the v4 path', async () => {
    const order = newOrderNo();
    const nonce = randomUUID();
    const headers = {
      'X-LINE-ChannelId': LINEPAY_SANDBOX_CREDENTIALS.channelId,
      'X-LINE-Authorization-Nonce': nonce,
      'X-LINE-Authorization': signV4(LINEPAY_SANDBOX_CREDENTIALS.channelSecret, V2_PAY, v4Body(order), nonce),
    };
    assert.equal(await rawCode('POST', V4_PAY, headers, v4Body(order)), '1106');
  });
});

describe('paid total (info.payInfo[].amount) against the amount asked', () => {
  /** A fetch that changes the first payInfo amount of pay answers, as a provider charging another total would. */
  function chargingOther(amount: number): typeof fetch {
    return async (input, init) => {
      const response = await fetch(input, init);
      const text = await response.text();
      const changed = String(input).includes('/oneTimeKeys/pay') ? text.replace(/("payInfo":\[\{"method":"BALANCE","amount":)[\d.]+/, `$1${amount}`) : text;
      return new Response(changed, { status: response.status, headers: response.headers });
    };
  }

  test('a mismatch is refunded at once and declined (AMOUNT_MISMATCH), naming both totals', async () => {
    const adapter = adapterFor(LINEPAY_SANDBOX_CREDENTIALS, chargingOther(9.99));
    const sale = payRequest(1000);
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'oneTimeKeys/pay+orders/refund');
    assert.deepEqual(outcome, { kind: 'declined', code: 'AMOUNT_MISMATCH', message: 'LINE Pay charged 9.99 THB, not 10.00 THB; refunded in full' });
    assert.equal(result.trace.code, 'AMOUNT_MISMATCH');
    await sim.assertLedger(sale.orderNo, { status: 'refunded', amount: 1000, refunded_amount: 1000 });
  });

  test('a matching total split over several methods (balance + points) is paid', async () => {
    const split: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const text = await response.text();
      const changed = text.replace(
        /"payInfo":\[\{"method":"BALANCE","amount":10\}\]/,
        '"payInfo":[{"method":"BALANCE","amount":7.5},{"method":"POINT","amount":2.5}]',
      );
      assert.notEqual(changed, text, 'the answer was rewritten');
      return new Response(changed, { status: response.status, headers: response.headers });
    };
    const sale = payRequest(1000);
    assert.equal(checkTrace(await adapterFor(LINEPAY_SANDBOX_CREDENTIALS, split).pay(sale), 'oneTimeKeys/pay').kind, 'paid');
  });

  test('when the refund of a mismatch is refused, the sale stays unknown and queries never call it paid', async () => {
    const adapter = adapterFor(LINEPAY_SANDBOX_CREDENTIALS, chargingOther(1));
    const sale = payRequest(1059); // 59: every refund is refused (1163)
    const result = await adapter.pay(sale);
    const outcome = checkTrace(result, 'oneTimeKeys/pay+orders/refund');
    assert.deepEqual(outcome, { kind: 'unknown', reason: 'LINE Pay charged 1.00 THB, not 10.59 THB; refund unconfirmed', code: 'AMOUNT_MISMATCH' });
    assert.ok(result.providerData !== undefined);
    const queried = checkTrace(await adapter.query(sale.orderNo, result.providerData), 'orders/check');
    assert.deepEqual(queried, { kind: 'unknown', reason: 'LINE Pay charged 1.00 THB, not 10.59 THB; to be refunded' });
    // Without that data the same order reads as paid: the data is what holds it back.
    assert.equal(checkTrace(await adapter.query(sale.orderNo), 'orders/check').kind, 'paid');
  });
});

describe('merchant device headers', () => {
  test('sent on every call when configured, with either version; the simulator sees them', async () => {
    for (const credentials of [
      { ...LINEPAY_SANDBOX_CREDENTIALS, ...DEVICE },
      { ...V2_CHANNEL, ...DEVICE },
    ]) {
      seen.length = 0;
      const adapter = adapterFor(credentials);
      const sale = payRequest(2000);
      assert.equal(checkTrace(await adapter.pay(sale), 'oneTimeKeys/pay').kind, 'paid');
      assert.equal(checkTrace(await adapter.refund(refundRequest(sale, 'R1', 500, null)), 'payments+orders/refund').kind, 'succeeded');
      assert.equal(checkTrace(await adapter.reverse(sale.orderNo), 'orders/check+orders/refund').kind, 'reversed');
      const version = credentials.authScheme;
      assert.deepEqual(
        seen.map((request) => `${request.method} ${request.apiPath} ${request.version} ${request.deviceProfileId} ${request.deviceType}`),
        [
          `POST /${version}/payments/oneTimeKeys/pay ${version} POS-0042 CanCanPOS`,
          `GET /${version}/payments ${version} POS-0042 CanCanPOS`,
          `POST /${version}/payments/orders/${sale.orderNo}/refund ${version} POS-0042 CanCanPOS`,
          `GET /${version}/payments/orders/${sale.orderNo}/check ${version} POS-0042 CanCanPOS`,
          `POST /${version}/payments/orders/${sale.orderNo}/refund ${version} POS-0042 CanCanPOS`,
        ],
      );
    }
  });

  test('not sent when not configured', async () => {
    seen.length = 0;
    assert.equal(checkTrace(await adapterFor(LINEPAY_SANDBOX_CREDENTIALS).pay(payRequest(2000)), 'oneTimeKeys/pay').kind, 'paid');
    assert.deepEqual(
      seen.map((request) => [request.deviceProfileId, request.deviceType]),
      [[null, null]],
    );
  });

  test('the simulator refuses one device header without the other (1106)', async () => {
    const path = '/v4/payments/orders/ANY/check';
    const headers = { ...authHeaders(LINEPAY_SANDBOX_CREDENTIALS, path, ''), 'X-LINE-MerchantDeviceProfileId': 'POS-0042' };
    assert.equal(await rawCode('GET', path, headers), '1106');
  });
});
