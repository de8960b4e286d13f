/**
 * A provider's statement of one day (WeChat Pay downloadbill, Alipay's bill
 * download, Antom's settlement report, UnionPay's file transfer, the card
 * acquirer's settlement batch), read into lines CanCan reconciles against its
 * own books (src/reconcile/). Each provider's descriptor says how it fetches
 * and reads its statement; a provider that publishes none reconciles from its
 * query API over the day's transactions instead (`source: 'query'`).
 */
import type { AdapterContext } from './descriptor.js';

/** One line of a statement: a payment or a refund as the provider settled it. */
export interface StatementLine {
  readonly kind: 'payment' | 'refund';
  /** CanCan's provider order number (out_trade_no, paymentRequestId, orderId). */
  readonly orderNo: string;
  /** Refunds: CanCan's refund number (out_refund_no, refundRequestId) where the statement names it. */
  readonly refundNo: string | null;
  readonly providerTxnId: string | null;
  /** Gross amount in the currency's minor units, positive for refunds too. */
  readonly amountMinor: number;
  readonly currency: string;
  /** Fee and net in minor units where the statement states them. */
  readonly feeMinor: number | null;
  readonly netMinor: number | null;
  /** The provider's own status word for the line (SUCCESS, REFUND, TRADE_SUCCESS, ...). */
  readonly providerStatus: string;
  /** Whether the line says money moved (a paid payment, a succeeded refund). */
  readonly settled: boolean;
  /** When the provider says it happened (epoch ms). */
  readonly at: number;
}

/** The statement's own totals for one currency, as printed in it. */
export interface StatementTotal {
  readonly currency: string;
  readonly paymentsMinor: number;
  readonly refundsMinor: number;
  readonly feesMinor: number | null;
  readonly lineCount: number;
}

export interface Statement {
  readonly lines: readonly StatementLine[];
  /** Empty where the format prints no totals (CanCan then sums the lines). */
  readonly totals: readonly StatementTotal[];
}

export type StatementFetch =
  | { readonly kind: 'statement'; readonly statement: Statement }
  /** Not published yet (too early in the day): try again later. */
  | { readonly kind: 'not_ready'; readonly reason: string }
  /** The provider has no statement for the day (no business): an empty day. */
  | { readonly kind: 'empty' }
  /** The call failed (network, refusal, a file that did not verify): retry with backoff. */
  | { readonly kind: 'failed'; readonly reason: string };

export interface StatementSource<C> {
  /**
   * When the day's statement is published: hours after the end of the day in
   * the provider's time zone (WeChat Pay: 10:00 the next day in China).
   */
  readonly publication: { readonly timeZone: string; readonly hoursAfterDay: number };
  /**
   * The interface exists only in the sandbox: the live provider publishes its
   * statement where CanCan does not fetch it (Antom: SFTP), so live days are
   * reconciled from the query API instead.
   */
  readonly sandboxOnly?: boolean;
  /**
   * How the provider keeps CanCan's order and refund numbers where it cuts
   * them (the card acquirer: 25-character invoice numbers): CanCan's books
   * are matched against the lines in that form.
   */
  readonly providerNumber?: (ourNumber: string) => string;
  /** `day` is YYYY-MM-DD in the provider's time zone. */
  fetch(context: AdapterContext<C>, day: string): Promise<StatementFetch>;
}
