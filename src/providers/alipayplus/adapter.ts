/**
 * Alipay+ adapter (Antom AMS online payments: Cashier Payment for the
 * Alipay+ wallets alipay_hk, dana, gcash, kakaopay, jkopay): HTTP plumbing
 * around the pure transformers. Anything that leaves CanCan unsure whether
 * money moved — timeout, connection error, non-2xx, unparsable body, an
 * answer whose signature does not verify, resultStatus U — is `unknown`,
 * never a decline.
 */
import { performance } from 'node:perf_hooks';
import { describeCallError, redactSecrets } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { OnlineAdapter, ProviderTrace, Traced } from '../contract.js';
import { mapAlipayPlusFailure } from './errors.js';
import { requestTime, signMessage, verifyMessage } from './sign.js';
import {
  ALIPAYPLUS_APIS,
  apiPath,
  cancelBody,
  inquiryPaymentBody,
  inquiryRefundBody,
  isJsonObject,
  payBody,
  paymentIdOf,
  refundBody,
  toCloseOutcome,
  toOrderOutcome,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  traceCode,
  traceMessage,
  type AlipayPlusApi,
  type JsonObject,
} from './transformers.js';

export interface AlipayPlusCredentials {
  /** The Client-Id Antom assigned (sandbox ids start with SANDBOX_). */
  clientId: string;
  /** The merchant's RSA private key (PEM): signs requests. */
  merchantPrivateKeyPem: string;
  /** Antom's RSA public key (PEM): verifies answers. */
  providerPublicKeyPem: string;
}

/**
 * Antom's gateway for Asia (global-open-sdk examples; also open-na-global /
 * open-de-global for North America / Europe, per merchant contract).
 */
export const ALIPAYPLUS_LIVE_BASE_URL = 'https://open-sea-global.alipay.com';

export interface AlipayPlusAdapterOptions {
  /** Origin (plus any prefix) the `/ams/...` paths are appended to. */
  baseUrl: string;
  credentials: AlipayPlusCredentials;
  timeoutMs: number;
  fetch?: ProviderFetch;
  now?: () => number;
}

/** What one call produced: the verified answer, or the reason nothing in it can be trusted. */
type CallResult =
  | { readonly ok: true; readonly answer: JsonObject; readonly httpStatus: number; readonly latencyMs: number }
  | { readonly ok: false; readonly reason: string; readonly httpStatus: number | null; readonly latencyMs: number };

