/** Dashboard: developers (to be written). */
import type { DashboardModule } from '../kit.js';

export const developersPage: DashboardModule = {
  register() {},
};
