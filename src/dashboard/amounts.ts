/**
 * Money for the dashboard, whatever is stored: exact sums (store/exact-sums.ts)
 * and display formatting that takes bigint and never throws.
 */
import { formatMoney } from '../checkout/money-format.js';
import type { Lang } from './i18n.js';

export { majorDigits } from '../checkout/money-format.js';
export { joinSum, sumParts, toBigInt } from '../store/exact-sums.js';

/** For people, in the page's language: `$12.34`, `-CN¥5.00`, `¥1,234` (the same function as the payment page). */
export const moneyText = (amount: bigint | number, currency: string, lang: Lang): string => formatMoney(amount, currency, lang);

/** For proportions only (chart bar heights): a bigint as a finite number. */
export const approx = (amount: bigint): number => Number(amount);
