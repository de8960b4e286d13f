/**
 * A run's summary (`reconciliation_runs.summary`, JSON): counts per class and,
 * per currency, the provider's figures (from its lines), the totals the
 * statement printed and whether they equal the sum of its lines, and
 * CanCan's own figures for the day.
 */
import type { Statement } from '../providers/statements.js';
import type { ReconciliationClass, ReconciliationSource } from '../store/schema.js';
import { type Books, type MatchItem, countClasses } from './match.js';

export interface CurrencyFigures {
  readonly currency: string;
  /** Sums of the statement's settled lines (minor units; refunds positive). */
  readonly provider: { readonly payments: number; readonly refunds: number; readonly fees: number; readonly net: number; readonly lines: number };
  /** What the statement printed as its totals; null where it prints none. */
  readonly printed: { readonly payments: number; readonly refunds: number; readonly fees: number | null; readonly lines: number } | null;
  /** Printed totals equal the sum of the lines; null where nothing was printed. */
  readonly totals_agree: boolean | null;
  /** CanCan's succeeded payments and refunds of the day. */
  readonly cancan: { readonly payments: number; readonly refunds: number };
}

export interface RunSummary {
  readonly source: ReconciliationSource;
  readonly counts: Record<ReconciliationClass, number>;
  readonly currencies: readonly CurrencyFigures[];
  /** Every currency's printed totals agree with its lines (null: none printed). */
  readonly totals_agree: boolean | null;
  /** No item but `matched`, and the totals agree. */
  readonly clean: boolean;
  /** The provider had no statement for the day (no business). */
  readonly empty: boolean;
  /** What this kind of run cannot see (the query source finds no payment CanCan missed). */
  readonly note: string | null;
}

export const QUERY_SOURCE_NOTE =
  "reconciled from the provider's query API over CanCan's own transactions of the day: a payment CanCan never recorded (missing_in_cancan) cannot be found this way, and amounts are CanCan's";

interface Sums {
  payments: number;
  refunds: number;
  fees: number;
  net: number;
  allNet: boolean;
  lines: number;
  cancanPayments: number;
  cancanRefunds: number;
}

export function summarise(source: ReconciliationSource, statement: Statement, books: Books, items: readonly MatchItem[], empty = false): RunSummary {
  const sums = new Map<string, Sums>();
  const of = (currency: string): Sums => {
    let found = sums.get(currency);
    if (!found) {
      found = { payments: 0, refunds: 0, fees: 0, net: 0, allNet: true, lines: 0, cancanPayments: 0, cancanRefunds: 0 };
      sums.set(currency, found);
    }
    return found;
  };
  for (const line of statement.lines) {
    const sum = of(line.currency);
    sum.lines += 1;
    if (!line.settled) continue;
    if (line.kind === 'payment') sum.payments += line.amountMinor;
    else sum.refunds += line.amountMinor;
    sum.fees += line.feeMinor ?? 0;
    // Refunds' net is money back to the shopper: it comes off the day's net.
    if (line.netMinor === null) sum.allNet = false;
    else sum.net += line.kind === 'payment' ? line.netMinor : -line.netMinor;
  }
  for (const payment of books.payments) {
    if (payment.ofDay && payment.state === 'succeeded' && !payment.voided) of(payment.currency).cancanPayments += payment.amountMinor;
  }
  for (const refund of books.refunds) if (refund.ofDay && refund.state === 'succeeded') of(refund.currency).cancanRefunds += refund.amountMinor;
  for (const total of statement.totals) of(total.currency);

  const printedTotals = statement.totals.length > 0;
  const currencies = [...sums.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, sum]): CurrencyFigures => {
      const total = statement.totals.find((t) => t.currency === currency);
      const printed = total ? { payments: total.paymentsMinor, refunds: total.refundsMinor, fees: total.feesMinor, lines: total.lineCount } : null;
      const agree =
        printed === null
          ? sum.lines === 0
          : printed.payments === sum.payments &&
            printed.refunds === sum.refunds &&
            (printed.fees === null || printed.fees === sum.fees) &&
            printed.lines === sum.lines;
      return {
        currency,
        provider: {
          payments: sum.payments,
          refunds: sum.refunds,
          fees: sum.fees,
          net: sum.allNet ? sum.net : sum.payments - sum.refunds - sum.fees,
          lines: sum.lines,
        },
        printed,
        totals_agree: printedTotals ? agree : null,
        cancan: { payments: sum.cancanPayments, refunds: sum.cancanRefunds },
      };
    });
  const counts = countClasses(items);
  const totalsAgree = printedTotals ? currencies.every((c) => c.totals_agree === true) : null;
  const differences = items.some((item) => item.class !== 'matched');
  return {
    source,
    counts,
    currencies,
    totals_agree: totalsAgree,
    clean: !differences && totalsAgree !== false,
    empty,
    note: source === 'query' ? QUERY_SOURCE_NOTE : null,
  };
}
