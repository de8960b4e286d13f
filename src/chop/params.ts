/**
 * Parameters of the CHOP and Online APIs, as Citcon's clients send them:
 * form fields or JSON, amounts as integers in minor units under either name
 * (`amount`/`trans_amount`, `currency`/`trans_currency`), unknown extras kept.
 * Every problem is reported at once, each saying what to fix.
 */
import { AMOUNT_CEILING, type CurrencyCode, DEFAULT_MAX_AMOUNT_MAJOR, isCurrencyCode, maxAmount, maxAmountAnyCurrency, toMajorUnitString } from '../domain/money.js';
import { type PaymentMethod, paymentMethod, paymentMethodCodes } from './methods.js';

/** A refusal of bad input: `{"result":"fail","error":message,"code":code}` with this HTTP status. */
export class ChopError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export type Params = Readonly<Record<string, string>>;

// Also the JSON Schema's limits (src/http/schemas/chop.ts): a test checks the schema accepts whatever these parsers accept.
// Amounts: at most 14 digits, then the maximum per currency (config maxAmountMajor, domain/money.ts).
export const MAX_URL_LENGTH = 2048;
export const MAX_TEXT = 256;

/** Flattens a parsed body (form or JSON) into strings; nested JSON values are kept as JSON text. */
export function toParams(body: unknown): Params {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ChopError(400, 'invalid_body', 'Send the parameters as form fields (application/x-www-form-urlencoded) or a JSON object');
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    params[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return params;
}

class Problems {
  private readonly list: { code: string; message: string }[] = [];
  add(code: string, message: string): void {
    this.list.push({ code, message });
  }
  throwIfAny(): void {
    const first = this.list[0];
    if (!first) return;
    const code = this.list.every((p) => p.code === first.code) ? first.code : 'invalid_parameters';
    throw new ChopError(400, code, this.list.map((p) => p.message).join('; '));
  }
}

/** A parameter as the parsers read it: trimmed; empty means absent. */
const present = (params: Params, name: string): string | undefined => {
  const value = params[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** Every parameter as the parsers read it (what the JSON Schemas of the CHOP routes describe). */
export function presentParams(params: Params): Params {
  // fromEntries defines own properties, even one named __proto__.
  return Object.fromEntries(Object.keys(params).flatMap((name) => {
    const value = present(params, name);
    return value === undefined ? [] : [[name, value]];
  }));
}

/** A value given under one of two names; both given and different is a conflict (null). */
function aliased(params: Params, names: readonly [string, string], problems: Problems): string | undefined | null {
  const [a, b] = names.map((n) => present(params, n));
  if (a !== undefined && b !== undefined && a !== b) {
    problems.add('conflicting_parameters', `${names[0]} (${a}) and ${names[1]} (${b}) disagree; send one of them`);
    return null;
  }
  return a ?? b;
}

export interface MoneyParams {
  readonly amount: number;
  readonly currency: CurrencyCode;
}

function moneyParams(params: Params, problems: Problems, maxAmountMajor: number): Partial<MoneyParams> {
  const amountText = aliased(params, ['amount', 'trans_amount'], problems);
  const currencyText = aliased(params, ['currency', 'trans_currency'], problems);
  let amount: number | undefined;
  let currency: CurrencyCode | undefined;
  if (amountText === null) amount = undefined;
  else if (amountText === undefined) problems.add('missing_parameter', 'amount (or trans_amount) is required: an integer in cents, e.g. 999 for 9.99');
  else if (!/^\d{1,14}$/.test(amountText) || Number(amountText) <= 0 || Number(amountText) > AMOUNT_CEILING) {
    problems.add('invalid_parameter', `amount must be a positive integer in the currency's smallest unit (cents), without decimals or separators; got ${JSON.stringify(amountText)}`);
  } else amount = Number(amountText);
  if (currencyText === null) currency = undefined;
  else if (currencyText === undefined) problems.add('missing_parameter', 'currency (or trans_currency) is required: a 3-letter ISO 4217 code such as USD');
  else if (!isCurrencyCode(currencyText.toUpperCase())) problems.add('invalid_parameter', `currency ${JSON.stringify(currencyText)} is not a supported ISO 4217 code`);
  else currency = currencyText.toUpperCase() as CurrencyCode;
  if (amount !== undefined) {
    const max = currency ? maxAmount(currency, maxAmountMajor) : maxAmountAnyCurrency(maxAmountMajor);
    if (amount > max) {
      problems.add('invalid_parameter', currency
        ? `amount must be at most ${toMajorUnitString({ amount: max, currency })} ${currency}, that is ${max} in the smallest unit; got ${amount}`
        : `amount must be at most ${max} in the smallest unit of any currency; got ${amount}`);
      amount = undefined;
    }
  }
  return { ...(amount !== undefined ? { amount } : {}), ...(currency !== undefined ? { currency } : {}) };
}

function optionalUrl(params: Params, name: string, problems: Problems): string | null {
  const value = present(params, name);
  if (value === undefined) return null;
  let url: URL | null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || value.length > MAX_URL_LENGTH) {
    problems.add('invalid_parameter', `${name} must be an absolute http(s) URL of at most ${MAX_URL_LENGTH} characters`);
    return null;
  }
  return url.toString();
}

function yesNo(params: Params, name: string, problems: Problems): boolean {
  const value = present(params, name)?.toLowerCase();
  if (value === undefined || value === 'no' || value === 'false' || value === '0') return false;
  if (value === 'yes' || value === 'true' || value === '1') return true;
  problems.add('invalid_parameter', `${name} must be yes or no`);
  return false;
}

function text(params: Params, name: string, problems: Problems, required: boolean): string | null {
  const value = present(params, name);
  if (value === undefined) {
    if (required) problems.add('missing_parameter', `${name} is required`);
    return null;
  }
  if (value.length > MAX_TEXT) problems.add('invalid_parameter', `${name} is longer than ${MAX_TEXT} characters`);
  return value;
}

export interface ChargeParams extends MoneyParams {
  readonly method: PaymentMethod;
  readonly reference: string;
  readonly ipnUrl: string | null;
  readonly callbackUrlSuccess: string | null;
  readonly callbackUrlFail: string | null;
  readonly mobileResultUrl: string | null;
  /** `ext` decoded to JSON text, or null. */
  readonly ext: string | null;
  readonly allowDuplicates: boolean;
  /** Parameters CanCan does not use (note, source, client_country, …), kept as sent. */
  readonly extras: Readonly<Record<string, string>>;
}

const CHARGE_PARAMS = new Set([
  'payment_method', 'vendor', 'amount', 'trans_amount', 'currency', 'trans_currency', 'reference', 'ipn_url',
  'callback_url_success', 'callback_url_fail', 'callback_url', 'mobile_result_url', 'ext', 'allow_duplicates', 'format',
]);

/** `POST /chop/chop` (methodParam `payment_method`) and `POST /payment/pay_qr` (methodParam `vendor`). */
export function parseChargeParams(
  params: Params,
  options: { methodParam: 'payment_method' | 'vendor'; allowedMethods?: readonly string[]; maxAmountMajor?: number },
): ChargeParams {
  const problems = new Problems();
  const methodCode = present(params, options.methodParam);
  const allowed = options.allowedMethods ?? paymentMethodCodes();
  let method: PaymentMethod | undefined;
  if (methodCode === undefined) problems.add('missing_parameter', `${options.methodParam} is required: one of ${allowed.join(', ')}`);
  else if (!allowed.includes(methodCode) || !(method = paymentMethod(methodCode))) {
    problems.add('invalid_parameter', `${options.methodParam} ${JSON.stringify(methodCode)} is not supported; use one of ${allowed.join(', ')}`);
  }
  const money = moneyParams(params, problems, options.maxAmountMajor ?? DEFAULT_MAX_AMOUNT_MAJOR);
  const reference = text(params, 'reference', problems, true);
  const ipnUrl = optionalUrl(params, 'ipn_url', problems);
  // The Online API has one callback_url; CHOP has a success and a fail URL.
  const callbackUrl = optionalUrl(params, 'callback_url', problems);
  const callbackUrlSuccess = optionalUrl(params, 'callback_url_success', problems) ?? callbackUrl;
  const callbackUrlFail = optionalUrl(params, 'callback_url_fail', problems) ?? callbackUrl;
  const mobileResultUrl = optionalUrl(params, 'mobile_result_url', problems);
  const ext = parseExt(present(params, 'ext'), problems);
  const allowDuplicates = yesNo(params, 'allow_duplicates', problems);
  if (method && money.currency && !method.currencies.includes(money.currency)) {
    problems.add('unsupported_currency', `${method.code} accepts ${method.currencies.join(', ')}, not ${money.currency}`);
  }
  problems.throwIfAny();
  const extras: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (!CHARGE_PARAMS.has(key)) extras[key] = value;
  return {
    method: method as PaymentMethod, amount: money.amount as number, currency: money.currency as CurrencyCode,
    reference: reference as string, ipnUrl, callbackUrlSuccess, callbackUrlFail, mobileResultUrl, ext, allowDuplicates, extras,
  };
}

/** `ext` is url-encoded JSON; a form decode has undone one level, a client may have encoded twice. */
function parseExt(value: string | undefined, problems: Problems): string | null {
  if (value === undefined) return null;
  for (const candidate of [value, safeDecode(value)]) {
    if (candidate === null) continue;
    try {
      return JSON.stringify(JSON.parse(candidate));
    } catch {
      // try the next decoding
    }
  }
  problems.add('invalid_parameter', 'ext must be JSON, url-encoded');
  return null;
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** Which charge a refund or cancel names: by CanCan id or by the merchant's reference. */
export type TransactionSelector = { readonly id: string } | { readonly reference: string };

function selector(params: Params, problems: Problems): TransactionSelector | null {
  const id = present(params, 'transaction_id');
  const reference = present(params, 'transaction_reference') ?? present(params, 'trans_reference');
  if (id !== undefined && reference !== undefined) {
    problems.add('conflicting_parameters', 'send transaction_id or transaction_reference, not both');
    return null;
  }
  if (id !== undefined) return { id };
  if (reference !== undefined) return { reference };
  problems.add('missing_parameter', 'transaction_id or transaction_reference is required');
  return null;
}

export interface RefundParams extends MoneyParams {
  readonly charge: TransactionSelector;
  readonly reason: string | null;
}

export function parseRefundParams(params: Params, maxAmountMajor = DEFAULT_MAX_AMOUNT_MAJOR): RefundParams {
  const problems = new Problems();
  const charge = selector(params, problems);
  const money = moneyParams(params, problems, maxAmountMajor);
  const reason = text(params, 'reason', problems, false);
  problems.throwIfAny();
  return { charge: charge as TransactionSelector, amount: money.amount as number, currency: money.currency as CurrencyCode, reason };
}

export interface CancelParams {
  readonly charge: TransactionSelector;
  readonly reason: string | null;
}

export function parseCancelParams(params: Params): CancelParams {
  const problems = new Problems();
  const charge = selector(params, problems);
  const reason = text(params, 'reason', problems, false);
  problems.throwIfAny();
  return { charge: charge as TransactionSelector, reason };
}

export interface InquireParams {
  readonly target: TransactionSelector;
  readonly real: boolean;
}

export function parseInquireParams(params: Params): InquireParams {
  const problems = new Problems();
  const q = present(params, 'q') ?? present(params, 'id');
  const reference = present(params, 'reference');
  if (q === undefined && reference === undefined) problems.add('missing_parameter', 'q (the transaction id) or reference is required');
  const method = present(params, 'inquire_method') ?? present(params, 'inquire_methods');
  problems.throwIfAny();
  return { target: q !== undefined ? { id: q } : { reference: reference as string }, real: method === 'real' };
}
