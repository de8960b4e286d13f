/**
 * UnionPay's back notification (backUrl): the receiver (read, verify,
 * answer) against UnionPay's own signed examples, and against the UnionPay
 * simulator's notifications over real HTTP, in test mode (the sandbox key)
 * and live mode (the certificate chain, from a CA of the test's own).
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
import { createUnionPayAdapter, UNIONPAY_NO_NOTIFY_URL, type UnionPayCredentials } from '../../src/providers/unionpay/adapter.js';
import type { UnionPayLiveCredentials } from '../../src/providers/unionpay/credentials.js';
import { unionpay } from '../../src/providers/unionpay/descriptor.js';
import {
  loadOrCreateUnionPaySandboxKeys,
  UNIONPAY_SANDBOX_MER_ID,
  unionPaySandboxCredentials,
  type UnionPaySandboxKeys,
} from '../../src/providers/unionpay/keys.js';
import {
  UNIONPAY_NOTIFY_ACK_BODY,
  UNIONPAY_NOTIFY_FAIL_BODY,
  unionPayNotificationAnswer,
  unionPayNotifications,
} from '../../src/providers/unionpay/notifications.js';
import { parseAnswer, signFields } from '../../src/providers/unionpay/sign.js';
import { unionPaySimulator } from '../../src/providers/unionpay/simulator.js';
import { waitFor } from '../support/chop.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, newOrderNo, otherKeyPair, useSimulatorServer } from '../support/contract.js';
import { createTestCa, type TestCa } from './unionpay-ca.js';
import { FRONT_NOTIFICATION_1, FRONT_NOTIFICATION_2, UNIONPAY_TEST_SIGN_CERT } from './unionpay-examples.js';

const receiver = unionPayNotifications;
const FORM = 'application/x-www-form-urlencoded;charset=UTF-8';
const FOREIGN_MER_ID = '777290058110099';

let keys: UnionPaySandboxKeys;
let ca: TestCa;
let foreignCa: TestCa;
let context: AdapterContext<UnionPayCredentials>;
let liveContext: AdapterContext<UnionPayLiveCredentials>;

/** What the test's HTTP receiver got; `failFirst` answers per path fail, then it acknowledges. */
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
    const answer = unionPayNotificationAnswer(remaining === 0);
    received.push({ path, headers: {}, contentType: request.headers['content-type'] ?? '', body, answerStatus: answer.status });
    response.writeHead(answer.status, { 'content-type': answer.contentType });
    response.end(answer.body);
  })();
});

after(() => {
  ca?.dispose();
  foreignCa?.dispose();
  return new Promise<void>((resolve) => notifyServer.close(() => resolve()));
});

const sim = useSimulatorServer(
  'unionpay',
  ({ dir, ledger, wallet, notifier }) => {
    keys = loadOrCreateUnionPaySandboxKeys(join(dir, 'data'));
    ca = createTestCa('Notify UnionPay CA');
    foreignCa = createTestCa('Notify Foreign CA');
    return unionPaySimulator({
      ledger,
      wallet,
      notifier,
      merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
      providerPrivateKeyPem: keys.unionPay.privateKeyPem,
      // As the live gateway does: every notification carries the signing certificate.
      providerSigningCertPem: ca.issue({ privateKeyPem: keys.unionPay.privateKeyPem }),
      confirmDelayMs: CONFIRM_DELAY_MS,
    });
  },
  async (server) => {
    context = { endpoint: server.baseUrl, credentials: unionPaySandboxCredentials(keys), timeoutMs: CALL_TIMEOUT_MS };
    liveContext = {
      endpoint: server.baseUrl,
      credentials: {
        merId: UNIONPAY_SANDBOX_MER_ID,
        certId: '1',
        merchantPrivateKeyPem: keys.merchant.privateKeyPem,
        merchantCertPem: ca.issue({ privateKeyPem: keys.merchant.privateKeyPem, identity: UNIONPAY_SANDBOX_MER_ID, serial: 1n }),
        rootCertPem: ca.rootCertPem,
        middleCertPem: ca.middleCertPem,
      },
      timeoutMs: CALL_TIMEOUT_MS,
    };
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

function orderRequest(amount: number, notifyUrl: string | null): OrderRequest {
  return {
    orderNo: newOrderNo('UN'),
    money: money(amount, 'CNY'),
    description: 'Notification contract test',
    paymentMethod: 'upop',
    expiresAt: Date.now() + 15 * 60_000,
    returnUrl: `${receiverOrigin}/return`,
    notifyUrl,
  };
}

/** Creates the consume (backUrl `path` on the test's receiver), the browser posts the form, the sandbox wallet pays it. */
async function payWithWallet(amount: number, path: string | null): Promise<OrderRequest> {
  const adapter = createUnionPayAdapter({ baseUrl: sim.baseUrl, credentials: context.credentials, timeoutMs: CALL_TIMEOUT_MS });
  const order = orderRequest(amount, path === null ? null : `${receiverOrigin}${path}`);
  const created = await adapter.createOrder(order);
  assert.ok(created.outcome.kind === 'created' && created.outcome.payForm !== null, JSON.stringify(created.outcome));
  const { payForm, qrCode } = created.outcome;
  const page = await fetch(payForm.action, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ ...payForm.fields }).toString() });
  assert.equal(page.status, 200, await page.text());
  const scan = await sim.scanOverHttp(qrCode);
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  return order;
}

