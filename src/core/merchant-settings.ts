/**
 * Creating merchants and changing their settings and enabled gateways: the
 * checks and updates the operator CLI and the dashboard's operator console
 * share, so both accept the same input and answer with the same messages.
 */
import type { Kysely } from 'kysely';
import { paymentMethod, paymentMethodCodes } from '../chop/methods.js';
import { parseDurationList } from '../config.js';
import type { SecretBox } from '../domain/secrets.js';
import { gatewayCodes, gatewayProfile } from '../providers/registry.js';
import { type Merchant, createApiKey, createMerchant, enableGateways, enabledGateways, isValidTimeZone } from '../store/merchants.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database>;

export const MAX_NAME_LENGTH = 100;

/**
 * Problem messages in English. `{field}` is the field as the caller names it
 * (a CLI flag, a form label); the dashboard translates these templates.
 */
export const PROBLEM_TEXT = {
  required: '{field} is required',
  too_long: '{field} must be at most {max} characters',
  unknown_time_zone: 'unknown time zone {value} (use an IANA name such as Asia/Bangkok)',
  unknown_codes: 'unknown gateway or payment method {value}; known: {known}',
  duration: '{field} must be one duration such as 15m, 24h or 2d',
  on_off: '{field} must be on or off',
} as const;

export type ProblemCode = keyof typeof PROBLEM_TEXT;
export type SettingsField = 'name' | 'timezone' | 'gateways' | 'void_window' | 'cancel_window' | 'refund_balance_exempt';

export interface Problem {
  readonly field: SettingsField;
  readonly code: ProblemCode;
  readonly vars: Readonly<Record<string, string | number>>;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

/** The English message of a problem, naming its field as `fieldName`. */
export function problemText(problem: Problem, fieldName: string): string {
  return PROBLEM_TEXT[problem.code].replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'field' ? fieldName : String(problem.vars[name] ?? '')));
}

/** POS gateways and CHOP payment methods share one list of what a merchant may use. */
export const allGatewayCodes = (): string[] => [...gatewayCodes(), ...paymentMethodCodes()];

const problem = (field: SettingsField, code: ProblemCode, vars: Record<string, string | number> = {}): Problem => ({ field, code, vars });

function nameProblem(name: string): Problem | null {
  if (name === '') return problem('name', 'required');
  return name.length > MAX_NAME_LENGTH ? problem('name', 'too_long', { max: MAX_NAME_LENGTH }) : null;
}

function timeZoneProblem(zone: string): Problem | null {
  return isValidTimeZone(zone) ? null : problem('timezone', 'unknown_time_zone', { value: zone });
}

/** Known codes, without repeats, or the unknown ones. */
export function checkGatewayCodes(codes: readonly string[]): Checked<string[]> {
  const unknown = codes.filter((code) => !gatewayProfile(code) && !paymentMethod(code));
  if (unknown.length > 0)
    return { ok: false, problems: [problem('gateways', 'unknown_codes', { value: unknown.join(', '), known: allGatewayCodes().join(', ') })] };
  return { ok: true, value: [...new Set(codes)] };
}

export interface NewMerchant {
  readonly name: string;
  readonly timezone: string;
  readonly gateways: string[];
}

/** Problems come in the order of the fields: name, time zone, gateways. */
export function checkNewMerchant(input: { name: string; timezone: string; gateways: readonly string[] }): Checked<NewMerchant> {
  const name = input.name.trim();
  const gateways = checkGatewayCodes(input.gateways);
  const problems = [nameProblem(name), timeZoneProblem(input.timezone), ...(gateways.ok ? [] : gateways.problems)].filter((p): p is Problem => p !== null);
  if (problems.length > 0 || !gateways.ok) return { ok: false, problems };
  return { ok: true, value: { name, timezone: input.timezone, gateways: gateways.value } };
}

/**
 * A new merchant and its first test API key, in one database transaction
 * (with `within`, the caller's audit entry too). The secret is answered once,
 * never stored in clear.
 */
export async function createMerchantWithTestKey(
  db: Db,
  secrets: SecretBox,
  input: NewMerchant,
  now: number,
  within?: (trx: Db, created: { merchant: Merchant; keyId: string }) => Promise<void>,
): Promise<{ merchant: Merchant; keyId: string; apiKey: string }> {
  return db.transaction().execute(async (trx) => {
    const merchant = await createMerchant(trx, { ...input, now });
    const key = await createApiKey(trx, secrets, { merchantId: merchant.id, mode: 'test', now });
    await within?.(trx, { merchant, keyId: key.id });
    return { merchant, keyId: key.id, apiKey: key.apiKey };
  });
}

