/**
 * One factory per kind of transaction: each sets the columns its kind uses
 * and leaves every other column empty, so no caller writes a full row by hand.
 * Rows are born pending; a request refused at once is then stored failed
 * (core/create-transaction.ts insertFinal).
 */
import type { CancelStep, ChargeStep, RefundStep, SaleStep, VoidStep } from '../domain/steps.js';
import type { ProcessingStep, TransactionType } from '../domain/states.js';
import type { Channel } from './schema.js';
import type { NewTransaction, TransactionRow } from './transactions.js';

/** What every new row names: its ids, owner, mode, when it was made and by which request. */
export interface NewRowIds {
  readonly ref: string;
  readonly merchantId: string;
  readonly clientId: string;
  readonly mode: NewTransaction['mode'];
  readonly now: number;
  readonly requestId: string | null;
}

/** What a POS request carries for every type: its body's digest and the POS's own labels. */
export interface PosRequestFields {
  readonly requestDigest: string;
  readonly description: string | null;
  readonly posId: string | null;
  readonly mchLevel1: string | null;
  readonly mchLevel2: string | null;
  readonly mchLevel3: string | null;
}

type Linkable = Pick<TransactionRow, 'seq' | 'gateway' | 'currency'>;

function emptyRow(ids: NewRowIds, type: TransactionType, channel: Channel, step: ProcessingStep): NewTransaction {
  return {
    ref: ids.ref,
    merchant_id: ids.merchantId,
    client_id: ids.clientId,
    type,
    channel,
    mode: ids.mode,
    state: 'pending',
    step,
    gateway: null,
    amount: null,
    currency: null,
    description: null,
    pos_id: null,
    mch_level_1: null,
    mch_level_2: null,
    mch_level_3: null,
    sale_client_id: null,
    sale_seq: null,
    failure_code: null,
    failure_detail: null,
    request_digest: '',
    refunded_amount: 0,
    voided: 0,
    void_seq: null,
    cancelled: 0,
    cancel_seq: null,
    provider_order_no: null,
    auth_code_sealed: null,
    provider_sent_at: null,
    confirm_deadline: null,
    last_provider_code: null,
    created_at: ids.now,
    updated_at: ids.now,
    finalized_at: null,
    version: 0,
    request_id: ids.requestId,
  };
}

function posRow(ids: NewRowIds, request: PosRequestFields, type: 'sale' | 'void' | 'refund', step: ProcessingStep): NewTransaction {
  return {
    ...emptyRow(ids, type, 'pos', step),
    request_digest: request.requestDigest,
    description: request.description,
    pos_id: request.posId,
    mch_level_1: request.mchLevel1,
    mch_level_2: request.mchLevel2,
    mch_level_3: request.mchLevel3,
  };
}

/** The sale that a void or refund names, once found: the row links to it and takes its gateway and currency. */
function linkedTo(sale: Linkable | null) {
  return sale === null ? {} : { sale_seq: sale.seq, gateway: sale.gateway, currency: sale.currency };
}

/** A POS sale; its own ref is the provider order number. `authCodeSealed` is null for a sale refused before any call. */
export function newSale(
  ids: NewRowIds,
  request: PosRequestFields,
  sale: { gateway: string; amount: number; currency: string; authCodeSealed: string | null; step: SaleStep },
): NewTransaction {
  return {
    ...posRow(ids, request, 'sale', sale.step),
    gateway: sale.gateway,
    amount: sale.amount,
    currency: sale.currency,
    provider_order_no: ids.ref,
    auth_code_sealed: sale.authCodeSealed,
  };
}

/** A POS void of the sale the POS named (`sale` null when no such sale exists). */
export function newVoid(ids: NewRowIds, request: PosRequestFields, target: { saleClientId: string; sale: Linkable | null; step: VoidStep }): NewTransaction {
  return { ...posRow(ids, request, 'void', target.step), sale_client_id: target.saleClientId, ...linkedTo(target.sale) };
}

/** A POS refund; its own ref is the provider refund number. */
export function newRefund(
  ids: NewRowIds,
  request: PosRequestFields,
  refund: { saleClientId: string; sale: Linkable | null; amount: number; step: RefundStep },
): NewTransaction {
  return {
    ...posRow(ids, request, 'refund', refund.step),
    amount: refund.amount,
    sale_client_id: refund.saleClientId,
    ...linkedTo(refund.sale),
    // Only a refund that goes to the provider has a refund number.
    provider_order_no: refund.step === 'done' ? null : ids.ref,
  };
}

/** A hosted-checkout charge; `checkout` is the serialized page data (chop/checkout-data.ts). */
export function newCharge(
  ids: NewRowIds,
  charge: {
    apiKeyId: string;
    paymentMethod: string;
    amount: number;
    currency: string;
    description: string;
    reference: string;
    expiresAt: number;
    checkout: string;
    step: ChargeStep;
  },
): NewTransaction {
  return {
    ...emptyRow(ids, 'charge', 'chop', charge.step),
    payment_method: charge.paymentMethod,
    amount: charge.amount,
    currency: charge.currency,
    description: charge.description,
    provider_order_no: ids.ref,
    reference: charge.reference,
    api_key_id: charge.apiKeyId,
    expires_at: charge.expiresAt,
    checkout: charge.checkout,
  };
}

type ParentCharge = Pick<TransactionRow, 'seq' | 'ref' | 'merchant_id' | 'mode' | 'payment_method' | 'currency' | 'reference' | 'api_key_id'>;

/** Refunds and cancels of a charge: linked to it, under its reference and key; the row's own ref is the provider refund number. */
function childOfCharge(ids: Omit<NewRowIds, 'merchantId' | 'mode'>, charge: ParentCharge, type: 'refund' | 'cancel', step: ProcessingStep) {
  return {
    ...emptyRow({ ...ids, merchantId: charge.merchant_id, mode: charge.mode }, type, 'chop', step),
    payment_method: charge.payment_method,
    currency: charge.currency,
    sale_client_id: charge.ref,
    sale_seq: charge.seq,
    provider_order_no: ids.ref,
    reference: charge.reference,
    api_key_id: charge.api_key_id,
  };
}

/** A refund of a hosted-checkout charge; `checkout` carries the merchant's note. */
export function newChargeRefund(
  ids: Omit<NewRowIds, 'merchantId' | 'mode'>,
  charge: ParentCharge,
  refund: { amount: number; note: string | null; checkout: string },
): NewTransaction {
  const step: RefundStep = 'refund';
  return { ...childOfCharge(ids, charge, 'refund', step), amount: refund.amount, description: refund.note, checkout: refund.checkout };
}

/** A cancel: of a pending charge it waits (amount 0); of a paid one it refunds what is left. */
export function newCancel(
  ids: Omit<NewRowIds, 'merchantId' | 'mode'>,
  charge: ParentCharge,
  cancel: { amount: number; note: string | null; checkout: string; step: CancelStep },
): NewTransaction {
  return { ...childOfCharge(ids, charge, 'cancel', cancel.step), amount: cancel.amount, description: cancel.note, checkout: cancel.checkout };
}
