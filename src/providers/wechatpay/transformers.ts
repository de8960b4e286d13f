/**
 * Pure WeChat Pay v2 transformers: domain requests → unsigned wire fields,
 * verified wire responses → contract outcomes. No HTTP, no clock, no secrets.
 *
 * Every response has two layers (docs/providers.md, "WeChat Pay: answers"): `return_code` says whether
 * the call was understood, then `result_code` says what happened, with
 * `err_code` / `err_code_des` on FAIL. A missing or unexpected value at either
 * layer is never read as a refusal: it is `unknown`.
 */
import type { PayOutcome, PayRequest, QueryOutcome, RefundOutcome, RefundQueryOutcome, RefundRequest, Rejected, ReverseOutcome } from '../contract.js';
import { classifyMicropayError, classifyRefundError, classifyReverseError, type ErrorClass } from './errors.js';
import type { WeChatSignType } from './sign.js';
import { field, type WireFields } from './xml.js';
import { assertNever } from '../../domain/assert-never.js';
import { fitsAuthCodeShape } from '../auth-code-shape.js';
import type { AuthCodeShape } from '../descriptor.js';

/** Who is calling: the non-secret part of the credentials. */
export interface MerchantIdentity {
  readonly appId: string;
  readonly mchId: string;
  readonly signType: WeChatSignType;
  /** Service-provider / institution mode: sent in every request when set. */
  readonly subMchId?: string;
  readonly subAppId?: string;
}

/** orderquery `trade_state` values. */
const TRADE_STATES = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'] as const;
export type TradeState = (typeof TRADE_STATES)[number];

/** refundquery `refund_status_$n` values. */
const REFUND_STATUSES = ['SUCCESS', 'REFUNDCLOSE', 'PROCESSING', 'CHANGE'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** WeChat's documented limits: body String(128), refund_desc String(80). */
const BODY_MAX_CHARS = 128;
const REFUND_DESC_MAX_CHARS = 80;

// ---------------------------------------------------------------- requests

/** WeChat customer codes: 18 digits starting 10–15 (docs/providers.md, "WeChat Pay"); both gateways' `authCodeShape`. */
export const WECHAT_AUTH_CODE_SHAPE: AuthCodeShape = { minDigits: 18, maxDigits: 18, leadingTwoDigits: { from: 10, to: 15 } };

export function isWeChatAuthCode(authCode: string): boolean {
  return fitsAuthCodeShape(WECHAT_AUTH_CODE_SHAPE, authCode);
}

export function micropayFields(merchant: MerchantIdentity, nonce: string, request: PayRequest): Record<string, string> {
  return {
    ...commonFields(merchant, nonce),
    body: cleanText(request.description, BODY_MAX_CHARS),
    out_trade_no: request.orderNo,
    total_fee: String(request.money.amount), // integer, in the currency's minor unit
    fee_type: request.money.currency,
    spbill_create_ip: '127.0.0.1',
    auth_code: request.authCode,
  };
}

export function orderQueryFields(merchant: MerchantIdentity, nonce: string, orderNo: string): Record<string, string> {
  return { ...commonFields(merchant, nonce), out_trade_no: orderNo };
}

export function reverseFields(merchant: MerchantIdentity, nonce: string, orderNo: string): Record<string, string> {
  return { ...commonFields(merchant, nonce), out_trade_no: orderNo };
}

export function refundFields(merchant: MerchantIdentity, nonce: string, request: RefundRequest): Record<string, string> {
  const fields: Record<string, string> = {
    ...commonFields(merchant, nonce),
    out_trade_no: request.orderNo,
    out_refund_no: request.refundNo, // the idempotency key
    total_fee: String(request.saleMoney.amount),
    refund_fee: String(request.refundMoney.amount),
    refund_fee_type: request.refundMoney.currency,
  };
  const reason = request.reason === null ? '' : cleanText(request.reason, REFUND_DESC_MAX_CHARS);
  if (reason !== '') fields['refund_desc'] = reason;
  return fields;
}

export function refundQueryFields(merchant: MerchantIdentity, nonce: string, request: RefundRequest): Record<string, string> {
  return { ...commonFields(merchant, nonce), out_refund_no: request.refundNo };
}

export function commonFields(merchant: MerchantIdentity, nonce: string): Record<string, string> {
  const fields: Record<string, string> = { appid: merchant.appId, mch_id: merchant.mchId, nonce_str: nonce };
  if (merchant.subMchId !== undefined) fields['sub_mch_id'] = merchant.subMchId;
  if (merchant.subAppId !== undefined) fields['sub_appid'] = merchant.subAppId;
  // sign_type absent means MD5, the documented default.
  if (merchant.signType === 'HMAC-SHA256') fields['sign_type'] = 'HMAC-SHA256';
  return fields;
}

/** Drops control characters (XML cannot carry most of them) and truncates by code point. */
export function cleanText(text: string, maxChars: number): string {
  return Array.from(text.replace(/\p{Cc}/gu, ' '))
    .slice(0, maxChars)
    .join('');
}

// ---------------------------------------------------------------- responses

export type BusinessResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'failed'; readonly errCode: string; readonly message: string }
  /** return_code FAIL naming CanCan's setup: the signature, the merchant or app id, the client certificate. */
  | Rejected
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * return_msg wordings (English and Chinese) of a request WeChat refused
 * because of how CanCan is set up with it. Retrying cannot help until someone
 * fixes the credentials; any other return_code FAIL stays unreadable.
 */
