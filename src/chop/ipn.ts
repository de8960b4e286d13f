/**
 * IPN (Instant Payment Notification): when a CHOP charge becomes final, a
 * signed form POST to the merchant's `ipn_url`. The notification row and its
 * delivery job are written in the same database transaction as the state
 * change, so a crash cannot lose one. Delivery retries on the configured
 * schedule and records every attempt.
 *
 * `sign` is the seed's `sign_ipn`: MD5 over the fields named in `fields` plus
 * `fields` itself, sorted by key, `key=value&` with raw values, then
 * `token=<merchant token>`. `CanCan-Signature` adds an HMAC-SHA256 over
 * `t.body` keyed by the merchant's webhook secret.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { CoreDeps } from '../core/deps.js';
import { randomHex } from '../domain/ids.js';
import type { Job } from '../jobs/queue.js';
import { finishJob, rescheduleJob } from '../jobs/queue.js';
import type { IpnOutcome } from '../observability/metrics.js';
import { childLogger, transactionBindings } from '../observability/logging.js';
import type { Database } from '../store/schema.js';
import type { TransactionRow } from '../store/transactions.js';
import { type CheckoutData, checkoutOf, formatIpnTime } from './checkout-data.js';
import { postForm } from './ipn-post.js';
import { DestinationRefused, guardOf } from './url-guard.js';

export const SIGNATURE_HEADER = 'CanCan-Signature';
const RESPONSE_EXCERPT_BYTES = 512;

/** The IPN's fields in the seed's order, `fields` last (without `sign`). */
function ipnFields(charge: TransactionRow, data: CheckoutData, notifyId: string): Record<string, string> {
  const success = charge.state === 'succeeded';
  const fields: Record<string, string> = {
    id: charge.ref,
    amount: String(charge.amount ?? 0),
    notify_status: success ? 'success' : 'fail',
    currency: charge.currency ?? '',
    time: formatIpnTime(charge.finalized_at ?? charge.updated_at),
    reference: charge.reference ?? '',
    notify_id: notifyId,
  };
  if (data.card) {
    if (success && data.card.approvalCode) fields.approval_code = data.card.approvalCode;
    fields.result_message = data.card.resultMessage;
    fields.card_number = data.card.maskedNumber;
    fields.exp_date = data.card.expiry;
  }
  // Named in `fields`, so it is signed: a receiver can tell a test notification from a live one.
  fields.livemode = String(charge.mode === 'live');
  return { ...fields, fields: Object.keys(fields).join(',') };
}

