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
}

export interface MerchantGatewaysTable {
  merchant_id: string;
  gateway: string;
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
 * One row per transaction. The provider attempt lives on the row: a
 * transaction has exactly one provider order number, reused on every retry.
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
  provider_order_no: string | null;
  /** Encrypted customer code, erased once the sale is final. */
  auth_code_sealed: string | null;
  /** When the pay call was first sent: after a crash, query before anything else. */
  provider_sent_at: number | null;
  /** End of the window for the customer to confirm; then reverse. */
  confirm_deadline: number | null;
  /** The provider's last code while the outcome was unknown (USERPAYING, BANKERROR…). */
  last_provider_code: string | null;
  created_at: number;
  updated_at: number;
  finalized_at: number | null;
  /** Optimistic concurrency: every update bumps it and checks the old value. */
  version: number;
}

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
}

export interface ProviderCredentialsTable {
  merchant_id: string;
  provider: string;
  /** JSON of the provider's credentials, sealed with the master key. */
  sealed: string;
  updated_at: number;
}

export interface Database {
  merchants: MerchantsTable;
  merchant_gateways: MerchantGatewaysTable;
  api_keys: ApiKeysTable;
  transactions: TransactionsTable;
  transaction_events: TransactionEventsTable;
  jobs: JobsTable;
  provider_credentials: ProviderCredentialsTable;
}
