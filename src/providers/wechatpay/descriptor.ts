/** WeChat Pay: POS micropay, hosted-checkout Native QR, live credentials. */
import { choice, parsed, text } from '../credential-fields.js';
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import { WECHATPAY_LIVE_BASE_URL, WECHATPAY_SANDBOX_CREDENTIALS, type WeChatPayCredentials, createWeChatPayAdapter } from './adapter.js';
import { wechatPaySimulator } from './simulator.js';

export const wechatpay: ProviderServing<WeChatPayCredentials, 'wechatpay', 'pos' | 'online' | 'live'> = {
  name: 'wechatpay',
  label: { en: 'WeChat Pay', zh: '微信支付' },
  // Queries every 5–10 s for about 45 s.
  rules: { confirmWindowMs: 45_000, pollIntervalMs: 5_000, timeoutMs: 10_000 },
  refundPeriodOverCodes: ['TRADE_OVERDUE'],
  pos: {
    // WeChat Pay v2 accepts refunds up to a year after payment by default.
    gateways: [
      { code: 'wechatpay_cn_domestic', currencies: ['CNY'], partialRefunds: true, refundWindowMs: 365 * DAY_MS, region: 'CN' },
      {
        code: 'wechatpay_international',
        currencies: ['USD'],
        currencyChoices: SETTLEMENT_CURRENCIES,
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'INTL',
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createWeChatPayAdapter({ baseUrl: endpoint, credentials, timeoutMs }),
  },
  online: {
    methods: [
      {
        code: 'wechatpay',
        flow: 'qr',
        currencies: SETTLEMENT_CURRENCIES,
        cancellable: true,
        refundWindowMs: 365 * DAY_MS,
        label: { en: 'WeChat Pay', zh: '微信支付' },
        payQrVendor: true,
      },
    ],
    adapter: ({ endpoint, credentials, timeoutMs }) => createWeChatPayAdapter({ baseUrl: endpoint, credentials, timeoutMs }),
  },
  sandbox: {
    credentials: () => WECHATPAY_SANDBOX_CREDENTIALS,
    simulator: ({ ledger, wallet, confirmDelayMs, slowResponseMs }) =>
      wechatPaySimulator({ ledger, wallet, credentials: [WECHATPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs }),
  },
  live: {
    urlSetting: 'CANCAN_WECHATPAY_URL',
    defaultUrl: WECHATPAY_LIVE_BASE_URL,
    trimTrailingSlash: true,
    credentialFields: ['appId', 'mchId', 'apiKey', 'signType (MD5 | HMAC-SHA256)'],
    credentialsUsage: '{"appId","mchId","apiKey","signType":"MD5"|"HMAC-SHA256"}',
    parseCredentials(fields) {
      const problems: string[] = [];
      const value: WeChatPayCredentials = {
        appId: text(fields, 'appId', problems),
        mchId: text(fields, 'mchId', problems),
        apiKey: text(fields, 'apiKey', problems),
        signType: choice(fields, 'signType', ['MD5', 'HMAC-SHA256'] as const, 'MD5', problems),
      };
      return parsed(value, problems);
    },
  },
};
