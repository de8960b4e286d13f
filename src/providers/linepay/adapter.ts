/**
 * LINE Pay offline (POS) API adapter: HTTP plumbing around the pure
 * transformers. Anything that leaves CanCan unsure whether money moved —
 * timeout (LINE Pay asks for a read timeout of at least 40 s on pay; the
 * caller chooses timeoutMs, CANCAN_LINEPAY_TIMEOUT_MS), connection error,
 * non-2xx, unparsable body, 9000/1145/1198 — is `unknown`, never a decline.
 * The credentials' `authScheme` is the Offline API version (version.ts):
 * its paths, its authentication and its pay body.
 *
 * pay: LINE Pay asks merchants to compare the paid total
 * (info.payInfo[].amount) with the amount asked and to refund a mismatch. A
 * mismatch is refunded at once and declined (AMOUNT_MISMATCH); if that refund
 * is not confirmed, the sale stays unknown (the pay answer's provider data
 * says why) until the engine reverses it.
 *
 * reverse: LINE Pay's void only cancels what is not captured, and CanCan pays
 * with capture=true. So reverse checks the order first, then voids it (still
 * waiting for the customer, or never seen: the void leaves it cancelled) or
 * refunds everything left (captured). Re-running reverse is safe: the check
 * sees what an earlier, unanswered attempt did.
 *
 * refund: LINE Pay's refund has no idempotency key, and a refund is known
 * only by the refundTransactionId LINE Pay gives it. Storing nothing, the
 * adapter looks the order's refunds up (Payment Details API,
 * GET /{version}/payments?orderId=, `refundList`) before refunding: a refund of the
 * same amount already there is taken to be this one (a re-sent request whose
 * answer was lost), so it is not sent again. refundQuery looks it up the same
 * way. The price: a second refund of the same amount on the same sale is
 * taken for the first (see the report's proposed contract change).
 */
import { performance } from 'node:perf_hooks';
import { describeCallError, httpRefusal, redactSecrets } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import type { PayOutcome, PosAdapter, ProviderData, ProviderTrace, QueryOutcome, Rejected, Traced } from '../contract.js';
import { AMOUNT_MISMATCH, HEADER_ERROR, mapLinePayFailure } from './errors.js';
import { LinePayJsonError, parseLinePayJson, stringifyLinePayJson, type JsonWritable } from './json.js';
import { authHeaders } from './sign.js';
import {
  findRefund,
  isOneTimeKey,
  linePayAmount,
  payBody,
  planReverse,
  readAnswer,
  readCheck,
  readRefundList,
  refundBody,
  toPayOutcome,
  toQueryOutcome,
  toRefundOutcome,
  toReverseOutcome,
  type LinePayAnswer,
  type LinePayRegion,
} from './transformers.js';
import { detailsPath, orderPath, payPath, type LinePayApiVersion } from './version.js';
import { toMajorUnitString, type Money } from '../../domain/money.js';

const formatMoney = (value: Money): string => `${toMajorUnitString(value)} ${value.currency}`;

export interface LinePayCredentials {
  channelId: string;
  channelSecret: string;
  /** The Offline API version (v2 or v4); the name is kept so that stored credentials read as before. */
  authScheme: LinePayApiVersion;
  /** The merchant's device, sent as X-LINE-MerchantDeviceProfileId / -Type when both are set. */
  merchantDeviceProfileId?: string;
  merchantDeviceType?: string;
}

/** Provider data of a sale whose paid total did not match and whose refund is not confirmed. */
const AMOUNT_MISMATCH_DATA = 'linepayAmountMismatch';

export const LINEPAY_LIVE_BASE_URL = 'https://api-pay.line.me';

/** Fixed, public test credentials: good only against the simulator. */
export const LINEPAY_SANDBOX_CREDENTIALS: LinePayCredentials = {
  channelId: '1654000000',
  channelSecret: 'cancansandbox0linepay0secret0032',
  authScheme: 'v4',
};

export interface LinePayAdapterOptions {
  baseUrl: string;
  credentials: LinePayCredentials;
  region: LinePayRegion;
  timeoutMs: number;
  fetch?: ProviderFetch;
}

/** One HTTP call and what came of it. */
interface CallRecord {
  readonly name: string;
  readonly latencyMs: number;
  readonly httpStatus: number | null;
  readonly result: { readonly ok: true; readonly answer: LinePayAnswer } | { readonly ok: false; readonly reason: string; readonly rejected?: Rejected };
}

/** A call without a usable answer: a refusal of CanCan's setup (retrying cannot help), else unknown. */
function unanswered(result: { readonly reason: string; readonly rejected?: Rejected }): Rejected | { readonly kind: 'unknown'; readonly reason: string } {
  return result.rejected ?? { kind: 'unknown', reason: result.reason };
}

