/** Dashboard: transactions (to be written). */
import type { DashboardModule } from '../kit.js';

export const transactionsPage: DashboardModule = {
  register() {},
};
