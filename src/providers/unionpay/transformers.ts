/**
 * Pure UnionPay acp 5.1.0 transformations: request fields for the front
 * consume, query and refund, and answers → outcomes. No I/O here.
 *
 * Field names and values follow UnionPay's acp SDK demos (gateway payment,
 * "upacp_demo_b2c": Form_6_2_FrontConsume, Form_6_5_Query, Form_6_4_Refund):
 * txnType 01 consume / 04 refund / 00 query / 31 consume undo; bizType 000201
 * (gateway payment; 000000 for queries); accessType 0 (merchant direct);
 * channelType 07 PC / 08 mobile; txnTime yyyyMMddHHmmss Beijing time; txnAmt
 * in the currency's minor units; currencyCode ISO 4217 numeric.
 */
import type { CurrencyCode, Money } from '../../domain/money.js';
import type { QueryOutcome, RefundOutcome, RefundQueryOutcome, RefundRequest } from '../contract.js';
import { classifyRespCode, RESP_DUPLICATE, RESP_NO_SUCH_TRANSACTION } from './errors.js';
import type { UnionPayFields } from './sign.js';

export const UNIONPAY_VERSION = '5.1.0';
export const UNIONPAY_ENCODING = 'UTF-8';
/** RSA with SHA-256 over the SHA-256 hex digest (see sign.ts). */
export const UNIONPAY_SIGN_METHOD = '01';

export const TXN_TYPES = { query: '00', consume: '01', refund: '04', consumeUndo: '31' } as const;
/** Gateway payment (网关支付). */
export const BIZ_TYPE_GATEWAY = '000201';
/** The query demo's bizType. */
const BIZ_TYPE_QUERY = '000000';
export type ChannelType = '07' | '08';

export const UNIONPAY_PATHS = {
  front: '/gateway/api/frontTransReq.do',
  back: '/gateway/api/backTransReq.do',
  query: '/gateway/api/queryTrans.do',
} as const;

/** orderId: 8–40 letters and digits (no `-` or `_`), unique per merchant and day. */
export function isUnionPayOrderId(text: string): boolean {
  return /^[0-9A-Za-z]{8,40}$/.test(text);
}

/** ISO 4217 numeric codes of every currency CanCan knows (UnionPay `currencyCode`). */
const NUMERIC_CURRENCY_CODES = {
  AUD: '036',
  BHD: '048',
  CAD: '124',
  CHF: '756',
  CNY: '156',
  EUR: '978',
  GBP: '826',
  HKD: '344',
  IDR: '360',
  JOD: '400',
  JPY: '392',
  KRW: '410',
  KWD: '414',
  MOP: '446',
  MYR: '458',
  NZD: '554',
  OMR: '512',
  PHP: '608',
  SGD: '702',
  THB: '764',
  TND: '788',
  TWD: '901',
  USD: '840',
  VND: '704',
} as const satisfies Record<CurrencyCode, string>;

export function numericCurrencyCode(currency: CurrencyCode): string {
  return NUMERIC_CURRENCY_CODES[currency];
}

export function currencyFromNumeric(code: string): CurrencyCode | null {
  const found = Object.entries(NUMERIC_CURRENCY_CODES).find(([, numeric]) => numeric === code);
  return found === undefined ? null : (found[0] as CurrencyCode);
}

/** txnAmt: the amount in the currency's minor units (fen for CNY), as digits. */
export function txnAmt(value: Money): string {
  return String(value.amount);
}

/** txnAmt → minor units, or null (digits only, no leading zeros, a safe integer). */
export function parseTxnAmt(text: string | undefined): number | null {
  if (text === undefined || !/^(?:0|[1-9]\d{0,15})$/.test(text)) return null;
  const amount = Number(text);
  return Number.isSafeInteger(amount) ? amount : null;
}

// ---------------------------------------------------------------- requests

/** The fields every request carries. */
function common(merId: string, certId: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {
    version: UNIONPAY_VERSION,
    encoding: UNIONPAY_ENCODING,
    signMethod: UNIONPAY_SIGN_METHOD,
    accessType: '0',
    merId,
  };
  // certId: serial number of the merchant's signing certificate; the live gateway picks the key by it.
  if (certId !== undefined && certId !== '') fields['certId'] = certId;
  return fields;
}

