/**
 * CHOP refunds and cancels. Refusals are answers, not errors (HTTP 200 with
 * `refunded:false` / `cancelled:false` and the seed's messages), and change
 * nothing. A refund is written with its job in one database transaction,
 * after the checks, under a lock on the charge.
 */
import type { Transaction } from 'kysely';
import type { Caller } from '../core/create-transaction.js';
import type { CoreDeps } from '../core/deps.js';
import type { KeyMode } from '../domain/secrets.js';
import { newTransactionRef } from '../domain/ids.js';
import type { Merchant } from '../store/merchants.js';
import type { Database } from '../store/schema.js';
import { wakeTransactionJob } from '../jobs/queue.js';
import { currentRequestId } from '../observability/request-context.js';
import { transact } from '../observability/transact.js';
import { type TransactionRow, addEvent, enqueueJob, insertTransaction, updateTransaction } from '../store/transactions.js';
import { newCancel, newChargeRefund } from '../store/transaction-factories.js';
import { chopClientId, EMPTY_CHECKOUT, serializeCheckout } from './checkout-data.js';
import { paymentMethod } from './methods.js';
import { ChopError, type CancelParams, type RefundParams, type TransactionSelector } from './params.js';
import { isCurrencyCode } from '../domain/money.js';
import { type AmountRuleBreach, wholeUnitBreach } from '../providers/amount-rules.js';
import { fitsOpenBalance, openBalance, refundableAmount } from '../domain/refund-rules.js';
import { withinCancelWindow, withinRefundWindow } from '../domain/windows.js';
import { refundWindowMsOf } from '../core/refund-window.js';
import { committedToPayment, openBalanceSums } from '../store/payment-sums.js';
import { startOfDay } from './time.js';

/** The seed's refusal codes and messages (4071 is the seed's; the others follow it). */
export const REFUND_REFUSALS = {
  tooMuch: { code: '4071', status: 'Refund amount greater than allowed.' },
  currency: { code: '4072', status: 'Refund currency does not match the transaction currency.' },
  balance: { code: '4073', status: 'Insufficient open balance' },
  window: { code: '4074', status: 'Refund period has expired.' },
} as const;

export type RefundDecision =
  | { readonly ok: true; readonly refund: TransactionRow; readonly charge: TransactionRow }
  | { readonly ok: false; readonly code: string; readonly status: string };

export type CancelDecision =
  | { readonly ok: true; readonly cancel: TransactionRow; readonly charge: TransactionRow }
  | { readonly ok: false; readonly charge: TransactionRow; readonly status: string };

