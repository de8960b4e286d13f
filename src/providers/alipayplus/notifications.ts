/**
 * Antom's notifyPayment, as CanCan receives it at /notify/alipayplus (Antom
 * "notifyPayment" and "Notifications"; the signature rules of sign.ts).
 *
 * Antom POSTs JSON with the headers `client-id`, `request-time` and
 * `signature: algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`,
 * signed with Antom's private key over
 * `POST <path posted to>\n<client-id>.<request-time>.<body>`. It resends
 * (0 s, 2 min, 10 min, ... for 24 h) until the answer is the fixed
 * `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`,
 * which the merchant signs like any answer (`response-time`, `signature`).
 *
 * notifyType PAYMENT_RESULT with resultStatus S is a payment that succeeded,
 * F one that failed; PAYMENT_PENDING says the shopper acted and the result is
 * still to come.
 */
import { isCurrencyCode } from '../../domain/money.js';
import type { AdapterContext } from '../descriptor.js';
import type {
  NotificationAnswer,
  NotificationCheck,
  NotificationClaim,
  NotificationReceiver,
  NotificationRead,
  NotificationRequest,
} from '../notifications.js';
import { providerNotifyUrl } from '../notify-url.js';
import type { AlipayPlusCredentials } from './adapter.js';
import { isoTime, parseRequestTime, parseSignatureHeader, signMessage, verifyMessage } from './sign.js';
import { isJsonObject } from './transformers.js';

/** The answer that stops Antom resending (notifyPayment "Response parameters"). */
export const ALIPAYPLUS_NOTIFY_ACK_BODY = JSON.stringify({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });

/** Anything else makes Antom resend; this one says why in Antom's own result shape. */
export const ALIPAYPLUS_NOTIFY_FAIL_BODY = JSON.stringify({
  result: { resultCode: 'PROCESS_FAIL', resultStatus: 'F', resultMessage: 'The notification was not accepted.' },
});

/**
 * The path CanCan's answer is signed for: the route Antom posted to. Antom
 * signs requests and answers over the same path; CanCan serves notifications
 * only at this one.
 */
export const ALIPAYPLUS_NOTIFY_PATH = new URL(providerNotifyUrl('http://cancan.invalid', 'alipayplus')).pathname;

const NOTIFY_TYPES = ['PAYMENT_RESULT', 'PAYMENT_PENDING'] as const;

/** paymentRequestId / paymentId: up to 64 characters (Antom), no special characters (what CanCan sends). */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function readAlipayPlusNotification(request: NotificationRequest): NotificationRead {
  const refuse = (reason: string): NotificationRead => ({ ok: false, reason });
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch {
    return refuse('the body is not JSON');
  }
  if (!isJsonObject(parsed)) return refuse('the body is not a JSON object');
  const notifyType = parsed['notifyType'];
  if (!NOTIFY_TYPES.some((known) => known === notifyType)) return refuse('notifyType is not PAYMENT_RESULT or PAYMENT_PENDING');
  const result = parsed['result'];
  const resultStatus = isJsonObject(result) ? result['resultStatus'] : undefined;
  if (resultStatus !== 'S' && resultStatus !== 'F') return refuse('result.resultStatus is not S or F');
  const orderNo = parsed['paymentRequestId'];
  if (typeof orderNo !== 'string' || !ID_PATTERN.test(orderNo)) return refuse('paymentRequestId is missing or malformed');
  const paymentId = parsed['paymentId'];
  if (typeof paymentId !== 'string' || !ID_PATTERN.test(paymentId)) return refuse('paymentId is missing or malformed');
  const amount = readAmount(parsed['paymentAmount']);
  if (amount === null) return refuse('paymentAmount is not {currency, value} in minor units');
  const notifyId = parsed['notifyId'];

  // F is a failed payment whatever the type; S is success for PAYMENT_RESULT, "still processing" for PAYMENT_PENDING.
  const pending = notifyType === 'PAYMENT_PENDING' && resultStatus === 'S';
  const status = resultStatus === 'F' ? 'closed' : pending ? 'pending' : 'paid';
  const claim: NotificationClaim = {
    orderNo,
    status,
    amountMinor: amount.value,
    currency: amount.currency,
    providerTxnId: paymentId,
    // Antom's notifyPayment carries no notification id of its own; where one is sent, it names resends.
    dedupeKey: typeof notifyId === 'string' && notifyId !== '' ? notifyId : `${paymentId}:${pending ? 'PENDING' : resultStatus}`,
  };
  return { ok: true, claim };
}

export function verifyAlipayPlusNotification(
  request: NotificationRequest,
  _claim: NotificationClaim,
  context: AdapterContext<AlipayPlusCredentials>,
): NotificationCheck {
  const { credentials } = context;
  const signature = request.headers['signature'];
  const clientId = request.headers['client-id'];
  const time = request.headers['request-time'];
  if (signature === undefined || signature === '') return { ok: false, reason: 'the notification carries no signature header' };
  if (clientId === undefined || clientId === '') return { ok: false, reason: 'the notification carries no client-id header' };
  if (clientId !== credentials.clientId) return { ok: false, reason: "client-id names another Antom account than the order's merchant" };
  if (time === undefined || parseRequestTime(time) === null) return { ok: false, reason: 'request-time is missing or malformed' };
  const parsed = parseSignatureHeader(signature);
  if (parsed === null || parsed.algorithm !== 'RSA256') return { ok: false, reason: 'the signature header is not algorithm=RSA256,keyVersion=..,signature=..' };
  const message = { httpMethod: 'POST', path: request.path, clientId, time, body: request.body };
  if (!verifyMessage(message, signature, credentials.providerPublicKeyPem)) {
    return { ok: false, reason: "the signature does not verify with Antom's public key" };
  }
  return { ok: true };
}

/** The fixed acknowledgement, signed with the merchant's key when the order (and so its credentials) was found. */
export function alipayPlusNotificationAnswer(
  acknowledged: boolean,
  context: AdapterContext<AlipayPlusCredentials> | null,
  now: number = Date.now(),
): NotificationAnswer {
  const body = acknowledged ? ALIPAYPLUS_NOTIFY_ACK_BODY : ALIPAYPLUS_NOTIFY_FAIL_BODY;
  const answer = { status: acknowledged ? 200 : 400, contentType: 'application/json; charset=UTF-8', body };
  if (context === null) return answer;
  const { clientId, merchantPrivateKeyPem } = context.credentials;
  const responseTime = isoTime(now);
  const signature = signMessage({ httpMethod: 'POST', path: ALIPAYPLUS_NOTIFY_PATH, clientId, time: responseTime, body }, merchantPrivateKeyPem);
  return { ...answer, headers: { 'client-id': clientId, 'response-time': responseTime, signature } };
}

export const alipayPlusNotifications: NotificationReceiver<AlipayPlusCredentials> = {
  read: readAlipayPlusNotification,
  verify: verifyAlipayPlusNotification,
  answer: (acknowledged, context) => alipayPlusNotificationAnswer(acknowledged, context),
};

/** An Amount object: a known ISO 4217 currency and a non-negative integer string of minor units. */
function readAmount(value: unknown): { currency: string; value: number } | null {
  if (!isJsonObject(value)) return null;
  const { currency, value: minor } = value;
  if (typeof currency !== 'string' || !isCurrencyCode(currency)) return null;
  if (typeof minor !== 'string' || !/^\d{1,16}$/.test(minor)) return null;
  const amount = Number(minor);
  return Number.isSafeInteger(amount) ? { currency, value: amount } : null;
}
