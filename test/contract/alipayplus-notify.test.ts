/**
 * Antom's notifyPayment: the receiver (read, verify, answer) against a
 * notification shaped like Antom's documented one, and against the Alipay+
 * simulator's own notifications over real HTTP (a wallet payment, a decline,
 * resends until acknowledged).
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { money } from '../../src/domain/money.js';
import type { OrderRequest } from '../../src/providers/contract.js';
import type { AdapterContext } from '../../src/providers/descriptor.js';
import type { NotificationRequest } from '../../src/providers/notifications.js';
import { createAlipayPlusAdapter, type AlipayPlusCredentials } from '../../src/providers/alipayplus/adapter.js';
import { alipayplus } from '../../src/providers/alipayplus/descriptor.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys, type AlipayPlusSandboxKeys } from '../../src/providers/alipayplus/keys.js';
import {
  ALIPAYPLUS_NOTIFY_ACK_BODY,
  ALIPAYPLUS_NOTIFY_FAIL_BODY,
  ALIPAYPLUS_NOTIFY_PATH,
  alipayPlusNotificationAnswer,
  alipayPlusNotifications,
} from '../../src/providers/alipayplus/notifications.js';
import { signMessage, verifyMessage } from '../../src/providers/alipayplus/sign.js';
import { alipayPlusSimulator } from '../../src/providers/alipayplus/simulator.js';
import { waitFor } from '../support/chop.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, SLOW_RESPONSE_MS, newOrderNo, otherKeyPair, useSimulatorServer } from '../support/contract.js';

const receiver = alipayPlusNotifications;
const FOREIGN_CLIENT_ID = '2188120000000002';

let keys: AlipayPlusSandboxKeys;
let context: AdapterContext<AlipayPlusCredentials>;

/** What the test's HTTP receiver got, and how it answers: `failFirst` failures per path, then the acknowledgement. */
interface Received extends NotificationRequest {
  readonly answerStatus: number;
}
const received: Received[] = [];
const failFirst = new Map<string, number>();
let receiverOrigin = '';

const notifyServer: Server = createServer((request, response) => {
  void (async () => {
    const body = await readBody(request);
    const path = (request.url ?? '').split('?')[0] ?? '';
    const remaining = failFirst.get(path) ?? 0;
    failFirst.set(path, Math.max(0, remaining - 1));
    const answer = alipayPlusNotificationAnswer(remaining === 0, context);
    received.push({ path, headers: headersOf(request), contentType: request.headers['content-type'] ?? '', body, answerStatus: answer.status });
    response.writeHead(answer.status, { 'content-type': answer.contentType, ...answer.headers });
    response.end(answer.body);
  })();
});
after(() => new Promise<void>((resolve) => notifyServer.close(() => resolve())));

