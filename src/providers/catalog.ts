/**
 * Lookups over a provider list: gateway code → profile, payment method code →
 * method, provider name → descriptor and rules. The app installs its list at
 * start (the real one unless a test gives another); the module functions in
 * registry.ts and chop/methods.ts answer from the installed catalog.
 */
import type { AnyProviderDescriptor, GatewayDefinition, PaymentMethodDefinition, ProviderList, ProviderRules } from './descriptor.js';
import { PROVIDERS } from './list.js';

export interface GatewayProfile extends GatewayDefinition {
  readonly provider: string;
}

export interface PaymentMethod extends PaymentMethodDefinition {
  readonly provider: string;
}

export class ProviderCatalog {
  readonly providers: ProviderList;
  readonly gateways: readonly GatewayProfile[];
  readonly methods: readonly PaymentMethod[];

  constructor(providers: ProviderList) {
    const names = providers.map((p) => p.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new Error(`provider ${duplicate} is listed twice`);
    this.providers = providers;
    this.gateways = providers.flatMap((p) => (p.pos?.gateways ?? []).map((g) => ({ ...g, provider: p.name })));
    this.methods = providers.flatMap((p) => [...(p.online?.methods ?? []), ...(p.card?.methods ?? [])].map((m) => ({ ...m, provider: p.name })));
    const codes = [...this.gateways.map((g) => g.code), ...this.methods.map((m) => m.code)];
    // Merchants enable gateways and payment methods in one list, so a code must name one thing.
    const taken = codes.find((code, index) => codes.indexOf(code) !== index);
    if (taken !== undefined) throw new Error(`code ${taken} is listed twice`);
  }

  provider(name: string): AnyProviderDescriptor | undefined {
    return this.providers.find((p) => p.name === name);
  }

  gateway(code: string): GatewayProfile | undefined {
    return this.gateways.find((g) => g.code === code);
  }

  method(code: string): PaymentMethod | undefined {
    return this.methods.find((m) => m.code === code);
  }

  /** The provider's rules; a provider not in the list has none (a programming error). */
  rules(name: string): ProviderRules {
    const provider = this.provider(name);
    if (!provider) throw new Error(`provider ${name} is not in the provider list`);
    return provider.rules;
  }

  /** Providers live keys can use, with their live access. */
  liveProviders(): Array<AnyProviderDescriptor & { readonly live: NonNullable<AnyProviderDescriptor['live']> }> {
    return this.providers.flatMap((p) => (p.live ? [{ ...p, live: p.live }] : []));
  }
}

let installed = new ProviderCatalog(PROVIDERS);

/** The catalog of the installed provider list (the real list until an app installs another). */
export const providerCatalog = (): ProviderCatalog => installed;

/** Makes `providers` the list every lookup answers from. */
export function installProviders(providers: ProviderList): ProviderCatalog {
  if (installed.providers !== providers) installed = new ProviderCatalog(providers);
  return installed;
}
