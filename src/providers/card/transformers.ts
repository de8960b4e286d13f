/**
 * Pure Converge transformers: domain requests → `<txn>` fields, parsed
 * answers → contract outcomes. No HTTP, no clock (times are passed in).
 *
 * Request fields: Converge "Sale - ccsale", "Return - ccreturn" and
 * "Transaction Query - txnquery" (developer.elavon.com/na/docs/converge/
 * 1.0.0/integration-guide/transaction_types/...). A transaction answer
 * carries `ssl_result` ("0 indicates an approved transaction, not equal to 0
 * a declined one"); a failed request carries `errorCode` instead.
 *
 * Finding a sale by our order number: txnquery cannot search by invoice
 * number (it searches by `ssl_txn_id`, card data and/or a date range of at
 * most 31 days), so the adapter asks for a date range and picks, client
 * side, the transactions whose `ssl_invoice_number` is ours.
 */
import type { CardResult, CardSaleOutcome, CardSaleRequest, QueryOutcome, RefundOutcome, RefundQueryOutcome, RefundRequest } from '../contract.js';
import { fromMajorUnitString, toMajorUnitString, type CurrencyCode, type Money } from '../../domain/money.js';
import { maskCardNumber } from './card.js';
import { errorLeavesMoneyInDoubt, isDuplicateDecline } from './errors.js';
import { field, type ConvergeAnswer, type WireFields } from './xml.js';
import { assertNever } from '../../domain/assert-never.js';

export interface CardCredentials {
  readonly merchantId: string;
  readonly userId: string;
  readonly pin: string;
  /** Whether the Converge account is set up for multi-currency: only then is `ssl_transaction_currency` sent. */
  readonly multiCurrency: boolean;
  /** The account's own currency: the only one a single-currency account can charge. */
  readonly currency: CurrencyCode;
}

/**
 * Why this account cannot charge `currency`, or null when it can. A
 * single-currency account charges in its own currency only (Converge takes no
 * currency field from it), so any other currency is refused before it is sent.
 */
export function cardCurrencyRule(credentials: CardCredentials, currency: CurrencyCode): string | null {
  if (credentials.multiCurrency || currency === credentials.currency) return null;
  return `the card account charges ${credentials.currency} only (multi-currency is not enabled for it), not ${currency}`;
}

/** Converge answers "5005 Field Character Limit Exceeded" above this; ActiveMerchant truncates to 25 too. */
export const INVOICE_NUMBER_MAX_CHARS = 25;
/** Converge refuses a txnquery date range longer than 31 days. */
export const SEARCH_WINDOW_MAX_DAYS = 31;
const DAY_MS = 86_400_000;

/** ssl_first_name 20, ssl_last_name 30 characters (ActiveMerchant elavon.rb `add_creditcard`). */
const FIRST_NAME_MAX_CHARS = 20;
const LAST_NAME_MAX_CHARS = 30;
const AVS_ZIP_MAX_CHARS = 9;

// ---------------------------------------------------------------- requests

/** Our order / refund number as an `ssl_invoice_number`: at most 25 characters (hex ids stay unique). */
export function invoiceNumberFor(reference: string): string {
  return reference.slice(0, INVOICE_NUMBER_MAX_CHARS);
}

function credentialFields(credentials: CardCredentials): Record<string, string> {
  return { ssl_merchant_id: credentials.merchantId, ssl_user_id: credentials.userId, ssl_pin: credentials.pin };
}

/** Converge amounts are decimal major units, with the currency's own number of decimals (ccsale, ssl_amount). */
export function amountField(value: Money): string {
  return toMajorUnitString(value);
}

export function saleFields(credentials: CardCredentials, request: CardSaleRequest): Record<string, string> {
  const { card } = request;
  const fields: Record<string, string> = {
    ...credentialFields(credentials),
    ssl_transaction_type: 'ccsale',
    ssl_amount: amountField(request.money),
    ssl_card_number: card.number,
    ssl_exp_date: card.expiry,
    ssl_cvv2cvc2_indicator: '1', // 1 = CVV2 present
    ssl_cvv2cvc2: card.cvc,
    ssl_invoice_number: invoiceNumberFor(request.orderNo),
  };
  // Multi-currency accounts only (ActiveMerchant elavon.rb `add_currency`); others charge in their own currency.
  if (credentials.multiCurrency) fields['ssl_transaction_currency'] = request.money.currency;
  const { first, last } = splitName(card.name);
  if (first !== '') fields['ssl_first_name'] = first;
  if (last !== '') fields['ssl_last_name'] = last;
  const zip = card.postalCode.replace(/[^A-Za-z0-9]/g, '').slice(0, AVS_ZIP_MAX_CHARS);
  if (zip !== '') fields['ssl_avs_zip'] = zip;
  return fields;
}

