/** Dashboard: detail (to be written). */
import type { DashboardModule } from '../kit.js';

export const detailPage: DashboardModule = {
  register() {},
};
