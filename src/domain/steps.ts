/**
 * The steps each kind of transaction can be at. A step machine switches over
 * its own kind's steps only, so a step another kind uses is a compile error;
 * a stored row at a step its kind cannot have is refused when read
 * (store/typed-transactions.ts). `done` ends every kind.
 */
import type { ProcessingStep } from './states.js';

/** POS sale: pay → query (outcome unknown, customer confirming) → reverse (window over, or voided after the call). */
export const SALE_STEPS = ['pay', 'query', 'reverse', 'done'] as const;
/** POS void: waits on a pending sale (whose job finishes both), or reverses a succeeded one. */
export const VOID_STEPS = ['await_sale', 'reverse_sale', 'done'] as const;
/** POS refunds and refunds of hosted-checkout charges. */
export const REFUND_STEPS = ['refund', 'refund_query', 'done'] as const;
/** Wallet charge: create the provider order (the QR) → wait for payment → close it (expiry or cancel). */
export const WALLET_CHARGE_STEPS = ['create_order', 'await_payment', 'close', 'done'] as const;
/** Card charge: wait for the card form → query the acquirer after an unanswered card call. */
export const CARD_CHARGE_STEPS = ['await_card', 'card_query', 'done'] as const;
export const CHARGE_STEPS = [...WALLET_CHARGE_STEPS, ...CARD_CHARGE_STEPS.filter((step) => step !== 'done')] as const;
/** Cancel: waits while the charge is pending (the charge's job ends it), or refunds a paid charge in full. */
export const CANCEL_STEPS = ['await_sale', 'refund', 'refund_query', 'done'] as const;

export type SaleStep = (typeof SALE_STEPS)[number];
export type VoidStep = (typeof VOID_STEPS)[number];
export type RefundStep = (typeof REFUND_STEPS)[number];
export type WalletChargeStep = (typeof WALLET_CHARGE_STEPS)[number];
export type CardChargeStep = (typeof CARD_CHARGE_STEPS)[number];
export type ChargeStep = WalletChargeStep | CardChargeStep;
export type CancelStep = (typeof CANCEL_STEPS)[number];

/** Whether `step` is one of `steps`, narrowing it. */
export function isStepOf<S extends ProcessingStep>(steps: readonly S[], step: ProcessingStep): step is S {
  return (steps as readonly ProcessingStep[]).includes(step);
}

// Every step the column holds belongs to some kind (fails to compile otherwise).
type AllKindSteps = SaleStep | VoidStep | RefundStep | ChargeStep | CancelStep;
export const EVERY_STEP_HAS_A_KIND: [Exclude<ProcessingStep, AllKindSteps>] extends [never] ? true : false = true;
