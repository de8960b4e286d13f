/**
 * Which adapter serves a gateway for a key's mode: test keys go to the
 * simulators with built-in sandbox credentials, live keys to the provider
 * with the merchant's own (sealed) credentials.
 */
import type { Config } from '../config.js';
import type { KeyMode, SecretBox } from '../domain/secrets.js';
import type { Store } from '../store/db.js';
import { loadProviderCredentials } from '../store/credentials.js';
import { alipaySandboxCredentials, loadOrCreateAlipaySandboxKeys } from './alipay/keys.js';
import { createAlipayAdapter } from './alipay/adapter.js';
import type { CardAdapter, OnlineAdapter, PosAdapter, PosProviderName } from './contract.js';
import type { PaymentMethod } from '../chop/methods.js';
import { type CredentialsByProvider, parseCredentials } from './credentials.js';
import { LINEPAY_SANDBOX_CREDENTIALS, createLinePayAdapter } from './linepay/adapter.js';
import { type GatewayProfile, providerRules } from './registry.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from './wechatpay/adapter.js';
import { createAlipayPlusAdapter } from './alipayplus/adapter.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from './alipayplus/keys.js';
import { CARD_SANDBOX_CREDENTIALS, createCardAdapter } from './card/adapter.js';
import { createUnionPayAdapter } from './unionpay/adapter.js';
import { loadOrCreateUnionPaySandboxKeys, unionPaySandboxCredentials } from './unionpay/keys.js';

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

export function createAdapterSource(options: { config: Config; store: Store; secrets: SecretBox; simulatorUrl: () => string }): AdapterSource {
  const { config } = options;
  const timeout = (provider: PosProviderName) => providerRules(provider, config).timeoutMs;

  function build<P extends PosProviderName>(provider: P, profile: GatewayProfile, endpoints: Endpoints, credentials: CredentialsByProvider[P]): PosAdapter {
    // Each case narrows `credentials` through the provider it was parsed for.
    const creds = credentials;
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
      case 'alipay':
        return alipaySandboxCredentials(loadOrCreateAlipaySandboxKeys(config.dataDir));
      case 'linepay':
        return LINEPAY_SANDBOX_CREDENTIALS;
      default: {
        const unreachable: never = provider;
        throw new Error(`no sandbox credentials for ${String(unreachable)}`);
      }
    }
  };

  /** A merchant's live credentials for a provider, or null when none are stored. */
  async function storedCredentials<P extends PosProviderName>(provider: P, merchantId: string): Promise<CredentialsByProvider[P] | null> {
    const stored = await loadProviderCredentials(options.store.db, options.secrets, merchantId, provider);
    if (stored === null) return null;
    const parsed = parseCredentials(provider, stored);
    if (!parsed.ok) throw new Error(`stored ${provider} credentials of ${merchantId} are invalid: ${parsed.problems.join('; ')}`);
    return parsed.value;
  }

  const testAdapters = new Map<string, PosAdapter>();
  const simulatorBase = options.simulatorUrl;
  const testOnline = new Map<string, OnlineAdapter>();
  // UnionPay queries name an order by its orderId and the txnTime it was sent with.
  const unionPayTxnTimes = new Map<string, string>();

  function sandboxOnline(method: PaymentMethod): OnlineAdapter {
    const base = simulatorBase();
    switch (method.provider) {
      case 'wechatpay':
        return createWeChatPayAdapter({ baseUrl: `${base}/_sim/wechatpay`, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: timeout('wechatpay') });
      case 'alipay':
        return createAlipayAdapter({
          gatewayUrl: `${base}/_sim/alipay/gateway.do`, timeoutMs: timeout('alipay'),
          credentials: alipaySandboxCredentials(loadOrCreateAlipaySandboxKeys(config.dataDir)),
        });
      case 'alipayplus': {
        const keys = loadOrCreateAlipayPlusSandboxKeys(config.dataDir);
        return createAlipayPlusAdapter({
          baseUrl: `${base}/_sim/alipayplus`, timeoutMs: providerRules('alipayplus', config).timeoutMs,
          credentials: { clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, merchantPrivateKeyPem: keys.merchant.privateKeyPem, providerPublicKeyPem: keys.provider.publicKeyPem },
        });
      }
      case 'unionpay':
        return createUnionPayAdapter({
          baseUrl: `${base}/_sim/unionpay`, timeoutMs: providerRules('unionpay', config).timeoutMs,
          credentials: unionPaySandboxCredentials(loadOrCreateUnionPaySandboxKeys(config.dataDir)), txnTimes: unionPayTxnTimes,
        });
      default:
        throw new Error(`${method.code} has no online adapter`);
    }
  }

  let testCard: CardAdapter | null = null;
  return {
    async onlineAdapterFor(method, mode, merchantId) {
      if (mode === 'test') {
        let adapter = testOnline.get(method.code);
        if (!adapter) {
          adapter = sandboxOnline(method);
          testOnline.set(method.code, adapter);
        }
        return adapter;
      }
      // Live: WeChat Pay and Alipay use the merchant's stored credentials; the other providers have no credential store yet.
      if (method.provider === 'wechatpay') {
        const credentials = await storedCredentials('wechatpay', merchantId);
        return credentials === null ? null : createWeChatPayAdapter({ baseUrl: config.liveUrls.wechatpay, credentials, timeoutMs: timeout('wechatpay') });
      }
      if (method.provider === 'alipay') {
        const credentials = await storedCredentials('alipay', merchantId);
        return credentials === null ? null : createAlipayAdapter({ gatewayUrl: config.liveUrls.alipay, credentials, timeoutMs: timeout('alipay') });
      }
      return null;
    },
    async cardAdapterFor(mode) {
      if (mode !== 'test') return null;
      testCard ??= createCardAdapter({ baseUrl: `${simulatorBase()}/_sim/card`, credentials: CARD_SANDBOX_CREDENTIALS, timeoutMs: providerRules('card', config).timeoutMs });
      return testCard;
    },
    async adapterFor(profile, mode, merchantId) {
      if (mode === 'test') {
        let adapter = testAdapters.get(profile.code);
        if (!adapter) {
          const base = simulatorBase();
          const endpoints = { wechatpay: `${base}/_sim/wechatpay`, alipay: `${base}/_sim/alipay/gateway.do`, linepay: `${base}/_sim/linepay` };
          adapter = build(profile.provider, profile, endpoints, sandboxCredentials(profile.provider));
          testAdapters.set(profile.code, adapter);
        }
        return adapter;
      }
      const credentials = await storedCredentials(profile.provider, merchantId);
      return credentials === null ? null : build(profile.provider, profile, config.liveUrls, credentials);
    },
  };
}