/** The seed's `sign_ipn`, over the fields named in `fields` (and `fields`). */
export function signIpn(fields: Readonly<Record<string, string>>, token: string): string {
  const named = (fields.fields ?? '').split(',').filter(Boolean);
  const keys = [...new Set([...named, 'fields'])].sort();
  const flat = keys.map((key) => `${key}=${fields[key] ?? ''}&`).join('');
  return createHash('md5').update(`${flat}token=${token}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** The raw token of the key that created the charge (the seed signs with it). */
async function merchantToken(deps: CoreDeps, db: Transaction<Database> | CoreDeps['store']['db'], charge: TransactionRow): Promise<string> {
  if (!charge.api_key_id) throw new Error(`charge ${charge.ref} has no API key`);
  const key = await db.selectFrom('api_keys').select('key_sealed').where('id', '=', charge.api_key_id).executeTakeFirstOrThrow();
  return deps.secrets.decrypt(key.key_sealed);
}

/** The merchant's webhook secret for `CanCan-Signature`, created on first use. */
export async function webhookSecret(deps: CoreDeps, merchantId: string): Promise<string> {
  const read = () => deps.store.db.selectFrom('merchants').select('webhook_secret_sealed').where('id', '=', merchantId).executeTakeFirstOrThrow();
  const current = await read();
  if (current.webhook_secret_sealed) return deps.secrets.decrypt(current.webhook_secret_sealed);
  await deps.store.db
    .updateTable('merchants')
    .set({ webhook_secret_sealed: deps.secrets.encrypt(`whsec_${randomHex(24)}`) })
    .where('id', '=', merchantId)
    .where('webhook_secret_sealed', 'is', null)
    .execute();
  const created = await read();
  return deps.secrets.decrypt(created.webhook_secret_sealed ?? '');
}

/**
 * Writes a notification of a final charge and its delivery job, inside the
 * caller's transaction. Does nothing when the merchant gave no `ipn_url`.
 */
export async function enqueueIpn(deps: CoreDeps, trx: Transaction<Database>, charge: TransactionRow, now: number): Promise<number | null> {
  const data = checkoutOf(charge);
  if (!data.ipnUrl) return null;
  const notifyId = randomHex(16);
  const fields = ipnFields(charge, data, notifyId);
  const sign = signIpn(fields, await merchantToken(deps, trx, charge));
  const body = new URLSearchParams({ ...fields, sign }).toString();
  const firstAttemptAt = now + (deps.config.ipnRetrySchedule[0] ?? 0);
  const inserted = await trx
    .insertInto('notifications')
    .values({
      transaction_seq: charge.seq,
      merchant_id: charge.merchant_id,
      notify_id: notifyId,
      url: data.ipnUrl,
      body,
      status: 'pending',
      attempts: 0,
      created_at: now,
      next_attempt_at: firstAttemptAt,
      delivered_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(inserted.id);
  await trx
    .insertInto('jobs')
    .values({
      transaction_seq: charge.seq,
      run_at: firstAttemptAt,
      attempts: 0,
      created_at: now,
      kind: 'notification',
      notification_id: id,
    })
    .execute();
  return id;
}

/** When to try again after `attempts` failed tries, or null to give up. */
function nextAttemptAt(schedule: readonly number[], giveUpMs: number, createdAt: number, attempts: number, now: number): number | null {
  const delay = schedule[attempts] ?? schedule.at(-1) ?? 60_000;
  const at = now + Math.max(delay, 1);
  return at - createdAt > giveUpMs ? null : at;
}

/** One delivery attempt of a notification job. */
export async function deliverNotification(deps: CoreDeps, job: Job): Promise<void> {
  const { db } = deps.store;
  const notification =
    job.notification_id === null ? undefined : await db.selectFrom('notifications').selectAll().where('id', '=', job.notification_id).executeTakeFirst();
  if (!notification || notification.status !== 'pending') {
    await db.transaction().execute((trx) => finishJob(trx, job, deps.clock.now()));
    return;
  }
  const charge = await db
    .selectFrom('transactions')
    .select(['mode', 'merchant_id', 'ref', 'request_id'])
    .where('seq', '=', notification.transaction_seq)
    .executeTakeFirstOrThrow();
  const log = childLogger(deps.log, transactionBindings(charge));
  const started = Date.now();
  let httpStatus: number | null = null;
  let error: string | null = null;
  let excerpt: string | null = null;
  let permanent = false;
  try {
    // Checked again at every attempt, in every mode, against the address actually connected to (DNS may have changed).
    const timestamp = Math.floor(deps.clock.now() / 1000);
    const answer = await postForm(
      notification.url,
      {
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': 'CanCan-IPN/1',
        [SIGNATURE_HEADER]: signatureHeader(await webhookSecret(deps, charge.merchant_id), timestamp, notification.body),
      },
      notification.body,
      { ...guardOf(deps), timeoutMs: deps.config.ipnTimeoutMs, excerptBytes: RESPONSE_EXCERPT_BYTES },
    );
    httpStatus = answer.status;
    excerpt = answer.excerpt || null;
  } catch (e) {
    if (e instanceof DestinationRefused) {
      // Nothing was sent; a URL that can never become valid (a literal address, credentials) is not retried.
      error = `refused: ${e.message}`;
      permanent = e.permanent;
    } else {
      const code = (e as { code?: string }).code;
      // Never keep the user:password part of an ipn_url stored before credentials were refused.
      error = (e instanceof Error ? `${e.name}: ${e.message}${code && !e.message.includes(code) ? ` (${code})` : ''}` : String(e)).replace(
        /\/\/[^/@\s]*@/g,
        '//[redacted]@',
      );
    }
  }
  const latencyMs = Date.now() - started;
  const delivered = httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
  const outcome = await db.transaction().execute(async (trx): Promise<IpnOutcome> => {
    const now = deps.clock.now();
    const attempts = notification.attempts + 1;
    await trx
      .insertInto('notification_attempts')
      .values({
        notification_id: notification.id,
        at: now,
        http_status: httpStatus,
        latency_ms: latencyMs,
        error,
        response_excerpt: excerpt,
      })
      .execute();
    const next = delivered || permanent ? null : nextAttemptAt(deps.config.ipnRetrySchedule, deps.config.ipnGiveUpMs, notification.created_at, attempts, now);
    await trx
      .updateTable('notifications')
      .set({
        attempts,
        status: delivered ? 'delivered' : next === null ? 'failed' : 'pending',
        delivered_at: delivered ? now : null,
        next_attempt_at: next,
      })
      .where('id', '=', notification.id)
      .execute();
    if (next === null) await finishJob(trx, job, now);
    else await rescheduleJob(trx, job, next, error ?? `HTTP ${httpStatus}`);
    return delivered ? 'delivered' : next === null ? 'given_up' : 'failed';
  });
  deps.metrics.ipnDelivery(outcome);
  if (outcome === 'delivered') log.info({ notification: notification.notify_id, httpStatus, latencyMs }, 'IPN delivered');
  else log.warn({ notification: notification.notify_id, httpStatus, error, gaveUp: outcome === 'given_up' }, 'IPN not delivered');
}

/** A fresh notification of a final charge (new notify_id), delivered at once: the merchant's "re-send". */
export async function resendIpn(
  deps: CoreDeps,
  charge: TransactionRow,
  within?: (trx: Transaction<Database>, notificationId: number) => Promise<void>,
): Promise<number | null> {
  const id = await deps.store.db.transaction().execute(async (trx) => {
    const created = await enqueueIpn(deps, trx, charge, deps.clock.now());
    if (created !== null) await within?.(trx, created);
    return created;
  });
  deps.notifier.jobEnqueued();
  return id;
}
