/** Dashboard: overview (to be written). */
import type { DashboardModule } from '../kit.js';

export const overviewPage: DashboardModule = {
  register() {},
};
