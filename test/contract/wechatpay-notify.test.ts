/**
 * WeChat Pay payment result notifications ("支付结果通知"): the receiver
 * (src/providers/wechatpay/notifications.ts) against WeChat's published
 * example and against what the simulator sends when the sandbox wallet pays
 * a Native order, cross-checked with the independent `tenpay` package; the
 * refusals; the answers; and the simulator's resends until acknowledged.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { AdapterContext } from '../../src/providers/descriptor.js';
import type { NotificationRequest } from '../../src/providers/notifications.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter, type WeChatPayCredentials } from '../../src/providers/wechatpay/adapter.js';
import { wechatPayNotifications } from '../../src/providers/wechatpay/notifications.js';
import { withSignature } from '../../src/providers/wechatpay/sign.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { buildXml, parseXml } from '../../src/providers/wechatpay/xml.js';
import type { NotificationDelivery } from '../../src/simulators/notify-sender.js';
import { CALL_TIMEOUT_MS, CONFIRM_DELAY_MS, orderRequestBuilder, useSimulatorServer } from '../support/contract.js';
import { waitFor } from '../support/chop.js';

interface TenpayClient {
  _parse(xml: string, type: string, signType?: string): Promise<Record<string, string>>;
}
const require = createRequire(import.meta.url);
const Tenpay = require('tenpay') as new (config: { appid: string; mchid: string; partnerKey: string }) => TenpayClient;

const SANDBOX = WECHATPAY_SANDBOX_CREDENTIALS;
/** Another merchant the simulator also serves: its notifications must never pass for the sandbox merchant's. */
const OTHER: WeChatPayCredentials = { appId: 'wx8888888888888888', mchId: '1900000109', apiKey: 'another0merchant0api0key00000032', signType: 'MD5' };

const contextOf = (credentials: WeChatPayCredentials): AdapterContext<WeChatPayCredentials> => ({ endpoint: 'unused', credentials, timeoutMs: 1000 });
const notification = (body: string): NotificationRequest => ({ path: '/notify/wechatpay', headers: {}, contentType: 'text/xml', body });

