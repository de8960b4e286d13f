/**
 * The card form's submission: the one provider call made inside a page
 * request, because the card number and CVC may live only in memory. The call
 * is marked as sent (and the job set to query the acquirer afterwards) before
 * it goes out, so a crash or a lost answer is resolved by the worker without
 * charging twice.
 *
 * A decline the shopper can do something about (another card, the right CVC)
 * does not end the charge: a declined sale is final at the acquirer, so the
 * charge goes back to waiting for the card form under a new order number
 * (Converge's invoice number), and the next submission is a new sale. Only one
 * sale is ever in flight (the step moves to `card_query` under the row's
 * version before a sale is sent), an approved sale ends the charge, and each
 * attempt has its own invoice number, so no attempt can charge twice and no
 * two attempts can both be approved. After MAX_CARD_ATTEMPTS declines, or
 * once the page has expired or the merchant asked to cancel, a decline ends
 * the charge as before.
 */
import type { CoreDeps } from '../core/deps.js';
import { describeRequest, keepingAttempt } from '../core/attempts.js';
import { moneyOf, orderNo, providerCalled, rejectedFailure } from '../core/process.js';
import { transact } from '../observability/transact.js';
import { failure } from '../domain/failures.js';
import type { CardDetails, CardResult } from '../providers/contract.js';
import { providerRules } from '../providers/registry.js';
import { type TransactionRow, VersionConflict, findBySeq, updateTransaction } from '../store/transactions.js';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { FailureCode } from '../domain/failures.js';
import { type CheckoutData, checkoutOf, serializeCheckout } from './checkout-data.js';
import { finishCharge } from './process.js';

/** Card sales one charge may send: enough for a typo and another card, not enough to test stolen numbers. */
export const MAX_CARD_ATTEMPTS = 3;

/** Declines the shopper can answer with other card details; the others (merchant set-up, credentials) end the charge. */
const SHOPPER_DECLINES: readonly FailureCode[] = [
  'card_failure',
  'customer_insufficient_balance_failure',
  'customer_not_allowed_to_pay_failure',
  'unknown_failure',
];

/**
 * The order number of a charge's nth card sale: the ref for the first (as
 * before), then 22 characters of it and `-n`, within Converge's 25-character
 * invoice number and never equal to another attempt's.
 */
export function cardOrderNo(ref: string, attempt: number): string {
  return attempt <= 1 ? ref : `${ref.slice(0, 22)}-${attempt}`;
}

/** Back to the card form after a decline, ready for a new sale under a new order number. */
async function reopenForRetry(trx: Transaction<Database>, sent: TransactionRow, now: number, data: CheckoutData, declineCode: string): Promise<TransactionRow> {
  const attempts = data.cardAttempts;
  return updateTransaction(trx, sent, now, {
    step: 'await_card',
    provider_sent_at: null,
    provider_order_no: cardOrderNo(sent.ref, attempts + 1),
    checkout: serializeCheckout({ ...data, lastDecline: declineCode }),
  });
}

export async function payByCard(deps: CoreDeps, charge: TransactionRow, card: CardDetails): Promise<TransactionRow> {
  const adapter = await deps.adapters.cardAdapterFor(charge.mode, charge.merchant_id);
  if (!adapter) throw new Error(`no card adapter in ${charge.mode} mode`);
  const timeoutMs = providerRules('card', deps.config).timeoutMs;

  let sent: TransactionRow;
  try {
    sent = await transact(deps, async (trx) => {
      const now = deps.clock.now();
      const data = checkoutOf(charge);
      const updated = await updateTransaction(trx, charge, now, {
        step: 'card_query',
        provider_sent_at: now,
        checkout: serializeCheckout({ ...data, cardAttempts: data.cardAttempts + 1, lastDecline: null }),
      });
      // If no answer is recorded by then, the worker asks the acquirer what happened.
      await trx
        .updateTable('jobs')
        .set({ run_at: now + timeoutMs + 5_000 })
        .where('transaction_seq', '=', charge.seq)
        .where('kind', '=', 'transaction')
        .where('done_at', 'is', null)
        .execute();
      return updated;
    });
  } catch (error) {
    if (error instanceof VersionConflict) return (await findBySeq(deps.store.db, charge.seq)) ?? charge;
    throw error;
  }

  const traced = providerCalled(deps, await adapter.sale({ orderNo: orderNo(sent), money: moneyOf(sent), card }));
  const { outcome } = traced;
  // Card data never enters the summary; the masked number comes back in the outcome.
  const call = { seq: sent.seq, request: describeRequest({ orderNo: orderNo(sent), amount: moneyOf(sent) }), traced };
  try {
    return await keepingAttempt(deps, call, (writeAttempt) =>
      transact(deps, async (trx) => {
        const now = deps.clock.now();
        await writeAttempt(trx, now);
        // The acquirer's masked answer, kept with the charge.
        const withCard = (card: CardResult) => ({ checkout: serializeCheckout({ ...checkoutOf(sent), card }) });
        switch (outcome.kind) {
          case 'approved':
            return finishCharge(deps, trx, sent, now, { paid: true }, withCard(outcome.card));
          case 'declined': {
            // A decline the table does not name is still a card decline.
            const mapped = adapter.mapFailure(outcome.code);
            const why = mapped === 'unknown_failure' ? failure('card_failure', `${outcome.code}: ${outcome.message}`) : failure(mapped);
            const data = { ...checkoutOf(sent), card: outcome.card };
            const mayRetry =
              SHOPPER_DECLINES.includes(mapped) && data.cardAttempts < MAX_CARD_ATTEMPTS && now < (sent.expires_at ?? 0) && sent.cancel_seq === null;
            if (mayRetry) return reopenForRetry(trx, sent, now, data, outcome.code);
            return finishCharge(deps, trx, sent, now, { paid: false, reason: 'declined', failure: why, declineCode: outcome.code }, withCard(outcome.card));
          }
          case 'unknown':
            return sent;
          case 'rejected':
            // The acquirer refused the request itself (credentials): the card sale is sent once, so nothing was charged.
            return finishCharge(deps, trx, sent, now, {
              paid: false,
              reason: 'declined',
              failure: rejectedFailure(adapter, outcome),
              declineCode: outcome.code,
            });
          default: {
            const unreachable: never = outcome;
            throw new Error(`unhandled card outcome ${JSON.stringify(unreachable)}`);
          }
        }
      }),
    );
  } finally {
    deps.notifier.transactionChanged(sent.seq);
  }
}
