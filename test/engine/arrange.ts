/**
 * Brings a transaction to the step under test: made by the real operations,
 * then moved through the earlier steps by the engine itself with scripted
 * answers. The clock is left where the last step left it.
 */
import type { PayOutcome } from '../../src/providers/contract.js';
import {
  type EngineWorld,
  createChopCancel,
  createChopCharge,
  createChopRefund,
  createRefund,
  createSale,
  createVoid,
  row,
  runDueStep,
  submitCard,
} from '../support/engine.js';
import { type Arrange, type Subject, answer, script, timesOut } from './case.js';

const subject = (seq: number, related: Record<string, number> = {}): Subject => ({ seq, related });

async function deadlineOf(w: EngineWorld, seq: number): Promise<number> {
  const { confirm_deadline: deadline } = await row(w, seq);
  if (deadline === null) throw new Error(`sale ${seq} has no confirmation deadline`);
  return deadline;
}

async function expiryOf(w: EngineWorld, seq: number): Promise<number> {
  const { expires_at: expiresAt } = await row(w, seq);
  if (expiresAt === null) throw new Error(`charge ${seq} has no expiry`);
  return expiresAt;
}

// ─── POS ─────────────────────────────────────────────────────────────────────

export const saleAtPay: Arrange = async (w) => subject((await createSale(w)).seq);

/** A sale whose pay call left the outcome open (by default a provider "system error"). */
export const saleAtQuery =
  (pay: PayOutcome = { kind: 'unknown', reason: 'SYSTEMERROR', code: 'SYSTEMERROR' }): Arrange =>
  async (w) => {
    const s = await saleAtPay(w);
    script(w, [answer('pay', pay)]);
    await runDueStep(w, s.seq);
    return s;
  };

/** A sale whose confirmation window ended without an answer: it is to be reversed. */
export const saleAtReverse =
  (pay?: PayOutcome): Arrange =>
  async (w) => {
    const s = await saleAtQuery(pay)(w);
    w.clock.advanceTo(await deadlineOf(w, s.seq));
    script(w, [answer('query', pay?.kind === 'awaiting_customer' ? { kind: 'awaiting_customer' } : { kind: 'unknown', reason: 'SYSTEMERROR' })]);
    await runDueStep(w, s.seq);
    return s;
  };

/** Moves the clock to the sale's confirmation deadline. */
export async function toDeadline(w: EngineWorld, s: Subject, before = 0): Promise<void> {
  w.clock.advanceTo((await deadlineOf(w, s.seq)) - before);
}

export const succeededSale: Arrange = async (w) => {
  const s = await saleAtPay(w);
  script(w, [answer('pay', { kind: 'paid', providerTxnId: '4200000001' })]);
  await runDueStep(w, s.seq);
  return s;
};

/** A void of a succeeded sale, at its reverse_sale step. */
export const voidOfSucceededSale: Arrange = async (w) => {
  const sale = await succeededSale(w);
  const voidRow = await createVoid(w, await row(w, sale.seq));
  return subject(voidRow.seq, { sale: sale.seq });
};

/** A void of a pending sale: the sale's job (the subject) handles both. */
export const pendingSaleVoided =
  (sale: Arrange): Arrange =>
  async (w) => {
    const s = await sale(w);
    const voidRow = await createVoid(w, await row(w, s.seq));
    return subject(s.seq, { void: voidRow.seq });
  };

/** A void of a sale already sent to the provider, once the sale's job has turned to reverse it. */
export const voidedSaleAtReverse: Arrange = async (w) => {
  const s = await pendingSaleVoided(saleAtQuery())(w);
  await runDueStep(w, s.seq);
  return s;
};

export const SALE_AMOUNT = 1_000;
export const REFUND_AMOUNT = 400;

export const refundAtRefund: Arrange = async (w) => {
  const sale = await succeededSale(w);
  const refund = await createRefund(w, await row(w, sale.seq), REFUND_AMOUNT);
  return subject(refund.seq, { sale: sale.seq });
};

export const refundAtQuery: Arrange = async (w) => {
  const s = await refundAtRefund(w);
  script(w, [answer('refund', { kind: 'processing' })]);
  await runDueStep(w, s.seq);
  return s;
};

// ─── Hosted checkout ─────────────────────────────────────────────────────────

export const CHARGE_AMOUNT = 2_500;

export const walletAtCreate: Arrange = async (w) => subject((await createChopCharge(w, 'alipay', CHARGE_AMOUNT)).seq);

export const QR_CODE = 'https://qr.example/pay/abc';

export const walletAtAwait: Arrange = async (w) => {
  const s = await walletAtCreate(w);
  script(w, [answer('createOrder', { kind: 'created', qrCode: QR_CODE, payForm: null })]);
  await runDueStep(w, s.seq);
  return s;
};

/** Moves the clock to the charge's expiry, less `before`. */
export async function toExpiry(w: EngineWorld, s: Subject, before = 0): Promise<void> {
  w.clock.advanceTo((await expiryOf(w, s.seq)) - before);
}

/** An order the page expired on: the charge's job has turned to close it. */
export const walletAtClose: Arrange = async (w) => {
  const s = await walletAtAwait(w);
  await toExpiry(w, s);
  await runDueStep(w, s.seq);
  return s;
};

export const paidWallet: Arrange = async (w) => {
  const s = await walletAtAwait(w);
  script(w, [answer('query', { kind: 'paid', providerTxnId: '2026011522001' })]);
  await runDueStep(w, s.seq);
  return s;
};

/** A cancel of a waiting charge: the charge's job (the subject) closes the order and ends both. */
export const pendingChargeCancelled =
  (charge: Arrange): Arrange =>
  async (w) => {
    const s = await charge(w);
    const cancel = await createChopCancel(w, await row(w, s.seq));
    return subject(s.seq, { cancel: cancel.seq });
  };

export const cancelledChargeAtClose: Arrange = async (w) => {
  const s = await pendingChargeCancelled(walletAtAwait)(w);
  await runDueStep(w, s.seq);
  return s;
};

/** A cancel of a paid charge: a refund of all of it. */
export const paidChargeCancelled: Arrange = async (w) => {
  const charge = await paidWallet(w);
  const cancel = await createChopCancel(w, await row(w, charge.seq));
  return subject(cancel.seq, { charge: charge.seq });
};

export const paidChargeCancelAtQuery: Arrange = async (w) => {
  const s = await paidChargeCancelled(w);
  script(w, [answer('refund', { kind: 'processing' })]);
  await runDueStep(w, s.seq);
  return s;
};

export const CHARGE_REFUND_AMOUNT = 1_000;

export const chargeRefundAtRefund: Arrange = async (w) => {
  const charge = await paidWallet(w);
  const refund = await createChopRefund(w, await row(w, charge.seq), CHARGE_REFUND_AMOUNT);
  return subject(refund.seq, { charge: charge.seq });
};

export const cardAtAwait: Arrange = async (w) => subject((await createChopCharge(w, 'cc', CHARGE_AMOUNT)).seq);

/** A card charge whose card call got no answer in time: the worker asks the acquirer. */
export const cardAtQuery: Arrange = async (w) => {
  const s = await cardAtAwait(w);
  script(w, [timesOut('sale')]);
  await submitCard(w, await row(w, s.seq));
  return s;
};
