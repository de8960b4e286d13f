/**
 * Validation of POS API request bodies. Every problem is reported with the
 * attribute it concerns (a JSON pointer) and what to do about it; all problems
 * of a body are reported at once.
 */
import { CLIENT_ID_PATTERN } from '../domain/ids.js';
import { type ErrorItem, attributeError } from '../domain/errors.js';
import { type CurrencyCode, DEFAULT_MAX_AMOUNT_MAJOR, isCurrencyCode, maxAmount, maxAmountAnyCurrency, toMajorUnitString } from '../domain/money.js';

/**
 * The limits below are also the JSON Schema's (src/http/schemas/pos.ts, served
 * in the OpenAPI document); a test checks that schema and validator accept the same bodies.
 */
type OptionalText = 'description' | 'pos_id' | 'mch_level_1' | 'mch_level_2' | 'mch_level_3';
/** Longest description, pos_id and mch_level_1..3. */
export const MAX_TEXT = 255;
export const MAX_GATEWAY_LENGTH = 64;
export const MAX_AUTH_KEY_LENGTH = 128;

export interface CommonAttributes {
  readonly description: string | null;
  readonly pos_id: string | null;
  readonly mch_level_1: string | null;
  readonly mch_level_2: string | null;
  readonly mch_level_3: string | null;
}

export type TransactionRequest =
  | { readonly type: 'sale'; readonly id: string; readonly attributes: CommonAttributes & {
      readonly payment_gateway: string; readonly payment_auth_key: string; readonly amount: number; readonly currency: CurrencyCode } }
  | { readonly type: 'void'; readonly id: string; readonly attributes: CommonAttributes & { readonly sale: string } }
  | { readonly type: 'refund'; readonly id: string; readonly attributes: CommonAttributes & { readonly sale: string; readonly amount: number } };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const A = '/data/attributes';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Why an amount is over the maximum (config maxAmountMajor), stated in the currency's major units; null when within.
 * Without a currency (a refund names only its sale) the largest maximum of any currency applies.
 */
export function amountOverMaximum(amount: number, currency: CurrencyCode | null, maxAmountMajor: number): string | null {
  if (currency) {
    const max = maxAmount(currency, maxAmountMajor);
    return amount <= max ? null : `\`amount\` must be at most ${toMajorUnitString({ amount: max, currency })} ${currency} (${max} in the smallest unit), got ${amount}`;
  }
  const max = maxAmountAnyCurrency(maxAmountMajor);
  return amount <= max ? null : `\`amount\` must be at most ${maxAmountMajor} major units and their fraction (${max} in the smallest unit of a 3-decimal currency), got ${amount}`;
}

