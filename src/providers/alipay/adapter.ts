/**
 * Alipay Open Platform adapter (face-to-face payments): HTTP plumbing around
 * the pure transformers. One object serves both the POS flow (bar code: the
 * customer shows a code) and hosted checkout (precreate: the merchant shows a
 * QR); query and refunds are shared. Anything that leaves CanCan unsure
 * whether money moved — timeout, connection error, non-2xx, unparsable body,
 * an answer whose signature does not verify, code 20000 — is `unknown`,
 * never a decline.
 */
import { performance } from 'node:perf_hooks';
import { describeCallError, httpRefusal, redactFields, redactSecrets } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { CloseOutcome, OnlineAdapter, PosAdapter, ProviderTrace, QueryOutcome, Rejected, Traced } from '../contract.js';
import { isConfigurationRefusal, mapAlipayFailure } from './errors.js';
import {
  closeBizContent,
  closeOutcomeFromQuery,
  precreateBizContent,
  precreateOptionalParams,
  toCloseAnswer,
  toOrderOutcome,
  type CloseAnswer,
} from './precreate.js';
import { ERROR_RESPONSE_KEY, openSignedResponse, signParams, type AlipayFields } from './sign.js';
import {
  ALIPAY_METHODS,
  cancelBizContent,
  gatewayParams,
  isAlipayAuthCode,
  payBizContent,
  queryBizContent,
  refundBizContent,
  refundQueryBizContent,
  toPayOutcome,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  toReverseOutcome,
  traceCode,
  traceMessage,
  type AlipayMethod,
  type BizContent,
} from './transformers.js';

export interface AlipayCredentials {
  appId: string;
  /** The merchant app's RSA private key (PEM, PKCS#8 or PKCS#1): signs requests. */
  appPrivateKeyPem: string;
  /** Alipay's RSA public key (PEM): verifies answers. */
  alipayPublicKeyPem: string;
}

export const ALIPAY_LIVE_GATEWAY_URL = 'https://openapi.alipay.com/gateway.do';

export interface AlipayAdapterOptions {
  gatewayUrl: string;
  credentials: AlipayCredentials;
  timeoutMs: number;
  fetch?: ProviderFetch;
  now?: () => number;
}

/** What one call produced: verified fields, or the reason nothing can be trusted. */
type CallResult =
  | { readonly ok: true; readonly fields: AlipayFields; readonly httpStatus: number; readonly latencyMs: number }
  | { readonly ok: false; readonly reason: string; readonly httpStatus: number | null; readonly latencyMs: number; readonly rejected?: Rejected };

/**
 * An unsigned answer cannot be trusted, except to say that Alipay refused
 * CanCan's setup: the answer came over TLS from the configured gateway, and
 * reading it as a refusal only stops retries that cannot succeed. That is an
 * unsigned `error_response` of a gateway refusal (40001 missing parameter,
 * 40002 invalid parameter, 40006 insufficient permissions: bad app id, bad
 * signature, missing permission; Alipay cannot sign for an app it does not
 * know), or any answer whose sub_code names the setup. The sub_code (else the
 * code) and its message become the failure detail.
 */
function unsignedRefusal(fields: AlipayFields | undefined, key: string | undefined): Rejected | undefined {
  if (fields === undefined) return undefined;
  const subCode = fields['sub_code'];
  const gatewayRefusal = key === ERROR_RESPONSE_KEY && GATEWAY_REFUSAL_CODES.has(fields['code'] ?? '');
  if (!gatewayRefusal && !isConfigurationRefusal(subCode)) return undefined;
  const code = subCode !== undefined && subCode !== '' ? subCode : (fields['code'] ?? '');
  return { kind: 'rejected', code, message: fields['sub_msg'] ?? fields['msg'] ?? '' };
}

/** Gateway codes of requests refused before any business: retrying the same request cannot help. */
const GATEWAY_REFUSAL_CODES: ReadonlySet<string> = new Set(['40001', '40002', '40006']);

