/** Gateway codes (the POS API's `payment_gateway`) → provider and profile, and each provider's timing rules. */
import type { Config } from '../config.js';
import { type GatewayProfile, providerCatalog } from './catalog.js';
import type { ProviderRules } from './descriptor.js';

export type { GatewayProfile } from './catalog.js';
export type { ProviderRules } from './descriptor.js';

export function gatewayProfile(code: string): GatewayProfile | undefined {
  return providerCatalog().gateway(code);
}

export function gatewayCodes(): string[] {
  return providerCatalog().gateways.map((g) => g.code);
}

/** When a sale's order may be reversed at the earliest: its pay call plus the provider's wait (at once without one). */
export function reversibleFrom(rules: ProviderRules, sale: { readonly provider_sent_at: number | null }, now: number): number {
  if (rules.reverseNotBeforeMs === undefined || sale.provider_sent_at === null) return now;
  return Math.max(now, Number(sale.provider_sent_at) + rules.reverseNotBeforeMs);
}

/** Whether the provider still reverses this sale's order (else it must be refunded). */
export function withinReverseWindow(rules: ProviderRules, sale: { readonly provider_sent_at: number | null }, now: number): boolean {
  return rules.reverseWindowMs === undefined || sale.provider_sent_at === null || now - Number(sale.provider_sent_at) <= rules.reverseWindowMs;
}

/** The provider's own rules (its descriptor), overridden by the settings where set (LINE Pay's own timeout setting first). */
export function providerRules(
  provider: string,
  config: Pick<Config, 'confirmWindowMs' | 'pollIntervalMs' | 'providerTimeoutMs'> & Partial<Pick<Config, 'linePayTimeoutMs'>>,
): ProviderRules {
  const rules = providerCatalog().rules(provider);
  const confirmWindowMs = config.confirmWindowMs ?? rules.confirmWindowMs;
  const ownTimeoutMs = provider === 'linepay' ? (config.linePayTimeoutMs ?? null) : null;
  return {
    ...rules,
    confirmWindowMs,
    pollIntervalMs: config.pollIntervalMs ?? rules.pollIntervalMs,
    timeoutMs: ownTimeoutMs ?? config.providerTimeoutMs ?? rules.timeoutMs,
    // A reversal never waits past the confirmation window (a shorter window setting shortens the wait too).
    ...(rules.reverseNotBeforeMs !== undefined ? { reverseNotBeforeMs: Math.min(rules.reverseNotBeforeMs, confirmWindowMs) } : {}),
  };
}