export function validateTransactionRequest(body: unknown, maxAmountMajor = DEFAULT_MAX_AMOUNT_MAJOR): { ok: true; request: TransactionRequest } | { ok: false; errors: ErrorItem[] } {
  if (!isObject(body)) return { ok: false, errors: [attributeError('The body must be a JSON object with a `data` member', '')] };
  const data = body.data;
  if (!isObject(data)) return { ok: false, errors: [attributeError('`data` is required and must be an object', '/data')] };
  const errors: ErrorItem[] = [];

  const id = data.id;
  if (typeof id !== 'string') {
    errors.push(attributeError(`\`id\` is required and must be a string, got ${describe(id)}`, '/data/id'));
  } else if (!CLIENT_ID_PATTERN.test(id)) {
    errors.push(attributeError('`id` must be 1–64 characters of A–Z, a–z, 0–9, `.`, `_`, `:` or `-`', '/data/id'));
  }

  const type = data.type;
  if (type !== 'sale' && type !== 'void' && type !== 'refund') {
    errors.push(attributeError('`type` must be one of sale, void, refund', '/data/type'));
  }

  const attrs = data.attributes;
  if (!isObject(attrs)) {
    errors.push(attributeError('`attributes` is required and must be an object', A));
    return { ok: false, errors };
  }

  const text = (name: OptionalText | 'payment_gateway' | 'payment_auth_key' | 'sale', required: boolean, max = MAX_TEXT): string | null => {
    const value = attrs[name];
    if (value === undefined || value === null) {
      if (required) errors.push(attributeError(`\`${name}\` is required`, `${A}/${name}`));
      return null;
    }
    if (typeof value !== 'string') {
      errors.push(attributeError(`\`${name}\` must be a string, got ${describe(value)}`, `${A}/${name}`));
      return null;
    }
    if (required && value.length === 0) {
      errors.push(attributeError(`\`${name}\` must not be empty`, `${A}/${name}`));
      return null;
    }
    if (value.length > max) {
      errors.push(attributeError(`\`${name}\` must be at most ${max} characters, got ${value.length}`, `${A}/${name}`));
      return null;
    }
    return value;
  };

  const amount = (): number | null => {
    const value = attrs.amount;
    if (value === undefined || value === null) {
      errors.push(attributeError('`amount` is required', `${A}/amount`));
      return null;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      errors.push(attributeError(
        `\`amount\` must be a positive integer in the currency's smallest unit (e.g. 100 for $1.00), got ${JSON.stringify(value)}`,
        `${A}/amount`,
      ));
      return null;
    }
    return value;
  };

  const withinMaximum = (value: number | null, currency: CurrencyCode | null): number | null => {
    const problem = value === null ? null : amountOverMaximum(value, currency, maxAmountMajor);
    if (problem) errors.push(attributeError(problem, `${A}/amount`));
    return problem ? null : value;
  };

  const common = (descriptionRequired: boolean): CommonAttributes => ({
    description: text('description', descriptionRequired),
    pos_id: text('pos_id', false),
    mch_level_1: text('mch_level_1', false),
    mch_level_2: text('mch_level_2', false),
    mch_level_3: text('mch_level_3', false),
  });

  const saleRef = (): string | null => {
    const sale = text('sale', true, 64);
    if (sale !== null && !CLIENT_ID_PATTERN.test(sale)) {
      errors.push(attributeError('`sale` must be the id of a sale: 1–64 characters of A–Z, a–z, 0–9, `.`, `_`, `:` or `-`', `${A}/sale`));
      return null;
    }
    return sale;
  };

  if (type === 'sale') {
    const payment_gateway = text('payment_gateway', true, MAX_GATEWAY_LENGTH);
    const payment_auth_key = text('payment_auth_key', true, MAX_AUTH_KEY_LENGTH);
    const amountGiven = amount();
    const currencyRaw = attrs.currency;
    let currency: CurrencyCode | null = null;
    if (currencyRaw === undefined || currencyRaw === null) {
      errors.push(attributeError('`currency` is required', `${A}/currency`));
    } else if (typeof currencyRaw !== 'string' || !isCurrencyCode(currencyRaw)) {
      errors.push(attributeError(`\`currency\` must be a three-letter ISO 4217 code in upper case (e.g. CNY), got ${JSON.stringify(currencyRaw)}`, `${A}/currency`));
    } else {
      currency = currencyRaw;
    }
    const amountValue = withinMaximum(amountGiven, currency);
    const commonAttrs = common(true);
    if (errors.length > 0 || payment_gateway === null || payment_auth_key === null || amountValue === null || currency === null || typeof id !== 'string') {
      return { ok: false, errors };
    }
    return { ok: true, request: { type, id, attributes: { ...commonAttrs, payment_gateway, payment_auth_key, amount: amountValue, currency } } };
  }
  if (type === 'void') {
    const sale = saleRef();
    const commonAttrs = common(false);
    if (errors.length > 0 || sale === null || typeof id !== 'string') return { ok: false, errors };
    return { ok: true, request: { type, id, attributes: { ...commonAttrs, sale } } };
  }
  if (type === 'refund') {
    const sale = saleRef();
    // Held to its sale's currency's maximum when the sale is found (create-transaction.ts).
    const amountValue = withinMaximum(amount(), null);
    const commonAttrs = common(false);
    if (errors.length > 0 || sale === null || amountValue === null || typeof id !== 'string') return { ok: false, errors };
    return { ok: true, request: { type, id, attributes: { ...commonAttrs, sale, amount: amountValue } } };
  }
  return { ok: false, errors };
}

/** Canonical JSON (sorted keys) of a request, for telling retries from conflicts. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

