/**
 * The dashboard shows one mode at a time, test or live, as Stripe does. The
 * choice is a preference cookie set by the toggle's form (not a secret: it
 * only picks which of the user's own data is shown). Without one, a merchant
 * that has gone live (a live key or a live transaction) sees live data, and
 * one that has not sees its test data; operators likewise, over every merchant.
 * That default is kept in a browser-session cookie, and each sign-in starts
 * from it again.
 */
import type { Kysely } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { Database } from '../store/schema.js';

export const MODE_COOKIE = 'cancan_mode';

/** What a user's page may read: their merchant (null for operators: every merchant), in the one mode shown. */
export interface Scope {
  readonly merchantId: string | null;
  readonly mode: KeyMode;
}

export const isMode = (value: unknown): value is KeyMode => value === 'test' || value === 'live';

/** `merchantId`: the user's merchant, or null for operators (every merchant). */
export async function defaultMode(db: Kysely<Database>, merchantId: string | null): Promise<KeyMode> {
  let key = db.selectFrom('api_keys').select('id').where('mode', '=', 'live');
  let transaction = db.selectFrom('transactions').select('seq').where('mode', '=', 'live');
  if (merchantId !== null) {
    key = key.where('merchant_id', '=', merchantId);
    transaction = transaction.where('merchant_id', '=', merchantId);
  }
  if (await key.limit(1).executeTakeFirst()) return 'live';
  return (await transaction.limit(1).executeTakeFirst()) ? 'live' : 'test';
}

/**
 * Where the toggle sends the user back to: the same page, except a
 * transaction's own pages (that transaction belongs to the other mode)
 * and a reconciled day's (the other mode's runs differ), which lead to
 * their list instead.
 */
export function afterSwitch(path: string): string {
  if (/^\/dashboard\/reconciliation\/[^/?#]+/.test(path)) return '/dashboard/reconciliation';
  return /^\/dashboard\/transactions\/[^/?#]+/.test(path) ? '/dashboard/transactions' : path;
}
