/**
 * Pure Alipay transformers: domain requests → unsigned gateway parameters
 * (common params + `biz_content`), verified response fields → contract
 * outcomes. No HTTP, no clock, no keys.
 *
 * A response carries the gateway `code` (see errors.ts) and, on 40004, a
 * business `sub_code`. A missing or unexpected value is never read as a
 * refusal: it is `unknown`.
 */
import { fromMajorUnitString, toMajorUnitString, type Money } from '../../domain/money.js';
import { beijingTimestamp } from '../china-time.js';
import type { PayOutcome, PayRequest, QueryOutcome, RefundOutcome, RefundQueryOutcome, RefundRequest, Rejected, ReverseOutcome } from '../contract.js';
import { classifyCancelSubCode, classifyGatewayCode, classifyPaySubCode, classifyRefundSubCode, isConfigurationRefusal, type SubCodeClass } from './errors.js';
import type { AlipayFields } from './sign.js';
import { assertNever } from '../../domain/assert-never.js';
import { fitsAuthCodeShape } from '../auth-code-shape.js';
import type { AuthCodeShape } from '../descriptor.js';

export const ALIPAY_METHODS = {
  pay: 'alipay.trade.pay',
  query: 'alipay.trade.query',
  cancel: 'alipay.trade.cancel',
  refund: 'alipay.trade.refund',
  refundQuery: 'alipay.trade.fastpay.refund.query',
  precreate: 'alipay.trade.precreate',
  close: 'alipay.trade.close',
} as const;
export type AlipayMethod = (typeof ALIPAY_METHODS)[keyof typeof ALIPAY_METHODS];

/** alipay.trade.query `trade_status` values. */
const TRADE_STATUSES = ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

/** `subject` is String(256) and must not contain `/`, `=` or `&` (alipay.trade.pay docs). */
const SUBJECT_MAX_CHARS = 256;
const REFUND_REASON_MAX_CHARS = 256;

// ---------------------------------------------------------------- requests

/** Alipay payment codes: 16–24 digits starting 25–30 (alipay.trade.pay `auth_code`); both gateways' `authCodeShape`. */
export const ALIPAY_AUTH_CODE_SHAPE: AuthCodeShape = { minDigits: 16, maxDigits: 24, leadingTwoDigits: { from: 25, to: 30 } };

export function isAlipayAuthCode(authCode: string): boolean {
  return fitsAuthCodeShape(ALIPAY_AUTH_CODE_SHAPE, authCode);
}

export type BizContent = Readonly<Record<string, string>>;

/** The common parameters (plus optional ones such as `notify_url`) and `biz_content`, ready to be signed. */
export function gatewayParams(
  appId: string,
  method: AlipayMethod,
  bizContent: BizContent,
  epochMs: number,
  optional: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...optional,
    app_id: appId,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: beijingTimestamp(epochMs),
    version: '1.0',
    biz_content: JSON.stringify(bizContent),
  };
}

/** Cross-border merchants price in `trans_currency`; CNY is the default and is left out. */
export function foreignCurrency(value: Money): string | null {
  return value.currency === 'CNY' ? null : value.currency;
}

/** `subject` without the characters Alipay forbids, never empty. */
export function subjectOf(description: string, orderNo: string): string {
  const subject = cleanText(description.replace(/[\p{Cc}\s/=&]+/gu, ' ').trim(), SUBJECT_MAX_CHARS).trim();
  return subject === '' ? `Order ${orderNo}` : subject;
}

/** A cross-border order's `trans_currency` (the currency total_amount is in) and `settle_currency` (the same: no conversion asked for). */
export function orderCurrencyFields(value: Money): BizContent {
  const currency = foreignCurrency(value);
  return currency === null ? {} : { trans_currency: currency, settle_currency: currency };
}

export function payBizContent(request: PayRequest): BizContent {
  return {
    out_trade_no: request.orderNo,
    scene: 'bar_code', // the customer shows a payment code; the merchant scans it
    auth_code: request.authCode,
    product_code: 'FACE_TO_FACE_PAYMENT',
    subject: subjectOf(request.description, request.orderNo),
    total_amount: toMajorUnitString(request.money), // decimal string in major units
    ...orderCurrencyFields(request.money),
  };
}

