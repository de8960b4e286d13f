/**
 * Alipay asynchronous notifications ("异步通知", notify_type=trade_status_sync):
 * Alipay POSTs application/x-www-form-urlencoded parameters to the notify_url
 * of the order. Verification ("异步通知验签"): every parameter except `sign`
 * and `sign_type`, with its decoded value, sorted by name, joined as `k=v`
 * with `&`; SHA256withRSA (sign_type=RSA2) with the Alipay public key. The
 * merchant answers the bare text `success`; anything else makes Alipay resend
 * (4m, 10m, 10m, 1h, 2h, 6h, 15h).
 */
import { fromMajorUnitString, isCurrencyCode } from '../../domain/money.js';
import type { AdapterContext } from '../descriptor.js';
import type { NotificationAnswer, NotificationCheck, NotificationRead, NotificationReceiver, NotificationRequest } from '../notifications.js';
import type { AlipayCredentials } from './adapter.js';
import { signText, verifyText } from './sign.js';

export const ALIPAY_NOTIFY_ACK = 'success';
export const ALIPAY_NOTIFY_NACK = 'fail';

export type NotifyParams = Readonly<Record<string, string>>;

type Parsed = { readonly ok: true; readonly params: NotifyParams } | { readonly ok: false; readonly reason: string };

const STATUSES = { WAIT_BUYER_PAY: 'pending', TRADE_SUCCESS: 'paid', TRADE_FINISHED: 'paid', TRADE_CLOSED: 'closed' } as const;

/**
 * The form parameters, values decoded in the notification's `charset`
 * (utf-8, or gbk for apps set up that way). A name sent twice, or a
 * malformed escape, makes the body unreadable rather than ambiguous.
 */
export function parseNotifyForm(body: string): Parsed {
  const pairs: Array<[string, Uint8Array]> = [];
  let charset = 'utf-8';
  for (const part of body.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = percentDecode(equals < 0 ? part : part.slice(0, equals));
    const value = percentDecode(equals < 0 ? '' : part.slice(equals + 1));
    if (name === null || value === null) return { ok: false, reason: 'not a form-encoded body: malformed percent escape' };
    const nameText = new TextDecoder('utf-8').decode(name);
    if (pairs.some(([seen]) => seen === nameText)) return { ok: false, reason: `parameter ${nameText} is sent twice` };
    pairs.push([nameText, value]);
    if (nameText === 'charset') charset = new TextDecoder('utf-8').decode(value).toLowerCase();
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    return { ok: false, reason: `charset ${charset} is not supported` };
  }
  const params: Record<string, string> = {};
  try {
    for (const [name, value] of pairs) params[name] = decoder.decode(value);
  } catch {
    return { ok: false, reason: `a value is not valid ${charset}` };
  }
  return { ok: true, params };
}

/** `+` is a space, `%XX` a byte; null on a broken escape. */
function percentDecode(text: string): Uint8Array | null {
  const bytes: number[] = [];
  const source = Buffer.from(text.replace(/\+/g, ' '), 'utf8');
  for (let at = 0; at < source.length; at += 1) {
    const byte = source[at]!;
    if (byte !== 0x25) {
      bytes.push(byte);
      continue;
    }
    const hex = source.subarray(at + 1, at + 3).toString('latin1');
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    bytes.push(parseInt(hex, 16));
    at += 2;
  }
  return Uint8Array.from(bytes);
}

/** What Alipay signs in a notification: all parameters but `sign` and `sign_type`, sorted, `k=v` joined by `&`. */
export function notifySigningString(params: NotifyParams): string {
  return (
    Object.keys(params)
      .filter((name) => name !== 'sign' && name !== 'sign_type')
      // Plain code-unit comparison: Alipay sorts by ASCII, not by locale.
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => `${name}=${params[name] ?? ''}`)
      .join('&')
  );
}

