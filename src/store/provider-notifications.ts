/**
 * Providers' asynchronous notifications as CanCan received them: accepted
 * ones (one row per provider and dedupe key; resends count as duplicates)
 * and refused ones (every one, with its reason, for the operator). Bodies are
 * not kept: a notification names an order, the order holds the truth.
 */
import type { Kysely, Transaction } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { Database, ProviderNotificationVerdict } from './schema.js';

export interface ReceivedNotification {
  readonly provider: string;
  readonly verdict: ProviderNotificationVerdict;
  readonly reason: string | null;
  readonly dedupeKey: string | null;
  readonly orderNo: string | null;
  readonly claimedStatus: string | null;
  readonly transactionSeq: number | null;
  readonly merchantId: string | null;
  readonly mode: KeyMode | null;
}

/** What recording an accepted notification found: a new one, or a resend of one already stored. */
export type Recorded = 'new' | 'duplicate';

/** Longest reason stored (a reason is ours, but may quote a provider's field). */
const REASON_LIMIT = 500;

export async function recordRefused(db: Kysely<Database>, notification: ReceivedNotification, now: number): Promise<void> {
  await db.insertInto('provider_notifications').values(rowOf(notification, now)).execute();
}

/**
 * Stores an accepted notification, or counts a resend of one already stored.
 * Two copies arriving together: the unique index lets one insert win, and
 * the other counts as the duplicate it is.
 */
export async function recordAccepted(trx: Transaction<Database>, notification: ReceivedNotification, now: number): Promise<Recorded> {
  const counted = await trx
    .updateTable('provider_notifications')
    .set((eb) => ({ duplicates: eb('duplicates', '+', 1) }))
    .where('provider', '=', notification.provider)
    .where('dedupe_key', '=', notification.dedupeKey)
    .where('verdict', '=', 'accepted')
    .executeTakeFirst();
  if (counted.numUpdatedRows > 0n) return 'duplicate';
  await trx.insertInto('provider_notifications').values(rowOf(notification, now)).execute();
  return 'new';
}

/** Whether the merchant's notifications from this provider reach CanCan: one accepted since `since`. */
export async function notificationsArrive(db: Kysely<Database>, merchantId: string, provider: string, mode: KeyMode, since: number): Promise<boolean> {
  const row = await db
    .selectFrom('provider_notifications')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('provider', '=', provider)
    .where('mode', '=', mode)
    .where('received_at', '>=', since)
    .where('verdict', '=', 'accepted')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

function rowOf(notification: ReceivedNotification, now: number) {
  return {
    provider: notification.provider,
    received_at: now,
    verdict: notification.verdict,
    reason: notification.reason === null ? null : notification.reason.slice(0, REASON_LIMIT),
    dedupe_key: notification.dedupeKey,
    order_no: notification.orderNo,
    claimed_status: notification.claimedStatus,
    transaction_seq: notification.transactionSeq,
    merchant_id: notification.merchantId,
    mode: notification.mode,
  };
}
