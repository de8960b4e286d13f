/** Every dashboard page module, in the order their routes are registered. */
import type { DashboardModule } from '../kit.js';
import { brandingPageModule } from './branding.js';
import { detailPage } from './detail.js';
import { developersPage } from './developers.js';
import { operatorPage } from './operator.js';
import { overviewPage } from './overview.js';
import { reconciliationPage } from '../reconciliation-page.js';
import { transactionsPage } from './transactions.js';

export const DASHBOARD_PAGES: readonly DashboardModule[] = [
  overviewPage,
  transactionsPage,
  detailPage,
  developersPage,
  brandingPageModule,
  operatorPage,
  reconciliationPage,
];