type Request =
  { readonly method: 'GET'; readonly path: string; readonly query: string } | { readonly method: 'POST'; readonly path: string; readonly body: JsonWritable };

export function createLinePayAdapter(options: LinePayAdapterOptions): PosAdapter {
  const { credentials, region, timeoutMs } = options;
  const version = credentials.authScheme;
  const doFetch = options.fetch ?? providerFetch('linepay');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  /** Never let a secret reach an outcome or a trace, even if LINE Pay echoed one back. */
  function redact(text: string, secrets: readonly string[]): string {
    return redactSecrets(text, [credentials.channelSecret, ...secrets]);
  }

  async function call(name: string, request: Request, secrets: readonly string[] = []): Promise<CallRecord> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let httpStatus: number | null = null;
    const payload = request.method === 'GET' ? request.query : stringifyLinePayJson(request.body);
    const url = `${baseUrl}${request.path}${request.method === 'GET' && request.query !== '' ? `?${request.query}` : ''}`;
    try {
      const response = await doFetch(url, {
        method: request.method,
        headers: { 'content-type': 'application/json; charset=UTF-8', ...authHeaders(credentials, request.path, payload) },
        ...(request.method === 'POST' ? { body: payload } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.status;
      const text = await response.text();
      if (!response.ok) {
        const rejected = httpRefusal(response.status);
        return { name, latencyMs: elapsed(), httpStatus, result: { ok: false, reason: `HTTP ${response.status}`, ...(rejected ? { rejected } : {}) } };
      }
      const answer = readAnswer(parseLinePayJson(text));
      if (answer === null) return { name, latencyMs: elapsed(), httpStatus, result: { ok: false, reason: 'answer has no returnCode' } };
      const safe = { ...answer, returnMessage: redact(answer.returnMessage, secrets) };
      if (safe.returnCode === HEADER_ERROR) {
        // LINE Pay refused the channel id or the request signature before looking at the request.
        const rejected: Rejected = { kind: 'rejected', code: safe.returnCode, message: safe.returnMessage };
        return { name, latencyMs: elapsed(), httpStatus, result: { ok: false, reason: `${safe.returnCode}: ${safe.returnMessage}`, rejected } };
      }
      return { name, latencyMs: elapsed(), httpStatus, result: { ok: true, answer: safe } };
    } catch (error) {
      return { name, latencyMs: elapsed(), httpStatus, result: { ok: false, reason: redact(describeCallError(error, timeoutMs, LinePayJsonError), secrets) } };
    }
  }

  /**
   * One trace for an operation of one or more calls: the calls' names joined
   * with '+', their total latency, the last call's status, code and message
   * (already free of secrets: see `call`).
   */
  function traceOf(calls: readonly CallRecord[]): ProviderTrace {
    const last = calls[calls.length - 1];
    return {
      provider: 'linepay',
      call: calls.map((record) => record.name).join('+'),
      latencyMs: calls.reduce((sum, record) => sum + record.latencyMs, 0),
      httpStatus: last?.httpStatus ?? null,
      code: last?.result.ok === true ? last.result.answer.returnCode : (last?.result.rejected?.code ?? null),
      message: last === undefined ? null : last.result.ok ? last.result.answer.returnMessage : last.result.reason,
    };
  }

  /** CanCan's own refusal, before any call: no HTTP status, the code says why. */
  function localTrace(callName: string, code: string, message: string): ProviderTrace {
    return { provider: 'linepay', call: callName, latencyMs: 0, httpStatus: null, code, message };
  }

  const checkOrder = (orderNo: string): Promise<CallRecord> => call('orders/check', { method: 'GET', path: orderPath(version, orderNo, 'check'), query: '' });

  const paymentDetails = (orderNo: string): Promise<CallRecord> =>
    call('payments', { method: 'GET', path: detailsPath(version), query: `orderId=${encodeURIComponent(orderNo)}` });

  const refundAll = (orderNo: string): Promise<CallRecord> =>
    call('orders/refund', { method: 'POST', path: orderPath(version, orderNo, 'refund'), body: refundBody(null) });

  /** A sale LINE Pay charged with another total than asked: refund it all, then decline it, or leave it for the engine to reverse. */
  async function refundMismatch(pay: CallRecord, orderNo: string, asked: string, paid: string): Promise<Traced<PayOutcome>> {
    const refund = await refundAll(orderNo);
    const why = `LINE Pay charged ${paid}, not ${asked}`;
    const reversed = refund.result.ok && toReverseOutcome(refund.result.answer, 'refund_all').kind === 'reversed';
    const trace = { ...traceOf([pay, refund]), code: AMOUNT_MISMATCH, message: `${why}; refund ${reversed ? 'done' : 'unconfirmed'}` };
    if (reversed) return { outcome: { kind: 'declined', code: AMOUNT_MISMATCH, message: `${why}; refunded in full` }, trace };
    return { outcome: { kind: 'unknown', reason: `${why}; refund unconfirmed`, code: AMOUNT_MISMATCH }, trace, providerData: { [AMOUNT_MISMATCH_DATA]: why } };
  }

  /** A sale whose total did not match is never reported paid: the engine reverses it when its window ends. */
  function unlessMismatched(outcome: QueryOutcome, data: ProviderData | undefined): QueryOutcome {
    const mismatch = data?.[AMOUNT_MISMATCH_DATA];
    return mismatch !== undefined && outcome.kind === 'paid' ? { kind: 'unknown', reason: `${mismatch}; to be refunded` } : outcome;
  }

  const adapter: PosAdapter = {
    provider: 'linepay',
    isWellFormedAuthCode: (authCode) => isOneTimeKey(region, authCode),

    async pay(request) {
      const amount = linePayAmount(request.money);
      if (amount.kind === 'refused') {
        return { outcome: { kind: 'declined', code: amount.code, message: amount.message }, trace: localTrace('oneTimeKeys/pay', amount.code, amount.message) };
      }
      const record = await call('oneTimeKeys/pay', { method: 'POST', path: payPath(version), body: payBody(version, request, amount.amount) }, [
        request.authCode,
      ]);
      if (!record.result.ok) {
        return { outcome: record.result.rejected ?? { kind: 'unknown', reason: record.result.reason, code: null }, trace: traceOf([record]) };
      }
      const outcome = toPayOutcome(record.result.answer, request.orderNo, request.money);
      if (outcome.kind === 'amount_mismatch') {
        return refundMismatch(record, request.orderNo, formatMoney(request.money), formatMoney(outcome.paid));
      }
      return { outcome, trace: traceOf([record]) };
    },

    async query(orderNo, data) {
      const record = await checkOrder(orderNo);
      const outcome = record.result.ok ? toQueryOutcome(readCheck(record.result.answer)) : unanswered(record.result);
      return { outcome: unlessMismatched(outcome, data), trace: traceOf([record]) };
    },

    async reverse(orderNo) {
      const check = await checkOrder(orderNo);
      if (!check.result.ok) return { outcome: unanswered(check.result), trace: traceOf([check]) };
      const plan = planReverse(readCheck(check.result.answer));
      if (plan.kind === 'done') return { outcome: plan.outcome, trace: traceOf([check]) };
      const second =
        plan.kind === 'void' ? await call('orders/void', { method: 'POST', path: orderPath(version, orderNo, 'void'), body: {} }) : await refundAll(orderNo);
      const outcome = second.result.ok ? toReverseOutcome(second.result.answer, plan.kind) : unanswered(second.result);
      return { outcome, trace: traceOf([check, second]) };
    },

    async refund(request) {
      const amount = linePayAmount(request.refundMoney);
      if (amount.kind === 'refused') {
        return { outcome: { kind: 'declined', code: amount.code, message: amount.message }, trace: localTrace('orders/refund', amount.code, amount.message) };
      }
      const lookup = await paymentDetails(request.orderNo);
      if (!lookup.result.ok) return { outcome: unanswered(lookup.result), trace: traceOf([lookup]) };
      const earlier = findRefund(
        readRefundList(lookup.result.answer, request.orderNo, request.refundMoney.currency),
        request.refundMoney,
        request.settledRefunds,
      );
      switch (earlier.kind) {
        case 'succeeded': // already refunded by an earlier, unanswered attempt: never twice
          return { outcome: { kind: 'succeeded' }, trace: traceOf([lookup]) };
        case 'unknown':
          return { outcome: { kind: 'unknown', reason: earlier.reason }, trace: traceOf([lookup]) };
        case 'rejected':
          return { outcome: earlier, trace: traceOf([lookup]) };
        case 'not_found':
        case 'processing':
        case 'failed':
          break;
        default: {
          const unreachable: never = earlier;
          throw new Error(`unexpected refund lookup ${JSON.stringify(unreachable)}`);
        }
      }
      const record = await call('orders/refund', {
        method: 'POST',
        path: orderPath(version, request.orderNo, 'refund'),
        body: refundBody(amount.amount),
      });
      const outcome = record.result.ok ? toRefundOutcome(record.result.answer) : unanswered(record.result);
      return { outcome, trace: traceOf([lookup, record]) };
    },

    async refundQuery(request) {
      const record = await paymentDetails(request.orderNo);
      const outcome = record.result.ok
        ? findRefund(readRefundList(record.result.answer, request.orderNo, request.refundMoney.currency), request.refundMoney, request.settledRefunds)
        : unanswered(record.result);
      return { outcome, trace: traceOf([record]) };
    },

    mapFailure: mapLinePayFailure,
  };
  return adapter;
}
