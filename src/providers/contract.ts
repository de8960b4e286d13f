/**
 * The narrow interface every POS provider adapter implements. Adapters speak
 * the provider's wire protocol and return outcomes as data: a decline is a
 * value, never an exception. An adapter never touches the store.
 *
 * "unknown" means CanCan cannot tell whether money moved (timeout, connection
 * reset, 5xx, a "system error" answer, a response whose signature fails): the
 * caller must query before deciding anything.
 */
import type { FailureCode } from '../domain/failures.js';
import type { Money } from '../domain/money.js';

export type ProviderName = 'wechatpay' | 'alipay' | 'linepay';

/** One provider HTTP call, as recorded in a transaction's event log (no secrets). */
export interface ProviderTrace {
  readonly provider: ProviderName;
  readonly call: string;
  readonly latencyMs: number;
  readonly httpStatus: number | null;
  /** The provider's own result/error code, if it answered one. */
  readonly code: string | null;
  readonly message: string | null;
}

export interface Traced<T> {
  readonly outcome: T;
  readonly trace: ProviderTrace;
}

export interface PayRequest {
  /** Provider order number; reused on every retry so nothing is charged twice. */
  readonly orderNo: string;
  readonly money: Money;
  /** The customer's barcode (secret: never logged). */
  readonly authCode: string;
  readonly description: string;
}

export type PayOutcome =
  | { readonly kind: 'paid'; readonly providerTxnId: string | null }
  /** Definite refusal; no money moved. `code` is the provider's code. */
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  /** The customer must confirm in the wallet app (e.g. enter a password). */
  | { readonly kind: 'awaiting_customer'; readonly code: string }
  /** `code` is the provider's code when it answered one (e.g. BANKERROR), else null. */
  | { readonly kind: 'unknown'; readonly reason: string; readonly code: string | null };

export type QueryOutcome =
  | { readonly kind: 'paid'; readonly providerTxnId: string | null }
  | { readonly kind: 'awaiting_customer' }
  /** The provider has no payment (yet): order unpaid or not found. */
  | { readonly kind: 'not_paid' }
  /** The order is closed, reversed or its payment failed: it will never be paid. */
  | { readonly kind: 'closed'; readonly code: string }
  | { readonly kind: 'unknown'; readonly reason: string };

export type ReverseOutcome =
  | { readonly kind: 'reversed' }
  /** The provider asks to call reverse again (WeChat recall=Y, Alipay retry_flag=Y). */
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface RefundRequest {
  readonly orderNo: string;
  /** Idempotency key at the provider: the same number never refunds twice. */
  readonly refundNo: string;
  readonly saleMoney: Money;
  readonly refundMoney: Money;
  readonly reason: string | null;
  /**
   * The sale's refunds CanCan has already recorded as succeeded, oldest first.
   * CanCan processes one refund of a sale at a time, so a provider without a
   * refund idempotency key (LINE Pay) can tell whether this refund already
   * happened: it did if the provider holds more refunds of this amount than these.
   */
  readonly settledRefunds: readonly Money[];
}

export type RefundOutcome =
  | { readonly kind: 'succeeded' }
  /** Accepted; the result comes later through refundQuery. */
  | { readonly kind: 'processing' }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string };

export type RefundQueryOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'processing' }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  /** The provider has no such refund: the refund call never arrived. */
  | { readonly kind: 'not_found' }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface PosAdapter {
  readonly provider: ProviderName;
  /** Whether the customer's code is well-formed for this provider (checked before any call). */
  isWellFormedAuthCode(authCode: string): boolean;
  pay(request: PayRequest): Promise<Traced<PayOutcome>>;
  query(orderNo: string): Promise<Traced<QueryOutcome>>;
  /** Reverse (cancel) an order whether or not it was paid; a paid order is refunded in full. */
  reverse(orderNo: string): Promise<Traced<ReverseOutcome>>;
  refund(request: RefundRequest): Promise<Traced<RefundOutcome>>;
  refundQuery(request: RefundRequest): Promise<Traced<RefundQueryOutcome>>;
  /** Provider code → the blueprint's failure code (a data table per provider). */
  mapFailure(code: string): FailureCode;
}