export function createAlipayAdapter(options: AlipayAdapterOptions): PosAdapter & OnlineAdapter {
  const { credentials, timeoutMs, gatewayUrl } = options;
  const doFetch = options.fetch ?? providerFetch('alipay');
  const now = options.now ?? Date.now;

  async function call(method: AlipayMethod, bizContent: BizContent, optional: Readonly<Record<string, string>>): Promise<CallResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let httpStatus: number | null = null;
    try {
      const params = signParams(gatewayParams(credentials.appId, method, bizContent, now(), optional), credentials.appPrivateKeyPem);
      const response = await doFetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.status;
      const body = await response.text();
      if (!response.ok) {
        const rejected = httpRefusal(response.status);
        return { ok: false, reason: `HTTP ${response.status}`, httpStatus, latencyMs: elapsed(), ...(rejected ? { rejected } : {}) };
      }
      const opened = openSignedResponse(body, method, credentials.alipayPublicKeyPem);
      if (!opened.ok) {
        const rejected = unsignedRefusal(opened.unsigned, opened.unsignedKey);
        return { ok: false, reason: opened.reason, httpStatus, latencyMs: elapsed(), ...(rejected ? { rejected } : {}) };
      }
      return { ok: true, fields: opened.fields, httpStatus, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, reason: describeCallError(error, timeoutMs), httpStatus, latencyMs: elapsed() };
    }
  }

  /** Runs one call and turns its answer into an outcome plus a secret-free trace. */
  async function traced<T>(
    method: AlipayMethod,
    bizContent: BizContent,
    interpret: (fields: AlipayFields) => T,
    whenUnknown: (reason: string) => T,
    secrets: readonly string[] = [],
    optional: Readonly<Record<string, string>> = {},
  ): Promise<Traced<T | Rejected>> {
    const result = await call(method, bizContent, optional);
    // Alipay echoes the signing string (biz_content included) in isv.invalid-signature messages.
    const allSecrets = [credentials.appPrivateKeyPem, ...secrets];
    const base = { provider: 'alipay', call: method, latencyMs: result.latencyMs, httpStatus: result.httpStatus } as const;
    if (!result.ok) {
      const reason = redactSecrets(result.reason, allSecrets);
      if (result.rejected) {
        // Alipay echoes the signing string in isv.invalid-signature messages.
        const rejected: Rejected = { ...result.rejected, message: redactSecrets(result.rejected.message, allSecrets) };
        return { outcome: rejected, trace: { ...base, code: rejected.code, message: `${reason}: ${rejected.message}` } };
      }
      const trace: ProviderTrace = { ...base, code: null, message: reason };
      return { outcome: whenUnknown(reason), trace };
    }
    const fields = redactFields(result.fields, allSecrets);
    const trace: ProviderTrace = { ...base, code: traceCode(fields), message: traceMessage(fields) };
    return { outcome: interpret(fields), trace };
  }

  const query = (orderNo: string): Promise<Traced<QueryOutcome>> =>
    traced(
      ALIPAY_METHODS.query,
      queryBizContent(orderNo),
      (fields) => toQueryOutcome(fields, orderNo),
      (reason) => ({ kind: 'unknown', reason }),
    );

  /** alipay.trade.close; "not waiting for the buyer" is settled by a query (paid, or closed already?). */
  async function close(orderNo: string): Promise<Traced<CloseOutcome>> {
    const closed = await traced<CloseAnswer>(ALIPAY_METHODS.close, closeBizContent(orderNo), toCloseAnswer, (reason) => ({ kind: 'unknown', reason }));
    if (closed.outcome.kind !== 'not_waiting') return { outcome: closed.outcome, trace: closed.trace };
    const queried = await query(orderNo);
    const trace: ProviderTrace = {
      ...closed.trace,
      latencyMs: closed.trace.latencyMs + queried.trace.latencyMs,
      message: `${closed.trace.message ?? closed.outcome.code}; alipay.trade.query: ${queried.trace.code ?? queried.outcome.kind}`,
    };
    return { outcome: closeOutcomeFromQuery(queried.outcome), trace };
  }

  return {
    provider: 'alipay',
    isWellFormedAuthCode: isAlipayAuthCode,
    pay: (request) =>
      traced(
        ALIPAY_METHODS.pay,
        payBizContent(request),
        (fields) => toPayOutcome(fields, request.orderNo),
        (reason) => ({ kind: 'unknown', reason, code: null }),
        [request.authCode],
      ),
    query,
    reverse: (orderNo) => traced(ALIPAY_METHODS.cancel, cancelBizContent(orderNo), toReverseOutcome, (reason) => ({ kind: 'unknown', reason })),
    refund: (request) =>
      traced(
        ALIPAY_METHODS.refund,
        refundBizContent(request),
        (fields) => toRefundOutcome(fields, request.orderNo),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    refundQuery: (request) =>
      traced(
        ALIPAY_METHODS.refundQuery,
        refundQueryBizContent(request),
        (fields) => toRefundQueryOutcome(fields, request),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    createOrder: (request) =>
      traced(
        ALIPAY_METHODS.precreate,
        precreateBizContent(request),
        (fields) => toOrderOutcome(fields, request.orderNo),
        (reason) => ({ kind: 'unknown', reason, code: null }),
        [],
        precreateOptionalParams(request),
      ),
    close,
    mapFailure: mapAlipayFailure,
  };
}