/** One duration such as 15m, 24h or 2d (a bare number is milliseconds), or null. */
export function parseOneDuration(text: string): number | null {
  if (text.includes(',')) return null;
  try {
    return parseDurationList('duration', text)[0] ?? null;
  } catch {
    return null;
  }
}

/** The shortest exact way to write a duration the parser reads back: 900000 → 15m. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const unit = units.find(([, size]) => ms > 0 && ms % size === 0);
  return unit ? `${ms / unit[1]}${unit[0]}` : String(ms);
}

/** Each field is optional: only what is given changes. */
export interface SettingsInput {
  readonly timezone?: string;
  readonly voidWindow?: string;
  readonly cancelWindow?: string;
  /** `on` or `off`. */
  readonly refundBalanceExempt?: string;
}

export interface SettingsChanges {
  timezone?: string;
  void_window_ms?: number;
  cancel_window_ms?: number;
  refund_balance_exempt?: number;
}

/** Problems come in the order of the fields: time zone, void window, cancel window, exemption. */
export function checkSettings(input: SettingsInput): Checked<SettingsChanges> {
  const changes: SettingsChanges = {};
  const problems: Problem[] = [];
  if (input.timezone !== undefined) {
    const bad = timeZoneProblem(input.timezone);
    if (bad) problems.push(bad);
    else changes.timezone = input.timezone;
  }
  const durations = [
    ['void_window', input.voidWindow, 'void_window_ms'],
    ['cancel_window', input.cancelWindow, 'cancel_window_ms'],
  ] as const;
  for (const [field, text, column] of durations) {
    if (text === undefined) continue;
    const ms = parseOneDuration(text);
    if (ms === null) problems.push(problem(field, 'duration'));
    else changes[column] = ms;
  }
  if (input.refundBalanceExempt !== undefined) {
    if (input.refundBalanceExempt === 'on' || input.refundBalanceExempt === 'off') changes.refund_balance_exempt = input.refundBalanceExempt === 'on' ? 1 : 0;
    else problems.push(problem('refund_balance_exempt', 'on_off'));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: changes };
}

export type SettingsDiff = Partial<Record<keyof SettingsChanges, { from: string | number; to: string | number }>>;

/** Writes the settings that differ from the stored ones; answers them, old → new (empty when nothing changed). */
export async function applySettings(db: Db, merchantId: string, changes: SettingsChanges): Promise<SettingsDiff> {
  const current = await db
    .selectFrom('merchants')
    .select(['timezone', 'void_window_ms', 'cancel_window_ms', 'refund_balance_exempt'])
    .where('id', '=', merchantId)
    .executeTakeFirstOrThrow();
  const diff: SettingsDiff = {};
  const update: SettingsChanges = {};
  for (const column of Object.keys(changes) as (keyof SettingsChanges)[]) {
    const wanted = changes[column];
    // PostgreSQL answers bigint columns as strings.
    const stored = column === 'timezone' ? current.timezone : Number(current[column]);
    if (wanted === undefined || wanted === stored) continue;
    diff[column] = { from: stored, to: wanted };
    Object.assign(update, { [column]: wanted });
  }
  if (Object.keys(update).length > 0) await db.updateTable('merchants').set(update).where('id', '=', merchantId).execute();
  return diff;
}

export async function disableGateways(db: Db, merchantId: string, gateways: readonly string[]): Promise<void> {
  if (gateways.length === 0) return;
  await db.deleteFrom('merchant_gateways').where('merchant_id', '=', merchantId).where('gateway', 'in', gateways).execute();
}

/** Makes exactly `wanted` enabled (checked codes); answers what was added and removed. */
export async function setGateways(db: Db, merchantId: string, wanted: readonly string[]): Promise<{ added: string[]; removed: string[] }> {
  const current = await enabledGateways(db, merchantId);
  const added = wanted.filter((code) => !current.includes(code));
  const removed = current.filter((code) => !wanted.includes(code));
  await enableGateways(db, merchantId, added);
  await disableGateways(db, merchantId, removed);
  return { added, removed };
}
