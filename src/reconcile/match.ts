/**
 * Line-by-line matching of a provider's statement of one day against
 * CanCan's books of that provider account (pure: no database, no clock).
 *
 * Payments match by order number (`transactions.provider_order_no` of the
 * sale or charge), refunds by refund number (the refund's own
 * `provider_order_no`), or by order number and amount where the statement
 * names no refund number. Every line gets one class; so does every CanCan
 * transaction of the day that no line names (`missing_at_provider`).
 */
import type { Statement, StatementLine } from '../providers/statements.js';
import type { ReconciliationClass } from '../store/schema.js';
import { type FeeCheck, feeProblem } from './fees.js';

export const RECONCILIATION_CLASSES: readonly ReconciliationClass[] = [
  'matched',
  'missing_in_cancan',
  'missing_at_provider',
  'amount_mismatch',
  'status_mismatch',
  'fee_only',
];

/** A sale or charge CanCan recorded at the provider. */
export interface BookPayment {
  readonly seq: number;
  readonly merchantId: string;
  /** The provider order number; a card charge's earlier attempts' numbers follow it. */
  readonly orderNos: readonly string[];
  readonly amountMinor: number;
  readonly currency: string;
  readonly state: string;
  /** A sale reversed by a void: no money stays at the provider. */
  readonly voided: boolean;
  /** Finalised within the day reconciled (else only found because a line names it). */
  readonly ofDay: boolean;
  /** The POS gateway or payment method it went through (the query source picks its adapter by it). */
  readonly code: string;
}

/** A refund (or a cancel that refunds a paid charge) CanCan sent to the provider. */
export interface BookRefund {
  readonly seq: number;
  readonly merchantId: string;
  readonly refundNo: string;
  /** The order number of the payment it refunds. */
  readonly orderNo: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly state: string;
  readonly ofDay: boolean;
  readonly code: string;
}

export interface Books {
  readonly payments: readonly BookPayment[];
  readonly refunds: readonly BookRefund[];
}

/** One outcome line: a row of `reconciliation_items` without its run. */
export interface MatchItem {
  readonly class: ReconciliationClass;
  readonly kind: 'payment' | 'refund';
  readonly merchantId: string | null;
  readonly transactionSeq: number | null;
  readonly orderNo: string;
  readonly refundNo: string | null;
  readonly currency: string;
  readonly providerAmount: number | null;
  readonly cancanAmount: number | null;
  readonly fee: number | null;
  readonly net: number | null;
  readonly providerStatus: string | null;
  readonly cancanState: string | null;
  readonly detail: string | null;
}

/** The state CanCan shows for a payment: a voided sale is `voided`, whatever its row state. */
const paymentState = (payment: BookPayment): string => (payment.voided ? 'voided' : payment.state);
const paymentSettled = (payment: BookPayment): boolean => payment.state === 'succeeded' && !payment.voided;

/** Classifies every line and every CanCan transaction of the day; items in statement order, then CanCan's. */
export function matchStatement(statement: Statement, books: Books, feeCheck: FeeCheck = () => null): MatchItem[] {
  const items: MatchItem[] = [];
  const paymentsByOrder = new Map<string, BookPayment>();
  for (const payment of books.payments) for (const orderNo of payment.orderNos) paymentsByOrder.set(orderNo, payment);
  const refundsByNo = new Map(books.refunds.map((refund) => [refund.refundNo, refund]));
  // By order number: a card charge's attempts each have their own line.
  const seenOrders = new Set<string>();
  const seenRefunds = new Set<number>();

  for (const line of statement.lines) {
    if (line.kind === 'payment') {
      const payment = paymentsByOrder.get(line.orderNo);
      if (payment === undefined || seenOrders.has(line.orderNo)) {
        items.push(
          lineItem(
            line,
            'missing_in_cancan',
            null,
            payment ? 'a second line for an order already on the statement' : 'no CanCan payment has this order number',
          ),
        );
        continue;
      }
      seenOrders.add(line.orderNo);
      items.push(comparePayment(line, payment, feeCheck));
      continue;
    }
    const refund = findRefund(line, books.refunds, refundsByNo, seenRefunds);
    if (refund !== undefined) {
      seenRefunds.add(refund.seq);
      items.push(compareRefund(line, refund, feeCheck));
      continue;
    }
    // A reversed (voided) sale may be printed as a full refund of the order.
    const reversed = paymentsByOrder.get(line.orderNo);
    if (reversed?.voided && line.amountMinor === reversed.amountMinor && line.currency === reversed.currency && line.settled) {
      items.push({ ...lineItem(line, 'matched', reversed, 'the reversal of a voided sale'), cancanAmount: reversed.amountMinor, cancanState: 'voided' });
      continue;
    }
    items.push(lineItem(line, 'missing_in_cancan', null, 'no CanCan refund has this refund number'));
  }

  for (const payment of books.payments) {
    if (!payment.ofDay || seenOrders.has(payment.orderNos[0] ?? '') || !paymentSettled(payment)) continue;
    items.push({
      ...bookItem('payment', payment, payment.orderNos[0] ?? '', null, payment.amountMinor, payment.currency, paymentState(payment)),
      detail: 'CanCan recorded this payment; the statement has no line for it',
    });
  }
  for (const refund of books.refunds) {
    if (!refund.ofDay || seenRefunds.has(refund.seq) || refund.state !== 'succeeded') continue;
    items.push({
      ...bookItem('refund', refund, refund.orderNo, refund.refundNo, refund.amountMinor, refund.currency, refund.state),
      detail: 'CanCan recorded this refund; the statement has no line for it',
    });
  }
  return items;
}

