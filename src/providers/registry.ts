/** Gateway codes (the POS API's `payment_gateway`) → provider, profile and the provider's timing rules. */
import type { Config } from '../config.js';
import type { CurrencyCode } from '../domain/money.js';
import type { PosProviderName, ProviderName } from './contract.js';

export interface GatewayProfile {
  readonly code: string;
  readonly provider: PosProviderName;
  readonly currencies: readonly CurrencyCode[];
  readonly partialRefunds: boolean;
  /** How long after payment the provider accepts refunds. */
  readonly refundWindowMs: number;
  /** LINE Pay's one-time keys differ by region (TH 12 digits, TW 18). */
  readonly region: 'CN' | 'INTL' | 'TH' | 'TW';
}

const DAY = 86_400_000;

const GATEWAYS: readonly GatewayProfile[] = [
  // WeChat Pay v2 and Alipay accept refunds up to a year after payment by default.
  { code: 'wechatpay_cn_domestic', provider: 'wechatpay', currencies: ['CNY'], partialRefunds: true, refundWindowMs: 365 * DAY, region: 'CN' },
  { code: 'wechatpay_international', provider: 'wechatpay', currencies: ['USD'], partialRefunds: true, refundWindowMs: 365 * DAY, region: 'INTL' },
  { code: 'alipay_cn_domestic', provider: 'alipay', currencies: ['CNY'], partialRefunds: true, refundWindowMs: 365 * DAY, region: 'CN' },
  { code: 'alipay_international', provider: 'alipay', currencies: ['USD'], partialRefunds: true, refundWindowMs: 365 * DAY, region: 'INTL' },
  // LINE Pay's refund period is set per merchant contract; the provider refuses late ones (1163).
  { code: 'linepay_th_domestic', provider: 'linepay', currencies: ['THB'], partialRefunds: true, refundWindowMs: 365 * DAY, region: 'TH' },
  { code: 'linepay_tw_domestic', provider: 'linepay', currencies: ['TWD'], partialRefunds: true, refundWindowMs: 365 * DAY, region: 'TW' },
];

export function gatewayProfile(code: string): GatewayProfile | undefined {
  return GATEWAYS.find((g) => g.code === code);
}

export function gatewayCodes(): string[] {
  return GATEWAYS.map((g) => g.code);
}

export interface ProviderRules {
  /** Query until this long after the pay call, then reverse. */
  readonly confirmWindowMs: number;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
}

/**
 * The providers' documented rules (docs/providers.md, "Timing rules"): WeChat Pay queries every
 * 5–10 s for ~45 s; Alipay every 3–6 s for ~60 s; LINE Pay every 3–5 s, with a
 * 20 s read timeout, for 60 s at a point of sale.
 */
const RULES: Record<ProviderName, ProviderRules> = {
  wechatpay: { confirmWindowMs: 45_000, pollIntervalMs: 5_000, timeoutMs: 10_000 },
  alipay: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 },
  linepay: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 20_000 },
  // Online payments wait for the shopper (the checkout expiry), so only the poll and timeout matter.
  alipayplus: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 },
  unionpay: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 },
  // Card authorisations can take long at the issuer; Converge advises generous read timeouts.
  card: { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 30_000 },
};

export function providerRules(provider: ProviderName, config: Pick<Config, 'confirmWindowMs' | 'pollIntervalMs' | 'providerTimeoutMs'>): ProviderRules {
  const rules = RULES[provider];
  return {
    confirmWindowMs: config.confirmWindowMs ?? rules.confirmWindowMs,
    pollIntervalMs: config.pollIntervalMs ?? rules.pollIntervalMs,
    timeoutMs: config.providerTimeoutMs ?? rules.timeoutMs,
  };
}
