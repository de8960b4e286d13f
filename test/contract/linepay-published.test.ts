/**
 * The adapter and the simulator, each on its own, against LINE Pay's
 * published examples (linepay-published.ts): the adapter reads the published
 * answers and writes requests of the published shape; the simulator accepts
 * the published request and answers in the published shape. Neither side is
 * checked against the other here, so a misreading shared by both cannot pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import type { RefundRequest } from '../../src/providers/contract.js';
import { LINEPAY_SANDBOX_CREDENTIALS, createLinePayAdapter, type LinePayCredentials } from '../../src/providers/linepay/adapter.js';
import { parseLinePayJson } from '../../src/providers/linepay/json.js';
import { authHeaders } from '../../src/providers/linepay/sign.js';
import { linePaySimulator } from '../../src/providers/linepay/simulator.js';
import { CONFIRM_DELAY_MS, useSimulatorServer } from '../support/contract.js';
import {
  POINTS_PAY_RESPONSE,
  V2_PAY_REQUEST_FIELDS,
  V4_CHECK_RESPONSE,
  V4_DETAILS_RESPONSE,
  V4_PAY_REQUEST,
  V4_PAY_RESPONSE,
  V4_REFUND_RESPONSE,
  V4_PAY_REQUEST_FIELDS,
} from './linepay-published.js';

const V2: LinePayCredentials = { channelId: '1654000002', channelSecret: 'v2channelsecret00000000000000v2x', authScheme: 'v2' };
const TW_KEY = '987654321098765432';

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** A LINE Pay stand-in answering each path with a published example; records what the adapter sent. */
function publishedProvider(answers: Readonly<Record<string, string>>, sent: Sent[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    sent.push({ method: init?.method ?? 'GET', path: url.pathname, body: typeof init?.body === 'string' ? init.body : '' });
    const answer = Object.entries(answers).find(([suffix]) => url.pathname.endsWith(suffix))?.[1];
    assert.ok(answer !== undefined, `no published example for ${url.pathname}`);
    return new Response(answer, { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

function adapterOn(credentials: LinePayCredentials, answers: Readonly<Record<string, string>>, sent: Sent[]): ReturnType<typeof createLinePayAdapter> {
  return createLinePayAdapter({ baseUrl: 'http://127.0.0.1:9', credentials, region: 'TW', timeoutMs: 1_000, fetch: publishedProvider(answers, sent) });
}

/** The member names of a JSON object, sorted. */
function keysOf(value: unknown): string[] {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), JSON.stringify(value));
  return Object.keys(value).sort();
}

function firstOf(value: unknown, key: string): unknown {
  assert.ok(typeof value === 'object' && value !== null && key in value);
  const list: unknown = (value as Record<string, unknown>)[key];
  assert.ok(Array.isArray(list) && list.length > 0, `${key} is a non-empty list`);
  return list[0];
}

describe('adapter against the published examples', () => {
  test('v4 pay: the published answer (CREDIT_CARD 10 + POINT 5) is paid when 15 was asked; its 19-digit id is kept exactly', async () => {
    const sent: Sent[] = [];
    const adapter = adapterOn(LINEPAY_SANDBOX_CREDENTIALS, { '/oneTimeKeys/pay': V4_PAY_RESPONSE }, sent);
    const result = await adapter.pay({ orderNo: 'test_order_1', money: money(1500, 'TWD'), authCode: TW_KEY, description: 'test product' });
    assert.deepEqual(result.outcome, { kind: 'paid', providerTxnId: '2019010112345678910' });
    assert.equal(sent[0]?.path, '/v4/payments/oneTimeKeys/pay');
    // Same shape as the published request, level by level.
    const body: unknown = JSON.parse(sent[0]?.body ?? '');
    const published: unknown = JSON.parse(V4_PAY_REQUEST);
    assert.deepEqual(keysOf(body), keysOf(published));
    assert.ok(keysOf(body).every((key) => (V4_PAY_REQUEST_FIELDS as readonly string[]).includes(key)));
    assert.deepEqual(keysOf(firstOf(body, 'packages')), keysOf(firstOf(published, 'packages')));
    assert.deepEqual(keysOf(firstOf(firstOf(body, 'packages'), 'products')), keysOf(firstOf(firstOf(published, 'packages'), 'products')));
  });

  test('v4 pay: the same published answer when 100 was asked is a mismatch, refunded with the published refund answer', async () => {
    const sent: Sent[] = [];
    const adapter = adapterOn(LINEPAY_SANDBOX_CREDENTIALS, { '/oneTimeKeys/pay': V4_PAY_RESPONSE, '/refund': V4_REFUND_RESPONSE }, sent);
    const result = await adapter.pay({ orderNo: 'test_order_1', money: money(10000, 'TWD'), authCode: TW_KEY, description: 'test product' });
    assert.deepEqual(result.outcome, { kind: 'declined', code: 'AMOUNT_MISMATCH', message: 'LINE Pay charged 15.00 TWD, not 100.00 TWD; refunded in full' });
    assert.deepEqual(
      sent.map((request) => `${request.method} ${request.path}`),
      ['POST /v4/payments/oneTimeKeys/pay', 'POST /v4/payments/orders/test_order_1/refund'],
    );
    assert.equal(sent[1]?.body, '{}', 'no refundAmount: everything is refunded');
  });

  test('v2 pay: the LINE POINTS page answer is paid; the body has only documented v2 fields', async () => {
    const sent: Sent[] = [];
    const adapter = adapterOn(V2, { '/oneTimeKeys/pay': POINTS_PAY_RESPONSE }, sent);
    const result = await adapter.pay({ orderNo: 'order_210124213', money: money(1500, 'TWD'), authCode: TW_KEY, description: 'Tea' });
    assert.deepEqual(result.outcome, { kind: 'paid', providerTxnId: '20140101123123123' });
    assert.equal(sent[0]?.path, '/v2/payments/oneTimeKeys/pay');
    const keys = keysOf(JSON.parse(sent[0]?.body ?? ''));
    assert.deepEqual(keys, ['amount', 'capture', 'currency', 'oneTimeKey', 'orderId', 'productName']);
    assert.ok(keys.every((key) => (V2_PAY_REQUEST_FIELDS as readonly string[]).includes(key)));
  });

  test('check: the published COMPLETE answer is paid', async () => {
    const sent: Sent[] = [];
    const result = await adapterOn(LINEPAY_SANDBOX_CREDENTIALS, { '/check': V4_CHECK_RESPONSE }, sent).query('test_order_1');
    assert.deepEqual(result.outcome, { kind: 'paid', providerTxnId: null });
    assert.deepEqual(sent, [{ method: 'GET', path: '/v4/payments/orders/test_order_1/check', body: '' }]);
  });

  test('payment details: the published partial refund of 1 TWD is found; a refund of 2 TWD is not, so it is sent and the published refund answer succeeds', async () => {
    const answers = { '/v4/payments': V4_DETAILS_RESPONSE, '/refund': V4_REFUND_RESPONSE };
    const refund = (amount: number): RefundRequest => ({
      orderNo: '20190408001',
      refundNo: 'R1',
      saleMoney: money(10000, 'TWD'),
      refundMoney: money(amount, 'TWD'),
      reason: null,
      settledRefunds: [],
    });
    const sent: Sent[] = [];
    const adapter = adapterOn(LINEPAY_SANDBOX_CREDENTIALS, answers, sent);
    assert.deepEqual((await adapter.refundQuery(refund(100))).outcome, { kind: 'succeeded' });
    assert.deepEqual((await adapter.refundQuery(refund(200))).outcome, { kind: 'not_found' });
    assert.deepEqual((await adapter.refund(refund(200))).outcome, { kind: 'succeeded' });
    assert.deepEqual(
      sent.map((request) => `${request.method} ${request.path} ${request.body}`),
      ['GET /v4/payments ', 'GET /v4/payments ', 'GET /v4/payments ', 'POST /v4/payments/orders/20190408001/refund {"refundAmount":2}'],
    );
  });
});

describe('simulator against the published examples', () => {
  let baseUrl = '';
  useSimulatorServer(
    'linepay',
    ({ ledger }) => linePaySimulator({ ledger, channels: [LINEPAY_SANDBOX_CREDENTIALS], confirmDelayMs: CONFIRM_DELAY_MS, slowResponseMs: 600 }),
    (server) => {
      baseUrl = server.baseUrl;
    },
  );

  async function send(method: 'GET' | 'POST', path: string, body = ''): Promise<Record<string, unknown>> {
    const payload = method === 'GET' ? (path.split('?')[1] ?? '') : body;
    const apiPath = path.split('?')[0] ?? path;
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...authHeaders(LINEPAY_SANDBOX_CREDENTIALS, apiPath, payload) },
      ...(method === 'POST' ? { body } : {}),
    });
    assert.equal(response.status, 200);
    const answer: unknown = parseLinePayJson(await response.text());
    assert.ok(typeof answer === 'object' && answer !== null && !Array.isArray(answer));
    return answer as Record<string, unknown>;
  }

  test('the published v4 request as written: its 17-digit oneTimeKey is not a TW key (18 digits, same page), so 1180', async () => {
    const answer = await send('POST', '/v4/payments/oneTimeKeys/pay', V4_PAY_REQUEST);
    assert.equal(answer['returnCode'], '1180');
  });

  test('the published v4 request with an 18-digit key is paid; every answer has the published shape', async () => {
    const orderId = `published-${Date.now()}`;
    const request = V4_PAY_REQUEST.replace('"12345678901245678"', `"${TW_KEY}"`).replace('"merchant_test_order_1"', JSON.stringify(orderId));
    const paid = await send('POST', '/v4/payments/oneTimeKeys/pay', request);
    assert.equal(paid['returnCode'], '0000');
    const published = JSON.parse(V4_PAY_RESPONSE.replace(/(\d{19})/, '"$1"')) as { info: Record<string, unknown> };
    const info = paid['info'] as Record<string, unknown>;
    assert.ok(
      keysOf(info).every((key) => key in published.info),
      `${keysOf(info).join()} ⊆ ${keysOf(published.info).join()}`,
    );
    assert.match(String(info['transactionId']), /^\d{19}$/);
    assert.equal(info['orderId'], orderId);
    assert.match(String(info['transactionDate']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(info['payInfo'], [{ method: 'BALANCE', amount: 100 }]);

    const checked = await send('GET', `/v4/payments/orders/${orderId}/check`);
    assert.deepEqual([checked['returnCode'], (checked['info'] as Record<string, unknown>)['status']], ['0000', 'COMPLETE']);

    const refunded = await send('POST', `/v4/payments/orders/${orderId}/refund`, '{"refundAmount":1}');
    assert.equal(refunded['returnCode'], '0000');
    assert.deepEqual(keysOf(refunded['info']), keysOf(JSON.parse(V4_REFUND_RESPONSE.replace(/(\d{19})/, '"$1"')).info));

    const details = await send('GET', `/v4/payments?orderId=${orderId}`);
    const publishedEntry = (JSON.parse(V4_DETAILS_RESPONSE.replace(/(\d{19})/g, '"$1"')) as { info: Array<Record<string, unknown>> }).info[0] ?? {};
    const entry = (details['info'] as Array<Record<string, unknown>>)[0] ?? {};
    assert.ok(
      keysOf(entry).every((key) => key in publishedEntry),
      `${keysOf(entry).join()} ⊆ ${keysOf(publishedEntry).join()}`,
    );
    const refundList = entry['refundList'] as Array<Record<string, unknown>>;
    assert.equal(refundList.length, 1);
    assert.equal(refundList[0]?.['refundAmount'], -1, 'refunds are listed as negative amounts, as published');
    assert.equal(refundList[0]?.['transactionType'], 'PARTIAL_REFUND');
    assert.ok(keysOf(refundList[0]).every((key) => key in ((publishedEntry['refundList'] as Array<Record<string, unknown>>)[0] ?? {})));
  });
});