const SETUP_REFUSALS: readonly RegExp[] = [/sign/i, /签名/, /mch_?id/i, /appid/i, /商户号/, /cert/i, /证书/];

/** Reads the two result layers. return_code FAIL is unreadable (the call may not have been processed) unless it names the setup. */
export function businessResult(fields: WireFields): BusinessResult {
  const returnCode = field(fields, 'return_code');
  if (returnCode === 'FAIL') {
    const message = field(fields, 'return_msg') ?? '';
    if (SETUP_REFUSALS.some((pattern) => pattern.test(message))) return { kind: 'rejected', code: 'FAIL', message };
  }
  if (returnCode !== 'SUCCESS') {
    return { kind: 'unreadable', reason: `return_code ${returnCode ?? '(missing)'}: ${field(fields, 'return_msg') ?? ''}` };
  }
  const resultCode = field(fields, 'result_code');
  if (resultCode === 'SUCCESS') return { kind: 'success' };
  const errCode = field(fields, 'err_code');
  if (resultCode === 'FAIL' && errCode !== undefined && errCode !== '') {
    return { kind: 'failed', errCode, message: field(fields, 'err_code_des') ?? errCode };
  }
  return { kind: 'unreadable', reason: `result_code ${resultCode ?? '(missing)'} without err_code` };
}

/** An answer about another order than the one asked about cannot be trusted. */
function mismatchedOrder(fields: WireFields, orderNo: string): boolean {
  const answered = field(fields, 'out_trade_no');
  return answered !== undefined && answered !== orderNo;
}

