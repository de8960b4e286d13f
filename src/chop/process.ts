/**
 * Job steps of hosted-checkout transactions. A wallet charge creates its
 * provider order (the QR), then queries it until it is paid, declined or the
 * page expires; an expired or cancelled charge is closed at the provider. A
 * card charge waits for the card form (its provider call is made by the page
 * request, see card-payment.ts) and is only queried here when that call got no
 * answer. Refunds, and cancels of paid charges, are refunds (core/process.ts).
 * Every final charge writes its IPN in the same database transaction.
 */
import { providerNotifyUrl } from '../providers/notify-url.js';
import type { Transaction } from 'kysely';
import type { CoreDeps } from '../core/deps.js';
import { describeRequest } from '../core/attempts.js';
import {
  type StepContext,
  commit,
  commitCall,
  endJob,
  moneyOf,
  orderNo,
  providerCalled,
  providerDataFor,
  providerFailure,
  record,
  refundStep,
  refusedReason,
  rejectedFailure,
} from '../core/process.js';
import { assertNever } from '../domain/assert-never.js';
import { failure, type Failure } from '../domain/failures.js';
import { firstOpenOutcome, needsAttentionNow, outcomeKnownAgain, retryOpenOutcome } from '../jobs/attention.js';
import type { Job } from '../jobs/queue.js';
import { retryPolicy } from '../jobs/retry-policy.js';
import type { CardAdapter, OnlineAdapter } from '../providers/contract.js';
import { providerRules } from '../providers/registry.js';
import type { CloseReason, Database } from '../store/schema.js';
import { markCancelled } from '../store/payment-claims.js';
import { type TransactionRow, enqueueJob, findBySeq, updateTransaction } from '../store/transactions.js';
import { type CardCharge, type Cancel, type Charge, type ChargeRefund, type WalletCharge, asCardCharge, asWalletCharge } from '../store/typed-transactions.js';
import { checkoutOf, serializeCheckout } from './checkout-data.js';
import { enqueueIpn } from './ipn.js';
import { paymentMethod } from './methods.js';
import { waitingPollMs } from './waiting-poll.js';

/** How often a waiting charge asks its provider: the page's shopper is watching, so no slower than this. */
const MAX_CHECKOUT_POLL_MS = 2_000;
const PROVIDER_EXPIRY_SLACK_MS = 1_500;

export async function chopStep(deps: CoreDeps, job: Job, row: Charge | Cancel | ChargeRefund): Promise<void> {
  const method = row.payment_method ? paymentMethod(row.payment_method) : undefined;
  if (!method) throw new Error(`transaction ${row.seq} has unknown payment method ${row.payment_method}`);
  const adapter: OnlineAdapter | CardAdapter | null =
    method.flow === 'card'
      ? await deps.adapters.cardAdapterFor(row.mode, row.merchant_id)
      : await deps.adapters.onlineAdapterFor(method, row.mode, row.merchant_id);
  if (!adapter) throw new Error(`no adapter for ${method.code} in ${row.mode} mode`);
  const rules = providerRules(adapter.provider, deps.config);
  const ctx = { deps, job, adapter, rules: { ...rules, pollIntervalMs: Math.min(rules.pollIntervalMs, MAX_CHECKOUT_POLL_MS) } };
  switch (row.kind) {
    case 'charge':
      return 'sale' in adapter
        ? cardChargeStep(ctx as StepContext<CardAdapter>, asCardCharge(row))
        : walletChargeStep(ctx as StepContext<OnlineAdapter>, asWalletCharge(row));
    case 'charge_refund':
    case 'cancel':
      return refundStep(ctx, row);
    default:
      return assertNever(row);
  }
}

/** Ends a charge and writes its IPN; a cancel waiting on it ends with it. */
export async function finishCharge(
  deps: CoreDeps,
  trx: Transaction<Database>,
  charge: TransactionRow,
  now: number,
  outcome: { paid: true } | { paid: false; reason: CloseReason; failure: Failure; declineCode?: string | null },
  patch: { checkout?: string } = {},
): Promise<TransactionRow> {
  const declineCode =
    !outcome.paid && outcome.declineCode
      ? { checkout: serializeCheckout({ ...checkoutOf({ checkout: patch.checkout ?? charge.checkout }), declineCode: outcome.declineCode }) }
      : {};
  const updated = outcome.paid
    ? await updateTransaction(trx, charge, now, { ...patch }, { state: 'succeeded' })
    : await updateTransaction(trx, charge, now, { ...patch, ...declineCode, close_reason: outcome.reason }, { state: 'failed', failure: outcome.failure });
  if (charge.cancel_seq !== null) {
    const cancel = await findBySeq(trx, charge.cancel_seq);
    if (cancel && cancel.state === 'pending' && cancel.step === 'await_sale') {
      if (outcome.paid) {
        // Paid before it could be closed: the cancel refunds it in full.
        await updateTransaction(trx, cancel, now, { step: 'refund', amount: charge.amount });
        await enqueueJob(trx, cancel.seq, now, now);
      } else {
        await updateTransaction(trx, cancel, now, {}, { state: 'succeeded' });
        await markCancelled(trx, charge.seq, now);
      }
    }
  }
  await enqueueIpn(deps, trx, updated, now);
  return updated;
}