export function createAlipayPlusAdapter(options: AlipayPlusAdapterOptions): OnlineAdapter {
  const { credentials, timeoutMs } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? providerFetch('alipayplus');
  const now = options.now ?? Date.now;

  async function call(api: AlipayPlusApi, body: JsonObject): Promise<CallResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const path = apiPath(api, credentials.clientId);
    let httpStatus: number | null = null;
    try {
      const bodyText = JSON.stringify(body);
      const time = requestTime(now());
      const signature = signMessage({ httpMethod: 'POST', path, clientId: credentials.clientId, time, body: bodyText }, credentials.merchantPrivateKeyPem);
      const response = await doFetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'client-id': credentials.clientId,
          'request-time': time,
          signature,
        },
        body: bodyText,
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.status;
      const answerText = await response.text();
      if (!response.ok) return { ok: false, reason: `HTTP ${response.status}`, httpStatus, latencyMs: elapsed() };
      const opened = openAnswer(response.headers, answerText, path);
      if (!opened.ok) return { ok: false, reason: opened.reason, httpStatus, latencyMs: elapsed() };
      return { ok: true, answer: opened.answer, httpStatus, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, reason: describeCallError(error, timeoutMs), httpStatus, latencyMs: elapsed() };
    }
  }

  /** Checks the answer's Client-Id, Response-Time and Signature before reading a byte of it. */
  function openAnswer(
    headers: Pick<Headers, 'get'>,
    answerText: string,
    path: string,
  ): { readonly ok: true; readonly answer: JsonObject } | { readonly ok: false; readonly reason: string } {
    const signature = headers.get('signature');
    const responseTime = headers.get('response-time');
    const clientId = headers.get('client-id');
    if (signature === null || responseTime === null) return { ok: false, reason: 'answer is not signed' };
    if (clientId !== credentials.clientId) return { ok: false, reason: 'answer names another Client-Id' };
    const message = { httpMethod: 'POST', path, clientId, time: responseTime, body: answerText };
    if (!verifyMessage(message, signature, credentials.providerPublicKeyPem)) return { ok: false, reason: 'response signature does not verify' };
    try {
      const answer: unknown = JSON.parse(answerText);
      return isJsonObject(answer) ? { ok: true, answer } : { ok: false, reason: 'answer is not a JSON object' };
    } catch {
      return { ok: false, reason: 'unparsable answer' };
    }
  }

  const redact = (text: string | null): string | null => (text === null ? null : redactSecrets(text, [credentials.merchantPrivateKeyPem]));

  function traceOf(api: string, result: CallResult, latencyMs: number = result.latencyMs): ProviderTrace {
    const base = { provider: 'alipayplus', call: api, latencyMs, httpStatus: result.httpStatus } as const;
    if (!result.ok) return { ...base, code: null, message: redact(result.reason) };
    return { ...base, code: traceCode(result.answer), message: redact(traceMessage(result.answer)) };
  }

  /** Runs one call and turns its answer into an outcome plus a secret-free trace. */
  async function traced<T>(api: AlipayPlusApi, body: JsonObject, interpret: (answer: JsonObject) => T, whenUnknown: (reason: string) => T): Promise<Traced<T>> {
    const result = await call(api, body);
    const trace = traceOf(api, result);
    return { outcome: result.ok ? interpret(result.answer) : whenUnknown(trace.message ?? ''), trace };
  }

  return {
    provider: 'alipayplus',
    createOrder: (request) =>
      traced(
        ALIPAYPLUS_APIS.pay,
        payBody(request),
        (answer) => toOrderOutcome(answer, request),
        (reason) => ({ kind: 'unknown', reason, code: null }),
      ),
    query: (orderNo) =>
      traced(
        ALIPAYPLUS_APIS.inquiryPayment,
        inquiryPaymentBody(orderNo),
        (answer) => toQueryOutcome(answer, orderNo),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    close: (orderNo) =>
      traced(
        ALIPAYPLUS_APIS.cancel,
        cancelBody(orderNo),
        (answer) => toCloseOutcome(answer, orderNo),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    // refund names the payment by paymentId (REQUIRED), which only Antom knows: inquire it first.
    refund: async (request) => {
      const inquiry = await call(ALIPAYPLUS_APIS.inquiryPayment, inquiryPaymentBody(request.orderNo));
      const payment = inquiry.ok ? paymentIdOf(inquiry.answer, request.orderNo) : null;
      if (payment === null || !payment.ok) {
        const trace = traceOf(ALIPAYPLUS_APIS.inquiryPayment, inquiry);
        if (payment !== null && payment.definite) {
          return { outcome: { kind: 'declined', code: payment.code ?? 'ORDER_NOT_EXIST', message: payment.reason }, trace };
        }
        return { outcome: { kind: 'unknown', reason: redact(payment?.reason ?? trace.message) ?? '' }, trace };
      }
      const result = await call(ALIPAYPLUS_APIS.refund, refundBody(request, payment.paymentId));
      const trace = traceOf(ALIPAYPLUS_APIS.refund, result, inquiry.latencyMs + result.latencyMs);
      return { outcome: result.ok ? toRefundOutcome(result.answer, request) : { kind: 'unknown', reason: trace.message ?? '' }, trace };
    },
    refundQuery: (request) =>
      traced(
        ALIPAYPLUS_APIS.inquiryRefund,
        inquiryRefundBody(request),
        (answer) => toRefundQueryOutcome(answer, request),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    mapFailure: mapAlipayPlusFailure,
  };
}