/** A merchant's charge, in the caller's mode, by CanCan id (the landing `q`) or by reference (the latest with it). */
export async function findCharge(
  db: CoreDeps['store']['db'] | Transaction<Database>,
  caller: Caller,
  selector: TransactionSelector,
  forUpdate = false,
): Promise<TransactionRow | undefined> {
  let query = db
    .selectFrom('transactions')
    .selectAll()
    .where('merchant_id', '=', caller.merchant.id)
    .where('mode', '=', caller.mode)
    .where('channel', '=', 'chop')
    .where('type', '=', 'charge');
  query = 'id' in selector ? query.where('ref', '=', selector.id) : query.where('reference', '=', selector.reference).orderBy('seq', 'desc');
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** Today's (merchant time zone) open balance in one currency and one mode; exact (bigint) whatever is stored. */
export async function openBalanceOf(trx: Transaction<Database>, merchant: Merchant, mode: KeyMode, currency: string, now: number): Promise<bigint> {
  return openBalance(await openBalanceSums(trx, { merchantId: merchant.id, mode, currency, since: startOfDay(merchant.timezone, now) }));
}

/** What is left to refund on the charge (exact, whatever is stored). */
async function refundable(trx: Transaction<Database>, charge: TransactionRow): Promise<bigint> {
  return refundableAmount(charge.amount, await committedToPayment(trx, charge.seq));
}

/** Merchants with the refund-balance exemption refund whatever the open balance; the balance is then not even summed. */
const balanceExempt = (merchant: Merchant): boolean => Number(merchant.refund_balance_exempt) === 1;

async function lockCharge(deps: CoreDeps, trx: Transaction<Database>, caller: Caller, selector: TransactionSelector) {
  return findCharge(trx, caller, selector, deps.store.dialect === 'postgres');
}

/** What a caller may add to a refund or cancel: its own id for the new row (a retry then finds it), and work inside the same database transaction. */
export interface RequestOptions {
  readonly ref?: string;
  readonly within?: (trx: Transaction<Database>, created: TransactionRow, charge: TransactionRow) => Promise<void>;
}

/** The ids of a refund or cancel of `charge`; `ref` is chosen by the caller when the request must find it again. */
function childIds(now: number, ref = newTransactionRef()) {
  return { ref, clientId: chopClientId(ref), now, requestId: currentRequestId() };
}

const noteCheckout = (note: string | null) => serializeCheckout({ ...EMPTY_CHECKOUT, note });

export async function requestRefund(deps: CoreDeps, caller: Caller, params: RefundParams, options: RequestOptions = {}): Promise<RefundDecision | null> {
  const { merchant } = caller;
  let replayed = false;
  const decision = await transact(deps, async (trx): Promise<RefundDecision | null> => {
    const charge = await lockCharge(deps, trx, caller, params.charge);
    if (!charge) return null;
    let ref = options.ref;
    if (ref !== undefined) {
      // The same request again (a double-submitted form): answer the refund it made. An id taken by anything else is not reused.
      const earlier = await trx.selectFrom('transactions').selectAll().where('ref', '=', ref).executeTakeFirst();
      if (earlier?.sale_seq === charge.seq && earlier.type === 'refund') {
        replayed = true;
        return { ok: true, refund: earlier, charge };
      }
      if (earlier) ref = undefined;
    }
    const now = deps.clock.now();
    const amount = BigInt(params.amount);
    const windowMs = refundWindowMsOf(charge);
    if (charge.state !== 'succeeded' || charge.cancelled === 1) return { ok: false, ...REFUND_REFUSALS.tooMuch };
    if (params.currency !== charge.currency) return { ok: false, ...REFUND_REFUSALS.currency };
    const partial = wholeUnitRefundBreach(charge, params.amount);
    if (partial) throw new ChopError(400, 'invalid_parameter', partial.message);
    if (amount > (await refundable(trx, charge))) return { ok: false, ...REFUND_REFUSALS.tooMuch };
    if (windowMs !== undefined && !withinRefundWindow(charge, windowMs, now)) return { ok: false, ...REFUND_REFUSALS.window };
    if (!balanceExempt(merchant) && !fitsOpenBalance(amount, await openBalanceOf(trx, merchant, charge.mode, charge.currency ?? '', now))) {
      return { ok: false, ...REFUND_REFUSALS.balance };
    }
    const refund = await insertTransaction(
      trx,
      newChargeRefund(childIds(now, ref), charge, { amount: params.amount, note: params.reason, checkout: noteCheckout(params.reason) }),
    );
    await addEvent(trx, refund.seq, now, 'created', { type: 'refund', charge: charge.ref, amount: params.amount, reason: params.reason });
    await enqueueJob(trx, refund.seq, now, now);
    await options.within?.(trx, refund, charge);
    return { ok: true, refund, charge };
  });
  if (decision?.ok && !replayed) deps.notifier.jobEnqueued();
  return decision;
}

export const CANCEL_MESSAGES = {
  cancelled: 'Order cancelled',
  failed: 'Cancellation failed',
  duplicate: 'Duplicate cancellation',
  window: 'Not in cancellation window',
  unsupported: 'Cancel not supported for this payment method',
  balance: 'Insufficient open balance',
} as const;

/**
 * Pending → closed at the provider (by the charge's own job); paid → refunded
 * in full (what is left of it). Alipay and WeChat Pay only, within the
 * merchant's cancellation window.
 */
export async function requestCancel(deps: CoreDeps, caller: Caller, params: CancelParams, options: RequestOptions = {}): Promise<CancelDecision | null> {
  const { merchant } = caller;
  const decision = await transact(deps, async (trx): Promise<CancelDecision | null> => {
    const charge = await lockCharge(deps, trx, caller, params.charge);
    if (!charge) return null;
    // As for refunds: the cancel this id already names is the answer; an id taken by anything else is not reused.
    const earlier = options.ref === undefined ? undefined : await trx.selectFrom('transactions').selectAll().where('ref', '=', options.ref).executeTakeFirst();
    if (earlier?.sale_seq === charge.seq && earlier.type === 'cancel') return { ok: true, cancel: earlier, charge };
    const ref = earlier ? undefined : options.ref;
    const now = deps.clock.now();
    const refuse = (status: string): CancelDecision => ({ ok: false, charge, status });
    const method = charge.payment_method ? paymentMethod(charge.payment_method) : undefined;
    if (!method?.cancellable) return refuse(CANCEL_MESSAGES.unsupported);
    if (charge.cancelled === 1 || charge.cancel_seq !== null || charge.close_reason === 'cancelled') return refuse(CANCEL_MESSAGES.duplicate);
    if (!withinCancelWindow(charge, Number(merchant.cancel_window_ms), now)) return refuse(CANCEL_MESSAGES.window);
    if (charge.state === 'failed') return refuse(CANCEL_MESSAGES.failed);

    let cancel: TransactionRow;
    if (charge.state === 'pending') {
      cancel = await insertTransaction(
        trx,
        newCancel(childIds(now, ref), charge, { amount: 0, note: params.reason, checkout: noteCheckout(params.reason), step: 'await_sale' }),
      );
      await updateTransaction(trx, charge, now, { cancel_seq: cancel.seq });
      await wakeTransactionJob(trx, charge.seq, now);
    } else {
      const left = await refundable(trx, charge);
      if (left <= 0n) return refuse(CANCEL_MESSAGES.failed);
      if (!balanceExempt(merchant) && !fitsOpenBalance(left, await openBalanceOf(trx, merchant, charge.mode, charge.currency ?? '', now)))
        return refuse(CANCEL_MESSAGES.balance);
      cancel = await insertTransaction(
        trx,
        newCancel(childIds(now, ref), charge, { amount: Number(left), note: params.reason, checkout: noteCheckout(params.reason), step: 'refund' }),
      );
      await updateTransaction(trx, charge, now, { cancel_seq: cancel.seq });
      await enqueueJob(trx, cancel.seq, now, now);
    }
    await addEvent(trx, cancel.seq, now, 'created', { type: 'cancel', charge: charge.ref, reason: params.reason });
    await options.within?.(trx, cancel, charge);
    return { ok: true, cancel, charge };
  });
  if (decision?.ok) deps.notifier.jobEnqueued();
  return decision;
}

/** A refund in a currency the charge's method takes in whole units only must be whole too (TWD at JKOPAY). */
function wholeUnitRefundBreach(charge: TransactionRow, amount: number): AmountRuleBreach | null {
  const method = charge.payment_method ? paymentMethod(charge.payment_method) : undefined;
  if (!method || !charge.currency || !isCurrencyCode(charge.currency)) return null;
  return wholeUnitBreach(method.code, method, amount, charge.currency, 'amount');
}
