/** LINE Pay: POS one-time-key payments in Thailand and Taiwan, live credentials. */
import { choice, parsed, text } from '../credential-fields.js';
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { LINEPAY_LIVE_BASE_URL, LINEPAY_SANDBOX_CREDENTIALS, type LinePayCredentials, createLinePayAdapter } from './adapter.js';
import { LINEPAY_WHOLE_UNIT_CURRENCIES } from './amount-rules.js';
import { linePaySimulator } from './simulator.js';

export const linepay: ProviderServing<LinePayCredentials, 'linepay', 'pos' | 'live'> = {
  name: 'linepay',
  label: { en: 'LINE Pay', zh: 'LINE Pay' },
  // Queries every 3–5 s, with a 20 s read timeout, for 60 s at a point of sale.
  rules: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 20_000 },
  pos: {
    // The refund period is set per merchant contract; the provider refuses late ones (1163).
    gateways: [
      { code: 'linepay_th_domestic', currencies: ['THB'], partialRefunds: true, refundWindowMs: 365 * DAY_MS, region: 'TH' },
      {
        code: 'linepay_tw_domestic',
        currencies: ['TWD'],
        wholeUnitCurrencies: LINEPAY_WHOLE_UNIT_CURRENCIES,
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'TW',
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs, gateway }) =>
      createLinePayAdapter({ baseUrl: endpoint, credentials, region: gateway.region === 'TW' ? 'TW' : 'TH', timeoutMs }),
  },
  sandbox: {
    credentials: () => LINEPAY_SANDBOX_CREDENTIALS,
    simulator: ({ ledger, confirmDelayMs, slowResponseMs }) =>
      linePaySimulator({ ledger, channels: [LINEPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs }),
  },
  live: {
    urlSetting: 'CANCAN_LINEPAY_URL',
    defaultUrl: LINEPAY_LIVE_BASE_URL,
    trimTrailingSlash: true,
    credentialFields: ['channelId', 'channelSecret', 'authScheme (v4 | v2)'],
    credentialsUsage: '{"channelId","channelSecret","authScheme":"v4"|"v2"}',
    parseCredentials(fields) {
      const problems: string[] = [];
      const value: LinePayCredentials = {
        channelId: text(fields, 'channelId', problems),
        channelSecret: text(fields, 'channelSecret', problems),
        authScheme: choice(fields, 'authScheme', ['v4', 'v2'] as const, 'v4', problems),
      };
      return parsed(value, problems);
    },
  },
};
