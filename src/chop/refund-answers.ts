/**
 * A CHOP refund the provider declined, answered as Citcon clients expect: one
 * of the documented numeric refusal codes (REFUND_REFUSALS), with CanCan's
 * detail of the refusal in `status`.
 */
import { failure } from '../domain/failures.js';
import { providerCatalog } from '../providers/catalog.js';
import type { TransactionRow } from '../store/transactions.js';
import { paymentMethod } from './methods.js';
import { REFUND_REFUSALS } from './refunds.js';

export interface RefusalAnswer {
  readonly code: string;
  readonly status: string;
}

/**
 * The refusal code of a refund that failed at the provider: more than the
 * provider will refund → 4071 (as for a charge with nothing refundable); the
 * merchant's balance at the provider → 4073; past the provider's refund
 * period → 4074; any other refusal → 4071, the provider refunds nothing.
 */
export function declinedRefundAnswer(refund: Pick<TransactionRow, 'payment_method' | 'failure_code' | 'failure_detail' | 'last_provider_code'>): RefusalAnswer {
  const status = refund.failure_detail ?? failure(refund.failure_code ?? 'refund_not_allowed_failure').detail;
  const provider = refund.payment_method === null ? undefined : paymentMethod(refund.payment_method)?.provider;
  const pastPeriod =
    provider !== undefined &&
    refund.last_provider_code !== null &&
    (providerCatalog().provider(provider)?.refundPeriodOverCodes ?? []).includes(refund.last_provider_code);
  if (pastPeriod) return { code: REFUND_REFUSALS.window.code, status };
  if (refund.failure_code === 'merchant_insufficient_balance_failure') return { code: REFUND_REFUSALS.balance.code, status };
  return { code: REFUND_REFUSALS.tooMuch.code, status };
}
