/**
 * Reads and writes of Idempotency-Key claims (see http/idempotency.ts for
 * the protocol): one row per merchant, mode and key, holding the id of what
 * the request makes and, once answered, the answer to replay.
 */
import type { Kysely, Selectable } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { Database, IdempotencyKeysTable } from './schema.js';

type Db = Kysely<Database>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;

export interface KeyScope {
  readonly merchant_id: string;
  readonly mode: KeyMode;
  readonly key: string;
}

/** Deletes up to `batch` claims made before `before`, oldest first. */
export async function sweepKeys(db: Db, before: number, batch: number): Promise<void> {
  const old = db.selectFrom('idempotency_keys').select('id').where('created_at', '<', before).orderBy('id').limit(batch);
  await db.deleteFrom('idempotency_keys').where('id', 'in', old).execute();
}

/** Forgets this key's claim if it was made before `before`. */
export async function forgetExpiredKey(db: Db, scope: KeyScope, before: number): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('merchant_id', '=', scope.merchant_id)
    .where('mode', '=', scope.mode)
    .where('key', '=', scope.key)
    .where('created_at', '<', before)
    .execute();
}

/** A new claim, held (locked) from `now`; throws a unique violation when the key is already claimed. */
export async function insertKeyClaim(
  db: Db,
  scope: KeyScope,
  claim: { endpoint: string; fingerprint: string; effectRef: string },
  now: number,
): Promise<number> {
  const row = await db
    .insertInto('idempotency_keys')
    .values({
      ...scope,
      endpoint: claim.endpoint,
      fingerprint: claim.fingerprint,
      effect_ref: claim.effectRef,
      locked_at: now,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findKeyClaim(db: Db, scope: KeyScope): Promise<IdempotencyKeyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('merchant_id', '=', scope.merchant_id)
    .where('mode', '=', scope.mode)
    .where('key', '=', scope.key)
    .executeTakeFirst();
}

/** Takes over an unanswered claim whose holder is gone (unlocked, or locked before `staleBefore`); false when another request holds it. */
export async function takeOverKeyClaim(db: Db, id: number, now: number, staleBefore: number): Promise<boolean> {
  const taken = await db
    .updateTable('idempotency_keys')
    .set({ locked_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status_code', 'is', null)
    .where((eb) => eb.or([eb('locked_at', 'is', null), eb('locked_at', '<', staleBefore)]))
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

export async function deleteKeyClaim(db: Db, id: number): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).execute();
}

/** Lets the claim go unanswered: the next request with the key runs again. */
export async function releaseKeyClaim(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable('idempotency_keys').set({ locked_at: null, updated_at: now }).where('id', '=', id).execute();
}

export interface StoredAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly encoding: 'base64' | 'utf8';
}

export async function storeKeyAnswer(db: Db, id: number, answer: StoredAnswer, now: number): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({
      status_code: answer.statusCode,
      response_headers: JSON.stringify(answer.headers),
      response_body: answer.body,
      response_encoding: answer.encoding,
      locked_at: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}
