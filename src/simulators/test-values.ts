/**
 * The simulators' test values (docs/providers.md): the last two digits of
 * the amount select the outcome. Every simulator reads them here, so a value
 * means the same in every currency. For a currency the provider takes in
 * whole units only (TWD at LINE Pay and JKOPAY) the minor units always end
 * in zeros, so the last two digits of the whole amount select instead:
 * TWD 12351.00 (1235100) → 51.
 */
import { currencyExponent, isCurrencyCode, lastTwoDigits } from '../domain/money.js';

export function testValue(amountMinor: number, currency?: string, wholeUnitCurrencies: readonly string[] = []): number {
  if (currency === undefined || !isCurrencyCode(currency) || !wholeUnitCurrencies.includes(currency)) return lastTwoDigits(amountMinor);
  return lastTwoDigits(Math.floor(amountMinor / 10 ** currencyExponent(currency)));
}
