/**
 * Alipay+ (Antom AMS) result codes as data: which blueprint failure code each
 * definite refusal becomes. Codes from the Antom API references' "Result/Error
 * codes" and "Payment result codes" tables (pay, inquiryPayment, cancel,
 * refund, inquiryRefund; docs.antom.com/ac/ams/...).
 *
 * `result.resultStatus` says how sure an answer is: S success, F definite
 * failure, U unknown (PAYMENT_IN_PROCESS, UNKNOWN_EXCEPTION,
 * REQUEST_TRAFFIC_EXCEED_LIMIT, REFUND_IN_PROCESS, ...). Only F is ever read
 * as a refusal.
 */
import type { FailureCode } from '../../domain/failures.js';

/** Provider code (resultCode or paymentResultCode) → blueprint failure code. */
const ALIPAYPLUS_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  // The customer's balance and limits.
  ['USER_BALANCE_NOT_ENOUGH', 'customer_insufficient_balance_failure'],
  ['USER_AMOUNT_EXCEED_LIMIT', 'customer_not_allowed_to_pay_failure'],
  ['USER_STATUS_ABNORMAL', 'customer_not_allowed_to_pay_failure'],
  ['USER_NOT_EXIST', 'customer_not_allowed_to_pay_failure'],
  ['USER_KYC_NOT_QUALIFIED', 'customer_not_allowed_to_pay_failure'],
  ['RISK_REJECT', 'customer_not_allowed_to_pay_failure'],
  ['USER_PAYMENT_VERIFICATION_FAILED', 'payment_password_failure'],
  // The customer never confirmed in the wallet (test value 54, then cancelled or expired).
  ['PAYMENT_IN_PROCESS', 'payment_password_failure'],
  // The merchant's contract, account and permissions.
  ['ACCESS_DENIED', 'merchant_not_allowed_to_sell_failure'],
  ['INVALID_CONTRACT', 'merchant_not_allowed_to_sell_failure'],
  ['MERCHANT_NOT_REGISTERED', 'merchant_not_allowed_to_sell_failure'],
  ['INVALID_MERCHANT_STATUS', 'merchant_not_allowed_to_sell_failure'],
  ['PAYMENT_AMOUNT_EXCEED_LIMIT', 'merchant_not_allowed_to_sell_failure'],
  ['PAYMENT_COUNT_EXCEED_LIMIT', 'merchant_not_allowed_to_sell_failure'],
  ['CURRENCY_NOT_SUPPORT', 'merchant_not_allowed_to_sell_failure'],
  ['UNAVAILABLE_PAYMENT_METHOD', 'merchant_not_allowed_to_sell_failure'],
  ['INVALID_CLIENT', 'merchant_not_allowed_to_sell_failure'],
  ['KEY_NOT_FOUND', 'merchant_not_allowed_to_sell_failure'],
  ['INVALID_SIGNATURE', 'merchant_not_allowed_to_sell_failure'],
  ['MERCHANT_BALANCE_NOT_ENOUGH', 'merchant_insufficient_balance_failure'],
  // paymentRequestId / refundRequestId reused with other details, or malformed.
  ['REPEAT_REQ_INCONSISTENT', 'transaction_id_failure'],
  // The payment can never happen: closed (expired), cancelled.
  ['ORDER_IS_CLOSED', 'payment_gateway_failure'],
  ['ORDER_IS_CANCELED', 'payment_gateway_failure'],
  ['CANCELLED', 'payment_gateway_failure'],
  ['ORDER_NOT_EXIST', 'sale_not_found_failure'],
  // Refunds.
  ['REFUND_AMOUNT_EXCEED', 'refund_exceeds_sale_amount_failure'],
  ['REFUND_WINDOW_EXCEED', 'refund_not_allowed_failure'],
  ['REFUND_NOT_ALLOWED', 'refund_not_allowed_failure'],
  ['MULTI_REFUND_NOT_ALLOWED', 'refund_not_allowed_failure'],
  ['ORDER_STATUS_INVALID', 'refund_not_allowed_failure'],
  // Cancels.
  ['CANCEL_WINDOW_EXCEED', 'void_not_allowed_failure'],
]);

export function mapAlipayPlusFailure(code: string): FailureCode {
  return ALIPAYPLUS_FAILURE_CODES.get(code) ?? 'unknown_failure';
}
