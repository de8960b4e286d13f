import type { CurrencyCode } from '../domain/money.js';

/** Cross-border wallet and card acquiring currencies CanCan settles. */
export const SETTLEMENT_CURRENCIES: readonly CurrencyCode[] = ['USD', 'CAD', 'EUR', 'GBP', 'HKD', 'JPY', 'CNY', 'AUD', 'NZD', 'SGD'];
