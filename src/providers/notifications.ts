/**
 * A provider's asynchronous payment notifications (WeChat Pay notify_url,
 * Alipay notify_url, Antom notifyPayment, UnionPay backUrl), as each
 * provider's descriptor reads them. CanCan's route (`/notify/<provider>`,
 * src/http/routes/provider-notify.ts) does the rest, the same for every
 * provider: find the order the notification claims, take the credentials of
 * that order's merchant and mode, `verify`, store, wake the order's job,
 * answer. A notification only wakes the job: the worker confirms by query
 * before anything changes, so even a verified one is a hint.
 */
import type { AdapterContext } from './descriptor.js';

/** The request as received, before anything in it is trusted. */
export interface NotificationRequest {
  /** The path the provider posted to (Antom signs it), without the query string. */
  readonly path: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly contentType: string;
  /** The raw body, exactly as received (signatures cover bytes, not parsed values). */
  readonly body: string;
}

/** What the notification claims, read without trusting it. */
export interface NotificationClaim {
  /** CanCan's provider order number it is about (out_trade_no, paymentRequestId, orderId). */
  readonly orderNo: string;
  /** What it says happened to the order: paid, closed for good, or nothing final yet. */
  readonly status: 'paid' | 'closed' | 'pending';
  /** The amount in the currency's minor units, and the currency, where the notification states them. */
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly providerTxnId: string | null;
  /**
   * The same notification resent has the same key: the provider's notification
   * id where it has one (Alipay notify_id, Antom notifyId), else the provider's
   * transaction id with the status.
   */
  readonly dedupeKey: string;
}

export type NotificationRead = { readonly ok: true; readonly claim: NotificationClaim } | { readonly ok: false; readonly reason: string };

/**
 * The outcome of checking a notification against the credentials of the
 * order's merchant and mode. `reason` is logged and stored for the operator:
 * never key material or a full signature.
 */
export type NotificationCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The HTTP answer the provider expects. */
export interface NotificationAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface NotificationReceiver<C> {
  /** Reads the claim; not ok when the body is not this provider's notification format. */
  read(request: NotificationRequest): NotificationRead;
  /**
   * Checks the signature (and certificate chain where the provider signs with
   * one) and the account ids the notification names (app id, mch id, client
   * id, merId) against the credentials of the order's merchant and mode.
   * Amount and currency are compared with the order by the route.
   */
  verify(request: NotificationRequest, claim: NotificationClaim, context: AdapterContext<C>): NotificationCheck;
  /**
   * What to answer: `acknowledged` (stored, or a harmless duplicate) tells the
   * provider to stop resending; otherwise the provider's failure answer.
   * `context` is the order's adapter context where the order was found (Antom
   * signs its answer), else null.
   */
  answer(acknowledged: boolean, context: AdapterContext<C> | null): NotificationAnswer;
}
