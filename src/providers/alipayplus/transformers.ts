/**
 * Pure Alipay+ transformers (Antom AMS online payments, Cashier Payment):
 * domain requests → JSON request bodies, verified answers → contract
 * outcomes. No HTTP, no clock, no keys.
 *
 * Every answer carries `result: {resultCode, resultStatus, resultMessage}`;
 * resultStatus S = success, F = definite failure, U = unknown. A missing or
 * unexpected value is never read as a refusal: it is `unknown`.
 */
import type { CurrencyCode, Money } from '../../domain/money.js';
import type { CloseOutcome, OrderOutcome, OrderRequest, QueryOutcome, RefundOutcome, RefundQueryOutcome, RefundRequest } from '../contract.js';
import { isoTime } from './sign.js';
import { assertNever } from '../../domain/assert-never.js';

/** The AMS APIs CanCan calls (global-open-sdk `AntomPathConstants`). */
export const ALIPAYPLUS_APIS = {
  pay: 'pay',
  inquiryPayment: 'inquiryPayment',
  cancel: 'cancel',
  refund: 'refund',
  inquiryRefund: 'inquiryRefund',
} as const;
export type AlipayPlusApi = (typeof ALIPAYPLUS_APIS)[keyof typeof ALIPAYPLUS_APIS];

/**
 * `/ams/api/v1/payments/<api>`; clients whose id starts with `SANDBOX_` call
 * `/ams/sandbox/api/...` (global-open-sdk `adjust_sandbox_url`).
 */
export function apiPath(api: AlipayPlusApi, clientId: string): string {
  return `${clientId.startsWith('SANDBOX_') ? '/ams/sandbox/api' : '/ams/api'}/v1/payments/${api}`;
}

/** CHOP payment method → Alipay+ `paymentMethodType` (Antom payment method list). */
export const ALIPAYPLUS_PAYMENT_METHOD_TYPES = {
  alipay_hk: 'ALIPAY_HK',
  dana: 'DANA',
  gcash: 'GCASH',
  kakaopay: 'KAKAOPAY',
  jkopay: 'JKOPAY',
} as const;
export type AlipayPlusPaymentMethod = keyof typeof ALIPAYPLUS_PAYMENT_METHOD_TYPES;

/** The currencies each wallet accepts (its home currency; Antom "Supported payment methods"). */
export const ALIPAYPLUS_WALLET_CURRENCIES: Readonly<Record<AlipayPlusPaymentMethod, readonly CurrencyCode[]>> = {
  alipay_hk: ['HKD'],
  dana: ['IDR'],
  gcash: ['PHP'],
  kakaopay: ['KRW'],
  jkopay: ['TWD'],
};

function isAlipayPlusPaymentMethod(method: string): method is AlipayPlusPaymentMethod {
  return Object.hasOwn(ALIPAYPLUS_PAYMENT_METHOD_TYPES, method);
}

/** Known wallets by their table; anything else is passed on upper-cased for Antom to accept or refuse. */
function paymentMethodTypeFor(method: string): string {
  return isAlipayPlusPaymentMethod(method) ? ALIPAYPLUS_PAYMENT_METHOD_TYPES[method] : method.toUpperCase();
}

// ---------------------------------------------------------------- requests

/** Amount `value` is a string of the amount in the currency's smallest unit (Antom "Usage rules of the Amount object"). */
export interface AmsAmount {
  readonly currency: string;
  readonly value: string;
}

export function amsAmount(value: Money): AmsAmount {
  return { currency: value.currency, value: String(value.amount) };
}

const DESCRIPTION_MAX_CHARS = 256;
const REFUND_REASON_MAX_CHARS = 256;

