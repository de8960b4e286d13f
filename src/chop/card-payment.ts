/**
 * The card form's submission: the one provider call made inside a page
 * request, because the card number and CVC may live only in memory. The call
 * is marked as sent (and the job set to query the acquirer afterwards) before
 * it goes out, so a crash or a lost answer is resolved by the worker without
 * charging twice.
 */
import type { CoreDeps } from '../core/deps.js';
import { describeRequest, keepingAttempt } from '../core/attempts.js';
import { moneyOf, orderNo, providerCalled, rejectedFailure } from '../core/process.js';
import { transact } from '../observability/transact.js';
import { failure } from '../domain/failures.js';
import type { CardDetails, CardResult } from '../providers/contract.js';
import { providerRules } from '../providers/registry.js';
import { type TransactionRow, VersionConflict, findBySeq, updateTransaction } from '../store/transactions.js';
import { checkoutOf, serializeCheckout } from './checkout-data.js';
import { finishCharge } from './process.js';

export async function payByCard(deps: CoreDeps, charge: TransactionRow, card: CardDetails): Promise<TransactionRow> {
  const adapter = await deps.adapters.cardAdapterFor(charge.mode, charge.merchant_id);
  if (!adapter) throw new Error(`no card adapter in ${charge.mode} mode`);
  const timeoutMs = providerRules('card', deps.config).timeoutMs;

  let sent: TransactionRow;
  try {
    sent = await transact(deps, async (trx) => {
      const now = deps.clock.now();
      const updated = await updateTransaction(trx, charge, now, { step: 'card_query', provider_sent_at: now });
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
