/**
 * Which adapter serves a gateway for a key's mode: test keys go to the
 * simulators, live keys to the provider with the merchant's credentials.
 */
import type { KeyMode } from '../domain/secrets.js';
import type { PosAdapter, ProviderName } from './contract.js';
import type { GatewayProfile } from './registry.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from './wechatpay/adapter.js';

export interface AdapterSource {
  /** The adapter for a gateway and mode, or null when that mode cannot be served (no live credentials). */
  adapterFor(profile: GatewayProfile, mode: KeyMode): PosAdapter | null;
}

export function createAdapterSource(options: { providerTimeoutMs: number; simulatorBaseUrl: () => string }): AdapterSource {
  const testAdapters = new Map<ProviderName, PosAdapter>();
  const testAdapter = (provider: ProviderName): PosAdapter => {
    let adapter = testAdapters.get(provider);
    if (!adapter) {
      switch (provider) {
        case 'wechatpay':
          adapter = createWeChatPayAdapter({
            baseUrl: `${options.simulatorBaseUrl()}/_sim/wechatpay`,
            credentials: WECHATPAY_SANDBOX_CREDENTIALS,
            timeoutMs: options.providerTimeoutMs,
          });
          break;
        default: {
          const unreachable: never = provider;
          throw new Error(`no adapter for ${String(unreachable)}`);
        }
      }
      testAdapters.set(provider, adapter);
    }
    return adapter;
  };
  return {
    adapterFor(profile, mode) {
      // Live provider credentials are not stored yet: live keys cannot pay.
      if (mode === 'live') return null;
      return testAdapter(profile.provider);
    },
  };
}