/** The pay (Cashier Payment) request: the wallet shows its own code/cashier to the shopper. */
export function payBody(request: OrderRequest): Record<string, unknown> {
  const amount = amsAmount(request.money);
  const description = cleanText(request.description, DESCRIPTION_MAX_CHARS).trim();
  const body: Record<string, unknown> = {
    productCode: 'CASHIER_PAYMENT',
    paymentRequestId: request.orderNo, // the idempotency key: retries never create a second payment
    order: {
      referenceOrderId: request.orderNo,
      orderDescription: description === '' ? `Order ${request.orderNo}` : description,
      orderAmount: amount,
    },
    paymentAmount: amount,
    paymentMethod: { paymentMethodType: paymentMethodTypeFor(request.paymentMethod) },
    paymentExpiryTime: isoTime(request.expiresAt),
    settlementStrategy: { settlementCurrency: request.money.currency },
    env: { terminalType: 'WEB' }, // desktop checkout page: the wallet answers with a QR to scan
  };
  if (request.returnUrl !== null) body['paymentRedirectUrl'] = request.returnUrl;
  if (request.notifyUrl !== null) body['paymentNotifyUrl'] = request.notifyUrl;
  return body;
}

export function inquiryPaymentBody(orderNo: string): Record<string, unknown> {
  return { paymentRequestId: orderNo };
}

export function cancelBody(orderNo: string): Record<string, unknown> {
  return { paymentRequestId: orderNo };
}

/** refund names the payment by Antom's paymentId (REQUIRED), so the adapter inquires it first. */
export function refundBody(request: RefundRequest, paymentId: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    refundRequestId: request.refundNo, // idempotency key
    paymentId,
    referenceRefundId: request.refundNo,
    refundAmount: amsAmount(request.refundMoney),
  };
  const reason = request.reason === null ? '' : cleanText(request.reason, REFUND_REASON_MAX_CHARS).trim();
  if (reason !== '') body['refundReason'] = reason;
  return body;
}

export function inquiryRefundBody(request: RefundRequest): Record<string, unknown> {
  return { refundRequestId: request.refundNo };
}

/** Drops control characters and truncates by code point. */
function cleanText(text: string, maxChars: number): string {
  return Array.from(text.replace(/\p{Cc}/gu, ' '))
    .slice(0, maxChars)
    .join('');
}

// ---------------------------------------------------------------- responses

export type JsonObject = { readonly [name: string]: unknown };

