/** Alipay: POS barcode pay, hosted-checkout precreated QR, live credentials. */
import { parsed, text } from '../credential-fields.js';
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import { ALIPAY_LIVE_GATEWAY_URL, type AlipayCredentials, createAlipayAdapter } from './adapter.js';
import { ALIPAY_SANDBOX_APP_ID, alipaySandboxCredentials, loadOrCreateAlipaySandboxKeys } from './keys.js';
import { alipayNotifications } from './notifications.js';
import { alipaySimulator } from './simulator.js';
import { ALIPAY_AUTH_CODE_SHAPE } from './transformers.js';
import { alipayStatements } from './statement.js';

export const alipay: ProviderServing<AlipayCredentials, 'alipay', 'pos' | 'online' | 'live'> = {
  name: 'alipay',
  label: { en: 'Alipay', zh: '支付宝' },
  // Queries every 3–6 s for about 60 s.
  rules: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 },
  refundPeriodOverCodes: ['ACQ.TRADE_HAS_FINISHED'],
  pos: {
    // Alipay accepts refunds up to a year after payment by default.
    gateways: [
      {
        code: 'alipay_cn_domestic',
        currencies: ['CNY'],
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'CN',
        authCodeShape: ALIPAY_AUTH_CODE_SHAPE,
      },
      {
        code: 'alipay_international',
        currencies: ['USD'],
        currencyChoices: SETTLEMENT_CURRENCIES,
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'INTL',
        authCodeShape: ALIPAY_AUTH_CODE_SHAPE,
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createAlipayAdapter({ gatewayUrl: endpoint, credentials, timeoutMs }),
  },
  online: {
    methods: [
      {
        code: 'alipay',
        flow: 'qr',
        currencies: SETTLEMENT_CURRENCIES,
        cancellable: true,
        refundWindowMs: 365 * DAY_MS,
        label: { en: 'Alipay', zh: '支付宝' },
        payQrVendor: true,
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createAlipayAdapter({ gatewayUrl: endpoint, credentials, timeoutMs }),
  },
  sandbox: {
    credentials: (dataDir) => alipaySandboxCredentials(loadOrCreateAlipaySandboxKeys(dataDir)),
    // The gateway URL names the file every call is posted to.
    endpoint: (simulatorRoot) => `${simulatorRoot}/gateway.do`,
    simulator({ ledger, wallet, dataDir, confirmDelayMs, slowResponseMs, notifier }) {
      const keys = loadOrCreateAlipaySandboxKeys(dataDir);
      return alipaySimulator({
        ledger,
        wallet,
        apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: keys.app.publicKeyPem }],
        platformPrivateKeyPem: keys.platform.privateKeyPem,
        confirmDelayMs,
        slowResponseMs,
        notifier,
      });
    },
  },
  statements: alipayStatements,
  notifications: alipayNotifications,
  live: {
    urlSetting: 'CANCAN_ALIPAY_URL',
    defaultUrl: ALIPAY_LIVE_GATEWAY_URL,
    trimTrailingSlash: false,
    credentialFields: ['appId', 'appPrivateKeyPem', 'alipayPublicKeyPem'],
    credentialsUsage: '{"appId","appPrivateKeyPem","alipayPublicKeyPem"}',
    parseCredentials(fields) {
      const problems: string[] = [];
      const value: AlipayCredentials = {
        appId: text(fields, 'appId', problems),
        appPrivateKeyPem: text(fields, 'appPrivateKeyPem', problems),
        alipayPublicKeyPem: text(fields, 'alipayPublicKeyPem', problems),
      };
      for (const pem of ['appPrivateKeyPem', 'alipayPublicKeyPem']) {
        if (typeof fields[pem] === 'string' && !String(fields[pem]).includes('-----BEGIN')) problems.push(`${pem} must be a PEM key`);
      }
      return parsed(value, problems);
    },
  },
};
