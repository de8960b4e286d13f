/** A provider that exists only in the test tree, to show what adding one takes: this folder and one line in a list. */
import { DAY_MS, type ProviderServing } from '../../../src/providers/descriptor.js';
import { THROWAWAY_SANDBOX_CREDENTIALS, type ThrowawayCredentials, createThrowawayAdapter } from './adapter.js';
import { throwawaySimulator } from './simulator.js';

export const throwaway: ProviderServing<ThrowawayCredentials, 'throwaway', 'pos' | 'online'> = {
  name: 'throwaway',
  label: { en: 'Throwaway Pay', zh: '一次性支付' },
  rules: { confirmWindowMs: 10_000, pollIntervalMs: 1_000, timeoutMs: 5_000 },
  pos: {
    gateways: [{ code: 'throwaway_domestic', currencies: ['USD'], partialRefunds: true, refundWindowMs: 30 * DAY_MS, region: 'INTL' }],
    adapter: ({ endpoint, credentials, timeoutMs }) => createThrowawayAdapter({ endpoint, credentials, timeoutMs }),
  },
  online: {
    methods: [
      {
        code: 'throwaway_qr',
        flow: 'qr',
        currencies: ['USD'],
        cancellable: false,
        refundWindowMs: 30 * DAY_MS,
        label: { en: 'Throwaway Pay', zh: '一次性支付' },
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createThrowawayAdapter({ endpoint, credentials, timeoutMs }),
  },
  sandbox: {
    credentials: () => THROWAWAY_SANDBOX_CREDENTIALS,
    simulator: () => throwawaySimulator(),
  },
};