/** ccreturn of (part of) a sale; the refund number travels as the return's invoice number, so it can be found again. */
export function returnFields(credentials: CardCredentials, saleTxnId: string, request: RefundRequest): Record<string, string> {
  return {
    ...credentialFields(credentials),
    ssl_transaction_type: 'ccreturn',
    ssl_txn_id: saleTxnId,
    ssl_amount: amountField(request.refundMoney),
    ssl_invoice_number: invoiceNumberFor(request.refundNo),
  };
}

export interface SearchWindow {
  /** MM/DD/YYYY */
  readonly start: string;
  readonly end: string;
}

export function searchFields(credentials: CardCredentials, window: SearchWindow): Record<string, string> {
  return {
    ...credentialFields(credentials),
    ssl_transaction_type: 'txnquery',
    ssl_search_start_date: window.start,
    ssl_search_end_date: window.end,
  };
}

/**
 * Date windows covering the last `days` days, newest first. The newest ends
 * tomorrow (UTC) so a sale made late today in any merchant time zone is in it.
 */
export function searchWindows(nowMs: number, days: number, windowDays = SEARCH_WINDOW_MAX_DAYS - 1): SearchWindow[] {
  const windows: SearchWindow[] = [];
  let end = startOfUtcDay(nowMs) + DAY_MS;
  for (let covered = 0; covered < days; covered += windowDays) {
    const start = end - windowDays * DAY_MS;
    windows.push({ start: formatSearchDate(start), end: formatSearchDate(end) });
    end = start;
  }
  return windows;
}

/** "Ada King Lovelace" → first "Ada King", last "Lovelace"; a single word is a last name. */
export function splitName(name: string): { first: string; last: string } {
  const words = name
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const last = words.pop() ?? '';
  return { first: truncate(words.join(' '), FIRST_NAME_MAX_CHARS), last: truncate(last, LAST_NAME_MAX_CHARS) };
}

function truncate(text: string, maxChars: number): string {
  return Array.from(text).slice(0, maxChars).join('');
}

