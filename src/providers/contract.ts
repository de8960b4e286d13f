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
import type { CurrencyCode, Money } from '../domain/money.js';

/** Provider names come from the provider list (providers/list.ts). */
export type { PosProviderName, ProviderName } from './list.js';
import type { PosProviderName, ProviderName } from './list.js';

/** One provider HTTP call, as recorded in a transaction's attempts (no secrets). */
export interface ProviderTrace {
  readonly provider: ProviderName;
  readonly call: string;
  readonly latencyMs: number;
  readonly httpStatus: number | null;
  /** The provider's own result/error code, if it answered one. */
  readonly code: string | null;
  readonly message: string | null;
}

/**
 * What an adapter needs to remember between calls of one transaction (UnionPay
 * txnTime, provider transaction ids, ...): short strings by name, never a
 * secret. CanCan stores it with the call's attempt and hands the merged data of
 * the transaction's earlier attempts back on every later call, so nothing a
 * later call needs lives only in one process's memory.
 */
export type ProviderData = Readonly<Record<string, string>>;

/**
 * The provider refused the request itself, before any business happened: bad
 * app or merchant id, a signature or client certificate it does not accept,
 * a missing permission, HTTP 401/403. Retrying cannot help; whether money
 * moved depends on what was sent before (the engine decides).
 */
export interface Rejected {
  readonly kind: 'rejected';
  readonly code: string;
  readonly message: string;
}

export interface Traced<T> {
  readonly outcome: T;
  readonly trace: ProviderTrace;
  /** Data to hand back to the adapter on this transaction's later calls. */
  readonly providerData?: ProviderData;
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
  | { readonly kind: 'unknown'; readonly reason: string; readonly code: string | null }
  | Rejected;

export type QueryOutcome =
  | { readonly kind: 'paid'; readonly providerTxnId: string | null }
  | { readonly kind: 'awaiting_customer' }
  /** The provider has no payment (yet): order unpaid or not found. */
  | { readonly kind: 'not_paid' }
  /** The order is closed, reversed or its payment failed: it will never be paid. */
  | { readonly kind: 'closed'; readonly code: string }
  | { readonly kind: 'unknown'; readonly reason: string }
  | Rejected;

export type ReverseOutcome =
  | { readonly kind: 'reversed' }
  /** The provider asks to call reverse again (WeChat recall=Y, Alipay retry_flag=Y). */
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string }
  | Rejected;

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
  /** What earlier calls of the sale and of this refund left for later ones. */
  readonly providerData?: ProviderData;
}

export type RefundOutcome =
  | { readonly kind: 'succeeded' }
  /** Accepted; the result comes later through refundQuery. */
  | { readonly kind: 'processing' }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string }
  | Rejected;

export type RefundQueryOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'processing' }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  /** The provider has no such refund: the refund call never arrived. */
  | { readonly kind: 'not_found' }
  | { readonly kind: 'unknown'; readonly reason: string }
  | Rejected;

/** What every adapter offers: refunds of its payments, and a map of its codes to failure codes. */
export interface RefundingAdapter {
  readonly provider: ProviderName;
  refund(request: RefundRequest): Promise<Traced<RefundOutcome>>;
  refundQuery(request: RefundRequest): Promise<Traced<RefundQueryOutcome>>;
  /** Provider code → the blueprint's failure code (a data table per provider). */
  mapFailure(code: string): FailureCode;
  /** The same for a refund's refusals, where a code means something else on a refund (WeChat's NOTENOUGH); default mapFailure. */
  mapRefundFailure?(code: string): FailureCode;
}

export interface PosAdapter extends RefundingAdapter {
  readonly provider: PosProviderName;
  /** Whether the customer's code is well-formed for this provider (checked before any call). */
  isWellFormedAuthCode(authCode: string): boolean;
  pay(request: PayRequest): Promise<Traced<PayOutcome>>;
  query(orderNo: string, data?: ProviderData): Promise<Traced<QueryOutcome>>;
  /** Reverse (cancel) an order whether or not it was paid; a paid order is refunded in full. */
  reverse(orderNo: string, data?: ProviderData): Promise<Traced<ReverseOutcome>>;
}

