/** LINE Pay Taiwan takes TWD in whole dollars (an amount with cents is refused): shared by the descriptor and the simulator. */
import type { CurrencyCode } from '../../domain/money.js';

export const LINEPAY_WHOLE_UNIT_CURRENCIES: readonly CurrencyCode[] = ['TWD'];
