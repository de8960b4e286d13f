/**
 * Amount rules a gateway or payment method declares beside its currencies:
 * the provider takes some currencies in whole units only, and some wallets
 * have a smallest amount. Checked when a sale or charge is validated, so an
 * amount the provider cannot take is refused with 400, never sent.
 */
import { type CurrencyCode, currencyExponent, fromMajorUnitString, money, toMajorUnitString } from '../domain/money.js';

export interface AmountRules {
  /** Currencies taken in whole units only (e.g. TWD at LINE Pay and JKOPAY): the amount in minor units must end in zeros. */
  readonly wholeUnitCurrencies?: readonly CurrencyCode[];
  /** The smallest amount per currency, a decimal in major units as the provider's documentation states it ('300' IDR). */
  readonly minimumAmounts?: Readonly<Partial<Record<CurrencyCode, string>>>;
}

export type AmountRuleName = 'whole_units' | 'minimum_amount';

export interface AmountRuleBreach {
  readonly rule: AmountRuleName;
  readonly message: string;
}

/** How many minor units make one major unit. */
const unitSize = (currency: CurrencyCode): number => 10 ** currencyExponent(currency);

export function isWholeUnitAmount(amount: number, currency: CurrencyCode): boolean {
  return amount % unitSize(currency) === 0;
}

/** The smallest amount `rules` allow in `currency`, in minor units (1 when no minimum is declared). */
export function minimumAmount(rules: AmountRules, currency: CurrencyCode): number {
  const major = rules.minimumAmounts?.[currency];
  return major === undefined ? 1 : Math.max(1, fromMajorUnitString(major, currency).amount);
}

/**
 * The first rule of `code` (a gateway or payment method) that `amount` (minor units) breaks, or null.
 * `field` is how the API names the amount in its messages.
 */
export function amountRuleBreach(code: string, rules: AmountRules, amount: number, currency: CurrencyCode, field: string): AmountRuleBreach | null {
  const partial = wholeUnitBreach(code, rules, amount, currency, field);
  if (partial) return partial;
  const shown = `${toMajorUnitString(money(amount, currency))} ${currency}`;
  const minimum = minimumAmount(rules, currency);
  if (amount < minimum) {
    const least = `${toMajorUnitString(money(minimum, currency))} ${currency}`;
    return {
      rule: 'minimum_amount',
      message: `${code} takes at least ${least} (rule minimum_amount): ${field} must be at least ${minimum}, got ${amount} (${shown})`,
    };
  }
  return null;
}

/** The whole-units rule alone: what a refund must keep (a refund below a wallet's minimum payment is still a refund). */
export function wholeUnitBreach(code: string, rules: AmountRules, amount: number, currency: CurrencyCode, field: string): AmountRuleBreach | null {
  if (!rules.wholeUnitCurrencies?.includes(currency) || isWholeUnitAmount(amount, currency)) return null;
  const shown = `${toMajorUnitString(money(amount, currency))} ${currency}`;
  return {
    rule: 'whole_units',
    message: `${code} takes ${currency} in whole units only (rule whole_units): ${field} must be a multiple of ${unitSize(currency)}, got ${amount} (${shown})`,
  };
}