// ─── Online (merchant-presented QR / redirect) payments, for hosted checkout ──

export interface OrderRequest {
  /** Provider order number; reused on every retry. */
  readonly orderNo: string;
  readonly money: Money;
  readonly description: string;
  /** The CHOP payment method (alipay_hk, dana, …) where one provider serves several wallets. */
  readonly paymentMethod: string;
  /** When the order must stop being payable (epoch ms). */
  readonly expiresAt: number;
  /** Where the shopper's browser goes back to after a redirect flow (UnionPay); null where unused. */
  readonly returnUrl: string | null;
  /** Where the provider may send its asynchronous result; null where unused (CanCan also queries). */
  readonly notifyUrl: string | null;
  /** What earlier calls of this order left for later ones (a retried order reuses it). */
  readonly providerData?: ProviderData;
}

/** An HTML form the shopper's browser submits to the provider (POST, form-encoded). */
export interface PayForm {
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
}

export type OrderOutcome =
  /**
   * The order exists and waits for the customer. `qrCode` is the content of
   * the merchant-presented code (WeChat code_url, Alipay qr_code, …);
   * `payForm` is what the shopper's browser posts to continue at the
   * provider in a redirect flow (UnionPay's front transaction form).
   */
  | { readonly kind: 'created'; readonly qrCode: string; readonly payForm: PayForm | null }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string; readonly code: string | null }
  | Rejected;

export type CloseOutcome =
  | { readonly kind: 'closed' }
  /** The order was paid before it could be closed: the caller must treat it as paid (and refund if it wants). */
  | { readonly kind: 'already_paid' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly reason: string }
  | Rejected;

export interface OnlineAdapter extends RefundingAdapter {
  createOrder(request: OrderRequest): Promise<Traced<OrderOutcome>>;
  query(orderNo: string, data?: ProviderData): Promise<Traced<QueryOutcome>>;
  /** Closes an unpaid order so it can no longer be paid (the QR stops working). */
  close(orderNo: string, data?: ProviderData): Promise<Traced<CloseOutcome>>;
}

// ─── Cards (Converge-style acquirer) ──────────────────────────────────────────

/** Card data as the shopper typed it. Never stored, never logged. */
export interface CardDetails {
  readonly number: string;
  /** MMYY. */
  readonly expiry: string;
  readonly cvc: string;
  readonly name: string;
  readonly postalCode: string;
}

export interface CardSaleRequest {
  readonly orderNo: string;
  readonly money: Money;
  readonly card: CardDetails;
}

/** What the acquirer tells about a card payment; only masked data. */
export interface CardResult {
  /** Converge `ssl_result`: '0' approved, anything else declined. */
  readonly result: string;
  readonly resultMessage: string;
  readonly txnId: string | null;
  readonly approvalCode: string | null;
  readonly cvv2Response: string | null;
  readonly avsResponse: string | null;
  /** e.g. 4111xxxxxxxx1111 */
  readonly maskedNumber: string;
  /** MMYY */
  readonly expiry: string;
  /** Converge format: MM/DD/YYYY hh:mm:ss AM */
  readonly txnTime: string | null;
}

export type CardSaleOutcome =
  | { readonly kind: 'approved'; readonly card: CardResult }
  | { readonly kind: 'declined'; readonly code: string; readonly message: string; readonly card: CardResult }
  | { readonly kind: 'unknown'; readonly reason: string }
  | Rejected;

export interface CardAdapter extends RefundingAdapter {
  /** Why the account cannot charge in this currency (a live account without multi-currency), or null. */
  currencyRefusal?(currency: CurrencyCode): string | null;
  sale(request: CardSaleRequest): Promise<Traced<CardSaleOutcome>>;
  /** Looks a sale up by our order number (after a crash or timeout). */
  query(orderNo: string, data?: ProviderData): Promise<Traced<QueryOutcome>>;
}
