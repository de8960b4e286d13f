/**
 * One provider's day as CSV: every visible item (matched ones too), in the
 * transactions export's format (CRLF, UTF-8 BOM, formula-safe cells, amounts
 * in major units of the line's currency).
 */
import { Readable } from 'node:stream';
import { majorDigits } from './amounts.js';
import type { ItemRow } from './reconciliation-data.js';
import { csvLine } from './transactions-csv.js';

export const RECON_CSV_COLUMNS = [
  'day',
  'provider',
  'mode',
  'merchant_id',
  'class',
  'kind',
  'order_no',
  'refund_no',
  'cancan_id',
  'currency',
  'provider_amount',
  'cancan_amount',
  'fee',
  'net',
  'provider_status',
  'cancan_state',
  'detail',
] as const;

const major = (amount: number | null, currency: string): string | null => (amount === null ? null : majorDigits(amount, currency));

export interface CsvDay {
  readonly day: string;
  readonly provider: string;
  readonly mode: string;
}

export function reconCsvRow(day: CsvDay, item: ItemRow): string {
  return csvLine([
    day.day,
    day.provider,
    day.mode,
    item.merchantId,
    item.class,
    item.kind,
    item.orderNo,
    item.refundNo,
    item.transactionRef,
    item.currency,
    major(item.providerAmount, item.currency),
    major(item.cancanAmount, item.currency),
    major(item.fee, item.currency),
    major(item.net, item.currency),
    item.providerStatus,
    item.cancanState,
    item.detail,
  ]);
}

const CHUNK_CHARS = 32_768;

export function reconCsvStream(day: CsvDay, items: AsyncIterable<ItemRow>): Readable {
  async function* chunks(): AsyncGenerator<string> {
    let chunk = `\uFEFF${csvLine(RECON_CSV_COLUMNS)}`;
    for await (const item of items) {
      chunk += reconCsvRow(day, item);
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  return Readable.from(chunks());
}