/** Answers the simulator's notifications: `failuresLeft` FAIL answers first, then the receiver's own answer. */
class CapturingReceiver {
  readonly bodies: string[] = [];
  failuresLeft = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.bodies.push(body);
        const failing = this.failuresLeft > 0;
        if (failing) this.failuresLeft -= 1;
        const answer = wechatPayNotifications.answer(!failing, null);
        response.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify/wechatpay`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

const receiver = new CapturingReceiver();
before(() => receiver.start());
after(() => receiver.stop());

let adapter: ReturnType<typeof createWeChatPayAdapter>;
const sim = useSimulatorServer(
  'wechatpay',
  ({ ledger, wallet, notifier }) =>
    wechatPaySimulator({ ledger, wallet, notifier, credentials: [SANDBOX, OTHER], confirmDelayMs: CONFIRM_DELAY_MS, slowResponseMs: 600 }),
  ({ baseUrl }) => {
    adapter = createWeChatPayAdapter({ baseUrl, credentials: SANDBOX, timeoutMs: CALL_TIMEOUT_MS });
  },
);

const orderRequest = orderRequestBuilder(() => ({
  description: 'Notification test',
  paymentMethod: 'wechatpay',
  expiresAt: Date.now() + 10 * 60_000,
  returnUrl: null,
  notifyUrl: receiver.url,
}));

/** Creates a Native order notifying the capturing receiver, and returns its order number and code_url. */
async function createOrder(amount: number): Promise<{ orderNo: string; codeUrl: string }> {
  const request = orderRequest(amount);
  const { outcome } = await adapter.createOrder(request);
  assert.ok(outcome.kind === 'created', JSON.stringify(outcome));
  return { orderNo: request.orderNo, codeUrl: outcome.qrCode };
}

function without(fields: Readonly<Record<string, string>>, name: string): Record<string, string> {
  const copy: Record<string, string> = { ...fields };
  delete copy[name];
  return copy;
}

/** The simulator's deliveries for one order. */
const deliveriesOf = (orderNo: string): NotificationDelivery[] => sim.notifier.deliveries().filter((delivery) => delivery.order_no === orderNo);

async function acknowledgedDelivery(orderNo: string): Promise<NotificationDelivery> {
  await waitFor(() => (deliveriesOf(orderNo).some((delivery) => delivery.acknowledged) ? true : undefined));
  const [delivery, ...more] = deliveriesOf(orderNo);
  assert.ok(delivery !== undefined);
  assert.deepEqual(more, []);
  return delivery;
}

/** A paid order's genuine notification, as the simulator sent it. */
async function paidNotification(amount = 1900): Promise<{ orderNo: string; body: string }> {
  const { orderNo, codeUrl } = await createOrder(amount);
  assert.equal((await sim.scanOverHttp(codeUrl)).body['outcome'], 'paid');
  return { orderNo, body: (await acknowledgedDelivery(orderNo)).body };
}

/**
 * WeChat's example notification from its "支付结果通知" page (pay.weixin.qq.com
 * wiki, chapter 9_7), field for field. Its published `sign` was made with a
 * key WeChat does not publish, so the verifying tests re-sign the same fields
 * with the key of WeChat's published signature example (reconstructed, not
 * found as such).
 */
const PUBLISHED_FIELDS: Record<string, string> = {
  appid: 'wx2421b1c4370ec43b',
  attach: '支付测试',
  bank_type: 'CFT',
  fee_type: 'CNY',
  is_subscribe: 'Y',
  mch_id: '10000100',
  nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
  openid: 'oUpF8uMEb4qRXf22hE3X68TekukE',
  out_trade_no: '1409811653',
  result_code: 'SUCCESS',
  return_code: 'SUCCESS',
  sign: 'B552ED6B279343CB493C5DD0D78AB241',
  time_end: '20140903131540',
  total_fee: '1',
  coupon_fee: '10',
  coupon_count: '1',
  coupon_type: 'CASH',
  coupon_id: '10000',
  trade_type: 'JSAPI',
  transaction_id: '1004400740201409030005092168',
};
/** The body as the page prints it: CDATA everywhere but total_fee. */
const PUBLISHED_BODY = `<xml>${Object.entries(PUBLISHED_FIELDS)
  .map(([name, value]) => (name === 'total_fee' ? `<${name}>${value}</${name}>` : `<${name}><![CDATA[${value}]]></${name}>`))
  .join('\n')}</xml>`;
/** The merchant of WeChat's signature example ("签名算法"): key 192006250b4c09247ec02edce69f6a2d. */
const PUBLISHED_MERCHANT: WeChatPayCredentials = {
  appId: 'wx2421b1c4370ec43b',
  mchId: '10000100',
  apiKey: '192006250b4c09247ec02edce69f6a2d',
  signType: 'MD5',
};

describe('WeChat Pay notifications: the published example', () => {
  test('the published body reads as a paid claim with exact fields', () => {
    assert.deepEqual(wechatPayNotifications.read(notification(PUBLISHED_BODY)), {
      ok: true,
      claim: {
        orderNo: '1409811653',
        status: 'paid',
        amountMinor: 1,
        currency: 'CNY',
        providerTxnId: '1004400740201409030005092168',
        dedupeKey: '1004400740201409030005092168:SUCCESS',
      },
    });
  });

  test('re-signed with the published key it verifies (MD5, no sign_type), and tenpay agrees', async () => {
    const body = buildXml(withSignature(PUBLISHED_FIELDS, PUBLISHED_MERCHANT.apiKey, 'MD5'));
    const read = wechatPayNotifications.read(notification(body));
    assert.ok(read.ok);
    assert.deepEqual(wechatPayNotifications.verify(notification(body), read.claim, contextOf(PUBLISHED_MERCHANT)), { ok: true });
    const tenpay = new Tenpay({ appid: PUBLISHED_MERCHANT.appId, mchid: PUBLISHED_MERCHANT.mchId, partnerKey: PUBLISHED_MERCHANT.apiKey });
    assert.equal((await tenpay._parse(body, 'middleware_pay')).out_trade_no, '1409811653');
  });

  test('with its published sign and the published key, the signature does not verify (the example was signed with another key)', () => {
    const read = wechatPayNotifications.read(notification(PUBLISHED_BODY));
    assert.ok(read.ok);
    assert.deepEqual(wechatPayNotifications.verify(notification(PUBLISHED_BODY), read.claim, contextOf(PUBLISHED_MERCHANT)), {
      ok: false,
      reason: "the MD5 signature does not verify with the merchant's API key",
    });
  });
});

describe('WeChat Pay notifications: the simulator notifies paid Native orders', () => {
  test('a scanned and paid order is notified once, signed HMAC-SHA256 for the merchant; the receiver and tenpay verify it', async () => {
    const { orderNo, body } = await paidNotification(1900);
    const fields = parseXml(body);
    assert.deepEqual(Object.keys(fields).sort(), [
      'appid',
      'bank_type',
      'cash_fee',
      'fee_type',
      'is_subscribe',
      'mch_id',
      'nonce_str',
      'openid',
      'out_trade_no',
      'result_code',
      'return_code',
      'sign',
      'sign_type',
      'time_end',
      'total_fee',
      'trade_type',
      'transaction_id',
    ]);
    assert.equal(fields['appid'], SANDBOX.appId);
    assert.equal(fields['mch_id'], SANDBOX.mchId);
    assert.equal(fields['sign_type'], 'HMAC-SHA256');
    assert.equal(fields['trade_type'], 'NATIVE');
    assert.equal(fields['total_fee'], '1900');
    assert.equal(fields['cash_fee'], '1900');
    assert.equal(fields['fee_type'], 'CNY');
    assert.match(fields['transaction_id'] ?? '', /^4200\d{24}$/);
    assert.match(fields['time_end'] ?? '', /^\d{14}$/);

    const read = wechatPayNotifications.read(notification(body));
    assert.deepEqual(read, {
      ok: true,
      claim: {
        orderNo,
        status: 'paid',
        amountMinor: 1900,
        currency: 'CNY',
        providerTxnId: fields['transaction_id'],
        dedupeKey: `${fields['transaction_id']}:SUCCESS`,
      },
    });
    assert.ok(read.ok);
    assert.deepEqual(wechatPayNotifications.verify(notification(body), read.claim, contextOf(SANDBOX)), { ok: true });
    const tenpay = new Tenpay({ appid: SANDBOX.appId, mchid: SANDBOX.mchId, partnerKey: SANDBOX.apiKey });
    assert.equal((await tenpay._parse(body, 'middleware_pay')).transaction_id, fields['transaction_id']);
    // The order is what the notification says: the query agrees.
    assert.deepEqual((await adapter.query(orderNo)).outcome.kind, 'paid');
  });

  test('a customer who confirms later (test value 53) is notified when the confirmation lands, without any query', async () => {
    const { orderNo, codeUrl } = await createOrder(2053);
    assert.equal((await sim.scanOverHttp(codeUrl)).body['outcome'], 'awaiting_confirmation');
    const delivery = await acknowledgedDelivery(orderNo);
    const read = wechatPayNotifications.read(notification(delivery.body));
    assert.ok(read.ok);
    assert.equal(read.claim.status, 'paid');
    assert.equal(read.claim.amountMinor, 2053);
  });

  test('a declined order, and one nobody paid, are not notified (WeChat notifies payments only)', async () => {
    const declined = await createOrder(1700);
    assert.equal((await sim.scanOverHttp(declined.codeUrl, 'decline')).body['outcome'], 'declined');
    const closed = await createOrder(1800);
    assert.deepEqual((await adapter.close(closed.orderNo)).outcome, { kind: 'closed' });
    // The simulator starts a delivery (and logs it) before it answers the scan or the close.
    assert.deepEqual(deliveriesOf(declined.orderNo), []);
    assert.deepEqual(deliveriesOf(closed.orderNo), []);
  });
});

describe('WeChat Pay notifications: refusals', () => {
  test('a tampered field, a wrong key, another merchant and a missing signature are refused with a clear reason', async () => {
    const { body } = await paidNotification(1500);
    const fields = parseXml(body);
    const read = wechatPayNotifications.read(notification(body));
    assert.ok(read.ok);
    const verify = (text: string, credentials = SANDBOX) => wechatPayNotifications.verify(notification(text), read.claim, contextOf(credentials));

    assert.deepEqual(verify(buildXml({ ...fields, total_fee: '1' })), {
      ok: false,
      reason: "the HMAC-SHA256 signature does not verify with the merchant's API key",
    });
    assert.deepEqual(verify(body, { ...SANDBOX, apiKey: 'not0the0merchant0api0key00000032' }), {
      ok: false,
      reason: "the HMAC-SHA256 signature does not verify with the merchant's API key",
    });
    // Genuinely signed by another merchant, for this merchant's order.
    const foreign = buildXml(withSignature({ ...without(fields, 'sign_type'), appid: OTHER.appId, mch_id: OTHER.mchId }, OTHER.apiKey, 'MD5'));
    assert.deepEqual(verify(foreign), { ok: false, reason: `appid ${OTHER.appId} is not this merchant's` });
    assert.deepEqual(verify(buildXml({ ...fields, appid: SANDBOX.appId, mch_id: OTHER.mchId })), {
      ok: false,
      reason: `mch_id ${OTHER.mchId} is not this merchant's`,
    });
    assert.deepEqual(verify(buildXml(without(fields, 'sign'))), { ok: false, reason: 'the notification is not signed (no sign)' });
    assert.deepEqual(verify(buildXml({ ...fields, sign_type: 'SHA1' })), { ok: false, reason: 'sign_type is neither MD5 nor HMAC-SHA256' });
    // A sub-merchant's credentials want the sub_mch_id too.
    assert.deepEqual(verify(body, { ...SANDBOX, subMchId: '1900000111' }), { ok: false, reason: 'sub_mch_id is missing' });
  });

  test('what is not a WeChat Pay notification is not read', () => {
    const read = (body: string) => wechatPayNotifications.read(notification(body));
    assert.deepEqual(read('{"resultStatus":"S"}'), {
      ok: false,
      reason: "not a WeChat Pay XML notification: malformed XML at line 1: char '{' is not expected.",
    });
    assert.deepEqual(read(buildXml({ return_code: 'FAIL', return_msg: 'signature error' })), { ok: false, reason: 'return_code is FAIL, not SUCCESS' });
    assert.deepEqual(read(buildXml({ return_code: 'SUCCESS', result_code: 'SUCCESS', total_fee: '1' })), { ok: false, reason: 'out_trade_no is missing' });
    assert.deepEqual(read(buildXml({ ...PUBLISHED_FIELDS, total_fee: '1.00' })), { ok: false, reason: 'total_fee is not an integer amount' });
    assert.deepEqual(read(buildXml({ ...PUBLISHED_FIELDS, fee_type: 'XYZ' })), { ok: false, reason: 'fee_type XYZ is not a known currency' });
    assert.deepEqual(read(buildXml({ ...PUBLISHED_FIELDS, transaction_id: '' })), {
      ok: false,
      reason: 'a SUCCESS notification needs transaction_id and total_fee',
    });
  });

  test('the answers are exactly the documented ones', () => {
    assert.deepEqual(wechatPayNotifications.answer(true, null), {
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      body: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>',
    });
    assert.deepEqual(wechatPayNotifications.answer(false, contextOf(SANDBOX)), {
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      body: '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[notification not accepted]]></return_msg></xml>',
    });
  });
});

describe('WeChat Pay notifications: resends', () => {
  test('the simulator resends until the answer is SUCCESS: two FAIL answers, then exactly one more delivery', async () => {
    const { orderNo, codeUrl } = await createOrder(1400);
    const before = receiver.bodies.length;
    receiver.failuresLeft = 2;
    assert.equal((await sim.scanOverHttp(codeUrl)).body['outcome'], 'paid');
    const delivery = await acknowledgedDelivery(orderNo);
    assert.equal(delivery.attempts, 3);
    assert.equal(delivery.last_error, null);
    const received = receiver.bodies.slice(before);
    assert.deepEqual(received, [delivery.body, delivery.body, delivery.body]);
    // The next resend would have come 800 ms after the third: nothing more arrives.
    await sleep(1_200);
    assert.equal(receiver.bodies.length, before + 3);
    assert.equal(deliveriesOf(orderNo)[0]?.attempts, 3);
  });
});
