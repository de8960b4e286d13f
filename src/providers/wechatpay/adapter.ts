/**
 * WeChat Pay merchant API v2 adapter: HTTP plumbing around the pure
 * transformers. One object serves both the POS flow (micropay: the customer
 * shows a code) and hosted checkout (Native: the merchant shows a QR); query
 * and refunds are shared. Anything that leaves CanCan unsure whether money moved —
 * timeout, connection error, non-2xx, unparsable body, return_code FAIL, a
 * response whose signature does not verify — is `unknown`, never a decline.
 * A refusal of CanCan's setup (HTTP 401/403, return_code FAIL naming the
 * signature, merchant or certificate) is `rejected`: retrying cannot help.
 *
 * Over HTTPS (live) the `secapi` paths (reverse, refund) carry the merchant's
 * API certificate (mutual TLS); without one they are refused before any call,
 * as WeChat would refuse them. Plain HTTP is the sandbox simulator's, which
 * needs no certificate.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeCallError, httpRefusal, redactFields, redactSecrets } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { OnlineAdapter, PosAdapter, ProviderTrace, Rejected, Traced } from '../contract.js';
import { mapWeChatFailure, mapWeChatRefundFailure } from './errors.js';
import { closeOrderFields, toCloseOutcome, toOrderOutcome, unifiedOrderFields } from './native.js';
import { verifyFields, withSignature } from './sign.js';
import type { WeChatPayCredentials } from './credentials.js';
import { tlsFetch } from './transport.js';
import { certificateOf } from './certificate.js';
import {
  isWeChatAuthCode,
  micropayFields,
  orderQueryFields,
  refundFields,
  refundQueryFields,
  reverseFields,
  toPayOutcome,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  toReverseOutcome,
  traceCode,
  traceMessage,
} from './transformers.js';
import { buildXml, field, parseXml, WeChatXmlError, type WireFields } from './xml.js';

export type { WeChatPayCredentials } from './credentials.js';

/** Fixed, public test credentials: good only against the simulator. */
export const WECHATPAY_SANDBOX_CREDENTIALS: WeChatPayCredentials = {
  appId: 'wx2421b1c4370ec43b',
  mchId: '10000100',
  apiKey: 'cancansandbox0wechatpay0v2key032',
  signType: 'HMAC-SHA256',
};

export const WECHATPAY_LIVE_BASE_URL = 'https://api.mch.weixin.qq.com';

export interface WeChatPayAdapterOptions {
  baseUrl: string;
  credentials: WeChatPayCredentials;
  timeoutMs: number;
  /** Replaces every HTTP call (tests). */
  fetch?: ProviderFetch;
  /** PEM of a CA to trust besides the system's (tests with their own CA). */
  ca?: string;
}

/** WeChat's paths that need the merchant's API certificate. */
const isSecapi = (path: string): boolean => path.startsWith('/secapi/');

/** What a live secapi call without a certificate answers: WeChat would refuse it, so it is never sent. */
export const NO_CERTIFICATE: Rejected = {
  kind: 'rejected',
  code: 'NO_CLIENT_CERTIFICATE',
  message: 'reverse and refund need the merchant API certificate (apiclient_cert); set certP12 or certPem + keyPem in the WeChat Pay credentials',
};

/** What one call produced: verified fields, or the reason nothing can be trusted. */
type CallResult =
  | { readonly ok: true; readonly fields: WireFields; readonly httpStatus: number; readonly latencyMs: number }
  | { readonly ok: false; readonly reason: string; readonly httpStatus: number | null; readonly latencyMs: number; readonly rejected?: Rejected };

