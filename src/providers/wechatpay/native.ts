/**
 * Pure transformers of WeChat Pay v2 Native payments (the merchant shows a QR,
 * the customer scans it): `/pay/unifiedorder` with `trade_type=NATIVE` →
 * `code_url`, and `/pay/closeorder`. Queries and refunds are the same calls as
 * for micropay orders (transformers.ts).
 *
 * Fields per WeChat's "统一下单" / "Unified Order" and "关闭订单" pages
 * (pay.weixin.qq.com/wiki/doc/api/native.php?chapter=9_1 and chapter=9_3).
 */
import { chinaTime } from '../china-time.js';
import type { CloseOutcome, OrderOutcome, OrderRequest } from '../contract.js';
import { classifyUnifiedOrderError, closeOrderErrorOutcome } from './errors.js';
import { businessResult, cleanText, commonFields, type MerchantIdentity } from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';
import { field, type WireFields } from './xml.js';

/** unifiedorder `body` is String(127) (was 128 in older versions of the page). */
const BODY_MAX_CHARS = 127;

export function unifiedOrderFields(merchant: MerchantIdentity, nonce: string, request: OrderRequest): Record<string, string> {
  const body = cleanText(request.description, BODY_MAX_CHARS).trim();
  const fields: Record<string, string> = {
    ...commonFields(merchant, nonce),
    body: body === '' ? `Order ${request.orderNo}` : body,
    out_trade_no: request.orderNo,
    total_fee: String(request.money.amount), // integer, in the currency's minor unit
    fee_type: request.money.currency,
    spbill_create_ip: '127.0.0.1', // Native: "the IP of the machine calling the API"
    trade_type: 'NATIVE',
    product_id: request.orderNo, // required for NATIVE; the merchant's own id of what the QR sells (String(32))
    // Truncated to the second: the code stops working no later than CanCan's deadline.
    time_expire: chinaTime(request.expiresAt),
  };
  // Required by WeChat: CanCan's notification route (notify-url.ts). Never a made-up host; without one WeChat refuses the order.
  if (request.notifyUrl !== null) fields['notify_url'] = request.notifyUrl;
  return fields;
}

export function closeOrderFields(merchant: MerchantIdentity, nonce: string, orderNo: string): Record<string, string> {
  return { ...commonFields(merchant, nonce), out_trade_no: orderNo };
}

export function toOrderOutcome(fields: WireFields): OrderOutcome {
  const result = businessResult(fields);
  switch (result.kind) {
    case 'rejected':
      return result;
    case 'unreadable':
      return { kind: 'unknown', reason: result.reason, code: null };
    case 'success': {
      const tradeType = field(fields, 'trade_type');
      if (tradeType !== undefined && tradeType !== 'NATIVE') return { kind: 'unknown', reason: `unexpected trade_type ${tradeType}`, code: null };
      const codeUrl = field(fields, 'code_url');
      if (codeUrl === undefined || codeUrl === '') return { kind: 'unknown', reason: 'answer has no code_url', code: null };
      return { kind: 'created', qrCode: codeUrl, payForm: null };
    }
    case 'failed': {
      const errorClass = classifyUnifiedOrderError(result.errCode);
      switch (errorClass) {
        case 'unknown':
        case 'awaiting_customer':
          return { kind: 'unknown', reason: result.message, code: result.errCode };
        case 'definite':
          return { kind: 'declined', code: result.errCode, message: result.message };
        default:
          return assertNever(errorClass);
      }
    }
    default:
      return assertNever(result);
  }
}

export function toCloseOutcome(fields: WireFields): CloseOutcome {
  const result = businessResult(fields);
  switch (result.kind) {
    case 'rejected':
      return result;
    case 'unreadable':
      return { kind: 'unknown', reason: result.reason };
    case 'success':
      return { kind: 'closed' };
    case 'failed': {
      const outcome = closeOrderErrorOutcome(result.errCode);
      switch (outcome) {
        case 'already_paid':
          return { kind: 'already_paid' };
        case 'closed':
          return { kind: 'closed' };
        case 'retry':
          return { kind: 'retry', reason: `${result.errCode}: ${result.message}` };
        case null:
          return { kind: 'declined', code: result.errCode, message: result.message };
        default:
          return assertNever(outcome);
      }
    }
    default:
      return assertNever(result);
  }
}