export function queryBizContent(orderNo: string): BizContent {
  return { out_trade_no: orderNo };
}

export function cancelBizContent(orderNo: string): BizContent {
  return { out_trade_no: orderNo };
}

export function refundBizContent(request: RefundRequest): BizContent {
  const content: Record<string, string> = {
    out_trade_no: request.orderNo,
    out_request_no: request.refundNo, // the idempotency key of partial refunds
    refund_amount: toMajorUnitString(request.refundMoney),
  };
  const currency = foreignCurrency(request.refundMoney);
  if (currency !== null) content['refund_currency'] = currency;
  const reason = request.reason === null ? '' : cleanText(request.reason, REFUND_REASON_MAX_CHARS).trim();
  if (reason !== '') content['refund_reason'] = reason;
  return content;
}

export function refundQueryBizContent(request: RefundRequest): BizContent {
  return { out_trade_no: request.orderNo, out_request_no: request.refundNo };
}

/** Drops control characters and truncates by code point. */
function cleanText(text: string, maxChars: number): string {
  return Array.from(text.replace(/\p{Cc}/gu, ' '))
    .slice(0, maxChars)
    .join('');
}

// ---------------------------------------------------------------- responses

export type Answer =
  | { readonly kind: 'success' }
  | { readonly kind: 'awaiting_customer' }
  /** 20000: Alipay could not say what happened. */
  | { readonly kind: 'unavailable'; readonly code: string; readonly message: string }
  /** 40001 / 40002 / 40006 / 20001: the request was refused before any business happened. */
  | { readonly kind: 'refused'; readonly code: string; readonly message: string }
  /** Refused like the above because of CanCan's setup with Alipay (app id, signature, permissions). */
  | Rejected
  /** 40004 with a sub_code. */
  | { readonly kind: 'business_failed'; readonly subCode: string; readonly message: string }
  | { readonly kind: 'unreadable'; readonly reason: string };

export function readAnswer(fields: AlipayFields): Answer {
  const code = fields['code'];
  const subCode = nonEmpty(fields['sub_code']);
  const message = fields['sub_msg'] ?? fields['msg'] ?? '';
  const gatewayCode = classifyGatewayCode(code);
  if (gatewayCode === null) return { kind: 'unreadable', reason: `unexpected code ${code ?? '(missing)'}` };
  switch (gatewayCode) {
    case 'success':
      return { kind: 'success' };
    case 'awaiting_customer':
      return { kind: 'awaiting_customer' };
    case 'unavailable':
      return { kind: 'unavailable', code: subCode ?? code ?? '', message };
    case 'invalid_request':
    case 'no_permission':
      if (isConfigurationRefusal(subCode)) return { kind: 'rejected', code: subCode ?? '', message };
      return { kind: 'refused', code: subCode ?? code ?? '', message };
    case 'business_failed':
      return subCode === undefined ? { kind: 'unreadable', reason: `code ${code ?? ''} without sub_code` } : { kind: 'business_failed', subCode, message };
    default:
      return assertNever(gatewayCode);
  }
}

/** `code: message` of an answer that leaves the outcome open. */
export function answerReason(fields: AlipayFields): string {
  return `${fields['code'] ?? ''}: ${fields['sub_msg'] ?? fields['msg'] ?? ''}`;
}

/** An answer about another order than the one asked about cannot be trusted. */
export function mismatchedOrder(fields: AlipayFields, orderNo: string): boolean {
  const answered = nonEmpty(fields['out_trade_no']);
  return answered !== undefined && answered !== orderNo;
}

