/** `cancan key create|list|revoke`: API keys, whose secrets are shown once (at creation) and never listed. */
import type { SecretBox } from '../domain/secrets.js';
import type { Store } from '../store/db.js';
import { createApiKey, findMerchant } from '../store/merchants.js';
import { isoTime } from './times.js';
import { UsageError } from './usage.js';

export interface KeyFlags {
  readonly merchant?: string | undefined;
  readonly mode?: string | undefined;
}

export async function createKey(store: Store, secrets: SecretBox, flags: KeyFlags, json: boolean, now: number): Promise<string> {
  const merchantId = flags.merchant;
  if (merchantId === undefined || merchantId.trim() === '') throw new UsageError('--merchant is required', 'key create');
  const mode = flags.mode ?? 'test';
  if (mode !== 'test' && mode !== 'live') throw new UsageError(`--mode must be test or live, got ${mode}`, 'key create');
  if (!(await findMerchant(store.db, merchantId))) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
  const key = await createApiKey(store.db, secrets, { merchantId, mode, now });
  if (json) return JSON.stringify({ id: key.id, api_key: key.apiKey, mode });
  return `Key ${key.id} (${mode}) created. Secret (shown once): ${key.apiKey}`;
}

export async function listKeys(store: Store, flags: KeyFlags, json: boolean): Promise<string> {
  let query = store.db
    .selectFrom('api_keys')
    .select(['id', 'merchant_id', 'mode', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .orderBy('created_at')
    .orderBy('id');
  if (flags.merchant !== undefined) query = query.where('merchant_id', '=', flags.merchant);
  const keys = (await query.execute()).map((k) => ({
    id: k.id,
    merchant: k.merchant_id,
    mode: k.mode,
    prefix: k.prefix,
    status: k.revoked_at === null ? 'active' : 'revoked',
    created_at: isoTime(k.created_at),
    last_used_at: isoTime(k.last_used_at),
    revoked_at: isoTime(k.revoked_at),
  }));
  if (json) return JSON.stringify({ keys });
  if (keys.length === 0) return 'No keys.';
  return keys
    .map((k) =>
      [k.id, k.merchant, k.mode, `${k.prefix}…`, k.revoked_at === null ? 'active' : `revoked ${k.revoked_at}`, `last used ${k.last_used_at ?? 'never'}`].join(
        '\t',
      ),
    )
    .join('\n');
}

export async function revokeKey(store: Store, positionals: readonly string[], json: boolean, now: number): Promise<string> {
  const keyId = positionals[0];
  if (!keyId || positionals.length > 1) throw new UsageError('name one KEY_ID (cancan key list shows them)', 'key revoke');
  const key = await store.db.selectFrom('api_keys').select(['id', 'revoked_at']).where('id', '=', keyId).executeTakeFirst();
  if (!key) throw new Error(`no key ${keyId} (cancan key list shows them)`);
  // Revoking twice reaches the state asked for: exit 0, saying nothing changed and since when.
  const already = key.revoked_at !== null;
  const revokedAt = already ? Number(key.revoked_at) : now;
  if (!already) await store.db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
  if (json) return JSON.stringify({ id: keyId, revoked: true, already_revoked: already, revoked_at: isoTime(revokedAt) });
  return already ? `Key ${keyId} was already revoked (at ${isoTime(revokedAt)}); nothing changed.` : `Key ${keyId} revoked.`;
}
