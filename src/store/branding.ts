/** Checkout templates and logos, stored with the merchant (tables from migration 0010_checkout_branding). */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Branding, parseStoredBranding } from '../checkout/branding.js';
import type { LogoType } from '../checkout/logo.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

/** The merchant's default template is stored under this method code. */
export const DEFAULT_SCOPE = '';

export async function storedBranding(db: Db, merchantId: string, method: string): Promise<Branding | null> {
  const row = await db
    .selectFrom('checkout_brandings')
    .select('template')
    .where('merchant_id', '=', merchantId)
    .where('method', '=', method)
    .executeTakeFirst();
  return row ? parseStoredBranding(row.template) : null;
}

/** The method's own template, else the merchant's default, else null (CanCan's plain page). */
export async function brandingFor(db: Db, merchantId: string, method: string): Promise<Branding | null> {
  const rows = await db
    .selectFrom('checkout_brandings')
    .select(['method', 'template'])
    .where('merchant_id', '=', merchantId)
    .where('method', 'in', [method, DEFAULT_SCOPE])
    .execute();
  const row = rows.find((r) => r.method === method) ?? rows.find((r) => r.method === DEFAULT_SCOPE);
  return row ? parseStoredBranding(row.template) : null;
}

/** Methods (and '' for the default) with a template of their own. */
export async function brandedScopes(db: Db, merchantId: string): Promise<string[]> {
  const rows = await db.selectFrom('checkout_brandings').select('method').where('merchant_id', '=', merchantId).orderBy('method').execute();
  return rows.map((r) => r.method);
}

export async function saveBranding(db: Db, merchantId: string, method: string, branding: Branding, now: number): Promise<void> {
  const template = JSON.stringify(branding);
  await db
    .insertInto('checkout_brandings')
    .values({ merchant_id: merchantId, method, template, updated_at: now })
    .onConflict((oc) => oc.columns(['merchant_id', 'method']).doUpdateSet({ template, updated_at: now }))
    .execute();
}

export async function deleteBranding(db: Db, merchantId: string, method: string): Promise<boolean> {
  const result = await db.deleteFrom('checkout_brandings').where('merchant_id', '=', merchantId).where('method', '=', method).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface LogoMeta {
  readonly id: string;
  readonly width: number;
  readonly height: number;
}

/** Stores a checked logo for the merchant (once per image); answers its id. */
export async function saveLogo(
  db: Db,
  merchantId: string,
  image: { bytes: Buffer; type: LogoType; width: number; height: number },
  now: number,
): Promise<string> {
  const id = createHash('sha256').update(image.bytes).digest('hex');
  await db
    .insertInto('checkout_logos')
    .values({
      id,
      merchant_id: merchantId,
      content_type: image.type,
      width: image.width,
      height: image.height,
      data: image.bytes.toString('base64'),
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'id']).doNothing())
    .execute();
  return id;
}

export async function logoMeta(db: Db, id: string): Promise<LogoMeta | undefined> {
  const row = await db.selectFrom('checkout_logos').select(['id', 'width', 'height']).where('id', '=', id).executeTakeFirst();
  return row ? { id: row.id, width: Number(row.width), height: Number(row.height) } : undefined;
}

export async function logoImage(db: Db, id: string): Promise<{ type: string; bytes: Buffer } | undefined> {
  const row = await db.selectFrom('checkout_logos').select(['content_type', 'data']).where('id', '=', id).executeTakeFirst();
  return row ? { type: row.content_type, bytes: Buffer.from(row.data, 'base64') } : undefined;
}

export async function countLogos(db: Db, merchantId: string): Promise<number> {
  const row = await db
    .selectFrom('checkout_logos')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('merchant_id', '=', merchantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