export function toPayOutcome(fields: AlipayFields, orderNo: string): PayOutcome {
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success':
      if (mismatchedOrder(fields, orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no', code: null };
      return { kind: 'paid', providerTxnId: nonEmpty(fields['trade_no']) ?? null };
    case 'awaiting_customer': // 10003: the customer must confirm in the wallet
      return { kind: 'awaiting_customer', code: '10003' };
    case 'unavailable':
      return { kind: 'unknown', reason: answer.message || answer.code, code: answer.code };
    case 'refused':
      return { kind: 'declined', code: answer.code, message: answer.message };
    case 'business_failed':
      return bySubCodeClass<PayOutcome>(classifyPaySubCode(answer.subCode), {
        unknown: () => ({ kind: 'unknown', reason: answer.message || answer.subCode, code: answer.subCode }),
        definite: () => ({ kind: 'declined', code: answer.subCode, message: answer.message }),
      });
    case 'rejected':
      return answer;
    case 'unreadable':
      return { kind: 'unknown', reason: answer.reason, code: null };
    default:
      return assertNever(answer);
  }
}

export function toQueryOutcome(fields: AlipayFields, orderNo: string): QueryOutcome {
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success':
      break;
    case 'business_failed':
      // ACQ.TRADE_NOT_EXIST: the pay call never created a trade, so nothing was paid.
      return answer.subCode === 'ACQ.TRADE_NOT_EXIST' ? { kind: 'not_paid' } : { kind: 'unknown', reason: `${answer.subCode}: ${answer.message}` };
    case 'awaiting_customer':
    case 'unavailable':
    case 'refused':
      return { kind: 'unknown', reason: answerReason(fields) };
    case 'rejected':
      return answer;
    case 'unreadable':
      return { kind: 'unknown', reason: answer.reason };
    default:
      return assertNever(answer);
  }
  if (mismatchedOrder(fields, orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no' };
  const tradeStatus = parseTradeStatus(fields['trade_status']);
  if (tradeStatus === null) return { kind: 'unknown', reason: `unexpected trade_status ${fields['trade_status'] ?? '(missing)'}` };
  switch (tradeStatus) {
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED': // paid, and past its refund period
      return { kind: 'paid', providerTxnId: nonEmpty(fields['trade_no']) ?? null };
    case 'WAIT_BUYER_PAY':
      return { kind: 'awaiting_customer' };
    case 'TRADE_CLOSED': // unpaid and closed, cancelled, or paid and then refunded in full
      return { kind: 'closed', code: tradeStatus };
    default:
      return assertNever(tradeStatus);
  }
}

export function toReverseOutcome(fields: AlipayFields): ReverseOutcome {
  // alipay.trade.cancel: retry_flag=Y means "call cancel again", whatever the code says.
  if (fields['retry_flag'] === 'Y') return { kind: 'retry', reason: `retry_flag=Y (${fields['sub_code'] ?? fields['code'] ?? ''})` };
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success': {
      // action: close (it was unpaid), refund (it was paid, money goes back), absent (no such trade).
      const action = fields['action'];
      if (action === undefined || action === '' || action === 'close' || action === 'refund') return { kind: 'reversed' };
      return { kind: 'unknown', reason: `unexpected action ${action}` };
    }
    case 'business_failed':
      if (answer.subCode === 'ACQ.TRADE_NOT_EXIST') return { kind: 'reversed' }; // nothing to cancel
      return declinedOrUnknown(answer, classifyCancelSubCode(answer.subCode));
    case 'refused':
      return { kind: 'declined', code: answer.code, message: answer.message };
    case 'awaiting_customer':
    case 'unavailable':
      return { kind: 'unknown', reason: answerReason(fields) };
    case 'rejected':
      return answer;
    case 'unreadable':
      return { kind: 'unknown', reason: answer.reason };
    default:
      return assertNever(answer);
  }
}

export function toRefundOutcome(fields: AlipayFields, orderNo: string): RefundOutcome {
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success': {
      if (mismatchedOrder(fields, orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no' };
      // fund_change Y: this call moved the money. N (e.g. a repeated out_request_no): ask the refund query.
      const fundChange = fields['fund_change'];
      if (fundChange === 'Y') return { kind: 'succeeded' };
      if (fundChange === 'N' || fundChange === undefined) return { kind: 'processing' };
      return { kind: 'unknown', reason: `unexpected fund_change ${fundChange}` };
    }
    case 'business_failed':
      return declinedOrUnknown(answer, classifyRefundSubCode(answer.subCode));
    case 'refused':
      return { kind: 'declined', code: answer.code, message: answer.message };
    case 'awaiting_customer':
    case 'unavailable':
      return { kind: 'unknown', reason: answerReason(fields) };
    case 'rejected':
      return answer;
    case 'unreadable':
      return { kind: 'unknown', reason: answer.reason };
    default:
      return assertNever(answer);
  }
}

