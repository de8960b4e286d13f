/**
 * Reads behind the CHOP API, the payment page and the dashboard: hosted-checkout
 * transactions and their IPN notifications. Every query a caller makes is
 * scoped by merchant and mode; the payment page names a charge by its id alone.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { Database, NotificationAttemptsTable, NotificationsTable } from './schema.js';
import type { TransactionRow } from './transactions.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CallerScope {
  readonly merchantId: string;
  readonly mode: KeyMode;
}

/** A CHOP transaction of any kind (charge, refund, cancel) by its CanCan id. */
export async function findChopTransaction(db: Db, scope: CallerScope, ref: string): Promise<TransactionRow | undefined> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('merchant_id', '=', scope.merchantId)
    .where('mode', '=', scope.mode)
    .where('channel', '=', 'chop')
    .where('ref', '=', ref)
    .executeTakeFirst();
}

/** The charge a payment page shows, by its CanCan id. */
export async function findCheckoutCharge(db: Db, ref: string): Promise<TransactionRow | undefined> {
  return db.selectFrom('transactions').selectAll().where('ref', '=', ref).where('channel', '=', 'chop').where('type', '=', 'charge').executeTakeFirst();
}

export interface ChopPageRequest {
  readonly limit: number;
  /** The id of the last transaction of the previous page. */
  readonly startingAfter: string | null;
  readonly reference: string | null;
}

/** Charges and refunds, newest first; `unknownCursor` when `startingAfter` names no transaction of the caller's. */
export async function listChopTransactions(
  db: Db,
  scope: CallerScope,
  page: ChopPageRequest,
): Promise<{ readonly rows: TransactionRow[]; readonly hasMore: boolean } | { readonly unknownCursor: true }> {
  let query = db
    .selectFrom('transactions')
    .selectAll()
    .where('merchant_id', '=', scope.merchantId)
    .where('mode', '=', scope.mode)
    .where('channel', '=', 'chop')
    .where('type', 'in', ['charge', 'refund']);
  if (page.reference) query = query.where('reference', '=', page.reference);
  if (page.startingAfter) {
    const after = await db
      .selectFrom('transactions')
      .select('seq')
      .where('merchant_id', '=', scope.merchantId)
      .where('mode', '=', scope.mode)
      .where('ref', '=', page.startingAfter)
      .executeTakeFirst();
    if (!after) return { unknownCursor: true };
    query = query.where('seq', '<', after.seq);
  }
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(page.limit + 1)
    .execute();
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}

export interface NotificationWithAttempts {
  readonly notification: Selectable<NotificationsTable>;
  readonly attempts: readonly Selectable<NotificationAttemptsTable>[];
}

/** A transaction's IPN notifications, oldest first, each with its delivery attempts. */
export async function notificationsOf(db: Db, transactionSeq: number): Promise<NotificationWithAttempts[]> {
  const notifications = await db.selectFrom('notifications').selectAll().where('transaction_seq', '=', transactionSeq).orderBy('id').execute();
  const attempts =
    notifications.length === 0
      ? []
      : await db
          .selectFrom('notification_attempts')
          .selectAll()
          .where(
            'notification_id',
            'in',
            notifications.map((n) => n.id),
          )
          .orderBy('id')
          .execute();
  return notifications.map((notification) => ({ notification, attempts: attempts.filter((a) => Number(a.notification_id) === Number(notification.id)) }));
}

export async function findNotification(db: Db, id: number): Promise<Selectable<NotificationsTable> | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A transaction a dashboard user may see: in the shown mode, and the user's merchant's unless `merchantId` is null (operators). */
export async function findVisibleTransaction(db: Db, ref: string, mode: KeyMode, merchantId: string | null): Promise<TransactionRow | undefined> {
  let query = db.selectFrom('transactions').selectAll().where('ref', '=', ref).where('mode', '=', mode);
  if (merchantId !== null) query = query.where('merchant_id', '=', merchantId);
  return query.executeTakeFirst();
}
