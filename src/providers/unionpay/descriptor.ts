/** UnionPay online: hosted-checkout redirect to UnionPay's payment page; live credentials (certificates). */
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import { UNIONPAY_LIVE_BASE_URL, type UnionPayCredentials, createUnionPayAdapter } from './adapter.js';
import { UNIONPAY_LIVE_CREDENTIALS_USAGE, UNIONPAY_LIVE_CREDENTIAL_FIELDS, parseUnionPayLiveCredentials } from './credentials.js';
import { UNIONPAY_SANDBOX_MER_ID, loadOrCreateUnionPaySandboxKeys, loadUnionPaySimulatorCert, unionPaySandboxCredentials } from './keys.js';
import { unionPaySimulator } from './simulator.js';
import { createUnionPayStatementSource } from './statement.js';

export const unionpay: ProviderServing<UnionPayCredentials, 'unionpay', 'online' | 'live'> = {
  name: 'unionpay',
  label: { en: 'UnionPay', zh: '银联' },
  rules: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 },
  online: {
    methods: [
      {
        code: 'upop',
        flow: 'redirect',
        currencies: SETTLEMENT_CURRENCIES,
        cancellable: false,
        refundWindowMs: 365 * DAY_MS,
        label: { en: 'UnionPay', zh: '银联' },
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createUnionPayAdapter({ baseUrl: endpoint, credentials, timeoutMs }),
  },
  sandbox: {
    credentials: (dataDir) => unionPaySandboxCredentials(loadOrCreateUnionPaySandboxKeys(dataDir)),
    simulator({ ledger, wallet, dataDir, confirmDelayMs }) {
      const keys = loadOrCreateUnionPaySandboxKeys(dataDir);
      const signingCert = loadUnionPaySimulatorCert(dataDir, keys);
      return unionPaySimulator({
        ledger,
        wallet,
        confirmDelayMs,
        merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
        providerPrivateKeyPem: keys.unionPay.privateKeyPem,
        ...(signingCert === null ? {} : { providerSigningCertPem: signingCert }),
      });
    },
  },
  // The file transfer interface's general transaction file (ZM).
  statements: createUnionPayStatementSource(),
  live: {
    urlSetting: 'CANCAN_UNIONPAY_URL',
    defaultUrl: UNIONPAY_LIVE_BASE_URL,
    trimTrailingSlash: true,
    credentialFields: UNIONPAY_LIVE_CREDENTIAL_FIELDS,
    credentialsUsage: UNIONPAY_LIVE_CREDENTIALS_USAGE,
    parseCredentials: parseUnionPayLiveCredentials,
  },
};
