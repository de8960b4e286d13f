/**
 * Alipay's unsigned `error_response` (bad app id, missing parameter, missing
 * permission) on every call the adapter makes — pay, query, cancel, refund,
 * refund query, precreate, close — against the simulator over real HTTP: a
 * definite refusal of CanCan's setup (`rejected`, the sub_code as its code),
 * after one call, never an unknown outcome to query and cancel forever.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { OnlineAdapter, PayRequest, PosAdapter, Traced } from '../../src/providers/contract.js';
import { createAlipayAdapter, type AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import {
  CONFIRM_DELAY_MS,
  newOrderNo,
  orderRequestBuilder,
  payRequestBuilder,
  pemBody,
  refundRequest,
  traceChecker,
  useSimulatorServer,
  CALL_TIMEOUT_MS,
} from '../support/contract.js';

const TIMEOUT_MS = CALL_TIMEOUT_MS;
const AUTH_CODE = '286543210987654321';

let keys: AlipaySandboxKeys;
let credentials: AlipayCredentials;
let gatewayUrl = '';

useSimulatorServer(
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
  },
);

const payRequest = payRequestBuilder({ authCode: AUTH_CODE, currency: 'CNY' });
const orderRequest = orderRequestBuilder(() => ({
  description: 'Refusal test',
  paymentMethod: 'alipay',
  expiresAt: Date.now() + 10 * 60_000,
  returnUrl: null,
  notifyUrl: null,
}));
const checkTrace = traceChecker('alipay', () => [AUTH_CODE, pemBody(keys.app.privateKeyPem), pemBody(keys.platform.privateKeyPem)]);

type AnyAdapter = PosAdapter & OnlineAdapter;

/** Each call the adapter makes, by its Alipay method name. */
const CALLS: ReadonlyArray<readonly [string, (adapter: AnyAdapter, sale: PayRequest) => Promise<Traced<{ kind: string }>>]> = [
  ['alipay.trade.pay', (adapter, sale) => adapter.pay(sale)],
  ['alipay.trade.query', (adapter, sale) => adapter.query(sale.orderNo)],
  ['alipay.trade.cancel', (adapter, sale) => adapter.reverse(sale.orderNo)],
  ['alipay.trade.refund', (adapter, sale) => adapter.refund(refundRequest(sale, 'R1', 100))],
  ['alipay.trade.fastpay.refund.query', (adapter, sale) => adapter.refundQuery(refundRequest(sale, 'R1', 100))],
  ['alipay.trade.precreate', (adapter, sale) => adapter.createOrder({ ...orderRequest(sale.money.amount), orderNo: sale.orderNo })],
  ['alipay.trade.close', (adapter, sale) => adapter.close(sale.orderNo)],
];

/** An adapter whose fetch counts calls and may replace the answer. */
function counting(overrides: Partial<AlipayCredentials>, answer?: string): { adapter: AnyAdapter; bodies: string[] } {
  const bodies: string[] = [];
  const doFetch: typeof fetch = async (input, init) => {
    const text = answer ?? (await (await fetch(input, init)).text());
    bodies.push(text);
    return new Response(text, { status: 200, headers: { 'content-type': 'application/json;charset=utf-8' } });
  };
  return { adapter: createAlipayAdapter({ gatewayUrl, credentials: { ...credentials, ...overrides }, timeoutMs: TIMEOUT_MS, fetch: doFetch }), bodies };
}

describe('an unknown app id: the simulator answers an unsigned error_response', () => {
  for (const [method, run] of CALLS) {
    test(`${method}: rejected with isv.invalid-app-id after one call`, async () => {
      const { adapter, bodies } = counting({ appId: '2021999999999999' });
      const result = await run(adapter, payRequest(1000));
      const outcome = checkTrace(result, method);
      assert.deepEqual(outcome, { kind: 'rejected', code: 'isv.invalid-app-id', message: 'app_id does not exist' });
      assert.equal(result.trace.code, 'isv.invalid-app-id');
      assert.equal(bodies.length, 1, 'one call, no retry or follow-up');
      const answer: unknown = JSON.parse(bodies[0] ?? '');
      assert.ok(typeof answer === 'object' && answer !== null);
      assert.deepEqual(Object.keys(answer), ['error_response'], 'unsigned: no sign member');
    });
  }
});

describe("Alipay's unsigned error_response as alipay-sdk's source quotes it, on every call", () => {
  // {"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.code-invalid",...}} without "sign".
  const refusals = [
    ['40002', 'Invalid Arguments', 'isv.code-invalid'],
    ['40001', 'Missing Required Arguments', 'isv.missing-app-id'],
    ['40006', 'Insufficient Permissions', 'isv.insufficient-isv-permissions'],
  ] as const;
  for (const [code, msg, subCode] of refusals) {
    for (const [method, run] of CALLS) {
      test(`${code} ${subCode} on ${method}: rejected, the sub_code kept`, async () => {
        const answer = JSON.stringify({ error_response: { code, msg, sub_code: subCode, sub_msg: `${subCode} (test)` } });
        const { adapter, bodies } = counting({}, answer);
        const outcome = checkTrace(await run(adapter, payRequest(1000)), method);
        assert.deepEqual(outcome, { kind: 'rejected', code: subCode, message: `${subCode} (test)` });
        assert.equal(bodies.length, 1);
      });
    }
  }

  test('an unsigned error_response without a sub_code: the gateway code stands in', async () => {
    const { adapter } = counting({}, '{"error_response":{"code":"40006","msg":"Insufficient Permissions"}}');
    assert.deepEqual(checkTrace(await adapter.pay(payRequest(1000)), 'alipay.trade.pay'), {
      kind: 'rejected',
      code: '40006',
      message: 'Insufficient Permissions',
    });
  });

  test('an unsigned 20000 (service unavailable) or 40004 (business) answer is not trusted: unknown, never rejected or declined', async () => {
    for (const inner of [
      { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error' },
      { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST' },
    ]) {
      for (const [method, run] of CALLS) {
        const { adapter } = counting({}, JSON.stringify({ error_response: inner }));
        const outcome = checkTrace(await run(adapter, payRequest(1000)), method);
        assert.equal(outcome.kind, 'unknown', `${method} ${inner.code}: ${JSON.stringify(outcome)}`);
      }
    }
  });
});

describe('the simulator itself', () => {
  test('58 (no permission) on pay comes as an unsigned error_response with 40006, and is rejected', async () => {
    const { adapter, bodies } = counting({});
    const sale = payRequest(1258);
    const outcome = checkTrace(await adapter.pay(sale), 'alipay.trade.pay');
    assert.ok(outcome.kind === 'rejected' && outcome.code === 'isv.insufficient-isv-permissions', JSON.stringify(outcome));
    assert.match(bodies[0] ?? '', /^\{"error_response":\{"code":"40006",/);
    assert.ok(!(bodies[0] ?? '').includes('"sign"'));
  });

  test('a good app id still gets signed business answers (the refusals above are about the setup only)', async () => {
    const { adapter, bodies } = counting({});
    const orderNo = newOrderNo();
    assert.deepEqual(checkTrace(await adapter.query(orderNo), 'alipay.trade.query'), { kind: 'not_paid' });
    assert.match(bodies[0] ?? '', /^\{"alipay_trade_query_response":\{.*\},"sign":"[^"]+"\}$/);
  });
});