const fieldsOf = (request: NotificationRequest): Record<string, string> => Object.fromEntries(new URLSearchParams(request.body));
const receivedFor = (orderNo: string): Received[] => received.filter((entry) => fieldsOf(entry)['orderId'] === orderNo);

async function firstNotification(orderNo: string): Promise<Received> {
  return waitFor(() => receivedFor(orderNo)[0]);
}

/** A form body of `fields`, as UnionPay posts it to backUrl. */
function posted(fields: Readonly<Record<string, string>>): NotificationRequest {
  return { path: '/notify/unionpay', headers: {}, contentType: FORM, body: new URLSearchParams({ ...fields }).toString() };
}

function claimOf(request: NotificationRequest) {
  const read = receiver.read(request);
  assert.ok(read.ok, JSON.stringify(read));
  return read.claim;
}

// ------------------------------------------------------------------ UnionPay's published examples

describe("UnionPay's signed examples", () => {
  /**
   * UnionPay's own signed messages (unionpay-examples.ts: the acp demo's front
   * notifications, signed by UnionPay's test signing certificate). The back
   * notification carries the same fields in the same form encoding; posted
   * here as UnionPay posts backUrl. Test mode verifies with the certificate's
   * key, as the sandbox verifies with the simulator's key.
   */
  const exampleContext = (merId: string): AdapterContext<UnionPayCredentials> => ({
    ...context,
    credentials: { merId, merchantPrivateKeyPem: keys.merchant.privateKeyPem, unionPayPublicKeyPem: UNIONPAY_TEST_SIGN_CERT },
  });
  const example = (text: string): Record<string, string> => {
    const fields = parseAnswer(text);
    assert.ok(fields !== null);
    return fields;
  };

  test('both examples read with their exact claim and verify', () => {
    const first = posted(example(FRONT_NOTIFICATION_1));
    assert.deepEqual(receiver.read(first), {
      ok: true,
      claim: {
        orderNo: '20170324101151',
        status: 'paid',
        amountMinor: 1,
        currency: 'CNY',
        providerTxnId: '201703241011516777928',
        dedupeKey: '201703241011516777928:00',
      },
    });
    assert.deepEqual(receiver.verify(first, claimOf(first), exampleContext('777290058110048')), { ok: true });

    const second = posted(example(FRONT_NOTIFICATION_2));
    const claim = claimOf(second);
    assert.equal(claim.status, 'paid');
    assert.equal(claim.currency, 'CNY');
    assert.equal(claim.amountMinor, 1);
    assert.deepEqual(receiver.verify(second, claim, exampleContext('777290058143823')), { ok: true });
  });

  test('changed, foreign or unsigned examples are refused with their reason', () => {
    const fields = example(FRONT_NOTIFICATION_1);
    const merchant = exampleContext('777290058110048');
    const changed = posted({ ...fields, txnAmt: '100' });
    assert.deepEqual(receiver.verify(changed, claimOf(changed), merchant), { ok: false, reason: 'the signature does not verify' });
    const original = posted(fields);
    assert.deepEqual(receiver.verify(original, claimOf(original), exampleContext('777290058143823')), {
      ok: false,
      reason: "merId names another merchant than the order's",
    });
    const { signature: _signature, ...unsigned } = fields;
    assert.deepEqual(receiver.verify(posted(unsigned), claimOf(posted(unsigned)), merchant), { ok: false, reason: 'the notification carries no signature' });
    assert.deepEqual(receiver.verify(posted({ ...fields, signMethod: '11' }), claimOf(original), merchant), {
      ok: false,
      reason: 'signMethod is not 01 (SHA256withRSA)',
    });
  });

  test("live mode does not trust the test environment's certificate, and says why", () => {
    const request = posted(example(FRONT_NOTIFICATION_1));
    const live = { ...liveContext, credentials: { ...liveContext.credentials, merId: '777290058110048' } };
    const check = receiver.verify(request, claimOf(request), live);
    assert.ok(!check.ok);
    assert.match(check.reason, /^untrusted signing certificate: signPubKeyCert \(serial 68759585097\) is expired/);
  });
});

