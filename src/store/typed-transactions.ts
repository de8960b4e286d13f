/**
 * Transaction rows as the engine sees them: one type per kind, each with its
 * own steps. A row is read into its kind here, and a row whose step its kind
 * cannot have is refused (a bug or a hand edit, never guessed at).
 */
import {
  CANCEL_STEPS,
  CARD_CHARGE_STEPS,
  CHARGE_STEPS,
  REFUND_STEPS,
  SALE_STEPS,
  VOID_STEPS,
  WALLET_CHARGE_STEPS,
  type CancelStep,
  type CardChargeStep,
  type ChargeStep,
  type RefundStep,
  type SaleStep,
  type VoidStep,
  type WalletChargeStep,
  isStepOf,
} from '../domain/steps.js';
import type { ProcessingStep } from '../domain/states.js';
import type { Channel } from './schema.js';
import type { TransactionRow } from './transactions.js';

/** The kind a row is, from its type and channel (a hosted-checkout refund is a charge refund). */
export type TransactionKind = 'sale' | 'void' | 'refund' | 'charge' | 'cancel' | 'charge_refund';

/**
 * A sale is claimed by a void, a charge by a cancel: each payment's columns of
 * the other kind are always empty, and typed so (a charge's `void_seq` is
 * `null`, so code reading it learns nothing and the compiler says so).
 */
type EmptyVoidColumns = { readonly void_seq: null; readonly voided: 0 };
type EmptyCancelColumns = { readonly cancel_seq: null; readonly cancelled: 0 };

type Typed<K extends TransactionKind, T extends TransactionRow['type'], C extends Channel, S extends ProcessingStep> = Omit<
  TransactionRow,
  'type' | 'channel' | 'step'
> & {
  readonly kind: K;
  readonly type: T;
  readonly channel: C;
  readonly step: S;
};

export type Sale = Typed<'sale', 'sale', 'pos', SaleStep> & EmptyCancelColumns;
export type Void = Typed<'void', 'void', 'pos', VoidStep>;
export type Refund = Typed<'refund', 'refund', 'pos', RefundStep>;
export type Charge = Typed<'charge', 'charge', 'chop', ChargeStep> & EmptyVoidColumns;
export type WalletCharge = Charge & { readonly step: WalletChargeStep };
export type CardCharge = Charge & { readonly step: CardChargeStep };
export type Cancel = Typed<'cancel', 'cancel', 'chop', CancelStep>;
export type ChargeRefund = Typed<'charge_refund', 'refund', 'chop', RefundStep>;
export type TypedTransaction = Sale | Void | Refund | Charge | Cancel | ChargeRefund;

/** A stored row that no kind allows: its step, type or channel does not fit. */
export class UnreadableTransaction extends Error {
  constructor(row: Pick<TransactionRow, 'seq' | 'type' | 'channel' | 'step'>, why: string) {
    super(`transaction ${row.seq} (${row.channel} ${row.type}, step ${row.step}) cannot be read: ${why}`);
  }
}

function kindOf(row: TransactionRow): TransactionKind {
  const { type, channel } = row;
  if (channel === 'pos' && (type === 'sale' || type === 'void' || type === 'refund')) return type;
  if (channel === 'chop' && (type === 'charge' || type === 'cancel')) return type;
  if (channel === 'chop' && type === 'refund') return 'charge_refund';
  throw new UnreadableTransaction(row, `no ${channel} transaction is a ${type}`);
}

function withStep<K extends TransactionKind, S extends ProcessingStep>(row: TransactionRow, kind: K, steps: readonly S[]) {
  const { step } = row;
  if (!isStepOf(steps, step)) throw new UnreadableTransaction(row, `a ${kind.replace('_', ' ')} is never at step ${step}`);
  return { ...row, kind, step };
}

/** A payment whose columns of the other kind of claim are set is refused, so the types above hold. */
function withoutOtherClaim(row: TransactionRow, kind: 'sale' | 'charge'): TransactionRow {
  const set = kind === 'sale' ? row.cancel_seq !== null || Number(row.cancelled) !== 0 : row.void_seq !== null || Number(row.voided) !== 0;
  if (set) throw new UnreadableTransaction(row, kind === 'sale' ? 'a sale is never cancelled' : 'a charge is never voided');
  return row;
}

/** Reads a row into its kind; throws `UnreadableTransaction` if its step, or a claim column, does not belong to it. */
export function readTransaction(row: TransactionRow): TypedTransaction {
  const kind = kindOf(row);
  switch (kind) {
    case 'sale':
      return withStep(withoutOtherClaim(row, kind), kind, SALE_STEPS) as Sale;
    case 'void':
      return withStep(row, kind, VOID_STEPS) as Void;
    case 'refund':
      return withStep(row, kind, REFUND_STEPS) as Refund;
    case 'charge':
      return withStep(withoutOtherClaim(row, kind), kind, CHARGE_STEPS) as Charge;
    case 'cancel':
      return withStep(row, kind, CANCEL_STEPS) as Cancel;
    case 'charge_refund':
      return withStep(row, kind, REFUND_STEPS) as ChargeRefund;
  }
}

/** A charge as its payment flow sees it: a wallet charge is never at a card step, nor the other way round. */
export function asWalletCharge(charge: Charge): WalletCharge {
  if (!isStepOf(WALLET_CHARGE_STEPS, charge.step)) throw new UnreadableTransaction(charge, `a wallet charge is never at step ${charge.step}`);
  return { ...charge, step: charge.step };
}

export function asCardCharge(charge: Charge): CardCharge {
  if (!isStepOf(CARD_CHARGE_STEPS, charge.step)) throw new UnreadableTransaction(charge, `a card charge is never at step ${charge.step}`);
  return { ...charge, step: charge.step };
}
