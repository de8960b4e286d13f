/**
 * Writes to a payment made by the transactions that reverse it (voids,
 * refunds, cancels). Each is one atomic statement on the payment's row,
 * whatever version was read: two refunds of one payment may finish in any
 * order, and each must add its own amount. Each bumps `version` (readers that
 * hold an older copy then re-read) and `updated_at`.
 */
import type { Transaction } from 'kysely';
import type { Database } from './schema.js';

/** A refund or cancel succeeded: its amount counts as refunded; a cancel also marks the payment cancelled. */
export async function addRefunded(trx: Transaction<Database>, paymentSeq: number, amount: number, now: number, options: { cancelled: boolean }): Promise<void> {
  await trx
    .updateTable('transactions')
    .set((eb) => ({
      refunded_amount: eb('refunded_amount', '+', amount),
      version: eb('version', '+', 1),
      updated_at: now,
      ...(options.cancelled ? { cancelled: 1 } : {}),
    }))
    .where('seq', '=', paymentSeq)
    .execute();
}

/** A cancel succeeded without a refund (the charge was closed while pending): the charge is cancelled. */
export async function markCancelled(trx: Transaction<Database>, chargeSeq: number, now: number): Promise<void> {
  await trx
    .updateTable('transactions')
    .set((eb) => ({ cancelled: 1, version: eb('version', '+', 1), updated_at: now }))
    .where('seq', '=', chargeSeq)
    .execute();
}

/** A cancel failed: the payment is free again to be cancelled or refunded (only if this cancel still holds it). */
export async function releaseClaim(trx: Transaction<Database>, paymentSeq: number, claimSeq: number, now: number): Promise<void> {
  await trx
    .updateTable('transactions')
    .set((eb) => ({ cancel_seq: null, version: eb('version', '+', 1), updated_at: now }))
    .where('seq', '=', paymentSeq)
    .where('cancel_seq', '=', claimSeq)
    .execute();
}
