/** Merchants, their enabled gateways and their API keys. */
import type { Kysely, Selectable } from 'kysely';
import { newKeyId, newMerchantId } from '../domain/ids.js';
import { type KeyMode, type SecretBox, generateApiKey, keyPrefix } from '../domain/secrets.js';
import type { ApiKeysTable, Database, MerchantsTable } from './schema.js';

export type Merchant = Selectable<MerchantsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

export const DEFAULT_VOID_WINDOW_MS = 15 * 60_000;
export const DEFAULT_CANCEL_WINDOW_MS = 24 * 3_600_000;

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export async function createMerchant(
  db: Kysely<Database>,
  input: { name: string; timezone: string; gateways: readonly string[]; now: number },
): Promise<Merchant> {
  const merchant: Merchant = {
    id: newMerchantId(),
    name: input.name,
    timezone: input.timezone,
    void_window_ms: DEFAULT_VOID_WINDOW_MS,
    created_at: input.now,
    refund_balance_exempt: 0,
    cancel_window_ms: DEFAULT_CANCEL_WINDOW_MS,
    webhook_secret_sealed: null,
  };
  const write = async (trx: Kysely<Database>) => {
    await trx.insertInto('merchants').values(merchant).execute();
    if (input.gateways.length > 0) {
      await trx
        .insertInto('merchant_gateways')
        .values(input.gateways.map((gateway) => ({ merchant_id: merchant.id, gateway })))
        .execute();
    }
  };
  // Inside a caller's transaction (merchant, key and audit entry together), or in one of its own.
  if (db.isTransaction) await write(db);
  else await db.transaction().execute(write);
  return merchant;
}

export async function findMerchant(db: Kysely<Database>, id: string): Promise<Merchant | undefined> {
  return db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countMerchants(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('merchants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function enabledGateways(db: Kysely<Database>, merchantId: string): Promise<string[]> {
  const rows = await db.selectFrom('merchant_gateways').select('gateway').where('merchant_id', '=', merchantId).orderBy('gateway').execute();
  return rows.map((r) => r.gateway);
}

export async function isGatewayEnabled(db: Kysely<Database>, merchantId: string, gateway: string): Promise<boolean> {
  const row = await db
    .selectFrom('merchant_gateways')
    .select('gateway')
    .where('merchant_id', '=', merchantId)
    .where('gateway', '=', gateway)
    .executeTakeFirst();
  return row !== undefined;
}

export async function enableGateways(db: Kysely<Database>, merchantId: string, gateways: readonly string[]): Promise<void> {
  if (gateways.length === 0) return;
  await db
    .insertInto('merchant_gateways')
    .values(gateways.map((gateway) => ({ merchant_id: merchantId, gateway })))
    .onConflict((oc) => oc.columns(['merchant_id', 'gateway']).doNothing())
    .execute();
}

/** Creates a key; the secret is returned once and stored only as a digest and a sealed copy. */
export async function createApiKey(
  db: Kysely<Database>,
  secrets: SecretBox,
  input: { merchantId: string; mode: KeyMode; now: number },
): Promise<{ id: string; apiKey: string; prefix: string }> {
  const apiKey = generateApiKey(input.mode);
  const id = newKeyId();
  await db
    .insertInto('api_keys')
    .values({
      id,
      merchant_id: input.merchantId,
      mode: input.mode,
      prefix: keyPrefix(apiKey),
      key_digest: secrets.digest(apiKey),
      key_sealed: secrets.encrypt(apiKey),
      created_at: input.now,
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return { id, apiKey, prefix: keyPrefix(apiKey) };
}

/** Revokes a key; false when no such key exists. Revoking twice is harmless. */
export async function revokeApiKey(db: Kysely<Database>, keyId: string, now: number): Promise<boolean> {
  const key = await db.selectFrom('api_keys').select(['id', 'revoked_at']).where('id', '=', keyId).executeTakeFirst();
  if (!key) return false;
  if (key.revoked_at === null) await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).execute();
  return true;
}

/** What authentication needs of a key. */
export type AuthenticatedKey = Pick<ApiKeyRow, 'id' | 'mode' | 'last_used_at'>;

/** The active key matching a presented secret, with its merchant (one query: every API request runs it). */
export async function authenticate(
  db: Kysely<Database>,
  secrets: SecretBox,
  presented: string,
): Promise<{ key: AuthenticatedKey; merchant: Merchant } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('merchants', 'merchants.id', 'api_keys.merchant_id')
    .selectAll('merchants')
    .select(['api_keys.id as key_id', 'api_keys.mode as key_mode', 'api_keys.last_used_at as key_last_used_at'])
    .where('api_keys.key_digest', '=', secrets.digest(presented))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const { key_id: id, key_mode: mode, key_last_used_at: last_used_at, ...merchant } = row;
  return { key: { id, mode, last_used_at }, merchant };
}

/** Records use of a key at most once a minute, so authentication stays a read. */
export async function touchApiKey(db: Kysely<Database>, key: Pick<ApiKeyRow, 'id' | 'last_used_at'>, now: number): Promise<void> {
  if (key.last_used_at !== null && now - key.last_used_at < 60_000) return;
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', key.id).execute();
}
