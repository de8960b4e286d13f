/**
 * WeChat Pay v2 payment result notifications ("支付结果通知", Native payments
 * chapter 9_7): WeChat POSTs a flat `<xml>` document to the order's
 * notify_url, signed like every v2 message (sign.ts: MD5, or HMAC-SHA256
 * when the notification says `sign_type=HMAC-SHA256`, with the merchant's API
 * key). The merchant answers `<xml><return_code>SUCCESS</return_code>...`;
 * anything else makes WeChat resend (15 s, 15 s, 30 s, 3 min, ... over 24 h).
 */
import type { AdapterContext } from '../descriptor.js';
import { isCurrencyCode } from '../../domain/money.js';
import type {
  NotificationAnswer,
  NotificationCheck,
  NotificationClaim,
  NotificationRead,
  NotificationReceiver,
  NotificationRequest,
} from '../notifications.js';
import type { WeChatPayCredentials } from './credentials.js';
import { parseSignType, verifyFields } from './sign.js';
import { buildXml, field, parseXml, WeChatXmlError, type WireFields } from './xml.js';

/** The documented acknowledgement; `return_msg` OK as in WeChat's own example. */
export const WECHATPAY_NOTIFY_ACK = buildXml({ return_code: 'SUCCESS', return_msg: 'OK' });
/** A refusal: WeChat keeps resending (a later copy may be accepted once CanCan can take it). */
export const WECHATPAY_NOTIFY_NACK = buildXml({ return_code: 'FAIL', return_msg: 'notification not accepted' });

type Fields = { readonly ok: true; readonly fields: WireFields } | { readonly ok: false; readonly reason: string };

function fieldsOf(body: string): Fields {
  try {
    return { ok: true, fields: parseXml(body) };
  } catch (error) {
    const detail = error instanceof WeChatXmlError ? error.message : 'unreadable';
    return { ok: false, reason: `not a WeChat Pay XML notification: ${detail}` };
  }
}

/** total_fee: a non-negative integer in the currency's minor unit, as WeChat writes it. */
function parseFee(text: string | undefined): number | null {
  if (text === undefined || !/^(0|[1-9]\d{0,14})$/.test(text)) return null;
  return Number(text);
}

export function readWeChatPayNotification(request: NotificationRequest): NotificationRead {
  const parsed = fieldsOf(request.body);
  if (!parsed.ok) return parsed;
  const { fields } = parsed;
  const returnCode = field(fields, 'return_code');
  // return_code is the communication layer: a FAIL carries no order and no signature.
  if (returnCode !== 'SUCCESS') return { ok: false, reason: `return_code is ${returnCode ?? 'missing'}, not SUCCESS` };
  const orderNo = field(fields, 'out_trade_no') ?? '';
  if (orderNo === '') return { ok: false, reason: 'out_trade_no is missing' };
  const resultCode = field(fields, 'result_code');
  if (resultCode !== 'SUCCESS' && resultCode !== 'FAIL') return { ok: false, reason: `result_code is ${resultCode ?? 'missing'}` };
  const currency = field(fields, 'fee_type') || 'CNY'; // documented default
  if (!isCurrencyCode(currency)) return { ok: false, reason: `fee_type ${currency} is not a known currency` };
  const totalFeeText = field(fields, 'total_fee');
  const totalFee = parseFee(totalFeeText);
  if (totalFeeText !== undefined && totalFee === null) return { ok: false, reason: 'total_fee is not an integer amount' };
  const transactionId = field(fields, 'transaction_id') || null;
  if (resultCode === 'SUCCESS' && (transactionId === null || totalFee === null)) {
    return { ok: false, reason: 'a SUCCESS notification needs transaction_id and total_fee' };
  }
  const claim: NotificationClaim = {
    orderNo,
    // WeChat notifies payments; a FAIL result is not documented as final, so it is only a reason to query.
    status: resultCode === 'SUCCESS' ? 'paid' : 'pending',
    amountMinor: totalFee,
    currency: totalFee === null ? null : currency,
    providerTxnId: transactionId,
    dedupeKey: `${transactionId ?? orderNo}:${resultCode}`,
  };
  return { ok: true, claim };
}

/** The account ids the notification names must be the merchant's (sub-merchant fields only where it has them). */
function accountProblem(fields: WireFields, credentials: WeChatPayCredentials): string | null {
  const expected: ReadonlyArray<readonly [string, string | undefined]> = [
    ['appid', credentials.appId],
    ['mch_id', credentials.mchId],
    ['sub_mch_id', credentials.subMchId],
  ];
  for (const [name, value] of expected) {
    const got = field(fields, name) ?? '';
    if (got !== (value ?? '')) return got === '' ? `${name} is missing` : `${name} ${got} is not this merchant's`;
  }
  const subAppId = field(fields, 'sub_appid') ?? '';
  if (subAppId !== '' && subAppId !== credentials.subAppId) return `sub_appid ${subAppId} is not this merchant's`;
  return null;
}

export function verifyWeChatPayNotification(request: NotificationRequest, context: AdapterContext<WeChatPayCredentials>): NotificationCheck {
  const parsed = fieldsOf(request.body);
  if (!parsed.ok) return parsed;
  const { fields } = parsed;
  if (!field(fields, 'sign')) return { ok: false, reason: 'the notification is not signed (no sign)' };
  const signType = parseSignType(field(fields, 'sign_type'));
  if (signType === null) return { ok: false, reason: 'sign_type is neither MD5 nor HMAC-SHA256' };
  const account = accountProblem(fields, context.credentials);
  if (account !== null) return { ok: false, reason: account };
  if (!verifyFields(fields, context.credentials.apiKey, signType)) {
    return { ok: false, reason: `the ${signType} signature does not verify with the merchant's API key` };
  }
  return { ok: true };
}

export function weChatPayNotifyAnswer(acknowledged: boolean): NotificationAnswer {
  return { status: 200, contentType: 'text/xml; charset=utf-8', body: acknowledged ? WECHATPAY_NOTIFY_ACK : WECHATPAY_NOTIFY_NACK };
}

/** Whether an answer to a notification is WeChat's idea of an acknowledgement (what the simulator checks). */
export function isWeChatPayNotifyAck(status: number, body: string): boolean {
  if (status !== 200) return false;
  const parsed = fieldsOf(body);
  return parsed.ok && field(parsed.fields, 'return_code') === 'SUCCESS';
}

export const wechatPayNotifications: NotificationReceiver<WeChatPayCredentials> = {
  read: readWeChatPayNotification,
  verify: (request, _claim, context) => verifyWeChatPayNotification(request, context),
  answer: (acknowledged) => weChatPayNotifyAnswer(acknowledged),
};
