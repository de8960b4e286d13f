/** First start on an empty database: a demo merchant with a test key, ready to try. */
import { randomBytes } from 'node:crypto';
import type { CoreDeps } from './core/deps.js';
import { gatewayCodes } from './providers/registry.js';
import { paymentMethodCodes } from './chop/methods.js';
import { createUser } from './dashboard/accounts.js';
import { countMerchants, createApiKey, createMerchant } from './store/merchants.js';

export interface DemoMerchant {
  readonly merchantId: string;
  readonly apiKey: string;
  /** The dashboard owner of the demo merchant. */
  readonly email: string;
  readonly password: string;
}

export const DEMO_EMAIL = 'owner@demo.cancan.test';

export async function createDemoMerchantIfEmpty(deps: CoreDeps): Promise<DemoMerchant | null> {
  if ((await countMerchants(deps.store.db)) > 0) return null;
  const now = deps.clock.now();
  const merchant = await createMerchant(deps.store.db, { name: 'Demo Shop', timezone: 'UTC', gateways: [...gatewayCodes(), ...paymentMethodCodes()], now });
  const key = await createApiKey(deps.store.db, deps.secrets, { merchantId: merchant.id, mode: 'test', now });
  const password = randomBytes(12).toString('base64url');
  await createUser(deps.store.db, { email: DEMO_EMAIL, password, role: 'owner', merchantId: merchant.id, now });
  return { merchantId: merchant.id, apiKey: key.apiKey, email: DEMO_EMAIL, password };
}

/** The banner shown once, on the terminal (not in the structured log). */
export function demoBanner(demo: DemoMerchant, url: string): string {
  const body = JSON.stringify({
    data: {
      id: 'demo-sale-1',
      type: 'sale',
      attributes: {
        payment_gateway: 'wechatpay_cn_domestic',
        payment_auth_key: '134567890123456789',
        amount: 1000,
        currency: 'CNY',
        description: 'Demo sale',
      },
    },
  });
  return [
    '',
    'Demo merchant created (test mode: payments go to the built-in simulators).',
    `  merchant: ${demo.merchantId}`,
    `  test API key (shown once): ${demo.apiKey}`,
    `  dashboard: ${url}/dashboard  e-mail: ${demo.email}  password (shown once): ${demo.password}`,
    '',
    'Try a sale:',
    `  curl -s -X POST ${url}/api/v2/transactions \\`,
    `    -H 'Authorization: Bearer ${demo.apiKey}' -H 'Content-Type: application/json' -H 'Prefer: wait=10' \\`,
    `    -d '${body}'`,
    '',
  ].join('\n');
}
