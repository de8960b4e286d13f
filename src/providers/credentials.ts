/**
 * Live-mode provider credentials: their shape per provider, checked before
 * they are stored (sealed) and parsed when a live adapter is built.
 */
import type { AlipayCredentials } from './alipay/adapter.js';
import type { PosProviderName } from './contract.js';
import type { LinePayCredentials } from './linepay/adapter.js';
import type { WeChatPayCredentials } from './wechatpay/adapter.js';

export interface CredentialsByProvider {
  wechatpay: WeChatPayCredentials;
  alipay: AlipayCredentials;
  linepay: LinePayCredentials;
}

export const PROVIDERS: readonly PosProviderName[] = ['wechatpay', 'alipay', 'linepay'];

export function isProviderName(value: string): value is PosProviderName {
  return (PROVIDERS as readonly string[]).includes(value);
}

/** The fields each provider needs, for error messages and `--help`. */
export const CREDENTIAL_FIELDS: Record<PosProviderName, readonly string[]> = {
  wechatpay: ['appId', 'mchId', 'apiKey', 'signType (MD5 | HMAC-SHA256)'],
  alipay: ['appId', 'appPrivateKeyPem', 'alipayPublicKeyPem'],
  linepay: ['channelId', 'channelSecret', 'authScheme (v4 | v2)'],
};

type Fields = Record<string, unknown>;

function text(fields: Fields, name: string, problems: string[]): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} is required (a non-empty string)`);
    return '';
  }
  return value;
}

function choice<T extends string>(fields: Fields, name: string, allowed: readonly T[], fallback: T, problems: string[]): T {
  const value = fields[name] ?? fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name} must be one of ${allowed.join(', ')}`);
  return fallback;
}

/** Checks a provider's credentials; returns the problems found (empty when valid). */
export function parseCredentials<P extends PosProviderName>(provider: P, input: unknown): { ok: true; value: CredentialsByProvider[P] } | { ok: false; problems: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, problems: ['credentials must be a JSON object'] };
  const fields = input as Fields;
  const problems: string[] = [];
  let value: CredentialsByProvider[PosProviderName];
  switch (provider) {
    case 'wechatpay':
      value = {
        appId: text(fields, 'appId', problems),
        mchId: text(fields, 'mchId', problems),
        apiKey: text(fields, 'apiKey', problems),
        signType: choice(fields, 'signType', ['MD5', 'HMAC-SHA256'] as const, 'MD5', problems),
      };
      break;
    case 'alipay': {
      value = {
        appId: text(fields, 'appId', problems),
        appPrivateKeyPem: text(fields, 'appPrivateKeyPem', problems),
        alipayPublicKeyPem: text(fields, 'alipayPublicKeyPem', problems),
      };
      for (const pem of ['appPrivateKeyPem', 'alipayPublicKeyPem']) {
        if (typeof fields[pem] === 'string' && !String(fields[pem]).includes('-----BEGIN')) problems.push(`${pem} must be a PEM key`);
      }
      break;
    }
    case 'linepay':
      value = {
        channelId: text(fields, 'channelId', problems),
        channelSecret: text(fields, 'channelSecret', problems),
        authScheme: choice(fields, 'authScheme', ['v4', 'v2'] as const, 'v4', problems),
      };
      break;
    default: {
      const unreachable: never = provider;
      return { ok: false, problems: [`unknown provider ${String(unreachable)}`] };
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: value as CredentialsByProvider[P] };
}