export interface AmsResult {
  readonly resultCode: string;
  readonly resultStatus: 'S' | 'F' | 'U';
  readonly resultMessage: string;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `result` of an answer, or null when it is missing or malformed. */
function readResult(answer: JsonObject): AmsResult | null {
  const result = answer['result'];
  if (!isJsonObject(result)) return null;
  const { resultCode, resultStatus, resultMessage } = result;
  if (typeof resultCode !== 'string' || resultCode === '') return null;
  if (resultStatus !== 'S' && resultStatus !== 'F' && resultStatus !== 'U') return null;
  return { resultCode, resultStatus, resultMessage: typeof resultMessage === 'string' ? resultMessage : '' };
}

function text(answer: JsonObject, name: string): string | undefined {
  const value = answer[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An answer about another request than the one asked about cannot be trusted. */
function mismatched(answer: JsonObject, name: string, expected: string): boolean {
  const answered = text(answer, name);
  return answered !== undefined && answered !== expected;
}

/** Whether an answered Amount object equals `expected` (absent counts as equal). */
function sameAmount(answer: JsonObject, name: string, expected: Money): boolean {
  const amount = answer[name];
  if (amount === undefined) return true;
  return isJsonObject(amount) && amount['currency'] === expected.currency && amount['value'] === String(expected.amount);
}

/**
 * The code the shopper's wallet scans: `orderCodeForm.codeDetails[]` (the
 * TEXT entry, i.e. the QR content, first), else the cashier `normalUrl`.
 */
function merchantCode(answer: JsonObject): string | null {
  const form = answer['orderCodeForm'];
  if (isJsonObject(form) && Array.isArray(form['codeDetails'])) {
    const details = form['codeDetails'].filter(isJsonObject);
    const preferred = details.find((detail) => detail['displayType'] === 'TEXT') ?? details[0];
    const value = preferred?.['codeValue'];
    if (typeof value === 'string' && value !== '') return value;
  }
  return text(answer, 'normalUrl') ?? null;
}

export function toOrderOutcome(answer: JsonObject, request: OrderRequest): OrderOutcome {
  const result = readResult(answer);
  if (result === null) return { kind: 'unknown', reason: 'answer has no readable result', code: null };
  if (result.resultStatus === 'F') return { kind: 'declined', code: result.resultCode, message: result.resultMessage };
  if (mismatched(answer, 'paymentRequestId', request.orderNo)) {
    return { kind: 'unknown', reason: 'answer names another paymentRequestId', code: result.resultCode };
  }
  if (!sameAmount(answer, 'paymentAmount', request.money)) {
    return { kind: 'unknown', reason: 'answer names another paymentAmount', code: result.resultCode };
  }
  // Cashier Payment: U + PAYMENT_IN_PROCESS with the code/URL means "created, waiting for the shopper".
  const code = merchantCode(answer);
  const waiting = result.resultStatus === 'U' && result.resultCode === 'PAYMENT_IN_PROCESS';
  if ((waiting || result.resultStatus === 'S') && code !== null) return { kind: 'created', qrCode: code, payForm: null };
  return { kind: 'unknown', reason: `${result.resultCode}: ${result.resultMessage || 'no code to show the shopper'}`, code: result.resultCode };
}

/** inquiryPayment: result S only says the inquiry worked; paymentStatus says what happened. */
export function toQueryOutcome(answer: JsonObject, orderNo: string): QueryOutcome {
  const result = readResult(answer);
  if (result === null) return { kind: 'unknown', reason: 'answer has no readable result' };
  if (result.resultStatus !== 'S') {
    // ORDER_NOT_EXIST: the pay call never created a payment, so nothing was paid.
    if (result.resultStatus === 'F' && result.resultCode === 'ORDER_NOT_EXIST') return { kind: 'not_paid' };
    return { kind: 'unknown', reason: `${result.resultCode}: ${result.resultMessage}` };
  }
  if (mismatched(answer, 'paymentRequestId', orderNo)) return { kind: 'unknown', reason: 'answer names another paymentRequestId' };
  const status = answer['paymentStatus'];
  switch (status) {
    case 'SUCCESS':
      return { kind: 'paid', providerTxnId: text(answer, 'paymentId') ?? null };
    case 'PROCESSING':
    case 'PENDING': // paid in the wallet, final result still to come
      return { kind: 'awaiting_customer' };
    case 'FAIL':
      return { kind: 'closed', code: text(answer, 'paymentResultCode') ?? 'FAIL' };
    case 'CANCELLED':
      return { kind: 'closed', code: 'CANCELLED' };
    default:
      return { kind: 'unknown', reason: `unexpected paymentStatus ${typeof status === 'string' ? status : '(missing)'}` };
  }
}

/**
 * cancel: S means the payment is CANCELLED (a paid one is refunded in full by
 * Antom, so no money stays either way) or had already failed. ORDER_NOT_EXIST:
 * there is nothing that could be paid.
 */
export function toCloseOutcome(answer: JsonObject, orderNo: string): CloseOutcome {
  const result = readResult(answer);
  if (result === null) return { kind: 'unknown', reason: 'answer has no readable result' };
  switch (result.resultStatus) {
    case 'S':
      if (mismatched(answer, 'paymentRequestId', orderNo)) return { kind: 'unknown', reason: 'answer names another paymentRequestId' };
      return { kind: 'closed' };
    case 'F':
      if (result.resultCode === 'ORDER_NOT_EXIST') return { kind: 'closed' };
      return { kind: 'declined', code: result.resultCode, message: result.resultMessage };
    case 'U': // "use the same request to retry"
      return { kind: 'retry', reason: `${result.resultCode}: ${result.resultMessage}` };
    default:
      return assertNever(result.resultStatus);
  }
}

/** refund: S = refunded (synchronous); U (REFUND_IN_PROCESS, UNKNOWN_EXCEPTION) = ask inquiryRefund. */
export function toRefundOutcome(answer: JsonObject, request: RefundRequest): RefundOutcome {
  const result = readResult(answer);
  if (result === null) return { kind: 'unknown', reason: 'answer has no readable result' };
  switch (result.resultStatus) {
    case 'S':
      if (mismatched(answer, 'refundRequestId', request.refundNo)) return { kind: 'unknown', reason: 'answer names another refundRequestId' };
      if (!sameAmount(answer, 'refundAmount', request.refundMoney)) return { kind: 'unknown', reason: 'answer names another refundAmount' };
      return { kind: 'succeeded' };
    case 'F':
      return { kind: 'declined', code: result.resultCode, message: result.resultMessage };
    case 'U':
      return result.resultCode === 'REFUND_IN_PROCESS' ? { kind: 'processing' } : { kind: 'unknown', reason: `${result.resultCode}: ${result.resultMessage}` };
    default:
      return assertNever(result.resultStatus);
  }
}

/** inquiryRefund: refundStatus SUCCESS / PROCESSING / FAIL; REFUND_NOT_EXIST when Antom never got it. */
export function toRefundQueryOutcome(answer: JsonObject, request: RefundRequest): RefundQueryOutcome {
  const result = readResult(answer);
  if (result === null) return { kind: 'unknown', reason: 'answer has no readable result' };
  if (result.resultStatus !== 'S') {
    if (result.resultStatus === 'F' && (result.resultCode === 'REFUND_NOT_EXIST' || result.resultCode === 'ORDER_NOT_EXIST')) {
      return { kind: 'not_found' };
    }
    return { kind: 'unknown', reason: `${result.resultCode}: ${result.resultMessage}` };
  }
  if (mismatched(answer, 'refundRequestId', request.refundNo)) return { kind: 'unknown', reason: 'answer names another refundRequestId' };
  if (!sameAmount(answer, 'refundAmount', request.refundMoney)) return { kind: 'unknown', reason: 'refundAmount differs from the refund asked for' };
  const status = answer['refundStatus'];
  switch (status) {
    case 'SUCCESS':
      return { kind: 'succeeded' };
    case 'PROCESSING':
      return { kind: 'processing' };
    case 'FAIL':
      return { kind: 'failed', code: text(answer, 'refundFailReason') ?? 'FAIL', message: result.resultMessage };
    default:
      return { kind: 'unknown', reason: `unexpected refundStatus ${typeof status === 'string' ? status : '(missing)'}` };
  }
}

/** The code worth recording in a trace (answers only). */
export function traceCode(answer: JsonObject): string | null {
  return text(answer, 'paymentResultCode') ?? text(answer, 'paymentStatus') ?? text(answer, 'refundStatus') ?? readResult(answer)?.resultCode ?? null;
}

export function traceMessage(answer: JsonObject): string | null {
  const message = readResult(answer)?.resultMessage;
  return message === undefined || message === '' ? null : message;
}

/** The payment Antom knows for an inquiryPayment answer (for refunds), or the reason there is none. */
export function paymentIdOf(
  answer: JsonObject,
  orderNo: string,
):
  | { readonly ok: true; readonly paymentId: string }
  | { readonly ok: false; readonly definite: boolean; readonly code: string | null; readonly reason: string } {
  const result = readResult(answer);
  if (result === null) return { ok: false, definite: false, code: null, reason: 'answer has no readable result' };
  if (result.resultStatus === 'F' && result.resultCode === 'ORDER_NOT_EXIST') {
    return { ok: false, definite: true, code: result.resultCode, reason: result.resultMessage };
  }
  if (result.resultStatus !== 'S') return { ok: false, definite: false, code: result.resultCode, reason: `${result.resultCode}: ${result.resultMessage}` };
  if (mismatched(answer, 'paymentRequestId', orderNo)) return { ok: false, definite: false, code: null, reason: 'answer names another paymentRequestId' };
  const paymentId = text(answer, 'paymentId');
  if (paymentId === undefined) return { ok: false, definite: false, code: null, reason: 'answer has no paymentId' };
  return { ok: true, paymentId };
}
