/**
 * Pure transformers of Alipay face-to-face QR payments (the merchant shows a
 * QR, the customer scans it): `alipay.trade.precreate` → `qr_code`, and
 * `alipay.trade.close`. Queries and refunds are the same calls as for
 * bar-code payments (transformers.ts).
 *
 * Fields per Alipay's alipay.trade.precreate and alipay.trade.close pages
 * (opendocs.alipay.com/apis/api_1/alipay.trade.precreate, .../alipay.trade.close).
 */
import { toMajorUnitString } from '../../domain/money.js';
import { beijingTimestamp } from '../china-time.js';
import type { CloseOutcome, OrderOutcome, OrderRequest, QueryOutcome } from '../contract.js';
import { classifyPrecreateSubCode, closeSubCodeOutcome } from './errors.js';
import type { AlipayFields } from './sign.js';
import { answerReason, bySubCodeClass, mismatchedOrder, nonEmpty, orderCurrencyFields, readAnswer, subjectOf, type BizContent } from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';

export function precreateBizContent(request: OrderRequest): BizContent {
  return {
    out_trade_no: request.orderNo,
    total_amount: toMajorUnitString(request.money), // decimal string in major units
    subject: subjectOf(request.description, request.orderNo),
    product_code: 'FACE_TO_FACE_PAYMENT',
    // Absolute deadline, yyyy-MM-dd HH:mm:ss China time; takes precedence over timeout_express. Truncated
    // to the second, so the code stops working no later than CanCan's deadline.
    time_expire: beijingTimestamp(request.expiresAt),
    ...orderCurrencyFields(request.money),
  };
}

/** `notify_url` is a common parameter, outside biz_content; left out when CanCan has none (it queries). */
export function precreateOptionalParams(request: OrderRequest): Record<string, string> {
  return request.notifyUrl === null ? {} : { notify_url: request.notifyUrl };
}

export function closeBizContent(orderNo: string): BizContent {
  return { out_trade_no: orderNo };
}

export function toOrderOutcome(fields: AlipayFields, orderNo: string): OrderOutcome {
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success': {
      if (mismatchedOrder(fields, orderNo)) return { kind: 'unknown', reason: 'answer names another out_trade_no', code: null };
      const qrCode = nonEmpty(fields['qr_code']);
      if (qrCode === undefined) return { kind: 'unknown', reason: 'answer has no qr_code', code: null };
      return { kind: 'created', qrCode, payForm: null };
    }
    case 'business_failed':
      return bySubCodeClass<OrderOutcome>(classifyPrecreateSubCode(answer.subCode), {
        unknown: () => ({ kind: 'unknown', reason: answer.message || answer.subCode, code: answer.subCode }),
        definite: () => ({ kind: 'declined', code: answer.subCode, message: answer.message }),
      });
    case 'refused':
      return { kind: 'declined', code: answer.code, message: answer.message };
    case 'unavailable':
      return { kind: 'unknown', reason: answer.message || answer.code, code: answer.code };
    case 'awaiting_customer': // 10003 belongs to alipay.trade.pay; here it makes no sense
      return { kind: 'unknown', reason: 'unexpected code 10003', code: '10003' };
    case 'rejected':
      return answer;
    case 'unreadable':
      return { kind: 'unknown', reason: answer.reason, code: null };
    default:
      return assertNever(answer);
  }
}

/** What alipay.trade.close said, before a "not waiting for the buyer" answer is resolved by a query. */
export type CloseAnswer = CloseOutcome | { readonly kind: 'not_waiting'; readonly code: string };

export function toCloseAnswer(fields: AlipayFields): CloseAnswer {
  const answer = readAnswer(fields);
  switch (answer.kind) {
    case 'success':
      return { kind: 'closed' };
    case 'business_failed': {
      const outcome = closeSubCodeOutcome(answer.subCode);
      switch (outcome) {
        case 'closed':
          return { kind: 'closed' };
        case 'not_waiting':
          return { kind: 'not_waiting', code: answer.subCode };
        case 'retry':
          return { kind: 'retry', reason: `${answer.subCode}: ${answer.message}` };
        case null:
          return { kind: 'declined', code: answer.subCode, message: answer.message };
        default:
          return assertNever(outcome);
      }
    }
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

/**
 * Close said the trade is not waiting for the buyer; the query says why.
 * Only a paid trade is `already_paid`: a wrong one would tell the caller
 * money moved when it did not.
 */
export function closeOutcomeFromQuery(query: QueryOutcome): CloseOutcome {
  switch (query.kind) {
    case 'paid':
      return { kind: 'already_paid' };
    case 'closed':
      return { kind: 'closed' };
    case 'awaiting_customer': // waiting after all: closing again may work
      return { kind: 'retry', reason: 'the trade waits for the buyer again' };
    case 'not_paid':
      return { kind: 'unknown', reason: 'close says the trade is not waiting for the buyer, query says it does not exist' };
    case 'unknown':
      return { kind: 'unknown', reason: query.reason };
    case 'rejected':
      return query;
    default:
      return assertNever(query);
  }
}
