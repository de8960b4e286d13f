/**
 * The wallets' amount rules, from Antom's "Alipay+ payment methods" table
 * (global.alipay.com/docs/ac/cashierpay/alipayplus, "Minimum payment amount"):
 * DANA 300 IDR, GCash 1 PHP, Kakao Pay 50 KRW. JKOPAY takes TWD in whole
 * dollars (Taiwan's wallets have no cents). Shared by the descriptor (checked
 * at validation) and the simulator (test values on the whole amount).
 */
import type { AmountRules } from '../amount-rules.js';
import type { AlipayPlusPaymentMethod } from './transformers.js';

export const ALIPAYPLUS_AMOUNT_RULES: Readonly<Record<AlipayPlusPaymentMethod, AmountRules>> = {
  alipay_hk: {},
  dana: { minimumAmounts: { IDR: '300' } },
  gcash: { minimumAmounts: { PHP: '1' } },
  kakaopay: { minimumAmounts: { KRW: '50' } },
  jkopay: { wholeUnitCurrencies: ['TWD'] },
};