export function toPayOutcome(fields: WireFields, orderNo: string): PayOutcome {
  const result = businessResult(fields);
  switch (result.kind) {
    case 'rejected':
      return result;
    case 'unreadable':
      return { kind: 'unknown', reason: result.reason, code: null };
    case 'success':
      if (mismatchedOrder(fields, orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no', code: null };
      return { kind: 'paid', providerTxnId: field(fields, 'transaction_id') ?? null };
    case 'failed': {
      const errorClass = classifyMicropayError(result.errCode);
      switch (errorClass) {
        case 'unknown':
          return { kind: 'unknown', reason: result.message, code: result.errCode };
        case 'awaiting_customer':
          return { kind: 'awaiting_customer', code: result.errCode };
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

export function toQueryOutcome(fields: WireFields, orderNo: string): QueryOutcome {
  const result = businessResult(fields);
  switch (result.kind) {
    case 'rejected':
      return result;
    case 'unreadable':
      return { kind: 'unknown', reason: result.reason };
    case 'failed':
      // ORDERNOTEXIST: the micropay never reached WeChat, so nothing was paid.
      return result.errCode === 'ORDERNOTEXIST' ? { kind: 'not_paid' } : { kind: 'unknown', reason: result.message };
    case 'success':
      break;
    default:
      return assertNever(result);
  }
  if (mismatchedOrder(fields, orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no' };
  const tradeState = parseTradeState(field(fields, 'trade_state'));
  if (tradeState === null) return { kind: 'unknown', reason: `unexpected trade_state ${field(fields, 'trade_state') ?? '(missing)'}` };
  switch (tradeState) {
    case 'SUCCESS':
    case 'REFUND': // paid first, refunded since: the sale itself was paid
      return { kind: 'paid', providerTxnId: field(fields, 'transaction_id') ?? null };
    case 'USERPAYING':
      return { kind: 'awaiting_customer' };
    case 'NOTPAY':
      return { kind: 'not_paid' };
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return { kind: 'closed', code: tradeState };
    default:
      return assertNever(tradeState);
  }
}

export function toReverseOutcome(fields: WireFields): ReverseOutcome {
  const result = businessResult(fields);
  if (result.kind === 'unreadable') return { kind: 'unknown', reason: result.reason };
  if (result.kind === 'rejected') return result;
  // recall=Y: "call reverse again", whatever result_code says.
  if (field(fields, 'recall') === 'Y') return { kind: 'retry', reason: 'recall=Y' };
  if (result.kind === 'success') return { kind: 'reversed' };
  if (result.errCode === 'ORDERNOTEXIST') return { kind: 'reversed' }; // nothing to reverse
  return declinedOrUnknown(result, classifyReverseError(result.errCode));
}

export function toRefundOutcome(fields: WireFields): RefundOutcome {
  const result = businessResult(fields);
  switch (result.kind) {
    case 'rejected':
      return result;
    case 'unreadable':
      return { kind: 'unknown', reason: result.reason };
    case 'success':
      return { kind: 'processing' }; // WeChat refunds settle asynchronously: refundquery tells
    case 'failed':
      return declinedOrUnknown(result, classifyRefundError(result.errCode));
    default:
      return assertNever(result);
  }
}

/** A failed reverse or refund: only a definite error is a refusal; anything else leaves the outcome open. */
function declinedOrUnknown(
  result: Extract<BusinessResult, { kind: 'failed' }>,
  errorClass: ErrorClass,
): { readonly kind: 'declined'; readonly code: string; readonly message: string } | { readonly kind: 'unknown'; readonly reason: string } {
  switch (errorClass) {
    case 'unknown':
    case 'awaiting_customer':
      return { kind: 'unknown', reason: `${result.errCode}: ${result.message}` };
    case 'definite':
      return { kind: 'declined', code: result.errCode, message: result.message };
    default:
      return assertNever(errorClass);
  }
}

export function toRefundQueryOutcome(fields: WireFields, refundNo: string): RefundQueryOutcome {
  const result = businessResult(fields);
  switch (result.kind) {
    case 'rejected':
      return result;
    case 'unreadable':
      return { kind: 'unknown', reason: result.reason };
    case 'failed':
      return result.errCode === 'REFUNDNOTEXIST' ? { kind: 'not_found' } : { kind: 'unknown', reason: result.message };
    case 'success':
      break;
    default:
      return assertNever(result);
  }
  const index = refundIndex(fields, refundNo);
  if (index === null) return { kind: 'unknown', reason: `answer does not list out_refund_no ${refundNo}` };
  const rawStatus = field(fields, `refund_status_${index}`);
  const status = parseRefundStatus(rawStatus);
  if (status === null) return { kind: 'unknown', reason: `unexpected refund_status ${rawStatus ?? '(missing)'}` };
  switch (status) {
    case 'SUCCESS':
      return { kind: 'succeeded' };
    case 'PROCESSING':
      return { kind: 'processing' };
    case 'REFUNDCLOSE':
      return { kind: 'failed', code: status, message: 'refund closed' };
    case 'CHANGE': // the money could not reach the customer's account
      return { kind: 'failed', code: status, message: 'refund needs a manual transfer' };
    default:
      return assertNever(status);
  }
}

/** The `$n` of our refund in a refundquery answer (refund_count entries, numbered from 0). */
function refundIndex(fields: WireFields, refundNo: string): number | null {
  const count = Number(field(fields, 'refund_count') ?? '1');
  if (!Number.isSafeInteger(count) || count < 1) return null;
  for (let index = 0; index < count; index += 1) {
    if (field(fields, `out_refund_no_${index}`) === refundNo) return index;
  }
  return null;
}

/** The code and message worth recording in a trace (provider answers only; never request fields). */
export function traceCode(fields: WireFields): string | null {
  return field(fields, 'err_code') ?? field(fields, 'trade_state') ?? field(fields, 'result_code') ?? field(fields, 'return_code') ?? null;
}

export function traceMessage(fields: WireFields): string | null {
  return field(fields, 'err_code_des') ?? field(fields, 'trade_state_desc') ?? field(fields, 'return_msg') ?? null;
}

function parseTradeState(value: string | undefined): TradeState | null {
  return TRADE_STATES.find((state) => state === value) ?? null;
}

function parseRefundStatus(value: string | undefined): RefundStatus | null {
  return REFUND_STATUSES.find((status) => status === value) ?? null;
}
