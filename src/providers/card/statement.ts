/**
 * The card acquirer's daily statement for reconciliation: the day's settled
 * batch, read with Converge's transaction query (`txnquery` with
 * `ssl_search_start_date` the day and `ssl_search_end_date` the next, MM/DD/YYYY,
 * as Converge wants the end after the start; the same call the adapter's
 * queries use), keeping the day's transactions by `ssl_txn_time`. Each approved SALE is a payment and
 * each approved RETURN a refund, keyed by `ssl_invoice_number` (our order or
 * refund number, cut to 25 characters); `ssl_trans_status` STL means settled.
 *
 * Converge lists no fees per transaction (they come on the monthly merchant
 * statement), so fee and net are null, and it signs nothing: the answer is
 * trusted as the adapter trusts it (TLS, the account's PIN). The day is a
 * UTC day (the batch closes at midnight UTC here); while any approved
 * transaction of the day is still OPN (unsettled) the batch is not settled
 * and the statement is `not_ready`.
 */
import { describeCallError } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { AdapterContext } from '../descriptor.js';
import type { StatementFetch, StatementLine, StatementSource } from '../statements.js';
import { isPublished, statementDayBounds, statementDayOf } from '../statement-day.js';
import { fromMajorUnitString, isCurrencyCode, type CurrencyCode } from '../../domain/money.js';
import { invoiceNumberFor, searchFields, txnsOf, type CardCredentials } from './transformers.js';
import { buildTxnXml, ConvergeXmlError, field, parseConvergeXml, type WireFields } from './xml.js';

export const CARD_STATEMENT_UTC_OFFSET_HOURS = 0;
export const CARD_STATEMENT_PUBLICATION = { timeZone: 'UTC', hoursAfterDay: 6 } as const;

/** The settled status, and the statuses of transactions the merchant's fraud rules failed (never captured). */
export const SETTLED = 'STL';
export const UNSETTLED_OPEN = 'OPN';
const FAILED_BY_RULE = new Set(['PST', 'FPR', 'PRE']);

/** YYYY-MM-DD → MM/DD/YYYY */
export const searchDateOf = (day: string): string => `${day.slice(5, 7)}/${day.slice(8, 10)}/${day.slice(0, 4)}`;

export interface CardStatementOptions {
  fetch?: ProviderFetch;
  now?: () => number;
}

export function createCardStatementSource(options: CardStatementOptions = {}): StatementSource<CardCredentials> {
  const doFetch = options.fetch ?? providerFetch('card');
  const now = options.now ?? Date.now;
  return {
    publication: CARD_STATEMENT_PUBLICATION,
    providerNumber: invoiceNumberFor,
    async fetch(context: AdapterContext<CardCredentials>, day: string): Promise<StatementFetch> {
      const bounds = statementDayBounds(day, CARD_STATEMENT_UTC_OFFSET_HOURS);
      if (bounds === null) return { kind: 'failed', reason: `not a day: ${JSON.stringify(day)}` };
      if (!isPublished(bounds, CARD_STATEMENT_PUBLICATION.hoursAfterDay, now())) return { kind: 'not_ready', reason: `the batch of ${day} is not settled yet` };
      // Converge wants the end date after the start date: search the day and the next, keep the day's transactions.
      const start = searchDateOf(day);
      const end = searchDateOf(statementDayOf(bounds.end, CARD_STATEMENT_UTC_OFFSET_HOURS));
      let txns: readonly WireFields[];
      try {
        const response = await doFetch(`${context.endpoint.replace(/\/+$/, '')}/processxml.do`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' },
          body: new URLSearchParams({ xmldata: buildTxnXml(searchFields(context.credentials, { start, end })) }).toString(),
          signal: AbortSignal.timeout(context.timeoutMs),
        });
        const body = await response.text();
        if (!response.ok) return { kind: 'failed', reason: `txnquery: HTTP ${response.status}` };
        const answer = parseConvergeXml(body);
        if (answer.kind === 'txn' && field(answer.fields, 'errorCode') !== undefined) {
          return { kind: 'failed', reason: `txnquery refused: ${field(answer.fields, 'errorCode') ?? ''} ${field(answer.fields, 'errorName') ?? ''}`.trim() };
        }
        const listed = txnsOf(answer);
        if (!listed.ok) return { kind: 'failed', reason: `txnquery: ${listed.reason}` };
        txns = listed.txns;
      } catch (error) {
        // Never the request (it holds the PIN): the error names the transport failure only.
        return { kind: 'failed', reason: `txnquery: ${describeCallError(error, context.timeoutMs, ConvergeXmlError)}` };
      }
      const read = readBatch(txns, bounds, context.credentials.currency);
      if (typeof read === 'string')
        return read === 'open' ? { kind: 'not_ready', reason: `the batch of ${day} still has unsettled (OPN) transactions` } : { kind: 'failed', reason: read };
      return read.length === 0 ? { kind: 'empty' } : { kind: 'statement', statement: { lines: read, totals: [] } };
    },
  };
}

