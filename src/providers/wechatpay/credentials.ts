/**
 * WeChat Pay live credentials: the merchant (or, in service-provider and
 * cross-border institution mode, the institution with its sub-merchant), the
 * API key, the API certificate for `secapi` calls, and the regional host.
 */
import { choice, parsed, text, type Fields } from '../credential-fields.js';
import type { ParsedCredentials } from '../descriptor.js';
import { CERTIFICATE_FIELD_NAMES, parseCertificate } from './certificate.js';
import type { WeChatSignType } from './sign.js';

/**
 * The hosts WeChat documents for the merchant API: the main one (and its
 * domestic backup), and the cross-border gateway's regional access points,
 * Hong Kong (Asia) and the United States (the Americas and Europe).
 */
export const WECHATPAY_API_HOSTS = ['api.mch.weixin.qq.com', 'api2.mch.weixin.qq.com', 'apihk.mch.weixin.qq.com', 'apius.mch.weixin.qq.com'] as const;
export type WeChatPayApiHost = (typeof WECHATPAY_API_HOSTS)[number];

export interface WeChatPayCredentials {
  appId: string;
  mchId: string;
  apiKey: string;
  signType: WeChatSignType;
  /** Service-provider / institution mode: the sub-merchant the payments are for. */
  subMchId?: string;
  /** The sub-merchant's own app id, where it has one. */
  subAppId?: string;
  /** Which WeChat host serves this merchant (default api.mch.weixin.qq.com). */
  apiHost?: WeChatPayApiHost;
  /**
   * apiclient_cert for reverse and refund (mutual TLS), as given (checked when
   * parsed; kept as JSON-safe text, since the parsed value is what is stored):
   * PKCS#12 in base64 with its passphrase, or PEM certificate and key.
   * Live secapi calls fail without one.
   */
  certP12?: string;
  certPassphrase?: string;
  certPem?: string;
  keyPem?: string;
}

export const WECHATPAY_CREDENTIAL_FIELDS = [
  'appId',
  'mchId',
  'apiKey',
  'signType (MD5 | HMAC-SHA256)',
  ...CERTIFICATE_FIELD_NAMES,
  'subMchId, subAppId (optional: service-provider or institution mode)',
  `apiHost (optional: ${WECHATPAY_API_HOSTS.join(' | ')})`,
];

export const WECHATPAY_CREDENTIALS_USAGE =
  '{"appId","mchId","apiKey","signType":"MD5"|"HMAC-SHA256","certP12":"<base64>","certPassphrase"?,"subMchId"?,"subAppId"?,"apiHost"?}';

export function parseWeChatPayCredentials(fields: Fields): ParsedCredentials<WeChatPayCredentials> {
  const problems: string[] = [];
  const value: WeChatPayCredentials = {
    appId: text(fields, 'appId', problems),
    mchId: text(fields, 'mchId', problems),
    apiKey: text(fields, 'apiKey', problems),
    signType: choice(fields, 'signType', ['MD5', 'HMAC-SHA256'] as const, 'MD5', problems),
  };
  const subMchId = optionalText(fields, 'subMchId', problems);
  if (subMchId !== undefined) value.subMchId = subMchId;
  const subAppId = optionalText(fields, 'subAppId', problems);
  if (subAppId !== undefined) {
    if (subMchId === undefined) problems.push('subAppId needs subMchId');
    value.subAppId = subAppId;
  }
  if (fields['apiHost'] !== undefined) value.apiHost = choice(fields, 'apiHost', WECHATPAY_API_HOSTS, 'api.mch.weixin.qq.com', problems);
  // The certificate is checked against the merchant id only once that is known.
  if (value.mchId !== '') {
    const certificate = parseCertificate(fields, value.mchId);
    if (!certificate.ok) problems.push(certificate.problem);
    else if (certificate.certificate?.kind === 'pkcs12') {
      value.certP12 = certificate.certificate.pfx.toString('base64');
      value.certPassphrase = certificate.certificate.passphrase;
    } else if (certificate.certificate?.kind === 'pem') {
      value.certPem = certificate.certificate.cert;
      value.keyPem = certificate.certificate.key;
    }
  }
  return parsed(value, problems);
}

/** An optional non-empty string; absent or empty → undefined. */
function optionalText(fields: Fields, name: string, problems: string[]): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} must be a non-empty string when given`);
    return undefined;
  }
  return value;
}

/** The base URL of a live merchant: its regional host, unless the URL setting points elsewhere (tests). */
export function liveBaseUrl(endpoint: string, defaultUrl: string, credentials: WeChatPayCredentials): string {
  if (endpoint !== defaultUrl || credentials.apiHost === undefined) return endpoint;
  return `https://${credentials.apiHost}`;
}
