/**
 * Converge answers as data: which error codes leave money in doubt, the
 * error texts the simulator answers with, and the blueprint failure code of
 * every definite refusal.
 *
 * Sources: Converge "Error Codes" (developer.elavon.com/na/docs/converge/
 * 1.0.0/integration-guide/api_reference/error_codes) for 3000–4025;
 * ActiveMerchant's elavon_test.rb fixtures for 4025, 5000, 5004, 5040, 5091;
 * the `elavon` Elixir client's tests for 5005, 5021 and the duplicate-sale
 * decline ("Declined - Transaction previously authorized"). The names of
 * 5001/5002 are as client code matches them; their messages are paraphrased.
 */
import type { FailureCode } from '../../domain/failures.js';

export interface ConvergeError {
  readonly code: string;
  readonly name: string;
  readonly message: string;
}

/** The errors the simulator answers with, by code. */
export const CONVERGE_ERRORS = {
  gatewayNotResponding: { code: '3000', name: 'Gateway not responding', message: 'Error, no response.' },
  vidNotSupplied: { code: '4000', name: 'VID Not Supplied', message: 'The Converge ID was not supplied in the authorization request.' },
  cvv2NotRequested: { code: '4006', name: 'CVV2 Not Requested With Data', message: 'The CVV2 indicator was not identified in the authorization request.' },
  cvv2NoData: { code: '4007', name: 'CVV2 Requested But No Data', message: 'The CVV2 request failed due to missing one or more pieces of required data.' },
  requiredField: { code: '4009', name: 'Required Field Not Supplied', message: 'One or more required fields were not included.' },
  invalidTransactionType: { code: '4010', name: 'Invalid Transaction Type', message: 'The authorization request included an invalid Transaction Type' },
  pinNotSupplied: { code: '4013', name: 'PIN Not Supplied', message: 'The PIN was not supplied in the authorization request.' },
  notPermitted: { code: '4014', name: 'Not Permitted', message: 'This terminal or user ID is not permitted to process this transaction type.' },
  permissionDenied: { code: '4016', name: 'Permission Denied', message: 'This account does not have permission to process this transaction.' },
  userIdNotSupplied: { code: '4019', name: 'User ID not supplied', message: 'The User ID was not supplied in the authorization request.' },
  invalidCredentials: { code: '4025', name: 'Invalid Credentials', message: 'The credentials supplied in the authorization request are invalid.' },
  cardNumberInvalid: {
    code: '5000',
    name: 'Credit Card Number Invalid',
    message: 'The Credit Card Number supplied in the authorization request appears to be invalid.',
  },
  expDateInvalid: {
    code: '5001',
    name: 'Exp Date Invalid',
    message: 'The Credit Card Expiration Date supplied in the authorization request appears to be invalid.',
  },
  amountInvalid: { code: '5002', name: 'Amount Invalid', message: 'The amount supplied in the authorization request appears to be invalid.' },
  fieldTooLong: { code: '5005', name: 'Field Character Limit Exceeded', message: 'A field value exceeds its maximum length.' },
  cvv2Invalid: {
    code: '5021',
    name: 'Invalid CVV2 Value',
    message: 'The value for the CVV2 (ssl_cvv2cvc2) field should either be 3 or 4 digits in length.  This value must be Numeric.',
  },
  invalidTransactionId: { code: '5040', name: 'Invalid Transaction ID', message: 'The transaction ID is invalid for this transaction type' },
  refundExceedsSale: {
    code: '5091',
    name: 'Invalid amount',
    message: 'The amount exceeded the original transaction amount. Amount must be equal or lower than the original transaction amount.',
  },
  invalidRequestFormat: { code: '6042', name: 'Invalid Request Format', message: 'XML request is not well-formed or request is incomplete.' },
} as const satisfies Record<string, ConvergeError>;

/**
 * Error codes after which Converge may or may not have processed the
 * transaction: the gateway or processor failed mid-way (3000–3003), timed
 * out (4017) or was unavailable (4022). The caller must query. Every other
 * error code is a validation error: the transaction was not processed.
 */
const DOUBTFUL_ERROR_CODES: ReadonlySet<string> = new Set(['3000', '3001', '3002', '3003', '4017', '4022']);

export function errorLeavesMoneyInDoubt(code: string): boolean {
  return DOUBTFUL_ERROR_CODES.has(code);
}

/**
 * A decline saying the same sale was already approved (Converge's duplicate
 * check): the money did move, under the earlier attempt. Never a refusal.
 */
export function isDuplicateDecline(resultMessage: string): boolean {
  return /previously authorized|duplicate/i.test(resultMessage);
}

/** Adapter-generated: no approved sale carries this order number at Converge. */
export const SALE_NOT_FOUND = 'SALE_NOT_FOUND';

/**
 * Provider code → blueprint failure code. Declines carry Converge's
 * `ssl_result_message` (issuer response text), errors their `errorCode`.
 * Anything not listed is `unknown_failure`.
 */
export const CARD_FAILURE_CODES: ReadonlyMap<string, FailureCode> = new Map<string, FailureCode>([
  // Declines (ssl_result_message)
  ['INSUFFICIENT FUNDS', 'customer_insufficient_balance_failure'],
  ['DECLINED', 'card_failure'],
  ['DECLINED CVV2', 'card_failure'],
  ['EXPIRED CARD', 'card_failure'],
  ['PICK UP CARD', 'card_failure'],
  ['INVALID CARD', 'card_failure'],
  ['CALL AUTH. CENTER', 'card_failure'],
  ['SERV NOT ALLOWED', 'customer_not_allowed_to_pay_failure'],
  // Errors (errorCode)
  ['4014', 'refund_not_allowed_failure'], // "Not Permitted" for this transaction type: refunds of test value 59
  ['4016', 'merchant_not_allowed_to_sell_failure'],
  ['4025', 'payment_gateway_failure'], // our credentials are wrong: nothing the shopper can fix
  ['5000', 'card_failure'],
  ['5001', 'card_failure'],
  ['5021', 'card_failure'],
  ['5040', 'sale_not_found_failure'],
  ['5091', 'refund_exceeds_sale_amount_failure'],
  [SALE_NOT_FOUND, 'sale_not_found_failure'],
]);

export function mapCardFailure(code: string): FailureCode {
  return CARD_FAILURE_CODES.get(code) ?? 'unknown_failure';
}
