/** Gateway codes (the POS API's `payment_gateway`) → provider and profile. */
import type { CurrencyCode } from '../domain/money.js';
import type { ProviderName } from './contract.js';

export interface GatewayProfile {
  readonly code: string;
  readonly provider: ProviderName;
  readonly currencies: readonly CurrencyCode[];
  readonly partialRefunds: boolean;
  /** How long after payment the provider accepts refunds. */
  readonly refundWindowMs: number;
}

const DAY = 86_400_000;

const GATEWAYS: readonly GatewayProfile[] = [
  // WeChat Pay v2 accepts refunds up to one year after payment.
  { code: 'wechatpay_cn_domestic', provider: 'wechatpay', currencies: ['CNY'], partialRefunds: true, refundWindowMs: 365 * DAY },
  { code: 'wechatpay_international', provider: 'wechatpay', currencies: ['USD'], partialRefunds: true, refundWindowMs: 365 * DAY },
];

export function gatewayProfile(code: string): GatewayProfile | undefined {
  return GATEWAYS.find((g) => g.code === code);
}

export function gatewayCodes(): string[] {
  return GATEWAYS.map((g) => g.code);
}
