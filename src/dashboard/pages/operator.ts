/** Dashboard: operator (to be written). */
import type { DashboardModule } from '../kit.js';

export const operatorPage: DashboardModule = {
  register() {},
};