describe('reading and answering', () => {
  test('what is not a consume back notification is refused with the reason, never thrown', () => {
    const fields = parseAnswer(FRONT_NOTIFICATION_1) ?? {};
    const cases: Array<[NotificationRequest, string]> = [
      [{ ...posted(fields), contentType: 'application/json' }, 'the body is not a form (application/x-www-form-urlencoded)'],
      [{ ...posted(fields), body: `${posted(fields).body}&orderId=2` }, 'a field appears twice'],
      [posted({ ...fields, version: '5.0.0' }), 'version is not 5.1.0'],
      [posted({ ...fields, txnType: '04' }), 'txnType is not 01 (a consume)'],
      [posted({ ...fields, orderId: 'a_b' }), 'orderId is missing or malformed'],
      [posted({ ...fields, respCode: '' }), 'respCode is missing or malformed'],
      [posted({ ...fields, queryId: '' }), 'queryId is missing or malformed'],
      [posted({ ...fields, txnAmt: '0.01' }), 'txnAmt is missing or not an amount in minor units'],
      [posted({ ...fields, currencyCode: '999' }), 'currencyCode is missing or not an ISO 4217 numeric code'],
    ];
    for (const [request, reason] of cases) assert.deepEqual(receiver.read(request), { ok: false, reason }, reason);
    assert.equal(claimOf(posted({ ...fields, respCode: '05' })).status, 'pending');
    assert.equal(claimOf(posted({ ...fields, respCode: '01' })).status, 'closed');
    assert.equal(claimOf(posted({ ...fields, respCode: '05' })).dedupeKey, '201703241011516777928:05');
  });

  test('the answers: 200 "ok" acknowledges; anything else is not 200', () => {
    assert.deepEqual(receiver.answer(true, context), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' });
    assert.deepEqual(receiver.answer(false, null), { status: 400, contentType: 'text/plain; charset=utf-8', body: 'fail' });
    assert.equal(UNIONPAY_NOTIFY_ACK_BODY, 'ok');
    assert.equal(UNIONPAY_NOTIFY_FAIL_BODY, 'fail');
    assert.equal(unionpay.notifications, unionPayNotifications, 'the descriptor declares the receiver');
  });
});

// ------------------------------------------------------------------ the simulator's notifications

describe("the simulator's back notification", () => {
  test('a paid consume: the documented fields, verified in test mode and through the chain in live mode', async () => {
    const order = await payWithWallet(1000, '/notify/unionpay');
    const notification = await firstNotification(order.orderNo);
    assert.equal(notification.path, '/notify/unionpay');
    assert.equal(notification.contentType, FORM);
    const fields = fieldsOf(notification);
    const queryId = sim.ledger.findOrder('unionpay', order.orderNo)?.providerTxnId ?? '';
    assert.match(queryId, /^\d{21}$/);
    assert.deepEqual(Object.keys(fields).sort(), [
      'accessType',
      'bizType',
      'currencyCode',
      'encoding',
      'merId',
      'orderId',
      'queryId',
      'respCode',
      'respMsg',
      'settleAmt',
      'settleCurrencyCode',
      'settleDate',
      'signMethod',
      'signPubKeyCert',
      'signature',
      'traceNo',
      'traceTime',
      'txnAmt',
      'txnSubType',
      'txnTime',
      'txnType',
      'version',
    ]);
    assert.equal(fields['respCode'], '00');
    assert.equal(fields['queryId'], queryId);
    assert.equal(fields['currencyCode'], '156');

    const claim = claimOf(notification);
    assert.deepEqual(claim, { orderNo: order.orderNo, status: 'paid', amountMinor: 1000, currency: 'CNY', providerTxnId: queryId, dedupeKey: `${queryId}:00` });
    assert.deepEqual(receiver.verify(notification, claim, context), { ok: true });
    assert.deepEqual(receiver.verify(notification, claim, liveContext), { ok: true });
    assert.equal(notification.answerStatus, 200);
    const delivery = await waitFor(() => sim.notifier.deliveries().find((entry) => entry.order_no === order.orderNo && entry.acknowledged));
    assert.equal(delivery.attempts, 1);
    assert.equal(receivedFor(order.orderNo).length, 1);
  });

  test('tampered, another key, another merchant, another CA, no signature: each refused with its reason', async () => {
    const order = await payWithWallet(1100, '/notify/unionpay');
    const genuine = await firstNotification(order.orderNo);
    const fields = fieldsOf(genuine);
    const claim = claimOf(genuine);

    const tampered = posted({ ...fields, txnAmt: '1' });
    assert.deepEqual(receiver.verify(tampered, claim, context), { ok: false, reason: 'the signature does not verify' });
    assert.deepEqual(receiver.verify(tampered, claim, liveContext), { ok: false, reason: 'the signature does not verify' });

    const forger = otherKeyPair();
    const forged = posted(signFields(fields, forger.privateKey));
    assert.deepEqual(receiver.verify(forged, claim, context), { ok: false, reason: 'the signature does not verify' });
    const wrongKey = { ...context, credentials: { ...context.credentials, unionPayPublicKeyPem: forger.publicKey } };
    assert.deepEqual(receiver.verify(genuine, claim, wrongKey), { ok: false, reason: 'the signature does not verify' });

    const foreignMerchant = { ...context, credentials: { ...context.credentials, merId: FOREIGN_MER_ID } };
    assert.deepEqual(receiver.verify(genuine, claim, foreignMerchant), { ok: false, reason: "merId names another merchant than the order's" });
    const otherMerId = posted(signFields({ ...fields, merId: FOREIGN_MER_ID }, keys.unionPay.privateKeyPem));
    assert.deepEqual(receiver.verify(otherMerId, claimOf(otherMerId), context), { ok: false, reason: "merId names another merchant than the order's" });

    const otherCa = { ...liveContext, credentials: { ...liveContext.credentials, rootCertPem: foreignCa.rootCertPem, middleCertPem: foreignCa.middleCertPem } };
    const untrusted = receiver.verify(genuine, claim, otherCa);
    assert.ok(!untrusted.ok);
    assert.match(untrusted.reason, /^untrusted signing certificate: signPubKeyCert is not issued by the configured middle certificate/);
    // A forger's own certificate from a CA the merchant does not trust: the chain check refuses it before the signature.
    const forgerCert = foreignCa.issue({ privateKeyPem: forger.privateKey });
    const selfCertified = posted(signFields({ ...fields, signPubKeyCert: forgerCert }, forger.privateKey));
    const selfCheck = receiver.verify(selfCertified, claim, liveContext);
    assert.ok(!selfCheck.ok);
    assert.match(selfCheck.reason, /^untrusted signing certificate: /);

    const { signature: _signature, ...unsigned } = fields;
    assert.deepEqual(receiver.verify(posted(unsigned), claim, context), { ok: false, reason: 'the notification carries no signature' });
  });

  test('a payment the cardholder confirms later is notified when it confirms, with nobody asking', async () => {
    const order = await payWithWallet(1053, '/notify/unionpay');
    const notification = await firstNotification(order.orderNo);
    assert.equal(claimOf(notification).status, 'paid');
    assert.deepEqual(receiver.verify(notification, claimOf(notification), context), { ok: true });
  });

  test('resends until acknowledged: two failures, then 200, exactly three deliveries, then silence', async () => {
    const path = '/flaky/notify/unionpay';
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
      deliveries.every((entry) => entry.body === deliveries[0]?.body),
      'the same notification',
    );
    // The next resend would have come 800 ms after the third attempt (200 ms doubling): wait past it.
    await sleep(1_500);
    assert.equal(receivedFor(order.orderNo).length, 3);
  });

  test("no notify URL (the adapter's .invalid backUrl): nothing is sent", async () => {
    const order = await payWithWallet(1400, null);
    await sim.assertLedger(order.orderNo, { status: 'paid' });
    assert.equal(UNIONPAY_NO_NOTIFY_URL.includes('.invalid/'), true);
    assert.equal(
      sim.notifier.deliveries().some((entry) => entry.order_no === order.orderNo),
      false,
    );
  });
});
