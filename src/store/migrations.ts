/**
 * Schema migrations, in code so they ship inside the build. One schema for
 * both dialects; the only difference is how an auto-increment key is spelled.
 */
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import type { Dialect } from './db.js';

// Migrations operate on a database whose shape they are creating.
type AnyDb = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function migrations(dialect: Dialect): Record<string, Migration> {
  const serial = (table: ReturnType<AnyDb['schema']['createTable']>, name: string) =>
    dialect === 'postgres'
      ? table.addColumn(name, 'bigserial', (c) => c.primaryKey())
      : table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    '0001_initial': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('merchants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('timezone', 'text', (c) => c.notNull())
          .addColumn('void_window_ms', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('merchant_gateways')
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('gateway', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('merchant_gateways_pk', ['merchant_id', 'gateway'])
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('key_digest', 'text', (c) => c.notNull().unique())
          .addColumn('key_sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_used_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .execute();
        await serial(db.schema.createTable('transactions'), 'seq')
          .addColumn('ref', 'text', (c) => c.notNull().unique())
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('step', 'text', (c) => c.notNull())
          .addColumn('gateway', 'text')
          .addColumn('amount', 'bigint')
          .addColumn('currency', 'text')
          .addColumn('description', 'text')
          .addColumn('pos_id', 'text')
          .addColumn('mch_level_1', 'text')
          .addColumn('mch_level_2', 'text')
          .addColumn('mch_level_3', 'text')
          .addColumn('sale_client_id', 'text')
          .addColumn('sale_seq', 'bigint')
          .addColumn('failure_code', 'text')
          .addColumn('failure_detail', 'text')
          .addColumn('request_digest', 'text', (c) => c.notNull())
          .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('voided', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('void_seq', 'bigint')
          .addColumn('provider_order_no', 'text')
          .addColumn('auth_code_sealed', 'text')
          .addColumn('provider_sent_at', 'bigint')
          .addColumn('confirm_deadline', 'bigint')
          .addColumn('last_provider_code', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('finalized_at', 'bigint')
          .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
          .addUniqueConstraint('transactions_merchant_client_id', ['merchant_id', 'client_id'])
          .execute();
        await db.schema.createIndex('transactions_merchant_seq').on('transactions').columns(['merchant_id', 'seq']).execute();
        await db.schema.createIndex('transactions_sale_seq').on('transactions').column('sale_seq').execute();
        await serial(db.schema.createTable('transaction_events'), 'id')
          .addColumn('transaction_seq', 'bigint', (c) => c.notNull().references('transactions.seq'))
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('transaction_events_tx').on('transaction_events').column('transaction_seq').execute();
        await serial(db.schema.createTable('jobs'), 'id')
          .addColumn('transaction_seq', 'bigint', (c) => c.notNull().references('transactions.seq'))
          .addColumn('run_at', 'bigint', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('done_at', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('jobs_due').on('jobs').column('run_at').where(sql.ref('done_at'), 'is', null).execute();
        await db.schema.createIndex('jobs_tx').on('jobs').column('transaction_seq').execute();
      },
    },
    '0002_provider_credentials': {
      async up(db: AnyDb) {
        // Live-mode credentials per merchant and provider, sealed with the master key (write-only).
        await db.schema
          .createTable('provider_credentials')
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('sealed', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('provider_credentials_pk', ['merchant_id', 'provider'])
          .execute();
      },
    },
    '0003_hosted_checkout': {
      async up(db: AnyDb) {
        // CHOP charges, refunds and cancels live in the transactions table beside POS ones (one list, one job queue).
        await db.schema
          .alterTable('transactions')
          .addColumn('channel', 'text', (c) => c.notNull().defaultTo('pos'))
          .execute();
        for (const column of ['reference', 'api_key_id', 'qr_code', 'pay_form', 'checkout', 'close_reason']) {
          await db.schema.alterTable('transactions').addColumn(column, 'text').execute();
        }
        await db.schema.alterTable('transactions').addColumn('expires_at', 'bigint').execute();
        await db.schema.createIndex('transactions_merchant_reference').on('transactions').columns(['merchant_id', 'reference']).execute();
        await db.schema
          .alterTable('merchants')
          .addColumn('refund_balance_exempt', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .alterTable('merchants')
          .addColumn('cancel_window_ms', 'bigint', (c) => c.notNull().defaultTo(86_400_000))
          .execute();
        await db.schema.alterTable('merchants').addColumn('webhook_secret_sealed', 'text').execute();
        // Jobs either process a transaction or deliver one notification.
        await db.schema
          .alterTable('jobs')
          .addColumn('kind', 'text', (c) => c.notNull().defaultTo('transaction'))
          .execute();
        await db.schema.alterTable('jobs').addColumn('notification_id', 'bigint').execute();
        await serial(db.schema.createTable('notifications'), 'id')
          .addColumn('transaction_seq', 'bigint', (c) => c.notNull().references('transactions.seq'))
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('notify_id', 'text', (c) => c.notNull().unique())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('next_attempt_at', 'bigint')
          .addColumn('delivered_at', 'bigint')
          .execute();
        await db.schema.createIndex('notifications_tx').on('notifications').column('transaction_seq').execute();
        await serial(db.schema.createTable('notification_attempts'), 'id')
          .addColumn('notification_id', 'bigint', (c) => c.notNull().references('notifications.id'))
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('http_status', 'integer')
          .addColumn('latency_ms', 'integer', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('response_excerpt', 'text')
          .execute();
        await db.schema.createIndex('notification_attempts_n').on('notification_attempts').column('notification_id').execute();
      },
    },
    '0004_dashboard': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('merchant_id', 'text', (c) => c.references('merchants.id'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_sign_in_at', 'bigint')
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('id_digest', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('csrf_token', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
        await serial(db.schema.createTable('sign_in_failures'), 'id')
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sign_in_failures_key').on('sign_in_failures').columns(['key', 'at']).execute();
        await serial(db.schema.createTable('audit_log'), 'id')
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('merchant_id', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text')
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_log_target').on('audit_log').column('target').execute();
        await db.schema.createIndex('audit_log_merchant').on('audit_log').columns(['merchant_id', 'id']).execute();
        // The dashboard lists by merchant and time; operators search every merchant by POS id or CHOP reference.
        await db.schema.createIndex('transactions_merchant_created').on('transactions').columns(['merchant_id', 'created_at']).execute();
        await db.schema.createIndex('transactions_client_id').on('transactions').column('client_id').execute();
        await db.schema.createIndex('transactions_reference').on('transactions').column('reference').execute();
      },
    },
    '0005_request_ids': {
      async up(db: AnyDb) {
        await db.schema.alterTable('transactions').addColumn('request_id', 'text').execute();
      },
    },
    '0006_modes': {
      // Test and live are two worlds: a POS id is unique per merchant *and mode*. Existing rows keep their mode.
      async up(db: AnyDb) {
        if (dialect === 'postgres') {
          await sql`alter table transactions drop constraint transactions_merchant_client_id`.execute(db);
          await sql`alter table transactions add constraint transactions_merchant_mode_client_id unique (merchant_id, mode, client_id)`.execute(db);
        } else {
          await rebuildSqliteTable(
            db,
            'transactions',
            'constraint "transactions_merchant_client_id" unique ("merchant_id", "client_id")',
            'constraint "transactions_merchant_mode_client_id" unique ("merchant_id", "mode", "client_id")',
          );
        }
        // CHOP references are looked up per merchant and mode.
        await db.schema.dropIndex('transactions_merchant_reference').execute();
        await db.schema.createIndex('transactions_merchant_mode_reference').on('transactions').columns(['merchant_id', 'mode', 'reference']).execute();
      },
    },
    '0007_idempotency_keys': {
      async up(db: AnyDb) {
        // CHOP `Idempotency-Key`s: the first answer per merchant, mode and key (src/http/idempotency.ts).
        await serial(db.schema.createTable('idempotency_keys'), 'id')
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('endpoint', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('effect_ref', 'text', (c) => c.notNull())
          .addColumn('locked_at', 'bigint')
          .addColumn('status_code', 'integer')
          .addColumn('response_headers', 'text')
          .addColumn('response_body', 'text')
          .addColumn('response_encoding', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('idempotency_keys_merchant_mode_key', ['merchant_id', 'mode', 'key'])
          .execute();
        await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
      },
    },
    '0008_provider_attempts': {
      async up(db: AnyDb) {
        // Every provider call of a transaction, with the data later calls need (src/store/attempts.ts).
        await serial(db.schema.createTable('provider_attempts'), 'id')
          .addColumn('transaction_seq', 'bigint', (c) => c.notNull().references('transactions.seq'))
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('last_at', 'bigint', (c) => c.notNull())
          .addColumn('repeat_count', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('call', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('code', 'text')
          .addColumn('message', 'text')
          .addColumn('http_status', 'integer')
          .addColumn('latency_ms', 'integer', (c) => c.notNull())
          .addColumn('request_summary', 'text')
          .addColumn('response_summary', 'text')
          .addColumn('provider_data', 'text', (c) => c.notNull().defaultTo('{}'))
          .execute();
        await db.schema.createIndex('provider_attempts_tx').on('provider_attempts').columns(['transaction_seq', 'id']).execute();
        // Provider calls recorded before as events move over; their outcome kind was not recorded then.
        const field = (name: string) => (dialect === 'postgres' ? sql`(data::json ->> ${sql.lit(name)})` : sql`json_extract(data, ${sql.lit(`$.${name}`)})`);
        const integer = (name: string) =>
          dialect === 'postgres' ? sql`cast(round(cast(${field(name)} as numeric)) as integer)` : sql`cast(${field(name)} as integer)`;
        await sql`insert into provider_attempts
            (transaction_seq, at, last_at, repeat_count, provider, call, outcome, code, message, http_status, latency_ms, provider_data)
          select transaction_seq, at, at, 1, coalesce(${field('provider')}, ''), coalesce(${field('call')}, ''), 'not_recorded',
            ${field('code')}, ${field('message')}, ${integer('httpStatus')}, coalesce(${integer('latencyMs')}, 0), '{}'
          from transaction_events where kind = 'provider_call' order by id`.execute(db);
        await sql`delete from transaction_events where kind = 'provider_call'`.execute(db);
      },
    },
    '0009_customer_confirming': {
      // "The customer is confirming" gets its own column; last_provider_code held it as a marker and keeps provider codes only.
      async up(db: AnyDb) {
        await db.schema
          .alterTable('transactions')
          .addColumn('customer_confirming', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db
          .updateTable('transactions')
          .set({ customer_confirming: 1, last_provider_code: null })
          .where('last_provider_code', '=', 'awaiting_customer')
          .execute();
      },
    },
    '0010_checkout_branding': {
      async up(db: AnyDb) {
        // A merchant's checkout template: its default (method '') and optional ones per payment method (src/checkout/branding.ts).
        await db.schema
          .createTable('checkout_brandings')
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('template', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('checkout_brandings_pk', ['merchant_id', 'method'])
          .execute();
        // Checked logos, kept by CanCan and served from its own origin; the id is the image's sha256 (base64 text: one type on both dialects).
        await db.schema
          .createTable('checkout_logos')
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('width', 'integer', (c) => c.notNull())
          .addColumn('height', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('checkout_logos_pk', ['merchant_id', 'id'])
          .execute();
        await db.schema.createIndex('checkout_logos_id').on('checkout_logos').column('id').execute();
      },
    },
    '0011_needs_attention': {
      // Bounded retries (src/jobs/retry-policy.ts): when a step's open outcome began, and when it outlived its deadline.
      async up(db: AnyDb) {
        await db.schema.alterTable('transactions').addColumn('retrying_since', 'bigint').execute();
        await db.schema.alterTable('transactions').addColumn('needs_attention_since', 'bigint').execute();
        await db.schema.createIndex('transactions_needs_attention').on('transactions').column('needs_attention_since').execute();
      },
    },
    '0012_transaction_columns': {
      // A POS row names a gateway, a hosted-checkout row a payment method: each gets its own column (`gateway` held both).
      async up(db: AnyDb) {
        await db.schema.alterTable('transactions').addColumn('payment_method', 'text').execute();
        await db
          .updateTable('transactions')
          .set((eb) => ({ payment_method: eb.ref('gateway'), gateway: null }))
          .where('channel', '=', 'chop')
          .execute();
      },
    },
    '0013_cancel_columns': {
      // A charge's cancel gets its own columns: `void_seq`/`voided` stay a sale's void.
      async up(db: AnyDb) {
        await db.schema.alterTable('transactions').addColumn('cancel_seq', 'bigint').execute();
        await db.schema
          .alterTable('transactions')
          .addColumn('cancelled', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db
          .updateTable('transactions')
          .set((eb) => ({ cancel_seq: eb.ref('void_seq'), cancelled: eb.ref('voided'), void_seq: null, voided: 0 }))
          .where('type', '=', 'charge')
          .execute();
      },
    },
    '0014_gateway_currencies': {
      // A merchant's own currency list for a cross-border gateway (API.md's "configurable list"); no row: the gateway's default.
      async up(db: AnyDb) {
        await db.schema
          .createTable('merchant_gateway_currencies')
          .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
          .addColumn('gateway', 'text', (c) => c.notNull())
          .addColumn('currencies', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('merchant_gateway_currencies_pk', ['merchant_id', 'gateway'])
          .execute();
      },
    },
    '0015_provider_notifications': {
      // Providers' asynchronous notifications (src/http/routes/provider-notify.ts): every one received, accepted or refused.
      async up(db: AnyDb) {
        await serial(db.schema.createTable('provider_notifications'), 'id')
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('verdict', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('dedupe_key', 'text')
          .addColumn('order_no', 'text')
          .addColumn('claimed_status', 'text')
          .addColumn('transaction_seq', 'bigint', (c) => c.references('transactions.seq'))
          .addColumn('merchant_id', 'text')
          .addColumn('mode', 'text')
          .addColumn('duplicates', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // A resend of an accepted notification is a duplicate, not a second row.
        await db.schema
          .createIndex('provider_notifications_dedupe')
          .unique()
          .on('provider_notifications')
          .columns(['provider', 'dedupe_key'])
          .where(sql.ref('verdict'), '=', 'accepted')
          .execute();
        // Whether a merchant's notifications arrive (the slower polling cadence).
        await db.schema
          .createIndex('provider_notifications_merchant')
          .on('provider_notifications')
          .columns(['merchant_id', 'provider', 'mode', 'received_at'])
          .execute();
        await db.schema.createIndex('provider_notifications_received').on('provider_notifications').column('received_at').execute();
        // Notifications find their order by its provider order number.
        await db.schema.createIndex('transactions_provider_order_no').on('transactions').column('provider_order_no').execute();
        // A job woken while a worker holds it runs again as soon as that worker lets go.
        await db.schema.alterTable('jobs').addColumn('woken_at', 'bigint').execute();
      },
    },
    '0016_reconciliation': {
      // Daily reconciliation (src/reconcile/): one run per provider account and day, its items replaced by a re-run.
      async up(db: AnyDb) {
        await serial(db.schema.createTable('reconciliation_runs'), 'id')
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('mode', 'text', (c) => c.notNull())
          // Null: the shared sandbox account of test mode.
          .addColumn('merchant_id', 'text', (c) => c.references('merchants.id'))
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('source', 'text')
          .addColumn('run_at', 'bigint', (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .addColumn('summary', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint')
          .execute();
        // One run per provider account and day; coalesce: the sandbox account (null merchant) counts as one account.
        await sql`create unique index reconciliation_runs_account_day on reconciliation_runs (provider, mode, (coalesce(merchant_id, '')), day)`.execute(db);
        await db.schema.createIndex('reconciliation_runs_due').on('reconciliation_runs').columns(['state', 'run_at']).execute();
        await serial(db.schema.createTable('reconciliation_items'), 'id')
          .addColumn('run_id', 'bigint', (c) => c.notNull().references('reconciliation_runs.id'))
          .addColumn('class', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('merchant_id', 'text')
          .addColumn('transaction_seq', 'bigint')
          .addColumn('order_no', 'text', (c) => c.notNull())
          .addColumn('refund_no', 'text')
          .addColumn('currency', 'text', (c) => c.notNull())
          .addColumn('provider_amount', 'bigint')
          .addColumn('cancan_amount', 'bigint')
          .addColumn('fee', 'bigint')
          .addColumn('net', 'bigint')
          .addColumn('provider_status', 'text')
          .addColumn('cancan_state', 'text')
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('reconciliation_items_run_class').on('reconciliation_items').columns(['run_id', 'class']).execute();
        await db.schema.createIndex('reconciliation_items_merchant_run').on('reconciliation_items').columns(['merchant_id', 'run_id']).execute();
      },
    },
    '0017_reconciliation_alerts': {
      // The webhook for a day with differences (src/reconcile/alerts.ts): delivered once, with retries, per run.
      async up(db: AnyDb) {
        await db.schema.alterTable('reconciliation_runs').addColumn('alert_state', 'text').execute();
        await db.schema
          .alterTable('reconciliation_runs')
          .addColumn('alert_attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('reconciliation_runs').addColumn('alert_next_at', 'bigint').execute();
        await db.schema.alterTable('reconciliation_runs').addColumn('alert_error', 'text').execute();
        await db.schema.createIndex('reconciliation_runs_alert').on('reconciliation_runs').columns(['state', 'alert_state']).execute();
      },
    },
    '0018_cache_generation': {
      // One counter, bumped in the same transaction as any change to what the API path caches (src/store/lookup-cache.ts):
      // keys (not their last use), merchants, enabled gateways, currency lists, provider credentials.
      async up(db: AnyDb) {
        await db.schema
          .createTable('cache_generation')
          .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
          .addColumn('generation', 'bigint', (c) => c.notNull())
          .execute();
        await db.insertInto('cache_generation').values({ id: 1, generation: 0 }).execute();
        const bump = 'update cache_generation set generation = generation + 1';
        const watched: readonly [table: string, updateOf: string | null][] = [
          ['api_keys', 'merchant_id, mode, key_digest, revoked_at'],
          ['merchants', null],
          ['merchant_gateways', null],
          ['merchant_gateway_currencies', null],
          ['provider_credentials', null],
        ];
        if (dialect === 'postgres') {
          await sql.raw(`create function cache_generation_bump() returns trigger language plpgsql as $$ begin ${bump}; return null; end $$`).execute(db);
          for (const [table, updateOf] of watched) {
            const update = updateOf === null ? 'update' : `update of ${updateOf}`;
            await sql
              .raw(
                `create trigger ${table}_cache_generation after insert or delete or ${update} or truncate on ${table} for each statement execute function cache_generation_bump()`,
              )
              .execute(db);
          }
          return;
        }
        for (const [table, updateOf] of watched) {
          for (const event of ['insert', 'delete', updateOf === null ? 'update' : `update of ${updateOf}`]) {
            const name = `${table}_cache_generation_${event.split(' ')[0]}`;
            await sql.raw(`create trigger ${name} after ${event} on ${table} for each row begin ${bump}; end`).execute(db);
          }
        }
      },
    },
    '0019_partial_indexes': {
      // A POS sale leaves these columns null: its insert skips their indexes. Every query on them names a value
      // (`=`, `in`, a range) or asks `is not null`, which implies the predicate, so each index still serves them.
      async up(db: AnyDb) {
        const partial: ReadonlyArray<[string, string[], string]> = [
          ['transactions_sale_seq', ['sale_seq'], 'sale_seq'],
          ['transactions_reference', ['reference'], 'reference'],
          ['transactions_merchant_mode_reference', ['merchant_id', 'mode', 'reference'], 'reference'],
          ['transactions_needs_attention', ['needs_attention_since'], 'needs_attention_since'],
          ['transactions_provider_order_no', ['provider_order_no'], 'provider_order_no'],
        ];
        for (const [name, columns, nonNull] of partial) {
          await db.schema.dropIndex(name).execute();
          await db.schema.createIndex(name).on('transactions').columns(columns).where(sql.ref(nonNull), 'is not', null).execute();
        }
      },
    },
  };
}

/**
 * SQLite cannot drop a table constraint: the table is rebuilt from its own
 * definition with one clause replaced (SQLite's documented twelve-step
 * procedure), keeping every row, rowid and index. Foreign keys are off while the
 * old table is dropped, then checked before the commit.
 */
async function rebuildSqliteTable(db: AnyDb, table: string, oldClause: string, newClause: string): Promise<void> {
  const objects = await sql<{ type: string; name: string; sql: string | null }>`
    select type, name, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(db);
  const definition = objects.rows.find((o) => o.type === 'table')?.sql;
  if (!definition || !definition.includes(oldClause)) throw new Error(`${table}: the clause to replace is not in its definition`);
  const indexes = objects.rows.filter((o) => o.type === 'index').map((o) => o.sql as string);
  const rebuilt = definition.replace(oldClause, newClause).replace(/^create table "?\w+"?/i, `create table "${table}_rebuilt"`);
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql.raw(rebuilt).execute(trx);
      await sql.raw(`insert into "${table}_rebuilt" select * from "${table}"`).execute(trx);
      await sql.raw(`drop table "${table}"`).execute(trx);
      await sql.raw(`alter table "${table}_rebuilt" rename to "${table}"`).execute(trx);
      for (const index of indexes) await sql.raw(index).execute(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) throw new Error(`${table}: foreign keys broken by the rebuild`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

/** Runs every migration not yet run, or those up to `target` (tests of an upgrade start from an older schema). */
export async function migrate(db: AnyDb, dialect: Dialect, target?: string): Promise<string[]> {
  const all = migrations(dialect);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => all },
  });
  const { error, results } = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
