/**
 * Money: integer amounts in the currency's smallest unit (ISO 4217 exponent).
 * No floating point anywhere: provider formats are produced with string and
 * bigint arithmetic only.
 */

/** ISO 4217 minor-unit exponents of the currencies CanCan knows. */
const EXPONENTS = {
  AUD: 2,
  BHD: 3,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  IDR: 2,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MOP: 2,
  MYR: 2,
  NZD: 2,
  OMR: 3,
  PHP: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TWD: 2,
  USD: 2,
  VND: 0,
} as const satisfies Record<string, 0 | 2 | 3>;

export type CurrencyCode = keyof typeof EXPONENTS;

declare const minorUnitsBrand: unique symbol;
/** A non-negative safe integer count of a currency's smallest unit. */
export type MinorUnits = number & { readonly [minorUnitsBrand]: true };

export interface Money {
  readonly amount: MinorUnits;
  readonly currency: CurrencyCode;
}

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.hasOwn(EXPONENTS, value);
}

export function currencyExponent(currency: CurrencyCode): 0 | 2 | 3 {
  return EXPONENTS[currency];
}

export function knownCurrencies(): CurrencyCode[] {
  return Object.keys(EXPONENTS) as CurrencyCode[];
}

export function isMinorUnits(value: unknown): value is MinorUnits {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function money(amount: number, currency: CurrencyCode): Money {
  if (!isMinorUnits(amount)) throw new RangeError(`amount must be a non-negative safe integer, got ${amount}`);
  return { amount, currency };
}

/**
 * The largest amount of one transaction (a sale, charge or refund): this many
 * whole major units and the largest fraction, in every currency alike. The
 * default is Stripe's limit: 99,999,999.99 USD (9,999,999,999 cents),
 * 99,999,999 JPY, 99,999,999.999 BHD. Set by CANCAN_MAX_AMOUNT_MAJOR.
 */
export const DEFAULT_MAX_AMOUNT_MAJOR = 99_999_999;
/** The most CANCAN_MAX_AMOUNT_MAJOR may be: keeps every maximum under 10^13 minor units. */
export const MAX_AMOUNT_MAJOR_LIMIT = 9_999_999_999;

/** The largest amount in minor units for `currency`: (wholeUnits + 1) · 10^exponent − 1, in exact integers. */
export function maxAmount(currency: CurrencyCode, wholeUnits: number = DEFAULT_MAX_AMOUNT_MAJOR): MinorUnits {
  return largestWithExponent(currencyExponent(currency), wholeUnits);
}

/** The largest maximum of any currency (the 3-decimal ones'): what an amount is held to before its currency is known. */
export function maxAmountAnyCurrency(wholeUnits: number = DEFAULT_MAX_AMOUNT_MAJOR): MinorUnits {
  return largestWithExponent(Math.max(...Object.values(EXPONENTS)), wholeUnits);
}

/** The largest amount any setting allows (9,999,999,999,999): the JSON Schemas' bound. */
export const AMOUNT_CEILING: number = maxAmountAnyCurrency(MAX_AMOUNT_MAJOR_LIMIT);

function largestWithExponent(exponent: number, wholeUnits: number): MinorUnits {
  if (!Number.isSafeInteger(wholeUnits) || wholeUnits < 1 || wholeUnits > MAX_AMOUNT_MAJOR_LIMIT) {
    throw new RangeError(`the maximum amount must be 1 to ${MAX_AMOUNT_MAJOR_LIMIT} whole units, got ${wholeUnits}`);
  }
  return Number((BigInt(wholeUnits) + 1n) * 10n ** BigInt(exponent) - 1n) as MinorUnits;
}

/** Minor units → decimal string in major units: (1234, USD) → "12.34", (5, BHD) → "0.005", (100, JPY) → "100". */
export function toMajorUnitString(value: Money): string {
  const exponent = currencyExponent(value.currency);
  const digits = String(value.amount);
  if (exponent === 0) return digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * Decimal string in major units → minor units. Rejects more fraction digits
 * than the currency has (no silent rounding), signs, exponents and junk.
 */
export function fromMajorUnitString(text: string, currency: CurrencyCode): Money {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(text)}`);
  const exponent = currencyExponent(currency);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw new RangeError(`${currency} has ${exponent} decimals; ${JSON.stringify(text)} has ${fraction.length}`);
  }
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount too large: ${text}`);
  return money(Number(minor), currency);
}

/**
 * Minor units → a JSON number in major units (LINE Pay's format). The number
 * is produced by parsing the exact decimal string, so 1234 USD cents becomes
 * exactly the JSON literal 12.34.
 */
export function toMajorUnitNumber(value: Money): number {
  const number = Number(toMajorUnitString(value));
  // Beyond ~15 significant digits a double cannot carry every amount exactly: refuse rather than change it.
  if (fromMajorUnitNumber(number, value.currency).amount !== value.amount) {
    throw new RangeError(`${toMajorUnitString(value)} ${value.currency} cannot be written exactly as a JSON number`);
  }
  return number;
}

/** A JSON number in major units → minor units, refusing values that are not exact. */
export function fromMajorUnitNumber(value: number, currency: CurrencyCode): Money {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not an amount: ${value}`);
  // Number → shortest round-trip decimal string, then exact string parsing.
  const text = value.toString();
  if (/e/i.test(text)) throw new RangeError(`amount out of range: ${value}`);
  return fromMajorUnitString(text, currency);
}

/** "Last two digits" of an amount in minor units, the simulators' test-value selector. */
export function lastTwoDigits(amount: number): number {
  return amount % 100;
}
