/**
 * Rotating a merchant's webhook signing secret (the key of the
 * `CanCan-Signature` IPN header). Reading and first creation are
 * `webhookSecret()` in chop/ipn.ts; both keep it sealed with the master key.
 */
import type { Transaction } from 'kysely';
import type { CoreDeps } from '../core/deps.js';
import { randomHex } from '../domain/ids.js';
import type { Database } from '../store/schema.js';

/** Replaces the secret inside the caller's transaction; answers the new one (shown once, never logged). */
export async function rotateWebhookSecret(deps: CoreDeps, trx: Transaction<Database>, merchantId: string): Promise<string> {
  const secret = `whsec_${randomHex(24)}`;
  const result = await trx
    .updateTable('merchants')
    .set({ webhook_secret_sealed: deps.secrets.encrypt(secret) })
    .where('id', '=', merchantId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new Error(`no merchant ${merchantId}`);
  return secret;
}