export interface FrontConsume {
  readonly merId: string;
  readonly certId?: string | undefined;
  readonly orderId: string;
  readonly txnTime: string;
  readonly money: Money;
  readonly frontUrl: string;
  readonly backUrl: string;
  readonly payTimeout: string;
  readonly channelType: ChannelType;
}

/** The front consume (gateway payment) the shopper's browser posts to frontTransReq.do. */
export function frontConsumeFields(order: FrontConsume): Record<string, string> {
  return {
    ...common(order.merId, order.certId),
    txnType: TXN_TYPES.consume,
    txnSubType: '01', // 自助消费
    bizType: BIZ_TYPE_GATEWAY,
    channelType: order.channelType,
    orderId: order.orderId,
    txnTime: order.txnTime,
    txnAmt: txnAmt(order.money),
    currencyCode: numericCurrencyCode(order.money.currency),
    frontUrl: order.frontUrl,
    backUrl: order.backUrl,
    payTimeout: order.payTimeout,
  };
}

/** queryTrans.do: a transaction is named by merId + orderId + its own txnTime. */
export function queryFields(merId: string, certId: string | undefined, orderId: string, txnTime: string): Record<string, string> {
  return { ...common(merId, certId), txnType: TXN_TYPES.query, txnSubType: '00', bizType: BIZ_TYPE_QUERY, orderId, txnTime };
}

export interface RefundCall {
  readonly merId: string;
  readonly certId?: string | undefined;
  readonly orderId: string;
  readonly txnTime: string;
  readonly money: Money;
  readonly origQryId: string;
  readonly backUrl: string;
  readonly channelType: ChannelType;
}

/** backTransReq.do txnType 04: refund (退货) of a consume named by its queryId; no currencyCode (the consume's). */
export function refundFields(refund: RefundCall): Record<string, string> {
  return {
    ...common(refund.merId, refund.certId),
    txnType: TXN_TYPES.refund,
    txnSubType: '00',
    bizType: BIZ_TYPE_GATEWAY,
    channelType: refund.channelType,
    orderId: refund.orderId,
    txnTime: refund.txnTime,
    txnAmt: txnAmt(refund.money),
    origQryId: refund.origQryId,
    backUrl: refund.backUrl,
  };
}

/**
 * The merchant-presented code of an order: the front URL naming the order.
 * The simulator derives the same URL when the browser posts the form (and
 * registers it for the sandbox wallet), and shows the order's payment page
 * when it is opened.
 */
export function orderCodeUrl(frontAction: string, merId: string, orderId: string, txnTime: string): string {
  const url = new URL(frontAction);
  url.search = new URLSearchParams({ merId, orderId, txnTime }).toString();
  return url.href;
}

// ---------------------------------------------------------------- answers

/** An answer about another order than the one asked about cannot be trusted. */
function mismatched(fields: UnionPayFields, orderId: string): boolean {
  const answered = fields['orderId'];
  return answered !== undefined && answered !== '' && answered !== orderId;
}

const describe = (fields: UnionPayFields, code: string): string => `${code}: ${fields['respMsg'] ?? ''}`;

/**
 * queryTrans.do about a consume. respCode is about the query itself: 00 then
 * origRespCode tells the consume's state (00 paid; 03/04/05 processing;
 * anything else failed); 34 means UnionPay has no such transaction (the
 * browser never posted the form, or the shopper never submitted a payment).
 */
