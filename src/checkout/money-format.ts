/**
 * Money as people read it, shared by the hosted pages and the dashboard:
 * Intl.NumberFormat for the page's language (grouping, the currency's symbol,
 * its own number of decimals), fed an exact decimal string so that no amount
 * goes through a float. Takes any stored size and never throws.
 */
import { currencyExponent, isCurrencyCode } from '../domain/money.js';
import { toBigInt } from '../store/exact-sums.js';

/** The languages CanCan's pages speak. */
export type MoneyLang = 'en' | 'zh';

const LOCALES: Readonly<Record<MoneyLang, string>> = { en: 'en-US', zh: 'zh-CN' };

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

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(lang: MoneyLang, currency: string): Intl.NumberFormat {
  const key = `${lang}:${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    // CanCan's exponent, not ICU's: it is what the providers charge in (ICU, for one, would show TWD without cents).
    const decimals = isCurrencyCode(currency) ? currencyExponent(currency) : 0;
    formatter = isCurrencyCode(currency)
      ? new Intl.NumberFormat(LOCALES[lang], { style: 'currency', currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals })
      : new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 0 });
    formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * `$1,234.56`, `¥1,500`, `₱0.00`, `-US$12.34` (zh): one amount in minor units,
 * formatted for the language. An unknown currency shows grouped digits and its code.
 */
export function formatMoney(amount: bigint | number, currency: string, lang: MoneyLang): string {
  const formatter = formatterFor(lang, currency);
  // A decimal string keeps every digit exact (Intl.NumberFormat v3 reads strings as decimals).
  const exact = majorDigits(amount, currency) as unknown as number;
  return isCurrencyCode(currency) ? formatter.format(exact) : `${formatter.format(toBigInt(amount))} ${currency}`;
}
