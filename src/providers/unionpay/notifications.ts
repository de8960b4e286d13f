/**
 * UnionPay's back notification (acp 5.1.0 后台通知), as CanCan receives it at
 * /notify/unionpay (the backUrl of every front consume).
 *
 * UnionPay POSTs a form (application/x-www-form-urlencoded) with the consume's
 * fields (version, encoding, signMethod 01, txnType, txnSubType, bizType,
 * accessType, merId, orderId, txnTime, txnAmt, currencyCode, queryId,
 * respCode, respMsg, traceNo, settleAmt, ...), its signing certificate as
 * signPubKeyCert and the signature over the SHA-256 hex of the sorted
 * `k=v&...` string (sign.ts). Live mode trusts the certificate only through
 * the configured root and middle certificates and UnionPay's CN (certs.ts);
 * test mode verifies with the simulator's key. UnionPay takes HTTP 200 as
 * "received" and resends otherwise.
 */
import type { AdapterContext } from '../descriptor.js';
import type {
  NotificationAnswer,
  NotificationCheck,
  NotificationClaim,
  NotificationReceiver,
  NotificationRead,
  NotificationRequest,
} from '../notifications.js';
import { type UnionPayCredentials, verifyUnionPayMessage } from './adapter.js';
import { parseForm } from './sign.js';
import { currencyFromNumeric, isUnionPayOrderId, parseTxnAmt, TXN_TYPES, UNIONPAY_SIGN_METHOD, UNIONPAY_VERSION } from './transformers.js';

/** The body of CanCan's acknowledgement: UnionPay reads the status; the body is for people reading logs. */
export const UNIONPAY_NOTIFY_ACK_BODY = 'ok';
export const UNIONPAY_NOTIFY_FAIL_BODY = 'fail';

/** respCode values that say the result is not known yet (acp: 03, 04, 05 "processing"). */
const PENDING_CODES: ReadonlySet<string> = new Set(['03', '04', '05']);

export function readUnionPayNotification(request: NotificationRequest): NotificationRead {
  const refuse = (reason: string): NotificationRead => ({ ok: false, reason });
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.contentType)) return refuse('the body is not a form (application/x-www-form-urlencoded)');
  const fields = parseForm(request.body);
  if (fields === null) return refuse('a field appears twice');
  if (fields['version'] !== UNIONPAY_VERSION) return refuse(`version is not ${UNIONPAY_VERSION}`);
  if (fields['txnType'] !== TXN_TYPES.consume) return refuse('txnType is not 01 (a consume)');
  const orderNo = fields['orderId'] ?? '';
  if (!isUnionPayOrderId(orderNo)) return refuse('orderId is missing or malformed');
  const respCode = fields['respCode'] ?? '';
  if (!/^[0-9A-Z]{2}$/.test(respCode)) return refuse('respCode is missing or malformed');
  const queryId = fields['queryId'] ?? '';
  if (!/^[0-9A-Za-z]{1,32}$/.test(queryId)) return refuse('queryId is missing or malformed');
  const amountMinor = parseTxnAmt(fields['txnAmt']);
  if (amountMinor === null) return refuse('txnAmt is missing or not an amount in minor units');
  const currency = currencyFromNumeric(fields['currencyCode'] ?? '');
  if (currency === null) return refuse('currencyCode is missing or not an ISO 4217 numeric code');

  const claim: NotificationClaim = {
    orderNo,
    status: respCode === '00' ? 'paid' : PENDING_CODES.has(respCode) ? 'pending' : 'closed',
    amountMinor,
    currency,
    providerTxnId: queryId,
    // UnionPay's notifications carry no id of their own: the transaction and its result name a resend.
    dedupeKey: `${queryId}:${respCode}`,
  };
  return { ok: true, claim };
}

export function verifyUnionPayNotificationRequest(
  request: NotificationRequest,
  _claim: NotificationClaim,
  context: AdapterContext<UnionPayCredentials>,
  now: number = Date.now(),
): NotificationCheck {
  const fields = parseForm(request.body);
  if (fields === null) return { ok: false, reason: 'a field appears twice' };
  if (fields['signature'] === undefined || fields['signature'] === '') return { ok: false, reason: 'the notification carries no signature' };
  if (fields['signMethod'] !== UNIONPAY_SIGN_METHOD) return { ok: false, reason: 'signMethod is not 01 (SHA256withRSA)' };
  if (fields['merId'] !== context.credentials.merId) return { ok: false, reason: "merId names another merchant than the order's" };
  const verified = verifyUnionPayMessage(fields, context.credentials, now);
  if (!verified.ok)
    return { ok: false, reason: verified.untrustedCert ? `untrusted signing certificate: ${verified.detail}` : 'the signature does not verify' };
  return { ok: true };
}

export function unionPayNotificationAnswer(acknowledged: boolean): NotificationAnswer {
  // Anything but 200 (or a redirect, which UnionPay also takes as received) makes UnionPay resend.
  return acknowledged
    ? { status: 200, contentType: 'text/plain; charset=utf-8', body: UNIONPAY_NOTIFY_ACK_BODY }
    : { status: 400, contentType: 'text/plain; charset=utf-8', body: UNIONPAY_NOTIFY_FAIL_BODY };
}

export const unionPayNotifications: NotificationReceiver<UnionPayCredentials> = {
  read: readUnionPayNotification,
  verify: (request, claim, context) => verifyUnionPayNotificationRequest(request, claim, context),
  answer: (acknowledged) => unionPayNotificationAnswer(acknowledged),
};
