/**
 * Which adapter serves a gateway or payment method for a key's mode: test
 * keys go to the simulators with the provider's sandbox credentials, live
 * keys to the provider's live URL with the merchant's own (sealed)
 * credentials. Each provider's descriptor says how its adapters are built.
 */
import type { Config } from '../config.js';
import type { KeyMode, SecretBox } from '../domain/secrets.js';
import type { Store } from '../store/db.js';
import { loadProviderCredentials } from '../store/credentials.js';
import type { Lookups } from '../store/lookups.js';
import type { PaymentMethod } from '../chop/methods.js';
import { simulatorPath } from '../simulators/register.js';
import { type GatewayProfile, ProviderCatalog } from './catalog.js';
import type { CardAdapter, OnlineAdapter, PosAdapter } from './contract.js';
import type { AdapterContext, AnyProviderDescriptor, ProviderList } from './descriptor.js';
import { PROVIDERS } from './list.js';
import { providerRules } from './registry.js';

export interface AdapterSource {
  /** The adapter for a gateway, or null when the mode cannot be served (live without credentials). */
  adapterFor(profile: GatewayProfile, mode: KeyMode, merchantId: string): Promise<PosAdapter | null>;
  /** Hosted checkout: the adapter for a wallet payment method (QR or redirect flow), or null as above. */
  onlineAdapterFor(method: PaymentMethod, mode: KeyMode, merchantId: string): Promise<OnlineAdapter | null>;
  /** Hosted checkout: the card acquirer, or null as above. */
  cardAdapterFor(mode: KeyMode, merchantId: string): Promise<CardAdapter | null>;
  /** Where and with which credentials a provider is called for a merchant's mode (notifications, statements); null as above. */
  contextFor(provider: string, mode: KeyMode, merchantId: string): Promise<AdapterContext<object> | null>;
}

export interface AdapterSourceOptions {
  readonly config: Config;
  readonly store: Store;
  readonly secrets: SecretBox;
  readonly simulatorUrl: () => string;
  /** The providers to serve (default: the real list). */
  readonly providers?: ProviderList;
  /** Keeps live contexts (decrypted, parsed credentials) until a credential changes; without it each call reads them. */
  readonly lookups?: Lookups;
}

export function createAdapterSource(options: AdapterSourceOptions): AdapterSource {
  const { config } = options;
  const catalog = new ProviderCatalog(options.providers ?? PROVIDERS);

  function descriptor(name: string): AnyProviderDescriptor {
    const found = catalog.provider(name);
    if (!found) throw new Error(`provider ${name} is not in the provider list`);
    return found;
  }

  /** Test mode: the simulator's endpoint and the sandbox credentials. */
  function sandboxContext(provider: AnyProviderDescriptor): AdapterContext<object> {
    const root = `${options.simulatorUrl()}${simulatorPath(provider.name)}`;
    return {
      endpoint: provider.sandbox.endpoint ? provider.sandbox.endpoint(root) : root,
      credentials: provider.sandbox.credentials(config.dataDir),
      timeoutMs: providerRules(provider.name, config).timeoutMs,
    };
  }

  /** Live mode: the live URL setting and the merchant's stored credentials; null when either is missing. */
  async function liveContext(provider: AnyProviderDescriptor, merchantId: string): Promise<AdapterContext<object> | null> {
    const { lookups } = options;
    if (!lookups) return loadLiveContext(provider, merchantId);
    // Callers outside a request (the worker, reconciliation) use it too: the check is here, not left to them.
    await lookups.refresh();
    return lookups.cache.get(`live:${provider.name}:${merchantId}`, () => loadLiveContext(provider, merchantId));
  }

  async function loadLiveContext(provider: AnyProviderDescriptor, merchantId: string): Promise<AdapterContext<object> | null> {
    const { live } = provider;
    if (!live) return null;
    const stored = await loadProviderCredentials(options.store.db, options.secrets, merchantId, provider.name);
    if (stored === null) return null;
    const parsed =
      typeof stored === 'object' && stored !== null && !Array.isArray(stored)
        ? live.parseCredentials(stored as Readonly<Record<string, unknown>>)
        : { ok: false as const, problems: ['credentials must be a JSON object'] };
    if (!parsed.ok) throw new Error(`stored ${provider.name} credentials of ${merchantId} are invalid: ${parsed.problems.join('; ')}`);
    return {
      endpoint: config.liveUrls[provider.name] ?? live.defaultUrl,
      credentials: parsed.value,
      timeoutMs: providerRules(provider.name, config).timeoutMs,
    };
  }

  // Test-mode adapters hold no merchant data, so one per gateway or method serves every merchant.
  const testPos = new Map<string, PosAdapter>();
  const testOnline = new Map<string, OnlineAdapter>();
  const testCard = new Map<string, CardAdapter>();

  function cached<A>(cache: Map<string, A>, key: string, build: () => A): A {
    let adapter = cache.get(key);
    if (!adapter) {
      adapter = build();
      cache.set(key, adapter);
    }
    return adapter;
  }

  return {
    async adapterFor(profile, mode, merchantId) {
      const provider = descriptor(profile.provider);
      const pos = provider.pos;
      if (!pos) throw new Error(`${profile.code} has no POS adapter`);
      if (mode === 'test') return cached(testPos, profile.code, () => pos.adapter({ ...sandboxContext(provider), gateway: profile }));
      const context = await liveContext(provider, merchantId);
      return context === null ? null : pos.adapter({ ...context, gateway: profile });
    },
    async onlineAdapterFor(method, mode, merchantId) {
      const provider = descriptor(method.provider);
      const online = provider.online;
      if (!online) throw new Error(`${method.code} has no online adapter`);
      if (mode === 'test') return cached(testOnline, method.code, () => online.adapter(sandboxContext(provider)));
      const context = await liveContext(provider, merchantId);
      return context === null ? null : online.adapter(context);
    },
    async contextFor(name, mode, merchantId) {
      const provider = descriptor(name);
      return mode === 'test' ? sandboxContext(provider) : liveContext(provider, merchantId);
    },
    async cardAdapterFor(mode, merchantId) {
      const provider = catalog.providers.find((p) => p.card !== undefined);
      const card = provider?.card;
      if (!provider || !card) return null;
      if (mode === 'test') return cached(testCard, provider.name, () => card.adapter(sandboxContext(provider)));
      const context = await liveContext(provider, merchantId);
      return context === null ? null : card.adapter(context);
    },
  };
}