/** `params` with `sign_type=RSA2` and `sign` added, as Alipay signs a notification (the simulator). */
export function signNotifyParams(params: NotifyParams, platformPrivateKeyPem: string): Record<string, string> {
  const unsigned: Record<string, string> = { ...params, sign_type: 'RSA2' };
  delete unsigned['sign'];
  return { ...unsigned, sign: signText(notifySigningString(unsigned), platformPrivateKeyPem) };
}

export function readAlipayNotification(request: NotificationRequest): NotificationRead {
  const parsed = parseNotifyForm(request.body);
  if (!parsed.ok) return parsed;
  const { params } = parsed;
  const notifyType = params['notify_type'];
  if (notifyType !== 'trade_status_sync') return { ok: false, reason: `notify_type is ${notifyType ?? 'missing'}, not trade_status_sync` };
  const notifyId = params['notify_id'] ?? '';
  if (notifyId === '') return { ok: false, reason: 'notify_id is missing' };
  const orderNo = params['out_trade_no'] ?? '';
  if (orderNo === '') return { ok: false, reason: 'out_trade_no is missing' };
  const tradeStatus = params['trade_status'] ?? '';
  const status = Object.hasOwn(STATUSES, tradeStatus) ? STATUSES[tradeStatus as keyof typeof STATUSES] : null;
  if (status === null) return { ok: false, reason: `trade_status ${tradeStatus || 'is missing'} is not a trade status` };
  // total_amount is in trans_currency (cross-border), else in yuan.
  const currency = params['trans_currency'] || 'CNY';
  if (!isCurrencyCode(currency)) return { ok: false, reason: `trans_currency ${currency} is not a known currency` };
  const totalAmount = params['total_amount'];
  let amountMinor: number | null = null;
  if (totalAmount !== undefined && totalAmount !== '') {
    try {
      amountMinor = fromMajorUnitString(totalAmount, currency).amount;
    } catch {
      return { ok: false, reason: `total_amount ${totalAmount} is not an amount in ${currency}` };
    }
  }
  return {
    ok: true,
    claim: {
      orderNo,
      status,
      amountMinor,
      currency: amountMinor === null ? null : currency,
      providerTxnId: params['trade_no'] || null,
      dedupeKey: notifyId,
    },
  };
}

export function verifyAlipayNotification(request: NotificationRequest, context: AdapterContext<AlipayCredentials>): NotificationCheck {
  const parsed = parseNotifyForm(request.body);
  if (!parsed.ok) return parsed;
  const { params } = parsed;
  const signature = params['sign'] ?? '';
  if (signature === '') return { ok: false, reason: 'the notification is not signed (no sign)' };
  const signType = params['sign_type'] || 'RSA2';
  if (signType !== 'RSA2') return { ok: false, reason: `sign_type ${signType} is not accepted: only RSA2` };
  const appId = params['app_id'] ?? '';
  if (appId !== context.credentials.appId) return { ok: false, reason: appId === '' ? 'app_id is missing' : `app_id ${appId} is not this merchant's` };
  if (!verifyText(notifySigningString(params), signature, context.credentials.alipayPublicKeyPem)) {
    return { ok: false, reason: 'the RSA2 signature does not verify with the Alipay public key' };
  }
  return { ok: true };
}

export function alipayNotifyAnswer(acknowledged: boolean): NotificationAnswer {
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: acknowledged ? ALIPAY_NOTIFY_ACK : ALIPAY_NOTIFY_NACK };
}

/** Alipay stops resending only on the exact body `success`. */
export function isAlipayNotifyAck(status: number, body: string): boolean {
  return status === 200 && body === ALIPAY_NOTIFY_ACK;
}

export const alipayNotifications: NotificationReceiver<AlipayCredentials> = {
  read: readAlipayNotification,
  verify: (request, _claim, context) => verifyAlipayNotification(request, context),
  answer: (acknowledged) => alipayNotifyAnswer(acknowledged),
};
