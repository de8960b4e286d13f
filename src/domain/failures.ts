/** The blueprint's closed list of failure codes. */
export const FAILURE_CODES = [
  'bank_failure',
  'card_failure',
  'customer_insufficient_balance_failure',
  'customer_not_allowed_to_pay_failure',
  'payment_feature_disabled_failure',
  'merchant_insufficient_balance_failure',
  'merchant_not_allowed_to_sell_failure',
  'payment_auth_key_failure',
  'payment_gateway_failure',
  'payment_password_failure',
  'refund_exceeds_sale_amount_failure',
  'refund_not_allowed_failure',
  'sale_not_found_failure',
  'transaction_id_failure',
  'unknown_failure',
  'void_not_allowed_failure',
  // Additive (docs/api.md, "Creating a transaction"): a sale voided while it was still pending.
  'sale_voided_failure',
  // Additive: a hosted-checkout charge whose payment page expired unpaid (the shopper was never asked for a password).
  'checkout_expired_failure',
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];

const FAILURE_MESSAGES: Record<FailureCode, string> = {
  bank_failure: 'System has failed while communicating with the bank',
  card_failure: 'System has failed while charging the card',
  customer_insufficient_balance_failure: 'Customer has insufficient balance',
  customer_not_allowed_to_pay_failure: 'Customer is not allowed to pay',
  payment_feature_disabled_failure: 'Payment feature is disabled by the customer',
  merchant_insufficient_balance_failure: 'Merchant has insufficient balance',
  merchant_not_allowed_to_sell_failure: 'Merchant is not allowed to sell',
  payment_auth_key_failure: 'Payment authorization key is incorrect or expired',
  payment_gateway_failure: 'Payment Gateway Failure',
  payment_password_failure: 'User is required to enter payment password',
  refund_exceeds_sale_amount_failure: 'Refund amount exceeds sale amount',
  refund_not_allowed_failure: 'Refund for this transaction is not allowed',
  sale_not_found_failure: 'Sale Not Found',
  transaction_id_failure: 'Transaction ID is in incorrect format or not unique',
  unknown_failure: 'Unknown Failure',
  void_not_allowed_failure: 'Void for this transaction is not allowed',
  sale_voided_failure: 'Sale was voided before it completed',
  checkout_expired_failure: 'The payment page expired before the shopper paid',
};

/** A failure as stored on a transaction. */
export interface Failure {
  readonly code: FailureCode;
  readonly detail: string;
}

export function failure(code: FailureCode, detail?: string): Failure {
  return { code, detail: detail ?? FAILURE_MESSAGES[code] };
}
