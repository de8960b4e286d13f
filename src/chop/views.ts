/** How CHOP transactions, notifications and callback URLs look on the wire. */
import type { NotificationAttemptsTable, NotificationsTable } from '../store/schema.js';
import type { Selectable } from 'kysely';
import type { TransactionRow } from '../store/transactions.js';
import { checkoutOf, formatIpnTime } from './checkout-data.js';

/** The inquire API's `notify_result`: success; null while payable; expired; fail. */
function notifyResult(row: TransactionRow, now: number): 'success' | 'expired' | 'fail' | null {
  if (row.state === 'succeeded') return 'success';
  if (row.state === 'failed') return row.close_reason === 'expired' ? 'expired' : 'fail';
  if (row.type === 'charge' && row.expires_at !== null && now >= row.expires_at && row.provider_sent_at === null) return 'expired';
  return null;
}

/** A charge or refund as the inquire and list APIs show it (the seed's fields, then CanCan's). */
export function renderChopTransaction(row: TransactionRow, now: number): Record<string, unknown> {
  const data = checkoutOf(row);
  return {
    id: row.ref,
    type: row.type === 'charge' ? 'charge' : 'refund',
    amount: row.amount,
    currency: row.currency,
    reference: row.reference,
    payment_method: row.payment_method,
    time: formatIpnTime(row.finalized_at ?? row.created_at),
    note: data.note,
    notify_result: notifyResult(row, now),
    // The content of the QR a shopper can still pay (what the payment page draws), so a server or a terminal can show it too.
    ...(row.type === 'charge' && row.qr_code !== null && row.state === 'pending' && notifyResult(row, now) === null ? { qr_code: row.qr_code } : {}),
    status: row.close_reason ?? row.state,
    livemode: row.mode === 'live',
    ...(row.type === 'charge'
      ? { refunded_amount: row.refunded_amount, cancelled: row.cancelled === 1 || row.close_reason === 'cancelled' }
      : { transaction_id: row.sale_client_id }),
    ...(data.card ? { card_number: data.card.maskedNumber, exp_date: data.card.expiry, approval_code: data.card.approvalCode } : {}),
    ...(data.ext ? { ext: data.ext } : {}),
    created_at: new Date(row.created_at).toISOString(),
  };
}

export function renderNotification(n: Selectable<NotificationsTable>, attempts: Selectable<NotificationAttemptsTable>[]): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    notify_id: n.notify_id,
    url: n.url,
    status: n.status,
    attempts: n.attempts,
    created_at: iso(n.created_at),
    next_attempt_at: n.status === 'pending' ? iso(n.next_attempt_at) : null,
    delivered_at: iso(n.delivered_at),
    fields: Object.fromEntries(new URLSearchParams(n.body)),
    attempt_log: attempts.map((a) => ({
      at: iso(a.at),
      http_status: a.http_status,
      latency_ms: a.latency_ms,
      error: a.error,
      response_excerpt: a.response_excerpt,
    })),
  };
}

/** ssl_result for wallet outcomes: 0 paid; any other value is a failure (the seed). */
const WALLET_RESULT = { declined: '1', expired: '2', cancelled: '3' } as const;

/** Where the shopper's browser goes once the charge is final, with the seed's query parameters; null = CanCan's own result page. */
export function callbackUrl(row: TransactionRow): string | null {
  const data = checkoutOf(row);
  const success = row.state === 'succeeded';
  const base = success ? data.callbackUrlSuccess : data.callbackUrlFail;
  if (!base) return null;
  const url = new URL(base);
  const params: Record<string, string> = {
    merchant_reference: row.reference ?? '',
    payment_instance_token: row.ref,
    ssl_amount: String(row.amount ?? 0),
    ssl_result: success ? '0' : data.card ? data.card.result : WALLET_RESULT[row.close_reason ?? 'declined'],
  };
  if (data.card) {
    const card = data.card;
    Object.assign(params, {
      ...(card.approvalCode ? { ssl_approval_code: card.approvalCode } : {}),
      ...(card.cvv2Response ? { ssl_cvv2_response: card.cvv2Response } : {}),
      ...(card.avsResponse ? { ssl_avs_response: card.avsResponse } : {}),
      ...(card.txnId ? { ssl_txn_id: card.txnId } : {}),
      ssl_card_number: card.maskedNumber,
      ssl_exp_date: card.expiry,
      ...(card.txnTime ? { ssl_txn_time: card.txnTime } : {}),
    });
  }
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}
