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

export interface StartFacts {
  /** Where clients reach the server (CANCAN_PUBLIC_URL, else the listening address). */
  readonly url: string;
  readonly role: string;
  /** The database, without credentials: "SQLite in ./data" or "PostgreSQL". */
  readonly database: string;
  readonly simulators: boolean;
  /** The demo merchant's id, when it exists: the key command can then be pasted as is. */
  readonly demoMerchantId: string | null;
}

/** The demo merchant's id (the merchant of the demo owner), or null once it is gone or was never made. */
export async function demoMerchantId(deps: CoreDeps): Promise<string | null> {
  const row = await deps.store.db.selectFrom('users').select('merchant_id').where('email', '=', DEMO_EMAIL).executeTakeFirst();
  return row?.merchant_id ?? null;
}

/** The short banner printed at every start on a terminal: where things are and how to get a key. */
export function startBanner(facts: StartFacts): string {
  const merchant = facts.demoMerchantId ?? '<merchant id from `npm run -s cancan -- merchant list`>';
  return [
    '',
    `CanCan is running (role ${facts.role}, ${facts.database}, simulators ${facts.simulators ? 'on' : 'off'})`,
    `  POS API     ${facts.url}/api/v2/transactions`,
    `  Checkout    ${facts.url}/chop/chop`,
    `  Dashboard   ${facts.url}/dashboard`,
    `  API docs    ${facts.url}/docs`,
    `  API key     dashboard > Developers > Create key, or: npm run -s cancan -- key create --merchant ${merchant} --mode test`,
    '  Stop        Ctrl-C',
    '',
  ].join('\n');
}
