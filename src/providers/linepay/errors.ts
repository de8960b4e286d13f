/**
 * LINE Pay `returnCode`s as data (docs/providers.md, "LINE Pay"; LINE Pay API
 * documents, "Return codes"): how sure each answer is, and which blueprint
 * failure code each definite refusal becomes.
 */
import type { FailureCode } from '../../domain/failures.js';

export const SUCCESS_CODE = '0000';

/**
 * What an answer tells about money:
 * - `success`: done.
 * - `unknown`: LINE Pay could not say; check the order before deciding anything.
 * - `awaiting_customer`: the customer must confirm in the LINE app.
 * - `definite`: a refusal; nothing happened.
 */
export type ReturnCodeClass = 'success' | 'unknown' | 'awaiting_customer' | 'definite';

/** Codes that are not definite refusals. Anything else that is not 0000 is definite. */
const RETURN_CODE_CLASSES: ReadonlyMap<string, ReturnCodeClass> = new Map<string, ReturnCodeClass>([
  [SUCCESS_CODE, 'success'],
  ['1145', 'unknown'], // payment in process
  ['1198', 'unknown'], // request (a duplicate call) is being processed
  ['9000', 'unknown'], // internal error
  // "Existing same orderId": the order may well be paid (a re-sent pay call), so check it rather than fail it.
  ['1172', 'unknown'],
  ['1169', 'awaiting_customer'], // the customer must confirm (choose a method / enter the password) in LINE Pay
]);

export function classifyReturnCode(returnCode: string): ReturnCodeClass {
  return RETURN_CODE_CLASSES.get(returnCode) ?? 'definite';
}

/** The check API's "no such order": the pay call never reached LINE Pay or was refused. */
export const NO_SUCH_TRANSACTION = '1150';
/** Refund API: "already refunded" (nothing left to refund). */
export const ALREADY_REFUNDED = '1165';
/** Parameter error; also what CanCan answers itself for a TWD amount with a minor part. */
export const PARAMETER_ERROR = '2101';
/** Header (credentials) error: LINE Pay refused the request before looking at it. */
export const HEADER_ERROR = '1106';
/**
 * CanCan's own code for a payment LINE Pay completed with another total
 * (info.payInfo[].amount) than the amount asked; the payment is refunded.
 */
export const AMOUNT_MISMATCH = 'AMOUNT_MISMATCH';
/** The simulator's answer to a void of a captured payment (LINE Pay wants a refund there). */
export const VOID_NOT_ALLOWED = '1179';

/**
 * Provider code → blueprint failure code. Anything not listed is
 * `unknown_failure` (the caller keeps LINE Pay's message as the detail).
 * A malformed oneTimeKey is answered with 1180 by LINE Pay (and the simulator), so it is covered by 1180.
 */
export const LINEPAY_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  ['1142', 'customer_insufficient_balance_failure'], // insufficient balance
  ['1180', 'payment_auth_key_failure'], // payment time expired / oneTimeKey invalid
  ['1101', 'customer_not_allowed_to_pay_failure'], // purchaser status error
  ['1102', 'customer_not_allowed_to_pay_failure'], // purchaser cannot transact (locked)
  ['1104', 'merchant_not_allowed_to_sell_failure'], // merchant not found
  ['1105', 'merchant_not_allowed_to_sell_failure'], // merchant cannot use LINE Pay
  ['1110', 'card_failure'], // credit card cannot be used
  ['1280', 'card_failure'], // temporary credit card error
  ['1281', 'card_failure'], // credit card payment error
  ['1282', 'card_failure'], // credit card authorization error
  ['1172', 'transaction_id_failure'], // existing same orderId
  ['1150', 'sale_not_found_failure'], // transaction record not found
  ['1155', 'refund_not_allowed_failure'], // transaction cannot be refunded
  ['1163', 'refund_not_allowed_failure'], // refund period over
  ['1164', 'refund_exceeds_sale_amount_failure'], // refund amount exceeds the refundable amount
  ['1165', 'refund_not_allowed_failure'], // already refunded
  ['1179', 'void_not_allowed_failure'], // status cannot be processed (void of a captured payment)
  // The customer never confirmed in the app and the order was voided (test value 54).
  ['1169', 'payment_password_failure'],
]);

export function mapLinePayFailure(code: string): FailureCode {
  return LINEPAY_FAILURE_CODES.get(code) ?? 'unknown_failure';
}
