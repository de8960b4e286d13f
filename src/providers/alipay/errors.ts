/**
 * Alipay gateway codes and business sub_codes as data: how sure each answer
 * is, and which blueprint failure code each definite refusal becomes.
 *
 * Gateway `code` (Alipay "公共错误码"): 10000 success, 10003 waiting for the
 * customer (pay only), 20000 service unavailable (outcome unknown), 20001
 * insufficient token permissions, 40001 missing parameter, 40002 invalid
 * parameter or signature, 40004 business failure (see `sub_code`), 40006
 * insufficient permissions.
 */
import type { FailureCode } from '../../domain/failures.js';

export type GatewayCode = 'success' | 'awaiting_customer' | 'unavailable' | 'invalid_request' | 'business_failed' | 'no_permission';

const GATEWAY_CODES: ReadonlyMap<string, GatewayCode> = new Map<string, GatewayCode>([
  ['10000', 'success'],
  ['10003', 'awaiting_customer'],
  ['20000', 'unavailable'],
  ['20001', 'no_permission'],
  ['40001', 'invalid_request'],
  ['40002', 'invalid_request'],
  ['40004', 'business_failed'],
  ['40006', 'no_permission'],
]);

/** A gateway code this module knows, or null (which callers read as "unknown"). */
export function classifyGatewayCode(code: string | undefined): GatewayCode | null {
  return code === undefined ? null : (GATEWAY_CODES.get(code) ?? null);
}

/**
 * Sub-codes of requests Alipay refused before looking at them because of how
 * CanCan is set up with it (app id, keys, signature, certificates, the app's
 * permissions). Retrying cannot help until someone fixes the configuration.
 * Alipay sends some of them unsigned (it cannot sign for an app it does not know).
 */
const CONFIGURATION_SUB_CODES: ReadonlySet<string> = new Set([
  'isv.missing-app-id',
  'isv.invalid-app-id',
  'isv.app-unonline',
  'isv.missing-signature',
  'isv.invalid-signature',
  'isv.missing-signature-type',
  'isv.invalid-signature-type',
  'isv.missing-signature-key',
  'isv.invalid-signature-key',
  'isv.invalid-app-cert-sn',
  'isv.invalid-alipay-root-cert-sn',
  'isv.app-cert-sn-not-match',
  'isv.insufficient-isv-permissions',
]);

export function isConfigurationRefusal(subCode: string | undefined): boolean {
  return subCode !== undefined && CONFIGURATION_SUB_CODES.has(subCode);
}

/**
 * How much a 40004 `sub_code` tells about money:
 * - `unknown`: Alipay could not say; query before deciding anything.
 * - `definite`: a refusal; no money moved.
 */
export type SubCodeClass = 'unknown' | 'definite';

/**
 * alipay.trade.pay: ACQ.SYSTEM_ERROR means "query the trade" (Alipay's
 * bar-code payment guide). ACQ.TRADE_HAS_SUCCESS means a payment with this
 * out_trade_no already succeeded, so the caller queries it rather than
 * failing a sale that is in fact paid.
 */
const PAY_UNKNOWN_SUB_CODES: ReadonlySet<string> = new Set(['ACQ.SYSTEM_ERROR', 'aop.ACQ.SYSTEM_ERROR', 'ACQ.TRADE_HAS_SUCCESS']);

/** alipay.trade.cancel and alipay.trade.refund: a system error asks for the same call again. */
const RETRYABLE_SUB_CODES: ReadonlySet<string> = new Set(['ACQ.SYSTEM_ERROR', 'aop.ACQ.SYSTEM_ERROR']);

/**
 * alipay.trade.precreate: a system error asks for the same call again;
 * ACQ.TRADE_HAS_SUCCESS means this out_trade_no is already paid, so the
 * caller queries it.
 */
const PRECREATE_UNKNOWN_SUB_CODES: ReadonlySet<string> = PAY_UNKNOWN_SUB_CODES;

/**
 * alipay.trade.close sub_codes (the method's "业务错误码"):
 * - `closed`: ACQ.TRADE_NOT_EXIST. A precreated trade exists only once a
 *   buyer scans the code, and closing one nobody scanned answers this; field
 *   reports (V2EX "支付宝支付的关单逻辑", 2025) say the code then stops
 *   working, and with no trade nothing can have been paid.
 * - `not_waiting`: the trade is no longer waiting for the buyer (ACQ.TRADE_STATUS_ERROR
 *   "only a WAIT_BUYER_PAY trade can be closed", ACQ.REASON_ILLEGAL_STATUS,
 *   ACQ.REASON_TRADE_STATUS_INVALID): paid, or closed already. Only a query tells which.
 * - `retry`: a system error; call close again.
 * Anything else is a definite refusal.
 */
export type CloseSubCodeOutcome = 'closed' | 'not_waiting' | 'retry';

