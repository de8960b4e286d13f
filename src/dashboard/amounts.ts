/**
 * Money for the dashboard, whatever is stored: exact sums (store/exact-sums.ts)
 * and display formatting that takes bigint and never throws.
 */
import { currencyExponent, isCurrencyCode } from '../domain/money.js';
import { toBigInt } from '../store/exact-sums.js';

export { joinSum, sumParts, toBigInt } from '../store/exact-sums.js';

/** Minor units → `12.34` in the currency's exponent (any size, `-` when negative); plain digits for an unknown currency. */
export function majorDigits(amount: bigint | number, currency: string): string {
  const value = toBigInt(amount);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString();
  const exponent = isCurrencyCode(currency) ? currencyExponent(currency) : 0;
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** For people: `12.34 CNY`, `−5.00 CNY` (a typographic minus). */
export const moneyText = (amount: bigint | number, currency: string): string => `${majorDigits(amount, currency).replace(/^-/, '−')} ${currency}`;

/** For proportions only (chart bar heights): a bigint as a finite number. */
export const approx = (amount: bigint): number => Number(amount);
