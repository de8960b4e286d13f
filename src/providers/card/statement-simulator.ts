/**
 * How the card simulator's transaction query shows settlement: every
 * transaction of a UTC day whose batch has settled (statement.ts: 6 hours
 * after the day) is STL, with the batch's settle time; with that day's
 * planted differences applied: `drop` leaves the sale and its returns out,
 * `amount` prints the sale's amount as planted, `status` holds the sale
 * (PEN: not settled), `extra_payment` adds a settled sale CanCan never made.
 * Converge lists no fees, so a `fee` plant has nothing to print.
 *
 * A sale is dated by the ledger's payment time and a return by its
 * settlement time (what every simulator's statement is dated by, and what a
 * sandbox test may move back to an earlier, settled day).
 */
import { randomUUID } from 'node:crypto';
import { isCurrencyCode, money } from '../../domain/money.js';
import type { SimulatorLedger } from '../../simulators/ledger.js';
import { isPublished, statementDayBounds, statementDayOf } from '../statement-day.js';
import { CARD_STATEMENT_PUBLICATION, CARD_STATEMENT_UTC_OFFSET_HOURS, SETTLED } from './statement.js';
import { amountField, formatTxnTime } from './transformers.js';
import type { WireFields } from './xml.js';

const PROVIDER = 'card';
const HOUR_MS = 3_600_000;

/** One listed transaction: when it happened, the sale's order number (returns: their sale's), and its fields. */
export interface ListedTxn {
  readonly time: number;
  readonly orderNo: string;
  readonly fields: WireFields;
}

/**
 * The listing with settlement and plants applied, for every day of the
 * transactions and of `searchDays` whose batch has settled by `nowMs`.
 */
export function settleListing(
  entries: readonly ListedTxn[],
  ledger: SimulatorLedger,
  nowMs: number,
  searchDays: readonly string[],
  extra: WireFields,
): ListedTxn[] {
  const dayOf = (time: number): string => statementDayOf(time, CARD_STATEMENT_UTC_OFFSET_HOURS);
  entries = datedByLedger(entries, ledger);
  const days = new Set([...entries.map((entry) => dayOf(entry.time)), ...searchDays]);
  const settledDays = new Map<string, { start: number; end: number }>();
  for (const day of days) {
    const bounds = statementDayBounds(day, CARD_STATEMENT_UTC_OFFSET_HOURS);
    if (bounds !== null && isPublished(bounds, CARD_STATEMENT_PUBLICATION.hoursAfterDay, nowMs)) settledDays.set(day, bounds);
  }
  const result: ListedTxn[] = [];
  for (const entry of entries) {
    const day = dayOf(entry.time);
    const bounds = settledDays.get(day);
    if (bounds === undefined || entry.fields['ssl_trans_status'] !== 'OPN') {
      result.push(entry);
      continue;
    }
    const plants = ledger.plantsFor(PROVIDER, day).filter((plant) => plant.orderNo === entry.orderNo);
    if (plants.some((plant) => plant.kind === 'drop')) continue;
    const isSale = entry.fields['ssl_transaction_type'] === 'SALE';
    const held = isSale && plants.some((plant) => plant.kind === 'status');
    const planted = isSale ? plants.find((plant) => plant.kind === 'amount') : undefined;
    const currency = entry.fields['ssl_transaction_currency'] ?? '';
    const fields: Record<string, string> = { ...entry.fields, ssl_trans_status: held ? 'PEN' : SETTLED };
    if (!held) fields['ssl_settle_time'] = formatTxnTime(bounds.end - 1_000);
    if (planted?.amount != null && isCurrencyCode(currency)) fields['ssl_amount'] = amountField(money(planted.amount, currency));
    result.push({ ...entry, fields });
  }
  for (const [day, bounds] of settledDays) {
    for (const plant of ledger.plantsFor(PROVIDER, day)) {
      const currency = plant.currency ?? 'USD';
      if (plant.kind !== 'extra_payment' || !isCurrencyCode(currency)) continue;
      const time = bounds.start + 12 * HOUR_MS;
      result.push({
        time,
        orderNo: plant.orderNo,
        fields: {
          ...extra,
          ssl_txn_id: `PLANTED-${randomUUID().toUpperCase()}`,
          ssl_transaction_type: 'SALE',
          ssl_card_type: 'CREDITCARD',
          ssl_amount: amountField(money(plant.amount ?? 100, currency)),
          ssl_transaction_currency: currency,
          ssl_invoice_number: plant.orderNo,
          ssl_result_message: 'APPROVAL',
          ssl_txn_time: formatTxnTime(time),
          ssl_trans_status: SETTLED,
          ssl_settle_time: formatTxnTime(bounds.end - 1_000),
        },
      });
    }
  }
  return result;
}

/** The entries with the ledger's payment (sales, voids) and settlement (returns) times, where it has them. */
function datedByLedger(entries: readonly ListedTxn[], ledger: SimulatorLedger): ListedTxn[] {
  const { payments, refunds } = ledger.settledBetween(PROVIDER, 0, Number.MAX_SAFE_INTEGER);
  const paidAt = new Map(payments.map((payment) => [payment.orderNo, payment.paidAt]));
  const settledAt = new Map(refunds.map((refund) => [refund.providerRefundId, refund.settledAt]));
  return entries.map((entry) => {
    const time = entry.fields['ssl_transaction_type'] === 'RETURN' ? settledAt.get(entry.fields['ssl_txn_id'] ?? '') : paidAt.get(entry.orderNo);
    return time === undefined ? entry : { ...entry, time, fields: { ...entry.fields, ssl_txn_time: formatTxnTime(time) } };
  });
}

/** The days (YYYY-MM-DD, UTC) from one epoch-ms day start to another, both included. */
export function daysBetween(startMs: number, endMs: number): string[] {
  const days: string[] = [];
  for (let at = startMs; at <= endMs && days.length <= 62; at += 24 * HOUR_MS) days.push(statementDayOf(at, CARD_STATEMENT_UTC_OFFSET_HOURS));
  return days;
}