const expiredFailure = (): Failure => failure('checkout_expired_failure');

async function walletChargeStep(ctx: StepContext<OnlineAdapter>, row: WalletCharge): Promise<void> {
  const { deps, job } = ctx;
  const expiresAt = row.expires_at ?? row.created_at;
  const closing = row.cancel_seq !== null || deps.clock.now() >= expiresAt;

  if (closing && row.step !== 'close') {
    if (row.provider_sent_at === null) {
      // Nothing reached the provider: there is no order to close.
      return commit(deps, job, async (trx, now) => {
        await finishCharge(deps, trx, row, now, {
          paid: false,
          reason: row.cancel_seq !== null ? 'cancelled' : 'expired',
          failure: row.cancel_seq !== null ? failure('sale_voided_failure') : expiredFailure(),
        });
        return { done: true };
      });
    }
    return commit(deps, job, async (trx, now) => {
      await updateTransaction(trx, row, now, { step: 'close' });
      return { runAt: now };
    });
  }

  switch (row.step) {
    case 'create_order':
      return createOrder(ctx, row);
    case 'await_payment':
      return awaitPayment(ctx, row);
    case 'close':
      return closeOrder(ctx, row);
    case 'done':
      return endJob(ctx);
    default:
      return assertNever(row.step);
  }
}

