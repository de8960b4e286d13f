/**
 * Transaction states and the one table of allowed transitions. Nothing else
 * assigns a state: every write goes through `assertTransition`.
 */
export const TRANSACTION_STATES = ['pending', 'succeeded', 'failed'] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

/** POS: sale, void, refund. CHOP: charge, refund, cancel. */
export const TRANSACTION_TYPES = ['sale', 'void', 'refund', 'charge', 'cancel'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];
export const POS_TRANSACTION_TYPES = ['sale', 'void', 'refund'] as const;

const TRANSITIONS: Record<TransactionState, readonly TransactionState[]> = {
  pending: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export function canTransition(from: TransactionState, to: TransactionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: TransactionState,
    readonly to: TransactionState,
  ) {
    super(`illegal transaction state change ${from} → ${to}`);
  }
}

export function assertTransition(from: TransactionState, to: TransactionState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

export function isFinal(state: TransactionState): boolean {
  return TRANSITIONS[state].length === 0;
}

/**
 * Where a pending transaction's processing stands; the job worker resumes
 * from here after a crash.
 * - sale: pay → query → reverse
 * - void of a succeeded sale: reverse_sale
 * - refund: refund → refund_query
 * A void of a pending sale has no step of its own: the sale's job finishes both.
 * - wallet charge: create_order → await_payment → close (expiry or cancel)
 * - card charge: await_card (until the form is sent or the page expires) → card_query (after an unanswered card call)
 * - cancel: as a void (await_sale while the charge is pending), or refund → refund_query for a paid charge
 */
export const PROCESSING_STEPS = [
  'pay',
  'query',
  'reverse',
  'reverse_sale',
  'refund',
  'refund_query',
  'await_sale',
  'create_order',
  'await_payment',
  'close',
  'await_card',
  'card_query',
  'done',
] as const;
export type ProcessingStep = (typeof PROCESSING_STEPS)[number];