function findRefund(
  line: StatementLine,
  refunds: readonly BookRefund[],
  byNo: ReadonlyMap<string, BookRefund>,
  seen: ReadonlySet<number>,
): BookRefund | undefined {
  if (line.refundNo !== null) {
    const found = byNo.get(line.refundNo);
    return found && !seen.has(found.seq) ? found : undefined;
  }
  // No refund number on the line: the first refund of the order with this amount not matched yet.
  return refunds.find((r) => r.orderNo === line.orderNo && r.amountMinor === line.amountMinor && !seen.has(r.seq));
}

function comparePayment(line: StatementLine, payment: BookPayment, feeCheck: FeeCheck): MatchItem {
  // A line for a card charge's earlier (declined) attempt should say nothing moved.
  const expected = paymentSettled(payment) && line.orderNo === payment.orderNos[0];
  return compare(line, payment, payment.amountMinor, payment.currency, paymentState(payment), expected, feeCheck);
}

function compareRefund(line: StatementLine, refund: BookRefund, feeCheck: FeeCheck): MatchItem {
  return compare(line, refund, refund.amountMinor, refund.currency, refund.state, refund.state === 'succeeded', feeCheck);
}

function compare(
  line: StatementLine,
  book: { readonly seq: number; readonly merchantId: string },
  amount: number,
  currency: string,
  state: string,
  expectedSettled: boolean,
  feeCheck: FeeCheck,
): MatchItem {
  const item = { ...lineItem(line, 'matched', book, null), cancanAmount: amount, cancanState: state };
  if (line.settled !== expectedSettled) {
    const says = line.settled ? 'the provider settled it' : 'the provider says it is not settled';
    return { ...item, class: 'status_mismatch', detail: `${says}; CanCan has it ${state}` };
  }
  if (line.currency !== currency) return { ...item, class: 'amount_mismatch', detail: `the provider's currency is ${line.currency}, CanCan's ${currency}` };
  if (line.amountMinor !== amount) return { ...item, class: 'amount_mismatch', detail: `the provider's amount is ${line.amountMinor}, CanCan's ${amount}` };
  const fee = line.settled ? feeProblem(line, feeCheck) : null;
  if (fee !== null) return { ...item, class: 'fee_only', detail: fee };
  return item;
}

function lineItem(
  line: StatementLine,
  cls: ReconciliationClass,
  book: { readonly seq: number; readonly merchantId: string } | null,
  detail: string | null,
): MatchItem {
  return {
    class: cls,
    kind: line.kind,
    merchantId: book?.merchantId ?? null,
    transactionSeq: book?.seq ?? null,
    orderNo: line.orderNo,
    refundNo: line.refundNo,
    currency: line.currency,
    providerAmount: line.amountMinor,
    cancanAmount: null,
    fee: line.feeMinor,
    net: line.netMinor,
    providerStatus: line.providerStatus,
    cancanState: null,
    detail,
  };
}

function bookItem(
  kind: 'payment' | 'refund',
  book: { readonly seq: number; readonly merchantId: string },
  orderNo: string,
  refundNo: string | null,
  amount: number,
  currency: string,
  state: string,
): MatchItem {
  return {
    class: 'missing_at_provider',
    kind,
    merchantId: book.merchantId,
    transactionSeq: book.seq,
    orderNo,
    refundNo,
    currency,
    providerAmount: null,
    cancanAmount: amount,
    fee: null,
    net: null,
    providerStatus: null,
    cancanState: state,
    detail: null,
  };
}

/** How many items of each class (every class present, zeros included). */
export function countClasses(items: readonly MatchItem[]): Record<ReconciliationClass, number> {
  const counts = Object.fromEntries(RECONCILIATION_CLASSES.map((cls) => [cls, 0])) as Record<ReconciliationClass, number>;
  for (const item of items) counts[item.class] += 1;
  return counts;
}
