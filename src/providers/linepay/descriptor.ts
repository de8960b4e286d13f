/** LINE Pay: POS one-time-key payments in Thailand and Taiwan, live credentials. */
import { choice, parsed, text, type Fields } from '../credential-fields.js';
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { LINEPAY_LIVE_BASE_URL, LINEPAY_SANDBOX_CREDENTIALS, type LinePayCredentials, createLinePayAdapter } from './adapter.js';
import { LINEPAY_WHOLE_UNIT_CURRENCIES } from './amount-rules.js';
import { linePaySimulator } from './simulator.js';
import { LINEPAY_ONE_TIME_KEY_SHAPES } from './transformers.js';
import { LINEPAY_API_VERSIONS } from './version.js';

/** The device headers' values: both or neither (LINE Pay documents them as a pair), printable ASCII. */
function deviceFields(fields: Fields, problems: string[]): Pick<LinePayCredentials, 'merchantDeviceProfileId' | 'merchantDeviceType'> {
  const profileId = fields['merchantDeviceProfileId'];
  const type = fields['merchantDeviceType'];
  if (profileId === undefined && type === undefined) return {};
  const headerValue = (value: unknown): value is string => typeof value === 'string' && /^[\x21-\x7e](?:[\x20-\x7e]{0,98}[\x21-\x7e])?$/.test(value);
  if (!headerValue(profileId) || !headerValue(type)) {
    problems.push('merchantDeviceProfileId and merchantDeviceType go together: both printable ASCII, at most 100 characters');
    return {};
  }
  return { merchantDeviceProfileId: profileId, merchantDeviceType: type };
}

export const linepay: ProviderServing<LinePayCredentials, 'linepay', 'pos' | 'live'> = {
  name: 'linepay',
  label: { en: 'LINE Pay', zh: 'LINE Pay' },
  // Queries every 3–5 s for 60 s at a point of sale; the pay call's read timeout is "at least 40 s"
  // (Offline API, "Payment request"); CANCAN_LINEPAY_TIMEOUT_MS sets it.
  rules: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 40_000 },
  pos: {
    // The refund period is set per merchant contract; the provider refuses late ones (1163).
    gateways: [
      {
        code: 'linepay_th_domestic',
        currencies: ['THB'],
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'TH',
        authCodeShape: LINEPAY_ONE_TIME_KEY_SHAPES.TH,
      },
      {
        code: 'linepay_tw_domestic',
        currencies: ['TWD'],
        wholeUnitCurrencies: LINEPAY_WHOLE_UNIT_CURRENCIES,
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'TW',
        authCodeShape: LINEPAY_ONE_TIME_KEY_SHAPES.TW,
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
    credentialFields: [
      'channelId',
      'channelSecret',
      'authScheme (Offline API version: v4 | v2)',
      'merchantDeviceProfileId (optional)',
      'merchantDeviceType (optional)',
    ],
    credentialsUsage: '{"channelId","channelSecret","authScheme":"v4"|"v2","merchantDeviceProfileId"?,"merchantDeviceType"?}',
    parseCredentials(fields) {
      const problems: string[] = [];
      const device = deviceFields(fields, problems);
      const value: LinePayCredentials = {
        channelId: text(fields, 'channelId', problems),
        channelSecret: text(fields, 'channelSecret', problems),
        // The API version; credentials stored before versions were whole say v4 or v2 and read the same.
        authScheme: choice(fields, 'authScheme', LINEPAY_API_VERSIONS, 'v4', problems),
        ...device,
      };
      return parsed(value, problems);
    },
  },
};
