/** UnionPay online: hosted-checkout redirect to UnionPay's payment page. */
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import { type UnionPayCredentials, createUnionPayAdapter } from './adapter.js';
import { UNIONPAY_SANDBOX_MER_ID, loadOrCreateUnionPaySandboxKeys, unionPaySandboxCredentials } from './keys.js';
import { unionPaySimulator } from './simulator.js';

export const unionpay: ProviderServing<UnionPayCredentials, 'unionpay', 'online'> = {
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
      return unionPaySimulator({
        ledger,
        wallet,
        confirmDelayMs,
        merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: keys.merchant.publicKeyPem }],
        providerPrivateKeyPem: keys.unionPay.privateKeyPem,
      });
    },
  },
};
