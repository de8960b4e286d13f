/**
 * WeChat Pay v2 error codes as data: how sure each answer is, and which
 * blueprint failure code each definite refusal becomes.
 */
import type { FailureCode } from '../../domain/failures.js';

/**
 * How much an `err_code` tells about money:
 * - `unknown`: the provider could not say; the caller must query (orderquery) before deciding.
 * - `awaiting_customer`: the customer must confirm in the wallet (enter a password).
 * - `definite`: a refusal; no money moved.
 */
export type ErrorClass = 'unknown' | 'awaiting_customer' | 'definite';

/**
 * micropay. SYSTEMERROR and BANKERROR mean "query" (docs/providers.md, "WeChat Pay: answers").
 * ORDERPAID is documented as definite, but it means a payment with this
 * out_trade_no already exists, so the caller queries it rather than failing
 * a sale that may well be paid.
 */
const MICROPAY_ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['SYSTEMERROR', 'unknown'],
  ['BANKERROR', 'unknown'],
  ['ORDERPAID', 'unknown'],
  ['USERPAYING', 'awaiting_customer'],
]);

/** reverse: a system error means "call reverse again later"; nothing is known until then. */
const REVERSE_ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([['SYSTEMERROR', 'unknown']]);

/**
 * refund: the provider asks for a retry with the same out_refund_no
 * (FREQUENCY_LIMITED: refunds of orders older than two months are rate-limited, "retry later").
 */
const REFUND_ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['SYSTEMERROR', 'unknown'],
  ['BIZERR_NEED_RETRY', 'unknown'],
  ['FREQUENCY_LIMITED', 'unknown'],
]);

/**
 * unifiedorder: SYSTEMERROR asks for the same call again with the same
 * parameters; ORDERPAID means this out_trade_no is already paid, so the
 * caller queries it rather than failing an order that may well be paid.
 */
const UNIFIED_ORDER_ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['SYSTEMERROR', 'unknown'],
  ['ORDERPAID', 'unknown'],
]);

/**
 * closeorder err_code → close outcome (WeChat "关闭订单" error codes): ORDERPAID
 * "treat it as a normally paid order"; ORDERCLOSED "no need to call again";
 * SYSTEMERROR "call the API again". ORDERNOTEXIST: WeChat never created the
 * order, so no code_url exists that anyone could pay. Anything else is a
 * definite refusal.
 */
export type CloseErrorOutcome = 'already_paid' | 'closed' | 'retry';

const CLOSE_ORDER_ERROR_OUTCOMES: ReadonlyMap<string, CloseErrorOutcome> = new Map<string, CloseErrorOutcome>([
  ['ORDERPAID', 'already_paid'],
  ['ORDERCLOSED', 'closed'],
  ['ORDERNOTEXIST', 'closed'],
  ['SYSTEMERROR', 'retry'],
]);

export function classifyUnifiedOrderError(errCode: string): ErrorClass {
  return UNIFIED_ORDER_ERROR_CLASSES.get(errCode) ?? 'definite';
}

export function closeOrderErrorOutcome(errCode: string): CloseErrorOutcome | null {
  return CLOSE_ORDER_ERROR_OUTCOMES.get(errCode) ?? null;
}

export function classifyMicropayError(errCode: string): ErrorClass {
  return MICROPAY_ERROR_CLASSES.get(errCode) ?? 'definite';
}

export function classifyReverseError(errCode: string): ErrorClass {
  return REVERSE_ERROR_CLASSES.get(errCode) ?? 'definite';
}

export function classifyRefundError(errCode: string): ErrorClass {
  return REFUND_ERROR_CLASSES.get(errCode) ?? 'definite';
}

/** Provider code → blueprint failure code. Anything not listed is `unknown_failure`. */
export const WECHAT_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  ['NOTENOUGH', 'customer_insufficient_balance_failure'],
  ['AUTHCODEEXPIRE', 'payment_auth_key_failure'],
  ['AUTH_CODE_INVALID', 'payment_auth_key_failure'],
  ['AUTH_CODE_ERROR', 'payment_auth_key_failure'],
  ['OUT_TRADE_NO_USED', 'transaction_id_failure'],
  ['BUYER_MISMATCH', 'customer_not_allowed_to_pay_failure'],
  ['NOAUTH', 'merchant_not_allowed_to_sell_failure'],
  ['NOTSUPORTCARD', 'card_failure'], // sic: WeChat's spelling
  ['BANKERROR', 'bank_failure'],
  ['TRADE_OVERDUE', 'refund_not_allowed_failure'],
  ['ORDERREVERSED', 'payment_gateway_failure'],
  ['ORDERCLOSED', 'payment_gateway_failure'],
  // The customer never entered the password and the order was reversed (test value 54).
  ['USERPAYING', 'payment_password_failure'],
]);

export function mapWeChatFailure(code: string): FailureCode {
  return WECHAT_FAILURE_CODES.get(code) ?? 'unknown_failure';
}

/**
 * Refund (申请退款) and refund query err_codes → failure codes. The same code
 * means another thing on a refund: NOTENOUGH is the merchant's refundable
 * balance ("余额不足": top up the account), not the customer's.
 */
export const WECHAT_REFUND_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  ['NOTENOUGH', 'merchant_insufficient_balance_failure'],
  ['TRADE_OVERDUE', 'refund_not_allowed_failure'], // past the refund period (a year)
  ['ERROR', 'refund_not_allowed_failure'], // the order's state allows no refund (e.g. refunded in full)
  ['USER_ACCOUNT_ABNORMAL', 'refund_not_allowed_failure'], // the customer's account is closed: refund off-line
  ['ORDERNOTEXIST', 'sale_not_found_failure'],
  ['INVALID_TRANSACTIONID', 'sale_not_found_failure'],
  ['NOAUTH', 'merchant_not_allowed_to_sell_failure'],
  ['INVALID_REQ_TOO_MUCH', 'payment_gateway_failure'],
  ['PARAM_ERROR', 'payment_gateway_failure'],
  ['REFUNDCLOSE', 'refund_not_allowed_failure'], // refundquery: WeChat closed the refund
  ['CHANGE', 'bank_failure'], // refundquery: the money could not reach the customer's bank account
]);

export function mapWeChatRefundFailure(code: string): FailureCode {
  return WECHAT_REFUND_FAILURE_CODES.get(code) ?? 'unknown_failure';
}
