/** Sealed live-mode provider credentials per merchant. Write-only from the outside: nothing displays them. */
import type { Kysely } from 'kysely';
import type { SecretBox } from '../domain/secrets.js';
import type { Database } from './schema.js';

export async function saveProviderCredentials(
  db: Kysely<Database>,
  secrets: SecretBox,
  merchantId: string,
  provider: string,
  credentials: object,
  now: number,
): Promise<void> {
  const sealed = secrets.encrypt(JSON.stringify(credentials));
  await db
    .insertInto('provider_credentials')
    .values({ merchant_id: merchantId, provider, sealed, updated_at: now })
    .onConflict((oc) => oc.columns(['merchant_id', 'provider']).doUpdateSet({ sealed, updated_at: now }))
    .execute();
}

export async function loadProviderCredentials(db: Kysely<Database>, secrets: SecretBox, merchantId: string, provider: string): Promise<unknown | null> {
  const row = await db
    .selectFrom('provider_credentials')
    .select('sealed')
    .where('merchant_id', '=', merchantId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  return row ? JSON.parse(secrets.decrypt(row.sealed)) : null;
}
