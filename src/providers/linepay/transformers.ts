/**
 * Pure LINE Pay offline API transformers: domain requests → JSON bodies,
 * parsed answers → contract outcomes. No HTTP, no clock, no secrets.
 *
 * Every answer is `{"returnCode": "0000", "returnMessage": "...", "info": {...}}`
 * (HTTP 200 even for refusals). A missing or unexpected value is never read
 * as a refusal: it is `unknown`.
 */
import type { PayOutcome, PayRequest, QueryOutcome, RefundOutcome, RefundQueryOutcome, ReverseOutcome } from '../contract.js';
import { fromMajorUnitNumber, money, toMajorUnitNumber, type Money } from '../../domain/money.js';
import { ALREADY_REFUNDED, NO_SUCH_TRANSACTION, PARAMETER_ERROR, SUCCESS_CODE, classifyReturnCode } from './errors.js';
import { isJsonObject, member, numberMember, stringMember, type JsonObject, type JsonWritable } from './json.js';
import { assertNever } from '../../domain/assert-never.js';
import { fitsAuthCodeShape } from '../auth-code-shape.js';
import type { AuthCodeShape } from '../descriptor.js';
import type { LinePayApiVersion } from './version.js';

export type LinePayRegion = 'TH' | 'TW';

/** The check API's `info.status` values (Payment Status Check API). */
const CHECK_STATUSES = ['COMPLETE', 'FAIL', 'REFUND'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** productName: "Max length: 4,000". */
const PRODUCT_NAME_MAX_CHARS = 4000;
const DEFAULT_PRODUCT_NAME = 'Purchase';
/** The one package of a v4 pay body. */
const PACKAGE_ID = '1';

// ---------------------------------------------------------------- requests

/** oneTimeKey lengths by country: TH (and Global) 12 digits, TW 18 (JP 19 is not served); the gateways' `authCodeShape`. */
export const LINEPAY_ONE_TIME_KEY_SHAPES: Readonly<Record<LinePayRegion, AuthCodeShape>> = {
  TH: { minDigits: 12, maxDigits: 12 },
  TW: { minDigits: 18, maxDigits: 18 },
};

export function isOneTimeKey(region: LinePayRegion, key: string): boolean {
  return fitsAuthCodeShape(LINEPAY_ONE_TIME_KEY_SHAPES[region], key);
}

/** A LINE Pay `amount`, or why CanCan refuses to send one. */
export type AmountResult = { readonly kind: 'amount'; readonly amount: number } | { readonly kind: 'refused'; readonly code: string; readonly message: string };

/**
 * Minor units → LINE Pay's JSON number in major units (10053 THB → 100.53).
 * LINE Pay takes whole TWD: a TWD amount with cents is refused, never rounded.
 */
export function linePayAmount(value: Money): AmountResult {
  if (value.currency === 'TWD' && value.amount % 100 !== 0) {
    return { kind: 'refused', code: PARAMETER_ERROR, message: 'LINE Pay takes whole TWD amounts; this one has a non-zero minor part' };
  }
  try {
    return { kind: 'amount', amount: toMajorUnitNumber(value) };
  } catch (error) {
    return { kind: 'refused', code: PARAMETER_ERROR, message: error instanceof Error ? error.message : 'amount cannot be sent' };
  }
}

/**
 * Body of POST /{version}/payments/oneTimeKeys/pay, in that version's shape
 * (version.ts). Capture is LINE Pay's default (true): authorize and capture at once.
 */
export function payBody(version: LinePayApiVersion, request: PayRequest, amount: number): JsonWritable {
  const name = Array.from(request.description.replace(/\p{Cc}/gu, ' ').trim())
    .slice(0, PRODUCT_NAME_MAX_CHARS)
    .join('');
  const productName = name === '' ? DEFAULT_PRODUCT_NAME : name;
  switch (version) {
    case 'v2':
      return { productName, amount, currency: request.money.currency, orderId: request.orderNo, oneTimeKey: request.authCode, capture: true };
    case 'v4':
      return {
        amount,
        currency: request.money.currency,
        orderId: request.orderNo,
        oneTimeKey: request.authCode,
        // One package of one product: a POS sale has a description, not a basket.
        packages: [{ id: PACKAGE_ID, amount, products: [{ name: productName, quantity: 1, price: amount }] }],
      };
    default:
      return assertNever(version);
  }
}

/** Body of POST /{version}/payments/orders/{orderId}/refund; without refundAmount LINE Pay refunds everything left. */
export function refundBody(amount: number | null): JsonWritable {
  return amount === null ? {} : { refundAmount: amount };
}

// ---------------------------------------------------------------- answers

export interface LinePayAnswer {
  readonly returnCode: string;
  readonly returnMessage: string;
  readonly info: unknown;
}

/** The envelope of a parsed answer, or null when it is not one. */
export function readAnswer(parsed: unknown): LinePayAnswer | null {
  if (!isJsonObject(parsed)) return null;
  const returnCode = stringMember(parsed, 'returnCode');
  if (returnCode === undefined || !/^\d{4}$/.test(returnCode)) return null;
  return { returnCode, returnMessage: stringMember(parsed, 'returnMessage') ?? '', info: member(parsed, 'info') };
}

/**
 * A pay answer read: an outcome, or a success whose paid total
 * (info.payInfo[].amount) is not the amount asked, which LINE Pay's
 * documentation says to refund.
 */
export type PayAnswer = PayOutcome | { readonly kind: 'amount_mismatch'; readonly paid: Money };

export function toPayOutcome(answer: LinePayAnswer, orderNo: string, requested: Money): PayAnswer {
  const codeClass = classifyReturnCode(answer.returnCode);
  switch (codeClass) {
    case 'success': {
      const info = isJsonObject(answer.info) ? answer.info : null;
      const transactionId = info === null ? undefined : stringMember(info, 'transactionId');
      if (info === null || transactionId === undefined || !/^\d+$/.test(transactionId)) {
        return { kind: 'unknown', reason: 'success without a transactionId', code: answer.returnCode };
      }
      const answeredOrder = stringMember(info, 'orderId');
      if (answeredOrder !== undefined && answeredOrder !== orderNo) {
        return { kind: 'unknown', reason: 'answer names another orderId', code: answer.returnCode };
      }
      const paid = paidTotal(info, requested.currency);
      if (paid === null) return { kind: 'unknown', reason: 'success without a readable payInfo', code: answer.returnCode };
      if (paid.amount !== requested.amount) return { kind: 'amount_mismatch', paid };
      return { kind: 'paid', providerTxnId: transactionId };
    }
    case 'unknown':
      return { kind: 'unknown', reason: answer.returnMessage || answer.returnCode, code: answer.returnCode };
    case 'awaiting_customer':
      return { kind: 'awaiting_customer', code: answer.returnCode };
    case 'definite':
      return { kind: 'declined', code: answer.returnCode, message: answer.returnMessage || answer.returnCode };
    default:
      return assertNever(codeClass);
  }
}

/** The sum of info.payInfo[].amount (balance, card, points...), or null when it cannot be read. */
export function paidTotal(info: JsonObject, currency: Money['currency']): Money | null {
  const payInfo = member(info, 'payInfo');
  if (!Array.isArray(payInfo) || payInfo.length === 0) return null;
  let total = 0;
  for (const entry of payInfo) {
    const amount = isJsonObject(entry) ? numberMember(entry, 'amount') : undefined;
    if (amount === undefined) return null;
    try {
      total += fromMajorUnitNumber(amount, currency).amount; // summed in minor units: no float drift
    } catch {
      return null;
    }
  }
  return money(total, currency);
}

/** What the check API (GET /{version}/payments/orders/{orderId}/check) says about an order. */
export type OrderState =
  | { readonly kind: 'status'; readonly status: CheckStatus }
  | { readonly kind: 'in_progress' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'unknown'; readonly reason: string };

export function readCheck(answer: LinePayAnswer): OrderState {
  if (answer.returnCode === NO_SUCH_TRANSACTION) return { kind: 'not_found' };
  const codeClass = classifyReturnCode(answer.returnCode);
  switch (codeClass) {
    case 'success': {
      const raw = isJsonObject(answer.info) ? stringMember(answer.info, 'status') : undefined;
      const status = CHECK_STATUSES.find((candidate) => candidate === raw);
      return status === undefined ? { kind: 'unknown', reason: `unexpected status ${raw ?? '(missing)'}` } : { kind: 'status', status };
    }
    case 'awaiting_customer':
      return { kind: 'in_progress' };
    case 'unknown':
      // 1145 "payment in process" is a payment still waiting; the others say nothing.
      return answer.returnCode === '1145' ? { kind: 'in_progress' } : { kind: 'unknown', reason: `${answer.returnCode}: ${answer.returnMessage}` };
    case 'definite':
      return { kind: 'unknown', reason: `${answer.returnCode}: ${answer.returnMessage}` };
    default:
      return assertNever(codeClass);
  }
}

export function toQueryOutcome(state: OrderState): QueryOutcome {
  switch (state.kind) {
    case 'status':
      switch (state.status) {
        case 'COMPLETE':
        case 'REFUND': // paid first, refunded since: the sale itself was paid
          return { kind: 'paid', providerTxnId: null }; // the check API names no transactionId
        case 'FAIL':
          return { kind: 'closed', code: state.status };
        default:
          return assertNever(state.status);
      }
    case 'in_progress':
      return { kind: 'awaiting_customer' };
    case 'not_found':
      return { kind: 'not_paid' };
    case 'unknown':
      return { kind: 'unknown', reason: state.reason };
    default:
      return assertNever(state);
  }
}

/**
 * How to reverse an order, from its check answer. LINE Pay voids only what is
 * not captured; a captured (capture=true) payment must be refunded instead.
 */
export type ReversePlan = { readonly kind: 'done'; readonly outcome: ReverseOutcome } | { readonly kind: 'void' } | { readonly kind: 'refund_all' };

export function planReverse(state: OrderState): ReversePlan {
  switch (state.kind) {
    case 'status':
      switch (state.status) {
        case 'COMPLETE':
        case 'REFUND': // a refund of everything left; 1165 when nothing is (an earlier reverse went through)
          return { kind: 'refund_all' };
        case 'FAIL':
          return { kind: 'done', outcome: { kind: 'reversed' } }; // nothing was paid: nothing to give back
        default:
          return assertNever(state.status);
      }
    case 'in_progress':
    case 'not_found': // void anyway, so that a pay call still on its way finds the order cancelled
      return { kind: 'void' };
    case 'unknown':
      return { kind: 'done', outcome: { kind: 'unknown', reason: state.reason } };
    default:
      return assertNever(state);
  }
}

/** Answer of POST .../void (not-captured order) or .../refund without an amount (captured order). */
export function toReverseOutcome(answer: LinePayAnswer, call: 'void' | 'refund_all'): ReverseOutcome {
  if (call === 'void' && answer.returnCode === NO_SUCH_TRANSACTION) return { kind: 'reversed' }; // nothing to reverse
  if (call === 'refund_all' && answer.returnCode === ALREADY_REFUNDED) return { kind: 'reversed' }; // all money is back already
  const codeClass = classifyReturnCode(answer.returnCode);
  switch (codeClass) {
    case 'success':
      return { kind: 'reversed' };
    case 'unknown':
    case 'awaiting_customer':
      return { kind: 'unknown', reason: `${answer.returnCode}: ${answer.returnMessage}` };
    case 'definite': // e.g. the customer confirmed between check and void: the next reverse checks again and refunds
      return { kind: 'declined', code: answer.returnCode, message: answer.returnMessage || answer.returnCode };
    default:
      return assertNever(codeClass);
  }
}

/** A refund as the Payment Details API (GET /v2/payments?orderId=) lists it. */
export interface ListedRefund {
  readonly refundTransactionId: string;
  readonly amount: Money;
}

export type RefundList =
  | { readonly kind: 'list'; readonly refunds: readonly ListedRefund[] }
  | { readonly kind: 'no_payment' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The refunds of `orderNo` in a Payment Details answer (`info[].refundList[]`), in `currency`. */
export function readRefundList(answer: LinePayAnswer, orderNo: string, currency: Money['currency']): RefundList {
  if (answer.returnCode === NO_SUCH_TRANSACTION) return { kind: 'no_payment' };
  if (answer.returnCode !== SUCCESS_CODE) return { kind: 'unknown', reason: `${answer.returnCode}: ${answer.returnMessage}` };
  if (!Array.isArray(answer.info)) return { kind: 'unknown', reason: 'info is not a list' };
  const refunds: ListedRefund[] = [];
  for (const payment of answer.info) {
    if (!isJsonObject(payment)) return { kind: 'unknown', reason: 'malformed payment' };
    if (stringMember(payment, 'orderId') !== orderNo) continue;
    const listed = member(payment, 'refundList') ?? [];
    if (!Array.isArray(listed)) return { kind: 'unknown', reason: 'refundList is not a list' };
    for (const entry of listed) {
      const refund = isJsonObject(entry) ? readListedRefund(entry, currency) : null;
      if (refund === null) return { kind: 'unknown', reason: 'malformed refund entry' };
      refunds.push(refund);
    }
  }
  return { kind: 'list', refunds };
}

function readListedRefund(entry: JsonObject, currency: Money['currency']): ListedRefund | null {
  const refundTransactionId = stringMember(entry, 'refundTransactionId');
  const amount = numberMember(entry, 'refundAmount');
  if (refundTransactionId === undefined || !/^\d+$/.test(refundTransactionId) || amount === undefined) return null;
  try {
    // LINE Pay lists refund amounts as negative numbers; the sign carries no information here.
    return { refundTransactionId, amount: fromMajorUnitNumber(Math.abs(amount), currency) };
  } catch {
    return null;
  }
}

/** Answer of POST .../refund with a refundAmount. LINE Pay refunds synchronously. */
export function toRefundOutcome(answer: LinePayAnswer): RefundOutcome {
  const codeClass = classifyReturnCode(answer.returnCode);
  switch (codeClass) {
    case 'success': {
      const id = isJsonObject(answer.info) ? stringMember(answer.info, 'refundTransactionId') : undefined;
      return id !== undefined && /^\d+$/.test(id) ? { kind: 'succeeded' } : { kind: 'unknown', reason: 'success without a refundTransactionId' };
    }
    case 'unknown':
    case 'awaiting_customer':
      return { kind: 'unknown', reason: `${answer.returnCode}: ${answer.returnMessage}` };
    case 'definite':
      return { kind: 'declined', code: answer.returnCode, message: answer.returnMessage || answer.returnCode };
    default:
      return assertNever(codeClass);
  }
}

/** A refund of exactly `amount` among the listed ones. */
/**
 * Whether this refund already happened at LINE Pay (which has no refund
 * idempotency key): it did when LINE Pay holds more refunds of this amount
 * than CanCan has settled before it (CanCan runs one refund per sale at a time).
 */
export function findRefund(list: RefundList, amount: Money, settled: readonly Money[]): RefundQueryOutcome {
  switch (list.kind) {
    case 'list': {
      const atProvider = list.refunds.filter((refund) => refund.amount.amount === amount.amount).length;
      const known = settled.filter((refund) => refund.amount === amount.amount).length;
      return atProvider > known ? { kind: 'succeeded' } : { kind: 'not_found' };
    }
    case 'no_payment':
      return { kind: 'not_found' };
    case 'unknown':
      return { kind: 'unknown', reason: list.reason };
    default:
      return assertNever(list);
  }
}