// ---------------------------------------------------------------- dates

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** MM/DD/YYYY (UTC), txnquery's search date format. */
function formatSearchDate(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${date.getUTCFullYear()}`;
}

/** MM/DD/YYYY → epoch ms of that UTC day, or null. */
export function parseSearchDate(text: string): number | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text.trim());
  if (match === null) return null;
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? ms : null;
}

/** Converge's ssl_txn_time: MM/DD/YYYY hh:mm:ss AM (UTC here). */
export function formatTxnTime(ms: number): string {
  const date = new Date(ms);
  const hours = date.getUTCHours();
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  return `${formatSearchDate(ms)} ${pad(hour12)}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

// ---------------------------------------------------------------- responses

type Reading =
  | { readonly kind: 'result'; readonly fields: WireFields; readonly result: string }
  | { readonly kind: 'error'; readonly code: string; readonly name: string; readonly message: string }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** A single-transaction answer: its ssl_result, its error, or why neither can be read. */
function readTxn(answer: ConvergeAnswer): Reading {
  if (answer.kind !== 'txn') return { kind: 'unreadable', reason: 'expected <txn>, got <txnlist>' };
  const { fields } = answer;
  const errorCode = nonEmpty(field(fields, 'errorCode'));
  if (errorCode !== null) {
    return { kind: 'error', code: errorCode, name: field(fields, 'errorName') ?? '', message: field(fields, 'errorMessage') ?? '' };
  }
  const result = nonEmpty(field(fields, 'ssl_result'));
  if (result === null || !/^\d+$/.test(result)) return { kind: 'unreadable', reason: `no ssl_result in the answer` };
  return { kind: 'result', fields, result };
}

/** The transactions of a txnquery answer (a lone `<txn>` with an ssl_txn_id counts as a list of one). */
export function txnsOf(answer: ConvergeAnswer): { ok: true; txns: readonly WireFields[] } | { ok: false; reason: string } {
  if (answer.kind === 'txnlist') return { ok: true, txns: answer.txns };
  const errorCode = nonEmpty(field(answer.fields, 'errorCode'));
  if (errorCode !== null)
    return { ok: false, reason: `${errorCode} ${field(answer.fields, 'errorName') ?? ''}: ${field(answer.fields, 'errorMessage') ?? ''}` };
  if (nonEmpty(field(answer.fields, 'ssl_txn_id')) !== null) return { ok: true, txns: [answer.fields] };
  return { ok: false, reason: 'unexpected txnquery answer' };
}

function describeError(reading: { code: string; name: string; message: string }): string {
  return `${reading.code} ${reading.name}: ${reading.message}`.trim();
}

/** Only masked data: the number is masked here from ours, whatever the acquirer echoed. */
function cardResult(request: CardSaleRequest, fields: WireFields, result: string, resultMessage: string): CardResult {
  return {
    result,
    resultMessage,
    txnId: nonEmpty(field(fields, 'ssl_txn_id')),
    approvalCode: nonEmpty(field(fields, 'ssl_approval_code')),
    cvv2Response: nonEmpty(field(fields, 'ssl_cvv2_response')),
    avsResponse: nonEmpty(field(fields, 'ssl_avs_response')),
    maskedNumber: maskCardNumber(request.card.number),
    expiry: request.card.expiry,
    txnTime: nonEmpty(field(fields, 'ssl_txn_time')),
  };
}

export function toSaleOutcome(answer: ConvergeAnswer, request: CardSaleRequest): CardSaleOutcome {
  const reading = readTxn(answer);
  switch (reading.kind) {
    case 'unreadable':
      return { kind: 'unknown', reason: reading.reason };
    case 'error':
      if (errorLeavesMoneyInDoubt(reading.code)) return { kind: 'unknown', reason: describeError(reading) };
      // The decline code in the card result is Converge's errorCode (the hosted page passes it on as ssl_result).
      return {
        kind: 'declined',
        code: reading.code,
        message: describeError(reading),
        card: cardResult(request, {}, reading.code, reading.name || reading.code),
      };
    case 'result':
      break;
    default:
      return assertNever(reading);
  }
  const { fields, result } = reading;
  const message = field(fields, 'ssl_result_message') ?? '';
  const answeredInvoice = nonEmpty(field(fields, 'ssl_invoice_number'));
  if (answeredInvoice !== null && answeredInvoice !== invoiceNumberFor(request.orderNo)) {
    return { kind: 'unknown', reason: 'answer names another ssl_invoice_number' };
  }
  if (result !== '0') {
    if (isDuplicateDecline(message)) return { kind: 'unknown', reason: `duplicate of an earlier sale: ${message}` };
    return { kind: 'declined', code: message || result, message: message || `ssl_result ${result}`, card: cardResult(request, fields, result, message) };
  }
  if (!sameAmount(field(fields, 'ssl_amount'), request.money)) {
    return { kind: 'unknown', reason: 'approved for another amount than asked' };
  }
  return { kind: 'approved', card: cardResult(request, fields, result, message) };
}

/** What our order number became at Converge, from the transactions of a date-range search. */
export function toQueryOutcome(txns: readonly WireFields[], orderNo: string): QueryOutcome {
  const invoice = invoiceNumberFor(orderNo);
  const mine = txns.filter((txn) => field(txn, 'ssl_invoice_number') === invoice);
  const sale = findApprovedSale(mine, orderNo);
  if (sale !== null) {
    const status = field(sale, 'ssl_trans_status') ?? '';
    // PEN (pended) / REV (review): authorised but held by the merchant's own rules: not final yet.
    if (status === 'PEN' || status === 'REV') return { kind: 'unknown', reason: `sale is held (ssl_trans_status ${status})` };
    return { kind: 'paid', providerTxnId: nonEmpty(field(sale, 'ssl_txn_id')) };
  }
  if (mine.some((txn) => ['VOID', 'DELETE'].includes(transactionType(txn)))) return { kind: 'closed', code: 'VOIDED' };
  const declined = mine.find((txn) => transactionType(txn) === 'SALE');
  if (declined !== undefined) {
    const status = field(declined, 'ssl_trans_status') ?? '';
    return { kind: 'closed', code: FAILED_BY_RULE.includes(status) ? status : (nonEmpty(field(declined, 'ssl_result_message')) ?? 'DECLINED') };
  }
  return { kind: 'not_paid' };
}

/** The approved, unvoided sale carrying our order number, if Converge has one. */
export function findApprovedSale(txns: readonly WireFields[], orderNo: string): WireFields | null {
  const invoice = invoiceNumberFor(orderNo);
  return (
    txns.find(
      (txn) =>
        field(txn, 'ssl_invoice_number') === invoice &&
        transactionType(txn) === 'SALE' &&
        isApproved(txn) &&
        !FAILED_BY_RULE.includes(field(txn, 'ssl_trans_status') ?? ''),
    ) ?? null
  );
}

/** The return made under our refund number, approved or not. */
export function findReturn(txns: readonly WireFields[], refundNo: string): WireFields | null {
  const invoice = invoiceNumberFor(refundNo);
  const returns = txns.filter((txn) => field(txn, 'ssl_invoice_number') === invoice && transactionType(txn) === 'RETURN');
  return returns.find(isApproved) ?? returns[0] ?? null;
}

export function toRefundOutcome(answer: ConvergeAnswer): RefundOutcome {
  const reading = readTxn(answer);
  switch (reading.kind) {
    case 'unreadable':
      return { kind: 'unknown', reason: reading.reason };
    case 'error':
      if (errorLeavesMoneyInDoubt(reading.code)) return { kind: 'unknown', reason: describeError(reading) };
      return { kind: 'declined', code: reading.code, message: describeError(reading) };
    case 'result': {
      const message = field(reading.fields, 'ssl_result_message') ?? '';
      if (reading.result === '0') return { kind: 'succeeded' };
      if (isDuplicateDecline(message)) return { kind: 'unknown', reason: `duplicate of an earlier return: ${message}` };
      return { kind: 'declined', code: message || reading.result, message: message || `ssl_result ${reading.result}` };
    }
    default:
      return assertNever(reading);
  }
}

/** A return already at Converge, as a refund outcome (a retried refund answers this instead of refunding again). */
export function existingReturnOutcome(txn: WireFields): RefundOutcome {
  if (isApproved(txn)) return { kind: 'succeeded' };
  const message = nonEmpty(field(txn, 'ssl_result_message')) ?? 'DECLINED';
  return { kind: 'declined', code: message, message };
}

export function toRefundQueryOutcome(txns: readonly WireFields[], refundNo: string): RefundQueryOutcome {
  const found = findReturn(txns, refundNo);
  if (found === null) return { kind: 'not_found' };
  if (isApproved(found)) return { kind: 'succeeded' };
  const message = nonEmpty(field(found, 'ssl_result_message')) ?? 'DECLINED';
  return { kind: 'failed', code: message, message };
}

/** The code and message worth a trace (answer fields only, never request fields). */
export function traceCode(answer: ConvergeAnswer): string | null {
  if (answer.kind === 'txnlist') return null;
  return nonEmpty(field(answer.fields, 'errorCode')) ?? nonEmpty(field(answer.fields, 'ssl_result'));
}

export function traceMessage(answer: ConvergeAnswer): string | null {
  if (answer.kind === 'txnlist') return `${answer.txns.length} transaction(s)`;
  const errorName = nonEmpty(field(answer.fields, 'errorName'));
  if (errorName !== null) return `${errorName}: ${field(answer.fields, 'errorMessage') ?? ''}`;
  return nonEmpty(field(answer.fields, 'ssl_result_message'));
}

/** ssl_trans_status values for transactions failed by the merchant's fraud rules (post-auth, fraud, pre-auth). */
const FAILED_BY_RULE: readonly string[] = ['PST', 'FPR', 'PRE'];

/** txnquery lists ssl_result_message (APPROVAL) rather than always ssl_result. */
function isApproved(txn: WireFields): boolean {
  const result = nonEmpty(field(txn, 'ssl_result'));
  if (result !== null) return result === '0';
  return /^APPROV/i.test(field(txn, 'ssl_result_message') ?? '');
}

function transactionType(txn: WireFields): string {
  return (field(txn, 'ssl_transaction_type') ?? '').toUpperCase();
}

/** An approved amount must be the asked one; an amount we cannot read is not held against the answer. */
function sameAmount(answered: string | undefined, asked: Money): boolean {
  if (answered === undefined || answered.trim() === '') return true;
  const text = answered.trim().startsWith('.') ? `0${answered.trim()}` : answered.trim();
  try {
    return fromMajorUnitString(text, asked.currency).amount === asked.amount;
  } catch {
    return true;
  }
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value;
}
