/**
 * How much of a payment is left to refund, and the open balance a CHOP
 * refund must fit in. Pure: the store sums rows with the same rules
 * (`CLAIM_TYPES`, `CLAIM_STATES`, `CLAIM_WAITING_STEP`), the APIs and the
 * dashboard decide with these functions.
 */
import type { ProcessingStep, TransactionState, TransactionType } from './states.js';

/** Transactions that take money back from a payment. */
export const CLAIM_TYPES = ['refund', 'cancel'] as const satisfies readonly TransactionType[];
/** A claim counts once it may take money: while pending and once succeeded. */
export const CLAIM_STATES = ['pending', 'succeeded'] as const satisfies readonly TransactionState[];
/** A cancel waiting for its pending charge takes nothing: the charge is closed instead of refunded. */
export const CLAIM_WAITING_STEP = 'await_sale' satisfies ProcessingStep;

export interface ClaimFacts {
  readonly type: TransactionType;
  readonly state: TransactionState;
  readonly step: ProcessingStep;
}

/** Whether a payment's child transaction counts against what is left to refund. */
export function countsAgainstPayment(child: ClaimFacts): boolean {
  return (
    (CLAIM_TYPES as readonly TransactionType[]).includes(child.type) &&
    (CLAIM_STATES as readonly TransactionState[]).includes(child.state) &&
    child.step !== CLAIM_WAITING_STEP
  );
}

/** A stored amount as bigint: amounts may be as large as a BIGINT holds, so sums are exact. */
const exact = (amount: number | bigint | null): bigint => (amount === null ? 0n : typeof amount === 'bigint' ? amount : BigInt(Math.trunc(amount)));

/** The exact total of the children that count against the payment. */
export function committedTotal(children: Iterable<ClaimFacts & { readonly amount: number | bigint | null }>): bigint {
  let total = 0n;
  for (const child of children) if (countsAgainstPayment(child)) total += exact(child.amount);
  return total;
}

/** What is left to refund: the payment's amount minus what its refunds and cancels took or may take; never below zero. */
export function refundableAmount(paymentAmount: number | bigint | null, committed: bigint): bigint {
  const left = exact(paymentAmount) - committed;
  return left > 0n ? left : 0n;
}

/**
 * A merchant's CHOP open balance in one currency and mode: today's succeeded
 * charges (by when they succeeded) minus today's refunds and cancels that took
 * or may take money (by when they were asked for). It starts at zero each day.
 */
export const OPEN_BALANCE = {
  credits: { types: ['charge'], states: ['succeeded'], since: 'finalized_at' },
  debits: { types: CLAIM_TYPES, states: CLAIM_STATES, since: 'created_at' },
} as const;

export function openBalance(sums: { readonly credits: bigint; readonly debits: bigint }): bigint {
  return sums.credits - sums.debits;
}

/** Whether a refund of `amount` fits the open balance (a merchant with the exemption setting is not asked). */
export function fitsOpenBalance(amount: bigint, balance: bigint): boolean {
  return amount <= balance;
}