/** The day's statement lines; 'open' while an approved transaction of the day is unsettled; otherwise a string says what is wrong. */
export function readBatch(txns: readonly WireFields[], day: { start: number; end: number }, accountCurrency: CurrencyCode): StatementLine[] | string {
  const lines: StatementLine[] = [];
  for (const txn of txns) {
    const type = (field(txn, 'ssl_transaction_type') ?? '').toUpperCase();
    if (type !== 'SALE' && type !== 'RETURN') continue; // voids and deletes moved no money
    if (!isApproved(txn)) continue;
    const status = (field(txn, 'ssl_trans_status') ?? '').toUpperCase();
    if (FAILED_BY_RULE.has(status)) continue;
    const at = parseTxnTime(field(txn, 'ssl_txn_time') ?? '');
    if (at === null) return `ssl_txn_time ${JSON.stringify(field(txn, 'ssl_txn_time') ?? '')} is not MM/DD/YYYY hh:mm:ss AM`;
    if (at < day.start || at >= day.end) continue;
    if (status === UNSETTLED_OPEN) return 'open';
    const currencyText = field(txn, 'ssl_transaction_currency') ?? accountCurrency;
    if (!isCurrencyCode(currencyText)) return `unknown ssl_transaction_currency ${JSON.stringify(currencyText)}`;
    let amount: number;
    try {
      amount = fromMajorUnitString((field(txn, 'ssl_amount') ?? '').trim(), currencyText).amount;
    } catch {
      return `ssl_amount ${JSON.stringify(field(txn, 'ssl_amount') ?? '')} is not an amount in ${currencyText}`;
    }
    const invoice = (field(txn, 'ssl_invoice_number') ?? '').trim();
    if (invoice === '') continue; // not made by CanCan (every CanCan sale and return carries our number)
    lines.push({
      kind: type === 'SALE' ? 'payment' : 'refund',
      orderNo: invoice,
      refundNo: type === 'RETURN' ? invoice : null,
      providerTxnId: field(txn, 'ssl_txn_id') ?? null,
      amountMinor: amount,
      currency: currencyText,
      feeMinor: null,
      netMinor: null,
      providerStatus: status,
      settled: status === SETTLED,
      at,
    });
  }
  return lines.sort((a, b) => a.at - b.at);
}

function isApproved(txn: WireFields): boolean {
  const result = (field(txn, 'ssl_result') ?? '').trim();
  if (result !== '') return result === '0';
  return /^APPROV/i.test(field(txn, 'ssl_result_message') ?? '');
}

/** MM/DD/YYYY hh:mm:ss AM|PM (UTC) → epoch ms, or null. */
export function parseTxnTime(text: string): number | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2}) (AM|PM)$/.exec(text.trim());
  if (match === null) return null;
  const [month, date, year, hour12, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (hour12 < 1 || hour12 > 12) return null;
  const hour = (hour12 % 12) + (match[7] === 'PM' ? 12 : 0);
  const ms = Date.UTC(year, month - 1, date, hour, minute, second);
  return new Date(ms).getUTCDate() === date ? ms : null;
}