export function toQueryOutcome(fields: UnionPayFields, orderId: string): QueryOutcome {
  const respCode = fields['respCode'] ?? '';
  if (respCode === RESP_NO_SUCH_TRANSACTION) return { kind: 'not_paid' };
  if (classifyRespCode(respCode) !== 'success') return { kind: 'unknown', reason: describe(fields, respCode || '(no respCode)') };
  if (mismatched(fields, orderId)) return { kind: 'unknown', reason: 'answer names another orderId' };
  const txnType = fields['txnType'];
  if (txnType !== undefined && txnType !== TXN_TYPES.consume) return { kind: 'unknown', reason: `answer is about txnType ${txnType}, not a consume` };
  const origRespCode = fields['origRespCode'] ?? '';
  switch (classifyRespCode(origRespCode)) {
    case 'success': {
      const queryId = fields['queryId'];
      return { kind: 'paid', providerTxnId: queryId === undefined || queryId === '' ? null : queryId };
    }
    case 'processing':
      return { kind: 'awaiting_customer' };
    case 'unavailable':
    case 'refused':
      return origRespCode === '' ? { kind: 'unknown', reason: 'answer has no origRespCode' } : { kind: 'closed', code: origRespCode };
    default:
      return { kind: 'unknown', reason: `unexpected origRespCode ${origRespCode}` };
  }
}

/**
 * backTransReq.do refund: respCode 00 means accepted (受理成功); the result
 * comes by notification or query, so it is `processing` until refundQuery
 * says otherwise. 12 (duplicate: this refund orderId was sent before) is
 * also for refundQuery to settle.
 */
export function toRefundOutcome(fields: UnionPayFields, refundOrderId: string): RefundOutcome {
  const respCode = fields['respCode'] ?? '';
  if (respCode === RESP_DUPLICATE) return { kind: 'processing' };
  switch (classifyRespCode(respCode)) {
    case 'success':
      return mismatched(fields, refundOrderId) ? { kind: 'unknown', reason: 'answer names another orderId' } : { kind: 'processing' };
    case 'processing':
      return respCode === '05' ? { kind: 'processing' } : { kind: 'unknown', reason: describe(fields, respCode) };
    case 'unavailable':
      return { kind: 'unknown', reason: describe(fields, respCode) };
    case 'refused':
      return respCode === '' ? { kind: 'unknown', reason: 'answer has no respCode' } : { kind: 'declined', code: respCode, message: fields['respMsg'] ?? '' };
    default:
      return { kind: 'unknown', reason: `unexpected respCode ${respCode}` };
  }
}

/** queryTrans.do about a refund's own orderId. */
export function toRefundQueryOutcome(fields: UnionPayFields, request: RefundRequest): RefundQueryOutcome {
  const respCode = fields['respCode'] ?? '';
  if (respCode === RESP_NO_SUCH_TRANSACTION) return { kind: 'not_found' };
  if (classifyRespCode(respCode) !== 'success') return { kind: 'unknown', reason: describe(fields, respCode || '(no respCode)') };
  if (mismatched(fields, request.refundNo)) return { kind: 'unknown', reason: 'answer names another orderId' };
  if (fields['txnType'] !== TXN_TYPES.refund) return { kind: 'unknown', reason: `answer is about txnType ${fields['txnType'] ?? '(none)'}, not a refund` };
  const origRespCode = fields['origRespCode'] ?? '';
  switch (classifyRespCode(origRespCode)) {
    case 'success': {
      const amount = parseTxnAmt(fields['txnAmt']);
      if (amount !== null && amount !== request.refundMoney.amount) {
        return { kind: 'unknown', reason: `txnAmt ${fields['txnAmt'] ?? ''} differs from the refund asked for` };
      }
      return { kind: 'succeeded' };
    }
    case 'processing':
      return { kind: 'processing' };
    case 'unavailable':
    case 'refused':
      return origRespCode === ''
        ? { kind: 'unknown', reason: 'answer has no origRespCode' }
        : { kind: 'failed', code: origRespCode, message: fields['origRespMsg'] ?? '' };
    default:
      return { kind: 'unknown', reason: `unexpected origRespCode ${origRespCode}` };
  }
}

/** The code worth recording in a trace (answers only). */
export function traceCode(fields: UnionPayFields): string | null {
  const orig = fields['origRespCode'];
  const resp = fields['respCode'];
  if (resp === '00' && orig !== undefined && orig !== '') return orig;
  return resp === undefined || resp === '' ? null : resp;
}

export function traceMessage(fields: UnionPayFields): string | null {
  const resp = fields['respCode'];
  const message = resp === '00' && fields['origRespMsg'] ? fields['origRespMsg'] : fields['respMsg'];
  return message === undefined || message === '' ? null : message;
}