const sim = useSimulatorServer(
  'alipayplus',
  ({ dir, ledger, wallet, notifier }) => {
    keys = loadOrCreateAlipayPlusSandboxKeys(join(dir, 'data'));
    return alipayPlusSimulator({
      ledger,
      wallet,
      notifier,
      clients: [{ clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, publicKeyPem: keys.merchant.publicKeyPem }],
      providerPrivateKeyPem: keys.provider.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: SLOW_RESPONSE_MS,
    });
  },
  async (server) => {
    const credentials = {
      clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
      merchantPrivateKeyPem: keys.merchant.privateKeyPem,
      providerPublicKeyPem: keys.provider.publicKeyPem,
    };
    context = { endpoint: server.baseUrl, credentials, timeoutMs: CALL_TIMEOUT_MS };
    await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
    receiverOrigin = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}`;
  },
);

// ------------------------------------------------------------------ helpers

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(request: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

function orderRequest(amount: number, notifyUrl: string | null): OrderRequest {
  return {
    orderNo: newOrderNo('AN'),
    money: money(amount, 'HKD'),
    description: 'Notification contract test',
    paymentMethod: 'alipay_hk',
    expiresAt: Date.now() + 60_000,
    returnUrl: 'https://shop.example/return',
    notifyUrl,
  };
}

/** Creates a Cashier Payment whose paymentNotifyUrl is `path` on the test's receiver, and pays (or declines) it in the wallet. */
async function payWithWallet(amount: number, path: string, action: 'approve' | 'decline' = 'approve'): Promise<OrderRequest> {
  const adapter = createAlipayPlusAdapter({ baseUrl: sim.baseUrl, credentials: context.credentials, timeoutMs: CALL_TIMEOUT_MS });
  const order = orderRequest(amount, `${receiverOrigin}${path}`);
  const created = await adapter.createOrder(order);
  assert.ok(created.outcome.kind === 'created', JSON.stringify(created.outcome));
  const scan = await sim.scanOverHttp(created.outcome.qrCode, action);
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  return order;
}

const receivedFor = (orderNo: string): Received[] => received.filter((entry) => entry.body.includes(`"paymentRequestId":"${orderNo}"`));

async function firstNotification(orderNo: string): Promise<Received> {
  return waitFor(() => receivedFor(orderNo)[0]);
}

function paymentIdOf(notification: NotificationRequest): string {
  const body = JSON.parse(notification.body) as { paymentId: string };
  return body.paymentId;
}

/** Signs `body` as Antom signs a notification posted to `path`. */
function signedAs(body: string, privateKeyPem: string, clientId = ALIPAYPLUS_SANDBOX_CLIENT_ID, path = ALIPAYPLUS_NOTIFY_PATH): NotificationRequest {
  const time = '1701158400000';
  const signature = signMessage({ httpMethod: 'POST', path, clientId, time, body }, privateKeyPem);
  return { path, contentType: 'application/json; charset=UTF-8', headers: { 'client-id': clientId, 'request-time': time, signature }, body };
}

// ------------------------------------------------------------------ Antom's documented notification

describe("Antom's notifyPayment format", () => {
  /**
   * RECONSTRUCTED, not copied: Antom publishes notifyPayment's fields and a
   * request sample (docs.antom.com/ac/ams/paymentrn_online), but no signed
   * notification that a public key could verify (Antom signs with its own
   * private key). This body follows the documented fields and formats
   * (amount value in minor units as a string, ISO 8601 times with offsets); the
   * signature is made here with a key pair standing in for Antom's.
   */
  const DOCUMENTED_BODY = JSON.stringify({
    notifyType: 'PAYMENT_RESULT',
    result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success.' },
    paymentRequestId: 'pay_1089760038715669_102775745075669',
    paymentId: '20231128194010800100188820204447392',
    paymentAmount: { value: '8000', currency: 'HKD' },
    paymentCreateTime: '2023-11-27T23:40:00-08:00',
    paymentTime: '2023-11-27T23:41:05-08:00',
  });

  test('reads the documented fields and verifies with the key that signed it', () => {
    const antom = otherKeyPair();
    const request = signedAs(DOCUMENTED_BODY, antom.privateKey);
    const read = receiver.read(request);
    assert.deepEqual(read, {
      ok: true,
      claim: {
        orderNo: 'pay_1089760038715669_102775745075669',
        status: 'paid',
        amountMinor: 8000,
        currency: 'HKD',
        providerTxnId: '20231128194010800100188820204447392',
        dedupeKey: '20231128194010800100188820204447392:S',
      },
    });
    assert.ok(read.ok);
    const withAntomKey = { ...context, credentials: { ...context.credentials, providerPublicKeyPem: antom.publicKey } };
    assert.deepEqual(receiver.verify(request, read.claim, withAntomKey), { ok: true });
    assert.deepEqual(receiver.verify(request, read.claim, context), { ok: false, reason: "the signature does not verify with Antom's public key" });
  });

  test('a failure, a pending payment and a notifyId each read as documented', () => {
    const failed = JSON.parse(DOCUMENTED_BODY) as Record<string, unknown>;
    failed['result'] = { resultCode: 'USER_BALANCE_NOT_ENOUGH', resultStatus: 'F', resultMessage: 'The user balance is not enough.' };
    delete failed['paymentTime'];
    const failedRead = receiver.read(signedAs(JSON.stringify(failed), keys.provider.privateKeyPem));
    assert.ok(failedRead.ok);
    assert.equal(failedRead.claim.status, 'closed');
    assert.equal(failedRead.claim.dedupeKey, '20231128194010800100188820204447392:F');

    const pending = { ...(JSON.parse(DOCUMENTED_BODY) as Record<string, unknown>), notifyType: 'PAYMENT_PENDING' };
    const pendingRead = receiver.read(signedAs(JSON.stringify(pending), keys.provider.privateKeyPem));
    assert.ok(pendingRead.ok);
    assert.equal(pendingRead.claim.status, 'pending');
    assert.equal(pendingRead.claim.dedupeKey, '20231128194010800100188820204447392:PENDING');
    const pendingFailed = { ...pending, result: { resultCode: 'PROCESS_FAIL', resultStatus: 'F', resultMessage: 'fail' } };
    const pendingFailedRead = receiver.read(signedAs(JSON.stringify(pendingFailed), keys.provider.privateKeyPem));
    assert.ok(pendingFailedRead.ok);
    assert.deepEqual([pendingFailedRead.claim.status, pendingFailedRead.claim.dedupeKey], ['closed', '20231128194010800100188820204447392:F']);

    const withId = { ...(JSON.parse(DOCUMENTED_BODY) as Record<string, unknown>), notifyId: 'N20231128000001' };
    const withIdRead = receiver.read(signedAs(JSON.stringify(withId), keys.provider.privateKeyPem));
    assert.ok(withIdRead.ok);
    assert.equal(withIdRead.claim.dedupeKey, 'N20231128000001');
  });

  test('what is not a notifyPayment is refused with the reason, never thrown', () => {
    const base = JSON.parse(DOCUMENTED_BODY) as Record<string, unknown>;
    const cases: Array<[string, string]> = [
      ['not json', 'the body is not JSON'],
      ['[1]', 'the body is not a JSON object'],
      [JSON.stringify({ ...base, notifyType: 'REFUND_RESULT' }), 'notifyType is not PAYMENT_RESULT or PAYMENT_PENDING'],
      [JSON.stringify({ ...base, result: { resultStatus: 'U' } }), 'result.resultStatus is not S or F'],
      [JSON.stringify({ ...base, paymentRequestId: 'a/b' }), 'paymentRequestId is missing or malformed'],
      [JSON.stringify({ ...base, paymentId: undefined }), 'paymentId is missing or malformed'],
      [JSON.stringify({ ...base, paymentAmount: { value: 80, currency: 'HKD' } }), 'paymentAmount is not {currency, value} in minor units'],
      [JSON.stringify({ ...base, paymentAmount: { value: '80.00', currency: 'HKD' } }), 'paymentAmount is not {currency, value} in minor units'],
      [JSON.stringify({ ...base, paymentAmount: { value: '80', currency: 'XXY' } }), 'paymentAmount is not {currency, value} in minor units'],
    ];
    for (const [body, reason] of cases) assert.deepEqual(receiver.read(signedAs(body, keys.provider.privateKeyPem)), { ok: false, reason }, body);
  });

  test('the answers are exactly the documented acknowledgement, signed with the merchant key; failure is not it', () => {
    assert.equal(ALIPAYPLUS_NOTIFY_ACK_BODY, '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}');
    assert.deepEqual(receiver.answer(true, null), { status: 200, contentType: 'application/json; charset=UTF-8', body: ALIPAYPLUS_NOTIFY_ACK_BODY });
    assert.deepEqual(receiver.answer(false, null), { status: 400, contentType: 'application/json; charset=UTF-8', body: ALIPAYPLUS_NOTIFY_FAIL_BODY });
    assert.equal(
      ALIPAYPLUS_NOTIFY_FAIL_BODY,
      '{"result":{"resultCode":"PROCESS_FAIL","resultStatus":"F","resultMessage":"The notification was not accepted."}}',
    );

    const signed = receiver.answer(true, context);
    assert.equal(signed.status, 200);
    assert.equal(signed.body, ALIPAYPLUS_NOTIFY_ACK_BODY);
    const headers = signed.headers ?? {};
    assert.deepEqual(Object.keys(headers).sort(), ['client-id', 'response-time', 'signature']);
    assert.equal(headers['client-id'], ALIPAYPLUS_SANDBOX_CLIENT_ID);
    assert.match(headers['response-time'] ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    assert.match(headers['signature'] ?? '', /^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/);
    const message = {
      httpMethod: 'POST',
      path: '/notify/alipayplus',
      clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID,
      time: headers['response-time'] ?? '',
      body: signed.body,
    };
    assert.equal(verifyMessage(message, headers['signature'], keys.merchant.publicKeyPem), true, "Antom verifies it with the merchant's public key");
  });
});

// ------------------------------------------------------------------ the simulator's notifications

describe("the simulator's notifyPayment", () => {
  test('a wallet payment: signed as Antom signs, verified, acknowledged once', async () => {
    const order = await payWithWallet(1000, '/notify/alipayplus');
    const notification = await firstNotification(order.orderNo);
    assert.equal(notification.path, '/notify/alipayplus');
    assert.equal(notification.contentType, 'application/json; charset=UTF-8');
    assert.equal(notification.headers['client-id'], ALIPAYPLUS_SANDBOX_CLIENT_ID);
    assert.match(notification.headers['request-time'] ?? '', /^\d{13}$/);
    assert.match(notification.headers['signature'] ?? '', /^algorithm=RSA256,keyVersion=1,signature=/);

    const body = JSON.parse(notification.body) as Record<string, unknown>;
    const paymentId = paymentIdOf(notification);
    assert.equal(paymentId, sim.ledger.findOrder('alipayplus', order.orderNo)?.providerTxnId, "Antom's paymentId of the order");
    assert.deepEqual(Object.keys(body).sort(), ['notifyType', 'paymentAmount', 'paymentCreateTime', 'paymentId', 'paymentRequestId', 'paymentTime', 'result']);
    assert.deepEqual(body['result'], { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success.' });
    assert.deepEqual(body['paymentAmount'], { currency: 'HKD', value: '1000' });
    assert.equal(body['notifyType'], 'PAYMENT_RESULT');
    assert.match(String(body['paymentTime']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);

    const read = receiver.read(notification);
    assert.deepEqual(read, {
      ok: true,
      claim: { orderNo: order.orderNo, status: 'paid', amountMinor: 1000, currency: 'HKD', providerTxnId: paymentId, dedupeKey: `${paymentId}:S` },
    });
    assert.ok(read.ok);
    assert.deepEqual(receiver.verify(notification, read.claim, context), { ok: true });
    assert.equal(notification.answerStatus, 200);

    const delivery = await waitFor(() => sim.notifier.deliveries().find((entry) => entry.order_no === order.orderNo && entry.acknowledged));
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.provider, 'alipayplus');
    assert.equal(receivedFor(order.orderNo).length, 1);
  });

  test('tampered, another key, another client, no signature: each refused with its reason', async () => {
    const order = await payWithWallet(1100, '/notify/alipayplus');
    const genuine = await firstNotification(order.orderNo);
    const read = receiver.read(genuine);
    assert.ok(read.ok);
    const { claim } = read;

    const tampered = { ...genuine, body: genuine.body.replace('"value":"1100"', '"value":"1"') };
    assert.notEqual(tampered.body, genuine.body);
    assert.deepEqual(receiver.verify(tampered, claim, context), { ok: false, reason: "the signature does not verify with Antom's public key" });

    const otherPath = { ...genuine, path: '/elsewhere/notify/alipayplus' };
    assert.deepEqual(
      receiver.verify(otherPath, claim, context),
      { ok: false, reason: "the signature does not verify with Antom's public key" },
      'the path is signed',
    );

    const forger = otherKeyPair();
    const forged = signedAs(genuine.body, forger.privateKey, ALIPAYPLUS_SANDBOX_CLIENT_ID, genuine.path);
    assert.deepEqual(receiver.verify(forged, claim, context), { ok: false, reason: "the signature does not verify with Antom's public key" });

    const wrongKey = { ...context, credentials: { ...context.credentials, providerPublicKeyPem: forger.publicKey } };
    assert.deepEqual(receiver.verify(genuine, claim, wrongKey), { ok: false, reason: "the signature does not verify with Antom's public key" });

    const foreignMerchant = { ...context, credentials: { ...context.credentials, clientId: FOREIGN_CLIENT_ID } };
    assert.deepEqual(receiver.verify(genuine, claim, foreignMerchant), {
      ok: false,
      reason: "client-id names another Antom account than the order's merchant",
    });
    const foreignSigned = signedAs(genuine.body, keys.provider.privateKeyPem, FOREIGN_CLIENT_ID, genuine.path);
    assert.deepEqual(receiver.verify(foreignSigned, claim, context), { ok: false, reason: "client-id names another Antom account than the order's merchant" });

    const { signature: _signature, ...unsignedHeaders } = genuine.headers;
    assert.deepEqual(receiver.verify({ ...genuine, headers: unsignedHeaders }, claim, context), {
      ok: false,
      reason: 'the notification carries no signature header',
    });
    const badHeader = { ...genuine, headers: { ...genuine.headers, signature: 'algorithm=RSA1,keyVersion=1,signature=abc' } };
    assert.deepEqual(receiver.verify(badHeader, claim, context), {
      ok: false,
      reason: 'the signature header is not algorithm=RSA256,keyVersion=..,signature=..',
    });
    const noTime = { ...genuine, headers: { ...genuine.headers, 'request-time': undefined } };
    assert.deepEqual(receiver.verify(noTime, claim, context), { ok: false, reason: 'request-time is missing or malformed' });
  });

  test('a declined payment is notified as F with its result code', async () => {
    const order = await payWithWallet(1200, '/notify/alipayplus', 'decline');
    const notification = await firstNotification(order.orderNo);
    const body = JSON.parse(notification.body) as Record<string, unknown>;
    assert.deepEqual(body['result'], { resultCode: 'PROCESS_FAIL', resultStatus: 'F', resultMessage: 'The customer cancelled the payment in the wallet.' });
    assert.equal(body['paymentTime'], undefined);
    const read = receiver.read(notification);
    assert.ok(read.ok);
    assert.equal(read.claim.status, 'closed');
    assert.equal(read.claim.dedupeKey, `${paymentIdOf(notification)}:F`);
    assert.deepEqual(receiver.verify(notification, read.claim, context), { ok: true });
  });

  test('a payment the customer confirms later is notified when it confirms, with nobody asking', async () => {
    const order = await payWithWallet(1053, '/notify/alipayplus');
    const notification = await firstNotification(order.orderNo);
    const read = receiver.read(notification);
    assert.ok(read.ok && read.claim.status === 'paid', JSON.stringify(read));
    await sim.assertLedger(order.orderNo, { status: 'paid' });
  });

  test('resends until acknowledged: two failures, then the acknowledgement, exactly three deliveries, then silence', async () => {
    const path = '/flaky/notify/alipayplus';
    failFirst.set(path, 2);
    const order = await payWithWallet(1300, path);
    const delivery = await waitFor(() => sim.notifier.deliveries().find((entry) => entry.order_no === order.orderNo && entry.acknowledged));
    assert.equal(delivery.attempts, 3);
    const deliveries = receivedFor(order.orderNo);
    assert.deepEqual(
      deliveries.map((entry) => entry.answerStatus),
      [400, 400, 200],
    );
    assert.ok(
      deliveries.every((entry) => entry.body === deliveries[0]?.body && entry.headers['signature'] === deliveries[0]?.headers['signature']),
      'the same notification',
    );
    // The next resend would have come 800 ms after the third attempt (200 ms doubling): wait past it.
    await sleep(1_500);
    assert.equal(receivedFor(order.orderNo).length, 3);
  });

  test('no paymentNotifyUrl, no notification', async () => {
    const adapter = createAlipayPlusAdapter({ baseUrl: sim.baseUrl, credentials: context.credentials, timeoutMs: CALL_TIMEOUT_MS });
    const order = orderRequest(1400, null);
    const created = await adapter.createOrder(order);
    assert.ok(created.outcome.kind === 'created');
    assert.equal((await sim.scanOverHttp(created.outcome.qrCode)).status, 200);
    await sim.assertLedger(order.orderNo, { status: 'paid' });
    assert.equal(
      sim.notifier.deliveries().some((entry) => entry.order_no === order.orderNo),
      false,
    );
  });

  test('the descriptor declares the receiver', () => {
    assert.equal(alipayplus.notifications, alipayPlusNotifications);
  });
});