/** Creates the provider order (the QR or redirect the page shows). */
async function createOrder(ctx: StepContext<OnlineAdapter>, row: WalletCharge): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const expiresAt = row.expires_at ?? row.created_at;
  const sentBefore = row.provider_sent_at !== null;
  const sent = sentBefore ? row : await record(deps, job, (trx, now) => updateTransaction(trx, row, now, { provider_sent_at: now }));
  const traced = providerCalled(
    deps,
    await adapter.createOrder({
      orderNo: orderNo(sent),
      money: moneyOf(sent),
      description: sent.description ?? '',
      paymentMethod: sent.payment_method ?? '',
      expiresAt,
      returnUrl: `${deps.publicUrl()}/chop/landing?q=${sent.ref}`,
      notifyUrl: providerNotifyUrl(deps.publicUrl(), adapter.provider),
      providerData: await providerDataFor(deps, row.seq),
    }),
  );
  const { outcome } = traced;
  const waitingPoll = outcome.kind === 'created' ? await waitingPollMs(deps, sent, adapter.provider, poll) : poll;
  const request = describeRequest({
    orderNo: orderNo(sent),
    amount: moneyOf(sent),
    method: sent.payment_method,
    expiresAt: new Date(expiresAt).toISOString(),
  });
  return commitCall(deps, job, { seq: row.seq, request, traced }, async (trx, now) => {
    switch (outcome.kind) {
      case 'created':
        await updateTransaction(trx, sent, now, {
          step: 'await_payment',
          qr_code: outcome.qrCode,
          pay_form: outcome.payForm ? JSON.stringify(outcome.payForm) : null,
        });
        return { runAt: Math.min(now + waitingPoll, Math.max(expiresAt, now)) };
      case 'declined':
        await finishCharge(deps, trx, sent, now, {
          paid: false,
          reason: 'declined',
          failure: providerFailure(adapter, outcome.code, outcome.message),
          declineCode: outcome.code,
        });
        return { done: true };
      case 'unknown':
        // Creating an order again with the same number is safe: providers answer the same order.
        return { runAt: now + poll };
      case 'rejected':
        // Refused before the provider looked at it: no order exists, unless an earlier call went unanswered.
        if (!sentBefore) {
          await finishCharge(deps, trx, sent, now, {
            paid: false,
            reason: 'declined',
            failure: rejectedFailure(adapter, outcome),
            declineCode: outcome.code,
          });
          return { done: true };
        }
        return needsAttentionNow(deps, trx, sent, now, refusedReason('order creation', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

/** Asks whether the shopper paid, until the page expires. */
async function awaitPayment(ctx: StepContext<OnlineAdapter>, row: WalletCharge): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const expiresAt = row.expires_at ?? row.created_at;
  const polled = await adapter.query(orderNo(row), await providerDataFor(deps, row.seq));
  const unchanged =
    polled.outcome.kind === 'not_paid' || polled.outcome.kind === 'awaiting_customer' || (polled.outcome.kind === 'rejected' && !firstOpenOutcome(row));
  const traced = providerCalled(deps, polled, { quiet: unchanged });
  const { outcome } = traced;
  const waitingPoll = unchanged ? await waitingPollMs(deps, row, adapter.provider, poll) : poll;
  // A page can wait 15 minutes: polls answering the same thing share one attempt row.
  return commitCall(deps, job, { seq: row.seq, request: describeRequest({ orderNo: orderNo(row) }), traced }, async (trx, now) => {
    switch (outcome.kind) {
      case 'paid':
        await finishCharge(deps, trx, row, now, { paid: true });
        return { done: true };
      case 'closed':
        // Providers get the expiry rounded down to the second and close the order a moment before CanCan's deadline.
        if (now >= expiresAt - PROVIDER_EXPIRY_SLACK_MS) {
          await finishCharge(deps, trx, row, now, { paid: false, reason: 'expired', failure: expiredFailure() });
        } else {
          await finishCharge(deps, trx, row, now, {
            paid: false,
            reason: 'declined',
            failure: providerFailure(adapter, outcome.code, outcome.code),
            declineCode: outcome.code,
          });
        }
        return { done: true };
      case 'not_paid':
      case 'awaiting_customer':
        await outcomeKnownAgain(trx, row);
        return { runAt: Math.min(now + waitingPoll, Math.max(expiresAt, now)) };
      case 'unknown':
        return { runAt: Math.min(now + poll, Math.max(expiresAt, now)) };
      case 'rejected':
        // The order exists and the shopper may have paid: only the provider can tell.
        return needsAttentionNow(deps, trx, row, now, refusedReason('query', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

/** Closes an expired or cancelled charge's order; a payment that beat the close wins. */
async function closeOrder(ctx: StepContext<OnlineAdapter>, row: WalletCharge): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  const poll = rules.pollIntervalMs;
  const traced = providerCalled(deps, await adapter.close(orderNo(row), await providerDataFor(deps, row.seq)));
  const { outcome } = traced;
  const policy = retryPolicy('close', poll);
  // An order that cannot be closed is asked about for as long as it takes: answers alike share one attempt row.
  return commitCall(deps, job, { seq: row.seq, request: describeRequest({ orderNo: orderNo(row) }), traced }, async (trx, now) => {
    const cancelled = row.cancel_seq !== null;
    switch (outcome.kind) {
      case 'closed':
        await finishCharge(deps, trx, row, now, {
          paid: false,
          reason: cancelled ? 'cancelled' : 'expired',
          failure: cancelled ? failure('sale_voided_failure') : expiredFailure(),
        });
        return { done: true };
      case 'already_paid':
        await finishCharge(deps, trx, row, now, { paid: true });
        return { done: true };
      case 'retry':
      case 'unknown':
        return retryOpenOutcome(deps, trx, row, now, policy, `closing the order unanswered: ${outcome.reason}`);
      case 'declined':
        if (firstOpenOutcome(row)) deps.log.error({ transaction: row.ref, code: outcome.code }, 'provider refused to close an order; retrying');
        return retryOpenOutcome(deps, trx, row, now, policy, `closing the order refused: ${outcome.code}: ${outcome.message}`);
      case 'rejected':
        return needsAttentionNow(deps, trx, row, now, refusedReason('close', outcome));
      default:
        return assertNever(outcome);
    }
  });
}

async function cardChargeStep(ctx: StepContext<CardAdapter>, row: CardCharge): Promise<void> {
  const { deps, job, adapter, rules } = ctx;
  switch (row.step) {
    case 'await_card':
      return commit(deps, job, async (trx, now) => {
        const expiresAt = row.expires_at ?? row.created_at;
        if (now < expiresAt) return { runAt: expiresAt };
        await finishCharge(deps, trx, row, now, { paid: false, reason: 'expired', failure: expiredFailure() });
        return { done: true };
      });
    case 'card_query': {
      // The card call got no answer (timeout, crash): the acquirer knows whether it charged.
      const traced = providerCalled(deps, await adapter.query(orderNo(row), await providerDataFor(deps, row.seq)));
      const { outcome } = traced;
      return commitCall(deps, job, { seq: row.seq, request: describeRequest({ orderNo: orderNo(row) }), traced }, async (trx, now) => {
        switch (outcome.kind) {
          case 'paid':
            await finishCharge(deps, trx, row, now, { paid: true });
            return { done: true };
          case 'closed':
            await finishCharge(deps, trx, row, now, {
              paid: false,
              reason: 'declined',
              failure: providerFailure(adapter, outcome.code, outcome.code),
              declineCode: outcome.code,
            });
            return { done: true };
          case 'not_paid':
            // The acquirer never received the sale; the card data is gone, so the shopper must start again.
            await finishCharge(deps, trx, row, now, {
              paid: false,
              reason: 'declined',
              failure: failure('card_failure', 'The card acquirer did not answer; no money was taken'),
            });
            return { done: true };
          case 'awaiting_customer':
          case 'unknown':
            return retryOpenOutcome(deps, trx, row, now, retryPolicy('card_query', rules.pollIntervalMs), 'the card acquirer has not said whether it charged');
          case 'rejected':
            return needsAttentionNow(deps, trx, row, now, refusedReason('card query', outcome));
          default:
            return assertNever(outcome);
        }
      });
    }
    case 'done':
      return endJob(ctx);
    default:
      return assertNever(row.step);
  }
}
