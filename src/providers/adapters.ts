/**
 * Which adapter serves a gateway for a key's mode: test keys go to the
 * simulators with built-in sandbox credentials, live keys to the provider
 * with the merchant's own (sealed) credentials.
 */
import type { Config } from '../config.js';
import type { KeyMode, SecretBox } from '../domain/secrets.js';
import type { Store } from '../store/db.js';
import { loadProviderCredentials } from '../store/credentials.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys } from './alipay/keys.js';
import { createAlipayAdapter } from './alipay/adapter.js';
import type { CardAdapter, OnlineAdapter, PosAdapter, PosProviderName } from './contract.js';
import type { PaymentMethod } from '../chop/methods.js';
import { type CredentialsByProvider, parseCredentials } from './credentials.js';
import { LINEPAY_SANDBOX_CREDENTIALS, createLinePayAdapter } from './linepay/adapter.js';
import { type GatewayProfile, providerRules } from './registry.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from './wechatpay/adapter.js';

export interface AdapterSource {
  /** The adapter for a gateway, or null when the mode cannot be served (live without credentials). */
  adapterFor(profile: GatewayProfile, mode: KeyMode, merchantId: string): Promise<PosAdapter | null>;
  /** Hosted checkout: the adapter for a wallet payment method (QR or redirect flow), or null as above. */
  onlineAdapterFor(method: PaymentMethod, mode: KeyMode, merchantId: string): Promise<OnlineAdapter | null>;
  /** Hosted checkout: the card acquirer, or null as above. */
  cardAdapterFor(mode: KeyMode, merchantId: string): Promise<CardAdapter | null>;
}

interface Endpoints {
  readonly wechatpay: string;
  readonly alipay: string;
  readonly linepay: string;
}

export function createAdapterSource(options: { config: Config; store: Store; secrets: SecretBox; simulatorBaseUrl: () => string }): AdapterSource {
  const { config } = options;
  const timeout = (provider: PosProviderName) => providerRules(provider, config).timeoutMs;

  function build<P extends PosProviderName>(provider: P, profile: GatewayProfile, endpoints: Endpoints, credentials: CredentialsByProvider[P]): PosAdapter {
    // Each case narrows `credentials` through the provider it was parsed for.
    const creds = credentials as CredentialsByProvider[PosProviderName];
    switch (provider) {
      case 'wechatpay':
        return createWeChatPayAdapter({ baseUrl: endpoints.wechatpay, credentials: creds as CredentialsByProvider['wechatpay'], timeoutMs: timeout('wechatpay') });
      case 'alipay':
        return createAlipayAdapter({ gatewayUrl: endpoints.alipay, credentials: creds as CredentialsByProvider['alipay'], timeoutMs: timeout('alipay') });
      case 'linepay':
        return createLinePayAdapter({
          baseUrl: endpoints.linepay,
          credentials: creds as CredentialsByProvider['linepay'],
          region: profile.region === 'TW' ? 'TW' : 'TH',
          timeoutMs: timeout('linepay'),
        });
      default:
        throw new Error(`no adapter for provider ${provider}`);
    }
  }

  const sandboxCredentials = (provider: PosProviderName): CredentialsByProvider[PosProviderName] => {
    switch (provider) {
      case 'wechatpay':
        return WECHATPAY_SANDBOX_CREDENTIALS;
      case 'alipay': {
        const keys = loadOrCreateAlipaySandboxKeys(config.dataDir);
        return { appId: ALIPAY_SANDBOX_APP_ID, appPrivateKeyPem: keys.app.privateKeyPem, alipayPublicKeyPem: keys.platform.publicKeyPem };
      }
      case 'linepay':
        return LINEPAY_SANDBOX_CREDENTIALS;
      default: {
        const unreachable: never = provider;
        throw new Error(`no sandbox credentials for ${String(unreachable)}`);
      }
    }
  };

  const testAdapters = new Map<string, PosAdapter>();
  return {
    async adapterFor(profile, mode, merchantId) {
      if (mode === 'test') {
        let adapter = testAdapters.get(profile.code);
        if (!adapter) {
          const base = config.simulatorUrl ?? options.simulatorBaseUrl();
          const endpoints = { wechatpay: `${base}/_sim/wechatpay`, alipay: `${base}/_sim/alipay/gateway.do`, linepay: `${base}/_sim/linepay` };
          adapter = build(profile.provider, profile, endpoints, sandboxCredentials(profile.provider));
          testAdapters.set(profile.code, adapter);
        }
        return adapter;
      }
      const stored = await loadProviderCredentials(options.store.db, options.secrets, merchantId, profile.provider);
      if (stored === null) return null;
      const parsed = parseCredentials(profile.provider, stored);
      if (!parsed.ok) throw new Error(`stored ${profile.provider} credentials of ${merchantId} are invalid: ${parsed.problems.join('; ')}`);
      return build(profile.provider, profile, config.liveUrls, parsed.value);
    },
  };
}