export function createWeChatPayAdapter(options: WeChatPayAdapterOptions): PosAdapter & OnlineAdapter {
  const { credentials, timeoutMs } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const overTls = baseUrl.startsWith('https:');
  const certificate = certificateOf(credentials);
  const ca = options.ca !== undefined ? { ca: options.ca } : {};
  // node:https where TLS needs options the pool does not take; the pooled client otherwise.
  const plainFetch = options.fetch ?? (overTls && options.ca !== undefined ? tlsFetch(ca) : providerFetch('wechatpay'));
  const secapiFetch = options.fetch ?? (overTls && certificate ? tlsFetch({ ...ca, certificate }) : plainFetch);
  const nonce = (): string => randomBytes(16).toString('hex'); // 32 chars, WeChat's maximum

  async function call(path: string, fields: WireFields): Promise<CallResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let httpStatus: number | null = null;
    if (isSecapi(path) && overTls && !certificate && !options.fetch)
      return { ok: false, reason: NO_CERTIFICATE.message, httpStatus, latencyMs: 0, rejected: NO_CERTIFICATE };
    const doFetch = isSecapi(path) ? secapiFetch : plainFetch;
    try {
      const response = await doFetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        body: buildXml(withSignature(fields, credentials.apiKey, credentials.signType)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.status;
      const body = await response.text();
      if (!response.ok) {
        const rejected = httpRefusal(response.status);
        return { ok: false, reason: `HTTP ${response.status}`, httpStatus, latencyMs: elapsed(), ...(rejected ? { rejected } : {}) };
      }
      const answer = parseXml(body);
      // return_code FAIL answers are not signed; they are unknown anyway (see transformers).
      if (field(answer, 'return_code') === 'SUCCESS' && !verifyFields(answer, credentials.apiKey, credentials.signType)) {
        return { ok: false, reason: 'response signature does not verify', httpStatus, latencyMs: elapsed() };
      }
      return { ok: true, fields: answer, httpStatus, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, reason: describeCallError(error, timeoutMs, WeChatXmlError), httpStatus, latencyMs: elapsed() };
    }
  }

  /** Runs one call and turns its answer into an outcome plus a secret-free trace. */
  async function traced<T>(
    callName: string,
    path: string,
    fields: WireFields,
    interpret: (answer: WireFields) => T,
    whenUnknown: (reason: string) => T,
    secrets: readonly string[] = [],
  ): Promise<Traced<T | Rejected>> {
    const result = await call(path, fields);
    // Never let a secret reach a trace or an outcome, even if the provider echoed one back.
    // A PKCS#12 passphrase other than the (public) merchant id is a secret too.
    const passphrase = certificate?.kind === 'pkcs12' && certificate.passphrase !== credentials.mchId ? certificate.passphrase : '';
    const allSecrets = [credentials.apiKey, passphrase, ...secrets];
    const base = { provider: 'wechatpay', call: callName, latencyMs: result.latencyMs, httpStatus: result.httpStatus } as const;
    if (!result.ok) {
      const reason = redactSecrets(result.reason, allSecrets);
      if (result.rejected) return { outcome: result.rejected, trace: { ...base, code: result.rejected.code, message: reason } };
      const trace: ProviderTrace = { ...base, code: null, message: reason };
      return { outcome: whenUnknown(reason), trace };
    }
    const answer = redactFields(result.fields, allSecrets);
    const trace: ProviderTrace = { ...base, code: traceCode(answer), message: traceMessage(answer) };
    return { outcome: interpret(answer), trace };
  }

  return {
    provider: 'wechatpay',
    isWellFormedAuthCode: isWeChatAuthCode,
    pay: (request) =>
      traced(
        'micropay',
        '/pay/micropay',
        micropayFields(credentials, nonce(), request),
        (answer) => toPayOutcome(answer, request.orderNo),
        (reason) => ({ kind: 'unknown', reason, code: null }),
        [request.authCode],
      ),
    query: (orderNo) =>
      traced(
        'orderquery',
        '/pay/orderquery',
        orderQueryFields(credentials, nonce(), orderNo),
        (answer) => toQueryOutcome(answer, orderNo),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    reverse: (orderNo) =>
      traced('reverse', '/secapi/pay/reverse', reverseFields(credentials, nonce(), orderNo), toReverseOutcome, (reason) => ({ kind: 'unknown', reason })),
    refund: (request) =>
      traced('refund', '/secapi/pay/refund', refundFields(credentials, nonce(), request), toRefundOutcome, (reason) => ({ kind: 'unknown', reason })),
    refundQuery: (request) =>
      traced(
        'refundquery',
        '/pay/refundquery',
        refundQueryFields(credentials, nonce(), request),
        (answer) => toRefundQueryOutcome(answer, request.refundNo),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    createOrder: (request) =>
      traced('unifiedorder', '/pay/unifiedorder', unifiedOrderFields(credentials, nonce(), request), toOrderOutcome, (reason) => ({
        kind: 'unknown',
        reason,
        code: null,
      })),
    close: (orderNo) =>
      traced('closeorder', '/pay/closeorder', closeOrderFields(credentials, nonce(), orderNo), toCloseOutcome, (reason) => ({ kind: 'unknown', reason })),
    mapFailure: mapWeChatFailure,
    mapRefundFailure: mapWeChatRefundFailure,
  };
}
