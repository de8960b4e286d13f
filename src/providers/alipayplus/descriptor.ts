/** Alipay+ (Antom): hosted-checkout QR for AlipayHK, DANA, GCash, Kakao Pay and JKOPAY; live credentials. */
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { ALIPAYPLUS_AMOUNT_RULES } from './amount-rules.js';
import { ALIPAYPLUS_LIVE_BASE_URL, type AlipayPlusCredentials, createAlipayPlusAdapter } from './adapter.js';
import { ALIPAYPLUS_CREDENTIAL_FIELDS, ALIPAYPLUS_CREDENTIALS_USAGE, parseAlipayPlusCredentials } from './credentials.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from './keys.js';
import { alipayPlusSimulator } from './simulator.js';
import { createAntomStatementSource } from './statement.js';

const YEAR = 365 * DAY_MS;

export const alipayplus: ProviderServing<AlipayPlusCredentials, 'alipayplus', 'online' | 'live'> = {
  name: 'alipayplus',
  label: { en: 'Alipay+', zh: 'Alipay+' },
  // Online payments wait for the shopper (the checkout expiry), so only the poll and timeout matter.
  rules: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 },
  refundPeriodOverCodes: ['REFUND_WINDOW_EXCEED'],
  online: {
    methods: [
      {
        code: 'alipay_hk',
        ...ALIPAYPLUS_AMOUNT_RULES.alipay_hk,
        flow: 'qr',
        currencies: ['HKD'],
        cancellable: false,
        refundWindowMs: YEAR,
        label: { en: 'AlipayHK', zh: '支付宝香港' },
        payQrVendor: true,
      },
      {
        code: 'dana',
        ...ALIPAYPLUS_AMOUNT_RULES.dana,
        flow: 'qr',
        currencies: ['IDR'],
        cancellable: false,
        refundWindowMs: YEAR,
        label: { en: 'DANA', zh: 'DANA' },
      },
      {
        code: 'gcash',
        ...ALIPAYPLUS_AMOUNT_RULES.gcash,
        flow: 'qr',
        currencies: ['PHP'],
        cancellable: false,
        refundWindowMs: YEAR,
        label: { en: 'GCash', zh: 'GCash' },
      },
      {
        code: 'kakaopay',
        ...ALIPAYPLUS_AMOUNT_RULES.kakaopay,
        flow: 'qr',
        currencies: ['KRW'],
        cancellable: false,
        refundWindowMs: YEAR,
        label: { en: 'Kakao Pay', zh: 'Kakao Pay' },
        payQrVendor: true,
      },
      {
        code: 'jkopay',
        ...ALIPAYPLUS_AMOUNT_RULES.jkopay,
        flow: 'qr',
        currencies: ['TWD'],
        cancellable: false,
        refundWindowMs: YEAR,
        label: { en: 'JKOPAY', zh: '街口支付' },
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createAlipayPlusAdapter({ baseUrl: endpoint, credentials, timeoutMs }),
  },
  sandbox: {
    credentials(dataDir) {
      const keys = loadOrCreateAlipayPlusSandboxKeys(dataDir);
      return { clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, providerPublicKeyPem: keys.provider.publicKeyPem };
    },
    simulator({ ledger, wallet, dataDir, confirmDelayMs, slowResponseMs }) {
      const keys = loadOrCreateAlipayPlusSandboxKeys(dataDir);
      return alipayPlusSimulator({
        ledger,
        wallet,
        confirmDelayMs,
        slowResponseMs,
        clients: [{ clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, publicKeyPem: keys.merchant.publicKeyPem }],
        providerPrivateKeyPem: keys.provider.privateKeyPem,
      });
    },
  },
  // Antom's settlement details report (over HTTP from the simulator; live Antom publishes it over SFTP only: statement.ts).
  statements: createAntomStatementSource(),
  live: {
    urlSetting: 'CANCAN_ALIPAYPLUS_URL',
    // Antom's Asia host (API overview, "Environment"); North America and Europe merchants set their own.
    defaultUrl: ALIPAYPLUS_LIVE_BASE_URL,
    trimTrailingSlash: true,
    credentialFields: ALIPAYPLUS_CREDENTIAL_FIELDS,
    credentialsUsage: ALIPAYPLUS_CREDENTIALS_USAGE,
    parseCredentials: parseAlipayPlusCredentials,
  },
};
