/**
 * The transactions export as CSV (RFC 4180, CRLF lines, UTF-8 with a BOM so
 * spreadsheet programs read non-ASCII text right). Cells that a spreadsheet
 * would run as a formula get a leading apostrophe: a description typed at a
 * till must never become `=HYPERLINK(...)` on an accountant's screen.
 */
import { Readable } from 'node:stream';
import { isCurrencyCode } from '../domain/money.js';
import { majorDigits } from './amounts.js';
import type { TransactionRow } from '../store/transactions.js';

export const CSV_COLUMNS = [
  'created_at',
  'finalized_at',
  'merchant_id',
  'channel',
  'type',
  'state',
  'id',
  'reference',
  'cancan_id',
  'sale',
  'gateway',
  'amount',
  'currency',
  'refunded_amount',
  'pos_id',
  'mch_level_1',
  'mch_level_2',
  'mch_level_3',
  'failure_code',
  'description',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: formula triggers neutralised, then quoted when it holds a quote, comma or line break. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: readonly (string | number | null)[]): string => `${cells.map(csvCell).join(',')}\r\n`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

/** Minor units → "12.34" in the row's currency (the bare integer if the currency were unknown). */
function major(amount: number | null, currency: string | null): string | null {
  if (amount === null) return null;
  // Any stored size (a bigint-sized test amount must not break the file halfway).
  return currency !== null && isCurrencyCode(currency) ? majorDigits(amount, currency) : String(amount);
}

export function csvRow(row: TransactionRow): string {
  return csvLine([
    iso(row.created_at),
    iso(row.finalized_at),
    row.merchant_id,
    row.channel,
    row.type,
    row.state,
    row.client_id,
    row.reference,
    row.ref,
    row.sale_client_id,
    row.gateway ?? row.payment_method,
    major(row.amount, row.currency),
    row.currency,
    major(row.refunded_amount, row.currency),
    row.pos_id,
    row.mch_level_1,
    row.mch_level_2,
    row.mch_level_3,
    row.failure_code,
    row.description,
  ]);
}

/** Lines are sent in chunks of about this many characters rather than one write per row. */
const CHUNK_CHARS = 32_768;

/** A stream of the whole file; rows are pulled from `rows` only as fast as the client reads. */
export function csvStream(rows: AsyncIterable<TransactionRow>): Readable {
  async function* chunks(): AsyncGenerator<string> {
    let chunk = `\uFEFF${csvLine(CSV_COLUMNS)}`;
    for await (const row of rows) {
      chunk += csvRow(row);
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  return Readable.from(chunks());
}
