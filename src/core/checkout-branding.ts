/**
 * Changing a merchant's checkout template: the one path the dashboard and the
 * CLI share. Everything is checked first (fields, contrast, the logo's bytes);
 * a refusal stores nothing. A change is written with its audit entry in one
 * database transaction.
 */
import type { Kysely } from 'kysely';
import { type Branding, type BrandingField, type BrandingInput, DEFAULT_BRANDING, brandingProblemText, checkBranding } from '../checkout/branding.js';
import { checkLogo, logoProblemText } from '../checkout/logo.js';
import { paymentMethod } from '../chop/methods.js';
import { DEFAULT_SCOPE, deleteBranding, saveBranding, saveLogo, storedBranding } from '../store/branding.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database>;

export interface BrandingChange {
  readonly merchantId: string;
  /** A payment method code, or '' for the merchant's default. */
  readonly method: string;
  readonly input: BrandingInput;
  /** New logo bytes (checked here), or 'remove', or undefined to keep the current one. */
  readonly logo?: Buffer | 'remove';
  /** Who acts, for the audit log: a dashboard user's id, or `cli`. */
  readonly actor: string;
  readonly now: number;
}

export interface FieldProblem {
  readonly field: BrandingField;
  /** English; `{field}` already replaced by the caller's name for the field. */
  readonly message: string;
}

export type BrandingResult =
  { readonly ok: true; readonly branding: Branding; readonly changed: readonly string[] } | { readonly ok: false; readonly problems: readonly FieldProblem[] };

export const isBrandingScope = (method: string): boolean => method === DEFAULT_SCOPE || paymentMethod(method) !== undefined;

/**
 * The template a scope starts from when edited: its own, else (for a method)
 * the merchant's default, else CanCan's look.
 */
export async function editableBranding(db: Db, merchantId: string, method: string): Promise<Branding> {
  return (
    (await storedBranding(db, merchantId, method)) ??
    (method === DEFAULT_SCOPE ? null : await storedBranding(db, merchantId, DEFAULT_SCOPE)) ??
    DEFAULT_BRANDING
  );
}

export async function changeBranding(db: Db, change: BrandingChange, fieldName: (field: BrandingField) => string): Promise<BrandingResult> {
  const current = await editableBranding(db, change.merchantId, change.method);
  const problems: FieldProblem[] = [];
  const checked = checkBranding(current, change.input);
  if (!checked.ok) problems.push(...checked.problems.map((p) => ({ field: p.field, message: brandingProblemText(p, fieldName(p.field)) })));
  const logo = Buffer.isBuffer(change.logo) ? checkLogo(change.logo) : null;
  if (logo && !logo.ok) problems.push({ field: 'logo', message: `${fieldName('logo')}: ${logoProblemText(logo)}` });
  if (!checked.ok || problems.length > 0) return { ok: false, problems };

  return db.transaction().execute(async (trx) => {
    let logoId = current.logoId;
    if (change.logo === 'remove') logoId = null;
    else if (Buffer.isBuffer(change.logo) && logo?.ok)
      logoId = await saveLogo(trx, change.merchantId, { bytes: change.logo, type: logo.type, width: logo.width, height: logo.height }, change.now);
    const branding: Branding = { ...checked.value, logoId };
    const changed = (Object.keys(branding) as (keyof Branding)[]).filter((key) => JSON.stringify(branding[key]) !== JSON.stringify(current[key]));
    const stored = await storedBranding(trx, change.merchantId, change.method);
    if (changed.length > 0 || stored === null) {
      await saveBranding(trx, change.merchantId, change.method, branding, change.now);
      await auditBranding(trx, change, 'checkout_branding.updated', { method: change.method || 'default', changed });
    }
    return { ok: true, branding, changed };
  });
}

/** Drops a template (a method's then falls back to the default; the default's to CanCan's plain page). */
export async function removeBranding(db: Db, change: Pick<BrandingChange, 'merchantId' | 'method' | 'actor' | 'now'>): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const removed = await deleteBranding(trx, change.merchantId, change.method);
    if (removed) await auditBranding(trx, change, 'checkout_branding.removed', { method: change.method || 'default' });
    return removed;
  });
}

async function auditBranding(
  db: Db,
  change: Pick<BrandingChange, 'merchantId' | 'actor' | 'now'>,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: change.now,
      user_id: change.actor,
      merchant_id: change.merchantId,
      action,
      target: change.merchantId,
      detail: JSON.stringify(detail),
    })
    .execute();
}
