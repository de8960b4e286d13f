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

/** The provider's own rules (its descriptor), overridden by the settings where set (LINE Pay's own timeout setting first). */
export function providerRules(
  provider: string,
  config: Pick<Config, 'confirmWindowMs' | 'pollIntervalMs' | 'providerTimeoutMs'> & Partial<Pick<Config, 'linePayTimeoutMs'>>,
): ProviderRules {
  const rules = providerCatalog().rules(provider);
  const ownTimeoutMs = provider === 'linepay' ? (config.linePayTimeoutMs ?? null) : null;
  return {
    confirmWindowMs: config.confirmWindowMs ?? rules.confirmWindowMs,
    pollIntervalMs: config.pollIntervalMs ?? rules.pollIntervalMs,
    timeoutMs: ownTimeoutMs ?? config.providerTimeoutMs ?? rules.timeoutMs,
  };
}
