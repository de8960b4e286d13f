/** WeChat Pay: POS micropay, hosted-checkout Native QR, live credentials. */
import { DAY_MS, type ProviderServing } from '../descriptor.js';
import { SETTLEMENT_CURRENCIES } from '../settlement.js';
import { WECHATPAY_LIVE_BASE_URL, WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from './adapter.js';
import type { AdapterContext } from '../descriptor.js';
import { WECHATPAY_CREDENTIAL_FIELDS, WECHATPAY_CREDENTIALS_USAGE, liveBaseUrl, parseWeChatPayCredentials, type WeChatPayCredentials } from './credentials.js';
import { wechatPayNotifications } from './notifications.js';
import { wechatPaySimulator } from './simulator.js';
import { WECHAT_AUTH_CODE_SHAPE } from './transformers.js';
import { wechatPayStatements } from './statement.js';

export const wechatpay: ProviderServing<WeChatPayCredentials, 'wechatpay', 'pos' | 'online' | 'live'> = {
  name: 'wechatpay',
  label: { en: 'WeChat Pay', zh: '微信支付' },
  // Queries every 5–10 s for about 45 s. Reverse ("撤销订单"): not sooner than 15 s after the micropay,
  // and only within 7 days of it; later a payment is refunded.
  rules: { confirmWindowMs: 45_000, pollIntervalMs: 5_000, timeoutMs: 10_000, reverseNotBeforeMs: 15_000, reverseWindowMs: 7 * DAY_MS },
  refundPeriodOverCodes: ['TRADE_OVERDUE'],
  pos: {
    // WeChat Pay v2 accepts refunds up to a year after payment by default.
    gateways: [
      {
        code: 'wechatpay_cn_domestic',
        currencies: ['CNY'],
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'CN',
        authCodeShape: WECHAT_AUTH_CODE_SHAPE,
      },
      {
        code: 'wechatpay_international',
        currencies: ['USD'],
        currencyChoices: SETTLEMENT_CURRENCIES,
        partialRefunds: true,
        refundWindowMs: 365 * DAY_MS,
        region: 'INTL',
        authCodeShape: WECHAT_AUTH_CODE_SHAPE,
      },
    ],
    adapter: (context) => adapterOf(context),
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
    adapter: (context) => adapterOf(context),
  },
  sandbox: {
    credentials: () => WECHATPAY_SANDBOX_CREDENTIALS,
    simulator: ({ ledger, wallet, confirmDelayMs, slowResponseMs, notifier }) =>
      wechatPaySimulator({ ledger, wallet, credentials: [WECHATPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs, notifier }),
  },
  statements: wechatPayStatements,
  notifications: wechatPayNotifications,
  live: {
    urlSetting: 'CANCAN_WECHATPAY_URL',
    defaultUrl: WECHATPAY_LIVE_BASE_URL,
    trimTrailingSlash: true,
    credentialFields: WECHATPAY_CREDENTIAL_FIELDS,
    credentialsUsage: WECHATPAY_CREDENTIALS_USAGE,
    parseCredentials: (fields) => parseWeChatPayCredentials(fields),
  },
};

/** Live merchants go to their regional host unless CANCAN_WECHATPAY_URL points elsewhere. */
function adapterOf({ endpoint, credentials, timeoutMs }: AdapterContext<WeChatPayCredentials>) {
  return createWeChatPayAdapter({ baseUrl: liveBaseUrl(endpoint, WECHATPAY_LIVE_BASE_URL, credentials), credentials, timeoutMs });
}