type DeclinedOrUnknown = { readonly kind: 'declined'; readonly code: string; readonly message: string } | { readonly kind: 'unknown'; readonly reason: string };

/** A business failure of a cancel or refund: only a definite sub_code is a refusal; anything else leaves the outcome open. */
function declinedOrUnknown(answer: Extract<Answer, { kind: 'business_failed' }>, subCodeClass: SubCodeClass): DeclinedOrUnknown {
  return bySubCodeClass<DeclinedOrUnknown>(subCodeClass, {
    unknown: () => ({ kind: 'unknown', reason: `${answer.subCode}: ${answer.message}` }),
    definite: () => ({ kind: 'declined', code: answer.subCode, message: answer.message }),
  });
}

/**
 * alipay.trade.fastpay.refund.query: code 10000 only says the query worked.
 * refund_status REFUND_SUCCESS, or (for the synchronous alipay.trade.refund)
 * an answer echoing the refund, means refunded; an answer without the refund
 * means Alipay never received it.
 */
export function toRefundQueryOutcome(fields: AlipayFields, request: RefundRequest): RefundQueryOutcome {
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success':
      break;
    case 'business_failed':
      return answer.subCode === 'ACQ.TRADE_NOT_EXIST' ? { kind: 'not_found' } : { kind: 'unknown', reason: `${answer.subCode}: ${answer.message}` };
    case 'awaiting_customer':
    case 'unavailable':
    case 'refused':
      return { kind: 'unknown', reason: answerReason(fields) };
    case 'rejected':
      return answer;
    case 'unreadable':
      return { kind: 'unknown', reason: answer.reason };
    default:
      return assertNever(answer);
  }
  const requestNo = nonEmpty(fields['out_request_no']);
  if (requestNo !== undefined && requestNo !== request.refundNo) return { kind: 'unknown', reason: 'answer names another out_request_no' };
  if (mismatchedOrder(fields, request.orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no' };
  const status = nonEmpty(fields['refund_status']);
  const amount = nonEmpty(fields['refund_amount']);
  if (status !== undefined && status !== 'REFUND_SUCCESS') return { kind: 'unknown', reason: `unexpected refund_status ${status}` };
  if (status === undefined && amount === undefined) return { kind: 'not_found' };
  if (amount !== undefined && !sameAmount(amount, request.refundMoney)) {
    return { kind: 'unknown', reason: `refund_amount ${amount} differs from the refund asked for` };
  }
  return { kind: 'succeeded' };
}

function sameAmount(text: string, expected: Money): boolean {
  try {
    return fromMajorUnitString(text, expected.currency).amount === expected.amount;
  } catch {
    return false;
  }
}

/** The code worth recording in a trace (answers only; never request fields). */
export function traceCode(fields: AlipayFields): string | null {
  return nonEmpty(fields['sub_code']) ?? nonEmpty(fields['trade_status']) ?? nonEmpty(fields['refund_status']) ?? nonEmpty(fields['code']) ?? null;
}

export function traceMessage(fields: AlipayFields): string | null {
  return nonEmpty(fields['sub_msg']) ?? nonEmpty(fields['msg']) ?? null;
}

function parseTradeStatus(value: string | undefined): TradeStatus | null {
  return TRADE_STATUSES.find((status) => status === value) ?? null;
}

export function bySubCodeClass<T>(subCodeClass: SubCodeClass, handlers: { readonly [K in SubCodeClass]: () => T }): T {
  switch (subCodeClass) {
    case 'unknown':
      return handlers.unknown();
    case 'definite':
      return handlers.definite();
    default:
      return assertNever(subCodeClass);
  }
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
