/**
 * Alipay asynchronous notifications (trade_status_sync): the receiver
 * (src/providers/alipay/notifications.ts) against a genuine Alipay
 * notification and against what the simulator sends when a precreated trade
 * is paid or closed, cross-checked with the official alipay-sdk's
 * checkNotifySignV2; the refusals; the answers; and the simulator's resends
 * until acknowledged.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AlipaySdk } from 'alipay-sdk';
import { createAlipayAdapter, type AlipayCredentials } from '../../src/providers/alipay/adapter.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys, type AlipaySandboxKeys } from '../../src/providers/alipay/keys.js';
import { alipayNotifications, parseNotifyForm, signNotifyParams } from '../../src/providers/alipay/notifications.js';
import { alipaySimulator } from '../../src/providers/alipay/simulator.js';
import type { AdapterContext } from '../../src/providers/descriptor.js';
import type { NotificationRequest } from '../../src/providers/notifications.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { waitFor } from '../support/chop.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, orderRequestBuilder, otherKeyPair, useSimulatorServer } from '../support/contract.js';

const contextOf = (credentials: AlipayCredentials): AdapterContext<AlipayCredentials> => ({ endpoint: 'unused', credentials, timeoutMs: 1000 });
const notification = (body: string): NotificationRequest => ({
  path: '/notify/alipay',
  headers: {},
  contentType: 'application/x-www-form-urlencoded; charset=utf-8',
  body,
});
const formOf = (params: Readonly<Record<string, string>>): string => new URLSearchParams(params).toString();
function paramsOf(body: string): Record<string, string> {
  const parsed = parseNotifyForm(body);
  assert.ok(parsed.ok);
  return { ...parsed.params };
}

/** Answers the simulator's notifications: `failuresLeft` failure answers first, then the receiver's own answer. */
class CapturingReceiver {
  readonly bodies: string[] = [];
  readonly contentTypes: string[] = [];
  failuresLeft = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        this.contentTypes.push(request.headers['content-type'] ?? '');
        const failing = this.failuresLeft > 0;
        if (failing) this.failuresLeft -= 1;
        const answer = alipayNotifications.answer(!failing, null);
        response.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify/alipay`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

const receiver = new CapturingReceiver();
before(() => receiver.start());
after(() => receiver.stop());

let keys: AlipaySandboxKeys;
let credentials: AlipayCredentials;
let adapter: ReturnType<typeof createAlipayAdapter>;
const sim = useSimulatorServer(
  'alipay',
  ({ dir, ledger, wallet, notifier }) => {
    keys = loadOrCreateAlipaySandboxKeys(join(dir, 'data'));
    credentials = { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: keys.app.privateKeyPem, alipayPublicKeyPem: keys.platform.publicKeyPem };
    return alipaySimulator({
      ledger,
      wallet,
      notifier,
      apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: keys.app.publicKeyPem }],
      platformPrivateKeyPem: keys.platform.privateKeyPem,
      confirmDelayMs: CONFIRM_DELAY_MS,
      slowResponseMs: 600,
    });
  },
  ({ baseUrl }) => {
    adapter = createAlipayAdapter({ gatewayUrl: `${baseUrl}/gateway.do`, credentials, timeoutMs: CALL_TIMEOUT_MS });
  },
);

const orderRequest = orderRequestBuilder(() => ({
  description: 'Notification test',
  paymentMethod: 'alipay',
  expiresAt: Date.now() + 10 * 60_000,
  returnUrl: null,
  notifyUrl: receiver.url,
}));

async function createOrder(amount: number, notifyUrl: string | null = receiver.url): Promise<{ orderNo: string; qrCode: string }> {
  const request = orderRequest(amount, 'CNY', { notifyUrl });
  const { outcome } = await adapter.createOrder(request);
  assert.ok(outcome.kind === 'created', JSON.stringify(outcome));
  return { orderNo: request.orderNo, qrCode: outcome.qrCode };
}

const deliveriesOf = (orderNo: string): NotificationDelivery[] => sim.notifier.deliveries().filter((delivery) => delivery.order_no === orderNo);

async function acknowledgedDeliveries(orderNo: string, count = 1): Promise<NotificationDelivery[]> {
  await waitFor(() => (deliveriesOf(orderNo).filter((delivery) => delivery.acknowledged).length >= count ? true : undefined));
  const deliveries = deliveriesOf(orderNo);
  assert.equal(deliveries.length, count);
  return deliveries;
}

async function paidNotification(amount = 1900): Promise<{ orderNo: string; body: string }> {
  const { orderNo, qrCode } = await createOrder(amount);
  assert.equal((await sim.scanOverHttp(qrCode)).body['outcome'], 'paid');
  const [delivery] = await acknowledgedDeliveries(orderNo);
  assert.ok(delivery !== undefined);
  return { orderNo, body: delivery.body };
}

const sdkFor = (alipayPublicKey: string): AlipaySdk =>
  new AlipaySdk({
    appId: ALIPAY_SANDBOX_APP_ID,
    privateKey: keys.app.privateKeyPem,
    keyType: 'PKCS8',
    alipayPublicKey,
    gateway: 'http://127.0.0.1:9/gateway.do',
  });

/**
 * A genuine trade_status_sync notification, with the Alipay public key that
 * verifies it, as alipay-sdk's own test suite quotes them (alipay-sdk-nodejs-all
 * test/alipay.test.ts, "checkNotifySign"). The values are as published; the
 * form encoding of the body is ours (the suite quotes the parsed parameters).
 */
const PUBLISHED_PARAMS: Record<string, string> = {
  gmt_create: '2019-08-15 15:56:22',
  charset: 'utf-8',
  seller_email: 'z97-yuquerevenue@service.aliyun.com',
  subject: '语雀空间 500人规模',
  sign: 'QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==',
  buyer_id: '2088102534368455',
  invoice_amount: '0.10',
  notify_id: '2019081500222155624068450559358070',
  fund_bill_list: '[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]',
  notify_type: 'trade_status_sync',
  trade_status: 'TRADE_SUCCESS',
  receipt_amount: '0.10',
  buyer_pay_amount: '0.10',
  sign_type: 'RSA2',
  app_id: '2019073166072302',
  seller_id: '2088531891668739',
  gmt_payment: '2019-08-15 15:56:24',
  notify_time: '2019-08-15 15:56:25',
  version: '1.0',
  out_trade_no: '20190815155618536-564-57',
  total_amount: '0.10',
  trade_no: '2019081522001468450512505578',
  auth_app_id: '2019073166072302',
  buyer_logon_id: 'xud***@126.com',
  point_amount: '0.00',
};
const PUBLISHED_KEY_BASE64 =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7YpvI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcOrxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5rDU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5JwIDAQAB';
const PUBLISHED_KEY_PEM = `-----BEGIN PUBLIC KEY-----\n${(PUBLISHED_KEY_BASE64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END PUBLIC KEY-----\n`;
const PUBLISHED_APP: AlipayCredentials = { appId: '2019073166072302', appPrivateKeyPem: 'unused', alipayPublicKeyPem: PUBLISHED_KEY_PEM };
const PUBLISHED_BODY = formOf(PUBLISHED_PARAMS);

describe('Alipay notifications: a genuine notification', () => {
  test('reads as a paid claim with exact fields', () => {
    assert.deepEqual(alipayNotifications.read(notification(PUBLISHED_BODY)), {
      ok: true,
      claim: {
        orderNo: '20190815155618536-564-57',
        status: 'paid',
        amountMinor: 10,
        currency: 'CNY',
        providerTxnId: '2019081522001468450512505578',
        dedupeKey: '2019081500222155624068450559358070',
      },
    });
  });

  test("verifies with Alipay's public key, as alipay-sdk's checkNotifySignV2 does; one changed value and it does not", () => {
    const read = alipayNotifications.read(notification(PUBLISHED_BODY));
    assert.ok(read.ok);
    assert.deepEqual(alipayNotifications.verify(notification(PUBLISHED_BODY), read.claim, contextOf(PUBLISHED_APP)), { ok: true });
    assert.equal(sdkFor(PUBLISHED_KEY_PEM).checkNotifySignV2(paramsOf(PUBLISHED_BODY)), true);
    const tampered = formOf({ ...PUBLISHED_PARAMS, total_amount: '0.01' });
    assert.deepEqual(alipayNotifications.verify(notification(tampered), read.claim, contextOf(PUBLISHED_APP)), {
      ok: false,
      reason: 'the RSA2 signature does not verify with the Alipay public key',
    });
    assert.equal(sdkFor(PUBLISHED_KEY_PEM).checkNotifySignV2(paramsOf(tampered)), false);
  });
});

describe('Alipay notifications: the simulator notifies paid and closed trades', () => {
  test('a scanned and paid trade is notified once (TRADE_SUCCESS), signed RSA2; the receiver and alipay-sdk verify it', async () => {
    const { orderNo, body } = await paidNotification(1990);
    const params = paramsOf(body);
    assert.deepEqual(Object.keys(params).sort(), [
      'app_id',
      'auth_app_id',
      'buyer_id',
      'buyer_logon_id',
      'buyer_pay_amount',
      'charset',
      'fund_bill_list',
      'gmt_payment',
      'invoice_amount',
      'notify_id',
      'notify_time',
      'notify_type',
      'out_trade_no',
      'point_amount',
      'receipt_amount',
      'seller_id',
      'sign',
      'sign_type',
      'total_amount',
      'trade_no',
      'trade_status',
      'version',
    ]);
    assert.equal(params['app_id'], ALIPAY_SANDBOX_APP_ID);
    assert.equal(params['notify_type'], 'trade_status_sync');
    assert.equal(params['trade_status'], 'TRADE_SUCCESS');
    assert.equal(params['total_amount'], '19.90');
    assert.equal(params['receipt_amount'], '19.90');
    assert.equal(params['sign_type'], 'RSA2');
    assert.equal(params['fund_bill_list'], '[{"amount":"19.90","fundChannel":"ALIPAYACCOUNT"}]');
    assert.match(params['notify_id'] ?? '', /^\d{34}$/);
    assert.match(params['gmt_payment'] ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.match(receiver.contentTypes.at(-1) ?? '', /^application\/x-www-form-urlencoded/);

    const read = alipayNotifications.read(notification(body));
    assert.deepEqual(read, {
      ok: true,
      claim: { orderNo, status: 'paid', amountMinor: 1990, currency: 'CNY', providerTxnId: params['trade_no'], dedupeKey: params['notify_id'] },
    });
    assert.ok(read.ok);
    assert.deepEqual(alipayNotifications.verify(notification(body), read.claim, contextOf(credentials)), { ok: true });
    assert.equal(sdkFor(keys.platform.publicKeyPem).checkNotifySignV2(params), true);
    assert.equal((await adapter.query(orderNo)).outcome.kind, 'paid');
  });

  test('a customer who confirms later (test value 53) is notified when the confirmation lands, without any query', async () => {
    const { orderNo, qrCode } = await createOrder(2053);
    assert.equal((await sim.scanOverHttp(qrCode)).body['outcome'], 'awaiting_confirmation');
    const [delivery] = await acknowledgedDeliveries(orderNo);
    const read = alipayNotifications.read(notification(delivery?.body ?? ''));
    assert.ok(read.ok);
    assert.deepEqual([read.claim.status, read.claim.amountMinor], ['paid', 2053]);
  });

  test('a declined scan and a closed waiting trade are notified TRADE_CLOSED; a trade nobody scanned, and one without notify_url, are not', async () => {
    const declined = await createOrder(1700);
    assert.equal((await sim.scanOverHttp(declined.qrCode, 'decline')).body['outcome'], 'declined');
    const [declinedDelivery] = await acknowledgedDeliveries(declined.orderNo);
    const declinedParams = paramsOf(declinedDelivery?.body ?? '');
    assert.equal(declinedParams['trade_status'], 'TRADE_CLOSED');
    assert.match(declinedParams['gmt_close'] ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(declinedParams['gmt_payment'], undefined);
    const read = alipayNotifications.read(notification(declinedDelivery?.body ?? ''));
    assert.ok(read.ok);
    assert.deepEqual([read.claim.status, read.claim.amountMinor, read.claim.currency], ['closed', 1700, 'CNY']);
    assert.deepEqual(alipayNotifications.verify(notification(declinedDelivery?.body ?? ''), read.claim, contextOf(credentials)), { ok: true });

    const waiting = await createOrder(1854); // test value 54: the customer never confirms
    assert.equal((await sim.scanOverHttp(waiting.qrCode)).body['outcome'], 'awaiting_confirmation');
    assert.deepEqual(deliveriesOf(waiting.orderNo), []); // WAIT_BUYER_PAY is not notified
    assert.deepEqual((await adapter.close(waiting.orderNo)).outcome, { kind: 'closed' });
    const [closedDelivery] = await acknowledgedDeliveries(waiting.orderNo);
    assert.equal(paramsOf(closedDelivery?.body ?? '')['trade_status'], 'TRADE_CLOSED');

    // The simulator starts a delivery (and logs it) before it answers the call or the scan.
    const unscanned = await createOrder(1800);
    await adapter.close(unscanned.orderNo);
    assert.deepEqual(deliveriesOf(unscanned.orderNo), []);
    const silent = await createOrder(1600, null);
    assert.equal((await sim.scanOverHttp(silent.qrCode)).body['outcome'], 'paid');
    assert.deepEqual(deliveriesOf(silent.orderNo), []);
  });
});

describe('Alipay notifications: refusals', () => {
  test('a tampered value, a wrong key, another app, RSA1 and a missing signature are refused with a clear reason', async () => {
    const { body } = await paidNotification(1500);
    const params = paramsOf(body);
    const read = alipayNotifications.read(notification(body));
    assert.ok(read.ok);
    const verify = (text: string, app = credentials) => alipayNotifications.verify(notification(text), read.claim, contextOf(app));

    const badSignature = { ok: false, reason: 'the RSA2 signature does not verify with the Alipay public key' };
    assert.deepEqual(verify(formOf({ ...params, total_amount: '0.01' })), badSignature);
    assert.deepEqual(verify(body, { ...credentials, alipayPublicKeyPem: otherKeyPair().publicKey }), badSignature);
    // Genuinely signed by the platform, but for another app.
    const foreign = formOf(signNotifyParams({ ...params, app_id: '2021000000000099', auth_app_id: '2021000000000099' }, keys.platform.privateKeyPem));
    assert.deepEqual(verify(foreign), { ok: false, reason: "app_id 2021000000000099 is not this merchant's" });
    const unsigned: Record<string, string> = { ...params };
    delete unsigned['sign'];
    assert.deepEqual(verify(formOf(unsigned)), { ok: false, reason: 'the notification is not signed (no sign)' });
    assert.deepEqual(verify(formOf({ ...params, sign_type: 'RSA' })), { ok: false, reason: 'sign_type RSA is not accepted: only RSA2' });
  });

  test('what is not an Alipay trade notification is not read', () => {
    const read = (body: string) => alipayNotifications.read(notification(body));
    assert.deepEqual(read('<xml></xml>'), { ok: false, reason: 'notify_type is missing, not trade_status_sync' });
    assert.deepEqual(read(formOf({ ...PUBLISHED_PARAMS, notify_type: 'servicemarket_order_notify' })), {
      ok: false,
      reason: 'notify_type is servicemarket_order_notify, not trade_status_sync',
    });
    assert.deepEqual(read(`${PUBLISHED_BODY}&out_trade_no=other`), { ok: false, reason: 'parameter out_trade_no is sent twice' });
    assert.deepEqual(read(`${PUBLISHED_BODY}&x=%E0%A4%A`), { ok: false, reason: 'not a form-encoded body: malformed percent escape' });
    assert.deepEqual(read(formOf({ ...PUBLISHED_PARAMS, trade_status: 'PAID' })), { ok: false, reason: 'trade_status PAID is not a trade status' });
    assert.deepEqual(read(formOf({ ...PUBLISHED_PARAMS, total_amount: '0.101' })), { ok: false, reason: 'total_amount 0.101 is not an amount in CNY' });
    assert.deepEqual(read(formOf({ ...PUBLISHED_PARAMS, notify_id: '' })), { ok: false, reason: 'notify_id is missing' });
  });

  test('a gbk notification is decoded in its charset', () => {
    // 语雀 in GBK: D3 EF C8 B8.
    const body = `${formOf({ ...PUBLISHED_PARAMS, charset: 'gbk', subject: 'x' })}`.replace('subject=x', 'subject=%D3%EF%C8%B8');
    assert.equal(paramsOf(body)['subject'], '语雀');
  });

  test('the answers are exactly the documented ones', () => {
    assert.deepEqual(alipayNotifications.answer(true, null), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' });
    assert.deepEqual(alipayNotifications.answer(false, contextOf(credentials)), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'fail' });
  });
});

describe('Alipay notifications: resends', () => {
  test('the simulator resends until the answer is success: two failures, then exactly one more delivery', async () => {
    const { orderNo, qrCode } = await createOrder(1400);
    const before = receiver.bodies.length;
    receiver.failuresLeft = 2;
    assert.equal((await sim.scanOverHttp(qrCode)).body['outcome'], 'paid');
    const [delivery] = await acknowledgedDeliveries(orderNo);
    assert.ok(delivery !== undefined);
    assert.equal(delivery.attempts, 3);
    assert.equal(delivery.last_error, null);
    assert.deepEqual(receiver.bodies.slice(before), [delivery.body, delivery.body, delivery.body]);
    // The next resend would have come 800 ms after the third: nothing more arrives.
    await sleep(1_200);
    assert.equal(receiver.bodies.length, before + 3);
    assert.equal(deliveriesOf(orderNo)[0]?.attempts, 3);
  });
});
