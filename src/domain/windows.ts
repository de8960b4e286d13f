/**
 * The time windows of a payment's reversals. Each is open up to and
 * including its last millisecond, and closed one millisecond later.
 */
import type { TransactionState } from './states.js';

/**
 * A succeeded sale may be voided until `voidWindowMs` after it succeeded; a
 * pending one always (its own job reverses it). A failed sale has nothing to
 * void; that is a refusal of its own, not this window's.
 */
export function withinVoidWindow(sale: { readonly state: TransactionState; readonly finalized_at: number | null }, voidWindowMs: number, now: number): boolean {
  if (sale.state !== 'succeeded' || sale.finalized_at === null) return true;
  return now - sale.finalized_at <= voidWindowMs;
}

/** A CHOP charge may be cancelled until `cancelWindowMs` after it was created, paid or not. */
export function withinCancelWindow(charge: { readonly created_at: number }, cancelWindowMs: number, now: number): boolean {
  return now - charge.created_at <= cancelWindowMs;
}

/** A payment may be refunded until its provider's refund window after it succeeded. */
export function withinRefundWindow(payment: { readonly finalized_at: number | null }, refundWindowMs: number, now: number): boolean {
  return payment.finalized_at === null || now - payment.finalized_at <= refundWindowMs;
}