const CLOSE_SUB_CODE_OUTCOMES: ReadonlyMap<string, CloseSubCodeOutcome> = new Map<string, CloseSubCodeOutcome>([
  ['ACQ.TRADE_NOT_EXIST', 'closed'],
  ['ACQ.TRADE_STATUS_ERROR', 'not_waiting'],
  ['ACQ.REASON_ILLEGAL_STATUS', 'not_waiting'],
  ['ACQ.REASON_TRADE_STATUS_INVALID', 'not_waiting'],
  ['ACQ.SYSTEM_ERROR', 'retry'],
  ['aop.ACQ.SYSTEM_ERROR', 'retry'],
]);

export function classifyPrecreateSubCode(subCode: string): SubCodeClass {
  return PRECREATE_UNKNOWN_SUB_CODES.has(subCode) ? 'unknown' : 'definite';
}

export function closeSubCodeOutcome(subCode: string): CloseSubCodeOutcome | null {
  return CLOSE_SUB_CODE_OUTCOMES.get(subCode) ?? null;
}

export function classifyPaySubCode(subCode: string): SubCodeClass {
  return PAY_UNKNOWN_SUB_CODES.has(subCode) ? 'unknown' : 'definite';
}

export function classifyCancelSubCode(subCode: string): SubCodeClass {
  return RETRYABLE_SUB_CODES.has(subCode) ? 'unknown' : 'definite';
}

export function classifyRefundSubCode(subCode: string): SubCodeClass {
  return RETRYABLE_SUB_CODES.has(subCode) ? 'unknown' : 'definite';
}

/** Provider code (a sub_code, or a gateway code without one) → blueprint failure code. */
export const ALIPAY_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  // The customer's balance.
  ['ACQ.BUYER_BALANCE_NOT_ENOUGH', 'customer_insufficient_balance_failure'],
  ['ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH', 'customer_insufficient_balance_failure'],
  // The customer's payment code.
  ['ACQ.PAYMENT_AUTH_CODE_INVALID', 'payment_auth_key_failure'],
  // The customer may not pay (account state, limits, risk, same as seller, another buyer's code).
  ['ACQ.BUYER_NOT_ALLOWED', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.BUYER_SELLER_EQUAL', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.TRADE_BUYER_NOT_MATCH', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.BUYER_ENABLE_STATUS_FORBID', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT', 'customer_not_allowed_to_pay_failure'],
  ['ACQ.PAYMENT_REQUEST_HAS_RISK', 'customer_not_allowed_to_pay_failure'],
  // The customer switched face-to-face payments off in the wallet.
  ['ACQ.USER_FACE_PAYMENT_SWITCH_OFF', 'payment_feature_disabled_failure'],
  // The merchant's account, contract or permissions.
  ['ACQ.SELLER_BALANCE_NOT_ENOUGH', 'merchant_insufficient_balance_failure'],
  ['40006', 'merchant_not_allowed_to_sell_failure'],
  ['isv.insufficient-isv-permissions', 'merchant_not_allowed_to_sell_failure'],
  ['isv.insufficient-user-permissions', 'merchant_not_allowed_to_sell_failure'],
  ['ACQ.ACCESS_FORBIDDEN', 'merchant_not_allowed_to_sell_failure'],
  ['ACQ.SELLER_BEEN_BLOCKED', 'merchant_not_allowed_to_sell_failure'],
  ['ACQ.PARTNER_ERROR', 'merchant_not_allowed_to_sell_failure'],
  ['ACQ.BEYOND_PAY_RESTRICTION', 'merchant_not_allowed_to_sell_failure'],
  ['ACQ.BEYOND_PER_RECEIPT_RESTRICTION', 'merchant_not_allowed_to_sell_failure'],
  // out_trade_no / out_request_no reused with other parameters.
  ['ACQ.CONTEXT_INCONSISTENT', 'transaction_id_failure'],
  ['ACQ.DISCORDANT_REPEAT_REQUEST', 'transaction_id_failure'],
  // The trade was closed or cancelled before: this payment can never happen.
  ['ACQ.TRADE_HAS_CLOSE', 'payment_gateway_failure'],
  ['ACQ.TRADE_NOT_EXIST', 'sale_not_found_failure'],
  // Refunds.
  ['ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'refund_exceeds_sale_amount_failure'],
  ['ACQ.TRADE_NOT_ALLOW_REFUND', 'refund_not_allowed_failure'],
  ['ACQ.REASON_TRADE_REFUND_FEE_ERR', 'refund_not_allowed_failure'],
  ['ACQ.TRADE_HAS_FINISHED', 'refund_not_allowed_failure'],
  ['ACQ.TRADE_STATUS_ERROR', 'refund_not_allowed_failure'],
  ['ACQ.REASON_TRADE_BEEN_FREEZEN', 'refund_not_allowed_failure'], // sic: Alipay's spelling
  ['ACQ.ONLINE_TRADE_VOUCHER_NOT_ALLOW_REFUND', 'refund_not_allowed_failure'],
  // Cancels are accepted for 24 hours only.
  ['ACQ.TRADE_CANCEL_TIME_OUT', 'void_not_allowed_failure'],
  // The customer never confirmed in the wallet and the trade was cancelled (test value 54).
  ['10003', 'payment_password_failure'],
]);

export function mapAlipayFailure(code: string): FailureCode {
  return ALIPAY_FAILURE_CODES.get(code) ?? 'unknown_failure';
}
