/**
 * Antom's settlement details report, as CanCan reads and the simulator writes
 * it (docs.antom.com "Settlement details report"; the AMS "Settlement file
 * format" gives the column order): a CSV whose first line names the columns,
 * one line per settled transaction, and `<END>` as the last line. Columns are
 * read by name, so extra or reordered columns are fine.
 *
 * Amounts are decimal strings in major units of their currency column
 * (`transactionAmountValue` in `transactionCurrency`); a refund, and a fee the
 * merchant pays, print negative. `transactionRequestId` is our
 * paymentRequestId (payments) or refundRequestId (refunds);
 * `originalTransactionRequestId` names a refund's payment.
 */
import { currencyExponent, isCurrencyCode, type CurrencyCode } from '../../domain/money.js';
import type { Statement, StatementLine } from '../statements.js';

/** The columns the simulator writes, in the AMS settlement file's order. */
export const ANTOM_SETTLEMENT_COLUMNS = [
  'settlementBatchId',
  'customerId',
  'transactionId',
  'originalTransactionId',
  'transactionRequestId',
  'paymentMethodType',
  'pspName',
  'transactionType',
  'paymentTime',
  'settlementTime',
  'productCode',
  'transactionAmountValue',
  'transactionCurrency',
  'settlementAmountValue',
  'settlementCurrency',
  'feeAmountValue',
  'feeCurrency',
  'originalTransactionRequestId',
] as const;
export type AntomSettlementColumn = (typeof ANTOM_SETTLEMENT_COLUMNS)[number];
export type AntomSettlementRow = Readonly<Record<AntomSettlementColumn, string>>;

export const END_OF_FILE = '<END>';

/** Transaction types that are a payment kept (settled), a payment given back (not settled) and a refund. */
const PAYMENT_TYPES = new Set(['PAYMENT', 'CAPTURE']);
const UNSETTLED_PAYMENT_TYPES = new Set(['CANCEL', 'VOID', 'PAYMENT_REVERSAL']);
const REFUND_TYPES = new Set(['REFUND']);

// ------------------------------------------------------------------ writing

/** Writes the rows as the report's CSV (CRLF line ends; quotes only where a value needs them). */
export function formatSettlementReport(rows: readonly AntomSettlementRow[]): string {
  const lines = [ANTOM_SETTLEMENT_COLUMNS.join(','), ...rows.map((row) => ANTOM_SETTLEMENT_COLUMNS.map((column) => csvValue(row[column])).join(','))];
  return `${[...lines, END_OF_FILE].join('\r\n')}\r\n`;
}

function csvValue(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Minor units → the report's signed major-unit decimal ("-12.34"). */
export function reportAmount(minor: number, currency: CurrencyCode): string {
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return minor < 0 ? `-${text}` : text;
}

// ------------------------------------------------------------------ reading

export type ParsedReport = { readonly ok: true; readonly statement: Statement } | { readonly ok: false; readonly reason: string };

export function parseSettlementReport(text: string): ParsedReport {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  if (rows === null) return { ok: false, reason: 'the settlement report is not well-formed CSV' };
  while (rows.length > 0 && isBlank(rows[rows.length - 1])) rows.pop();
  const last = rows.pop();
  if (last === undefined || last.length !== 1 || last[0]?.trim() !== END_OF_FILE) {
    return { ok: false, reason: 'the settlement report does not end with <END>: it is incomplete' };
  }
  const header = rows.shift();
  if (header === undefined) return { ok: false, reason: 'the settlement report has no header line' };
  const index = new Map(header.map((name, at) => [name.trim(), at] as const));
  for (const required of ['transactionRequestId', 'transactionType', 'transactionAmountValue', 'transactionCurrency'] as const) {
    if (!index.has(required)) return { ok: false, reason: `the settlement report has no ${required} column` };
  }
  const lines: StatementLine[] = [];
  for (const [at, row] of rows.entries()) {
    if (isBlank(row)) continue;
    const value = (column: AntomSettlementColumn): string => {
      const position = index.get(column);
      return position === undefined ? '' : (row[position] ?? '').trim();
    };
    const line = readLine(value);
    if (typeof line === 'string') return { ok: false, reason: `settlement report line ${at + 2}: ${line}` };
    if (line !== null) lines.push(line);
  }
  return { ok: true, statement: { lines, totals: [] } };
}

/** One row as a statement line; null for a transaction type reconciliation does not cover (disputes, adjustments); a string says what is wrong. */
function readLine(value: (column: AntomSettlementColumn) => string): StatementLine | null | string {
  const type = value('transactionType').toUpperCase();
  const isRefund = REFUND_TYPES.has(type);
  if (!isRefund && !PAYMENT_TYPES.has(type) && !UNSETTLED_PAYMENT_TYPES.has(type)) return null;
  const currency = value('transactionCurrency');
  if (!isCurrencyCode(currency)) return `unknown transactionCurrency ${JSON.stringify(currency)}`;
  const amount = readAmount(value('transactionAmountValue'), currency);
  if (amount === null) return `transactionAmountValue ${JSON.stringify(value('transactionAmountValue'))} is not an amount in ${currency}`;
  const requestId = value('transactionRequestId');
  if (requestId === '') return 'no transactionRequestId';
  const original = value('originalTransactionRequestId');
  if (isRefund && original === '') return 'a refund without originalTransactionRequestId';
  const fee = readSide(value('feeAmountValue'), value('feeCurrency'), currency);
  const net = readSide(value('settlementAmountValue'), value('settlementCurrency'), currency);
  if (fee === undefined || net === undefined) return 'fee or settlement amount unreadable';
  const at = Date.parse(value('paymentTime'));
  return {
    kind: isRefund ? 'refund' : 'payment',
    orderNo: isRefund ? original : requestId,
    refundNo: isRefund ? requestId : null,
    providerTxnId: value('transactionId') || null,
    amountMinor: Math.abs(amount),
    currency,
    feeMinor: fee === null ? null : Math.abs(fee),
    netMinor: net === null ? null : Math.abs(net),
    providerStatus: type,
    settled: !UNSETTLED_PAYMENT_TYPES.has(type),
    at: Number.isNaN(at) ? 0 : at,
  };
}

/** A fee or settlement amount: null when absent or in another currency than the transaction (CanCan cannot compare it); undefined when unreadable. */
function readSide(text: string, currency: string, transactionCurrency: CurrencyCode): number | null | undefined {
  if (text === '') return null;
  if (currency !== '' && currency !== transactionCurrency) return null;
  const amount = readAmount(text, transactionCurrency);
  return amount === null ? undefined : amount;
}

/** Signed major-unit decimal → signed minor units; null when it has more decimals than the currency or is not a number. */
function readAmount(text: string, currency: CurrencyCode): number | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return null;
  const exponent = currencyExponent(currency);
  const fraction = match[3] ?? '';
  if (fraction.length > exponent) return null;
  const minor = Number(match[2]) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
  if (!Number.isSafeInteger(minor)) return null;
  return match[1] === '-' ? -minor : minor;
}

const isBlank = (row: readonly string[] | undefined): boolean => row === undefined || row.every((cell) => cell.trim() === '');

/** RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks); null when a quote is left open. */
function parseCsv(text: string): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let at = 0; at < text.length; at += 1) {
    const char = text[at];
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        cell += '"';
        at += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
      continue;
    }
    if (char === '"' && cell === '') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[at + 1] === '\n') at += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (quoted) return null;
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
