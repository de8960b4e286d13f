/** The database schema as Kysely sees it. Times are epoch milliseconds. */
import type { Generated } from 'kysely';
import type { FailureCode } from '../domain/failures.js';
import type { KeyMode } from '../domain/secrets.js';
import type { ProcessingStep, TransactionState, TransactionType } from '../domain/states.js';

export interface MerchantsTable {
  id: string;
  name: string;
  timezone: string;
  void_window_ms: number;
  created_at: number;
  /** CHOP: refunds may exceed the day's open balance. */
  refund_balance_exempt: Generated<number>;
  /** CHOP: how long after creation a charge may be cancelled. */
  cancel_window_ms: Generated<number>;
  /** Key of the `CanCan-Signature` IPN header, sealed; created on first use. */
  webhook_secret_sealed: string | null;
}

export interface MerchantGatewaysTable {
  merchant_id: string;
  gateway: string;
}

/** A merchant's currency list for a gateway with `currencyChoices` (migration 0014). */
export interface MerchantGatewayCurrenciesTable {
  merchant_id: string;
  gateway: string;
  /** ISO codes, comma-separated, in the order the operator gave them. */
  currencies: string;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  merchant_id: string;
  mode: KeyMode;
  prefix: string;
  key_digest: string;
  key_sealed: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/**
 * One row per transaction. A transaction has exactly one provider order
 * number, reused on every retry; each call made with it is a provider attempt.
 */
export interface TransactionsTable {
  seq: Generated<number>;
  /** Internal id (32 hex), also the provider order / refund number. */
  ref: string;
  merchant_id: string;
  /** The id the POS gave, unique per merchant. */
  client_id: string;
  type: TransactionType;
  mode: KeyMode;
  state: TransactionState;
  step: ProcessingStep;
  /** POS rows: the payment gateway (CHOP rows name a `payment_method` instead). */
  gateway: string | null;
  amount: number | null;
  currency: string | null;
  description: string | null;
  pos_id: string | null;
  mch_level_1: string | null;
  mch_level_2: string | null;
  mch_level_3: string | null;
  /** For voids and refunds: the `sale` attribute as sent, and the sale row if found. */
  sale_client_id: string | null;
  sale_seq: number | null;
  failure_code: FailureCode | null;
  failure_detail: string | null;
  /** Keyed digest of the request body, to tell a retry from a conflicting reuse of the id. */
  request_digest: string;
  /** Sales: sum of succeeded refunds, and whether a void succeeded. */
  refunded_amount: number;
  voided: number;
  /** Sales: the void that claimed this sale (at most one at a time). */
  void_seq: number | null;
  /** Charges: whether a cancel succeeded, and the cancel that claimed this charge (at most one at a time). */
  cancelled: Generated<number>;
  cancel_seq: Generated<number | null>;
  provider_order_no: string | null;
  /** Encrypted customer code, erased once the sale is final. */
  auth_code_sealed: string | null;
  /** When the pay call was first sent: after a crash, query before anything else. */
  provider_sent_at: number | null;
  /** End of the window for the customer to confirm; then reverse. */
  confirm_deadline: number | null;
  /** The provider's last code while the outcome was unknown (USERPAYING, BANKERROR…); provider codes only. */
  last_provider_code: string | null;
  /** POS sales: 1 once the provider said the customer is confirming (entering a password); unconfirmed in time, it fails as such. */
  customer_confirming: Generated<number>;
  created_at: number;
  updated_at: number;
  finalized_at: number | null;
  /** Optimistic concurrency: every update bumps it and checks the old value. */
  version: number;
  /** `pos` (CANCAN v2) or `chop` (hosted checkout and the Online API). */
  channel: Generated<Channel>;
  /** CHOP rows: the payment method (chop/methods.ts); null on POS rows. */
  payment_method: Generated<string | null>;
  /** CHOP: the merchant's reference. */
  reference: Generated<string | null>;
  /** CHOP: the key that created the charge (its token signs the IPN). */
  api_key_id: Generated<string | null>;
  /** CHOP wallets: content of the merchant-presented code, and a redirect form (JSON) where the flow has one. */
  qr_code: Generated<string | null>;
  pay_form: Generated<string | null>;
  /** CHOP: callback URLs, ext, extra parameters and the masked card result (JSON, see chop/checkout.ts). */
  checkout: Generated<string | null>;
  /** CHOP: why a charge ended unpaid. */
  close_reason: Generated<CloseReason | null>;
  /** CHOP: when the payment page stops accepting payment. */
  expires_at: Generated<number | null>;
  /** The X-Request-Id of the request that created the row, carried into its job's log lines. */
  request_id: Generated<string | null>;
  /** When the current step's outcome became open (unknown, refused, failing); cleared when the step moves on. */
  retrying_since: Generated<number | null>;
  /** When the open outcome outlived its step's deadline; cleared when the outcome is known (see jobs/attention.ts). */
  needs_attention_since: Generated<number | null>;
}

export type Channel = 'pos' | 'chop';
export type CloseReason = 'expired' | 'declined' | 'cancelled';

export interface TransactionEventsTable {
  id: Generated<number>;
  transaction_seq: number;
  at: number;
  kind: string;
  data: string;
}

export interface JobsTable {
  id: Generated<number>;
  transaction_seq: number;
  run_at: number;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  done_at: number | null;
  last_error: string | null;
  created_at: number;
  kind: Generated<JobKind>;
  notification_id: Generated<number | null>;
  /** Set when a provider notification wakes the job while a worker holds it; the holder's reschedule then runs it at once. */
  woken_at: Generated<number | null>;
}

export type JobKind = 'transaction' | 'notification';

export type NotificationStatus = 'pending' | 'delivered' | 'failed';

export type ProviderNotificationVerdict = 'accepted' | 'refused';

/** A provider's asynchronous notification as received (src/http/routes/provider-notify.ts); the body is not kept. */
export interface ProviderNotificationsTable {
  id: Generated<number>;
  provider: string;
  received_at: number;
  verdict: ProviderNotificationVerdict;
  /** Why it was refused (no key material). */
  reason: string | null;
  dedupe_key: string | null;
  order_no: string | null;
  /** What it said happened: paid, closed, pending. */
  claimed_status: string | null;
  transaction_seq: number | null;
  merchant_id: string | null;
  mode: string | null;
  /** Resends of an accepted notification received since. */
  duplicates: Generated<number>;
}

export interface NotificationsTable {
  id: Generated<number>;
  transaction_seq: number;
  merchant_id: string;
  notify_id: string;
  url: string;
  /** The form body exactly as posted (signed). */
  body: string;
  status: NotificationStatus;
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  delivered_at: number | null;
}

export interface CheckoutBrandingsTable {
  merchant_id: string;
  /** A payment method code, or '' for the merchant's default template. */
  method: string;
  /** JSON of a Branding (src/checkout/branding.ts). */
  template: string;
  updated_at: number;
}

export interface CheckoutLogosTable {
  /** sha256 (hex) of the image. */
  id: string;
  merchant_id: string;
  content_type: string;
  width: number;
  height: number;
  /** The image, base64. */
  data: string;
  created_at: number;
}

export interface NotificationAttemptsTable {
  id: Generated<number>;
  notification_id: number;
  at: number;
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

export interface ProviderCredentialsTable {
  merchant_id: string;
  provider: string;
  /** JSON of the provider's credentials, sealed with the master key. */
  sealed: string;
  updated_at: number;
}

/** Dashboard users: a merchant's owner or read-only staff, or a platform operator (no merchant). */
export type UserRole = 'owner' | 'staff' | 'operator';

export interface UsersTable {
  id: string;
  /** Lower-cased. */
  email: string;
  /** scrypt, see dashboard/passwords.ts. */
  password_hash: string;
  role: UserRole;
  merchant_id: string | null;
  created_at: number;
  last_sign_in_at: number | null;
}

export interface SessionsTable {
  /** Digest of the cookie's secret: a database leak does not hand out sessions. */
  id_digest: string;
  user_id: string;
  /** Synchronizer token every dashboard form carries. */
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** One row per failed sign-in, and per sign-in whose password is being checked (dashboard/accounts.ts claimAttempt). */
export interface SignInFailuresTable {
  id: Generated<number>;
  /** `email:<address>` or `ip:<address>`. */
  key: string;
  at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  user_id: string;
  /** The merchant the action touched (null for platform-wide actions). */
  merchant_id: string | null;
  action: string;
  /** What it acted on: a transaction ref, key id, merchant id. */
  target: string | null;
  /** JSON, never a secret. */
  detail: string;
}

/**
 * A CHOP `Idempotency-Key` (src/http/idempotency.ts): the request it was first
 * used with and, once answered, that answer. While `status_code` is null the
 * request is in progress (`locked_at` set) or was left unanswered (null).
 */
export interface IdempotencyKeysTable {
  id: Generated<number>;
  merchant_id: string;
  mode: KeyMode;
  key: string;
  /** The route path first used with the key. */
  endpoint: string;
  /** Keyed digest of the endpoint and canonical parameters. */
  fingerprint: string;
  /** The id the charge, refund or cancel gets, chosen before it is made: a re-run finds it instead of making another. */
  effect_ref: string;
  locked_at: number | null;
  status_code: number | null;
  /** JSON: the content type and CanCan headers of the answer. */
  response_headers: string | null;
  response_body: string | null;
  response_encoding: 'utf8' | 'base64' | null;
  created_at: number;
  updated_at: number;
}

/**
 * One provider call of a transaction (src/store/attempts.ts). Consecutive
 * identical calls (a poll answering the same thing) share one row: `repeat_count`
 * and `last_at` grow instead of the table. Summaries are short and redacted.
 */
export interface ProviderAttemptsTable {
  id: Generated<number>;
  transaction_seq: number;
  at: number;
  last_at: number;
  repeat_count: Generated<number>;
  provider: string;
  call: string;
  /** The outcome kind the adapter answered (paid, declined, unknown, ...). */
  outcome: string;
  code: string | null;
  message: string | null;
  http_status: number | null;
  latency_ms: number;
  request_summary: string | null;
  response_summary: string | null;
  /** JSON object of strings: what the adapter needs on later calls (e.g. UnionPay txnTime). */
  provider_data: Generated<string>;
}

export interface Database {
  merchants: MerchantsTable;
  merchant_gateways: MerchantGatewaysTable;
  merchant_gateway_currencies: MerchantGatewayCurrenciesTable;
  api_keys: ApiKeysTable;
  transactions: TransactionsTable;
  transaction_events: TransactionEventsTable;
  jobs: JobsTable;
  provider_credentials: ProviderCredentialsTable;
  notifications: NotificationsTable;
  notification_attempts: NotificationAttemptsTable;
  users: UsersTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
  audit_log: AuditLogTable;
  checkout_brandings: CheckoutBrandingsTable;
  checkout_logos: CheckoutLogosTable;
  idempotency_keys: IdempotencyKeysTable;
  provider_attempts: ProviderAttemptsTable;
  provider_notifications: ProviderNotificationsTable;
  reconciliation_runs: ReconciliationRunsTable;
  reconciliation_items: ReconciliationItemsTable;
}

export type ReconciliationRunState = 'due' | 'running' | 'done' | 'not_ready' | 'failed';
export type ReconciliationSource = 'statement' | 'query';
export type ReconciliationClass = 'matched' | 'missing_in_cancan' | 'missing_at_provider' | 'amount_mismatch' | 'status_mismatch' | 'fee_only';

/**
 * One reconciliation of a provider account's day (migration 0016, src/reconcile/):
 * live mode per (provider, merchant), test mode per provider for the shared
 * sandbox account (`merchant_id` null). Claimed with a lease like jobs.
 */
export interface ReconciliationRunsTable {
  id: Generated<number>;
  provider: string;
  mode: KeyMode;
  merchant_id: string | null;
  /** YYYY-MM-DD in the provider's statement time zone. */
  day: string;
  state: ReconciliationRunState;
  source: ReconciliationSource | null;
  /** When the run is due (again). */
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  last_error: string | null;
  /** JSON of a RunSummary (src/reconcile/summary.ts). */
  summary: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** The differences webhook (src/reconcile/alerts.ts): null until looked at; then none (clean), sent or given_up. */
  alert_state: Generated<ReconciliationAlertState | null>;
  alert_attempts: Generated<number>;
  alert_next_at: Generated<number | null>;
  alert_error: Generated<string | null>;
}

export type ReconciliationAlertState = 'none' | 'sent' | 'given_up';

/** One line of a run's outcome; a re-run replaces them all. */
export interface ReconciliationItemsTable {
  id: Generated<number>;
  run_id: number;
  class: ReconciliationClass;
  kind: 'payment' | 'refund';
  merchant_id: string | null;
  transaction_seq: number | null;
  order_no: string;
  refund_no: string | null;
  currency: string;
  provider_amount: number | null;
  cancan_amount: number | null;
  fee: number | null;
  net: number | null;
  provider_status: string | null;
  cancan_state: string | null;
  detail: string | null;
}
