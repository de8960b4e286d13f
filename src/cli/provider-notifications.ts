/**
 * `cancan provider notifications`: the providers' asynchronous notifications
 * CanCan received, newest first: accepted ones (with how many resends came
 * after) and refused ones with the reason, so an operator sees forged,
 * mismatched or misrouted notifications without reading logs.
 */
import { providerCatalog } from '../providers/catalog.js';
import type { Store } from '../store/db.js';

export interface NotificationsFlags {
  readonly provider?: string | undefined;
  readonly refused?: boolean | undefined;
  readonly limit?: string | undefined;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

export async function runNotificationsCommand(store: Store, flags: NotificationsFlags, json: boolean, usageError: (message: string) => Error): Promise<string> {
  const receiving = providerCatalog()
    .providers.filter((p) => p.notifications !== undefined)
    .map((p) => p.name);
  if (flags.provider !== undefined && !receiving.includes(flags.provider)) {
    throw usageError(`--provider: one of ${receiving.join(', ')} (the providers whose notifications CanCan receives)`);
  }
  const limit = flags.limit === undefined ? DEFAULT_LIMIT : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw usageError(`--limit: a whole number from 1 to ${MAX_LIMIT}`);
  let query = store.db
    .selectFrom('provider_notifications')
    .select(['id', 'received_at', 'provider', 'verdict', 'reason', 'order_no', 'claimed_status', 'merchant_id', 'mode', 'duplicates'])
    .orderBy('id', 'desc')
    .limit(limit);
  if (flags.provider !== undefined) query = query.where('provider', '=', flags.provider);
  if (flags.refused === true) query = query.where('verdict', '=', 'refused');
  const rows = (await query.execute()).map((row) => ({
    id: Number(row.id),
    received_at: new Date(Number(row.received_at)).toISOString(),
    provider: row.provider,
    verdict: row.verdict,
    reason: row.reason,
    order_no: row.order_no,
    status: row.claimed_status,
    merchant: row.merchant_id,
    mode: row.mode,
    duplicates: Number(row.duplicates),
  }));
  if (json) return JSON.stringify({ notifications: rows });
  if (rows.length === 0) return 'No provider notifications.';
  return rows
    .map((r) =>
      [
        r.received_at,
        r.provider,
        r.verdict,
        r.order_no ?? '-',
        r.status ?? '-',
        r.merchant ?? '-',
        r.mode ?? '-',
        r.verdict === 'refused' ? (r.reason ?? '') : `${r.duplicates} resends`,
      ].join('\t'),
    )
    .join('\n');
}
