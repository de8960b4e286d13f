/**
 * UnionPay online payments adapter (acp 5.1.0 gateway payment, CHOP method
 * `upop`): HTTP plumbing around the pure transformers.
 *
 * The consume is a front transaction: the shopper's browser posts a signed
 * form to frontTransReq.do, so `createOrder` calls nothing and returns the
 * form. Queries (queryTrans.do) and refunds (backTransReq.do) are
 * server-to-server. Anything that leaves CanCan unsure whether money moved —
 * timeout, connection error, non-2xx, unparsable body, an answer whose
 * signature does not verify, respCode 03/04/06 — is `unknown`, never a decline.
 * In live mode an answer is trusted only through the signPubKeyCert it
 * carries (certs.ts); one whose certificate is not UnionPay's under the
 * configured root is `rejected` with the reason, as asking again cannot help.
 *
 * UnionPay names a transaction by merId + orderId + the txnTime it was sent
 * with, and every query must repeat that txnTime. The adapter returns each
 * txnTime it sends as provider data (`txnTime:<orderId>`), CanCan stores it
 * with the attempt and hands it back on later calls, so any process can query
 * the order. An order whose txnTime is not handed back is `unknown`, never guessed.
 */
import { performance } from 'node:perf_hooks';
import { describeCallError } from '../call-errors.js';
import { providerFetch, type ProviderFetch } from '../http-client.js';
import { chinaTime } from '../china-time.js';
import type {
  CloseOutcome,
  OnlineAdapter,
  OrderOutcome,
  OrderRequest,
  ProviderData,
  ProviderTrace,
  QueryOutcome,
  RefundOutcome,
  RefundQueryOutcome,
  RefundRequest,
  Rejected,
  Traced,
} from '../contract.js';
import { checkSigningCert } from './certs.js';
import type { UnionPayLiveCredentials } from './credentials.js';
import { mapUnionPayFailure, RESP_DUPLICATE } from './errors.js';
import { parseAnswer, signFields, verifyFields, type UnionPayFields } from './sign.js';
import {
  frontConsumeFields,
  isUnionPayOrderId,
  orderCodeUrl,
  queryFields,
  refundFields,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  traceCode,
  traceMessage,
  UNIONPAY_PATHS,
  type ChannelType,
} from './transformers.js';

/** Test mode: answers are verified with the simulator's public key as it is. */
export interface UnionPaySandboxCredentials {
  /** 15-digit merchant number (商户号). */
  readonly merId: string;
  /** The merchant's signing private key (PEM). */
  readonly merchantPrivateKeyPem: string;
  /** The simulated UnionPay's signing public key (PEM): verifies answers and notifications. */
  readonly unionPayPublicKeyPem: string;
  /** Serial number of the merchant's signing certificate; left out when absent. */
  readonly certId?: string;
}

/** Test mode's key, or live mode's certificates (answers then carry the signing certificate, checked up to the root). */
export type UnionPayCredentials = UnionPaySandboxCredentials | UnionPayLiveCredentials;

const isLive = (credentials: UnionPayCredentials): credentials is UnionPayLiveCredentials => 'rootCertPem' in credentials;

/** Why a message cannot be trusted; `untrustedCert` when its signing certificate fails UnionPay's chain checks. */
export type UnionPayVerification = { readonly ok: true } | { readonly ok: false; readonly untrustedCert: boolean; readonly detail: string };

/**
 * Whether an answer or notification is signed by UnionPay: live, its
 * signPubKeyCert passes the chain checks (certs.ts) and its key verifies the
 * signature; test mode, the sandbox public key verifies it.
 */
export function verifyUnionPayMessage(fields: UnionPayFields, credentials: UnionPayCredentials, now: number): UnionPayVerification {
  let key = isLive(credentials) ? null : credentials.unionPayPublicKeyPem;
  if (isLive(credentials)) {
    const cert = checkSigningCert(fields['signPubKeyCert'], credentials, now);
    if (!cert.ok) return { ok: false, untrustedCert: true, detail: cert.detail };
    key = cert.certPem;
  }
  if (key === null || !verifyFields(fields, key)) return { ok: false, untrustedCert: false, detail: 'signature does not verify' };
  return { ok: true };
}

export const UNIONPAY_LIVE_BASE_URL = 'https://gateway.95516.com';

/**
 * backUrl when CanCan gives none (refunds, orders without notifyUrl): a name
 * that can never resolve (RFC 2606 `.invalid`), so notifications go nowhere
 * and CanCan learns the result by querying.
 */
export const UNIONPAY_NO_NOTIFY_URL = 'https://notify.invalid/unionpay';

/** Why a refund is left to an operator when UnionPay already has its orderId under a txnTime CanCan never recorded. */
export const LOST_REFUND_TXN_TIME =
  'UnionPay already has this refund orderId (12), sent with a txnTime that was never recorded; find the refund in the UnionPay merchant portal';

/** The provider data naming the txnTime an orderId (a consume or a refund) was sent with. */
export function unionPayTxnTimeData(orderId: string, txnTime: string): ProviderData {
  return { [`txnTime:${orderId}`]: txnTime };
}

const txnTimeIn = (data: ProviderData | undefined, orderId: string): string | undefined => data?.[`txnTime:${orderId}`];

export interface UnionPayAdapterOptions {
  /** Gateway origin (plus simulator prefix): `https://gateway.95516.com`, `http://host/_sim/unionpay`. */
  baseUrl: string;
  credentials: UnionPayCredentials;
  timeoutMs: number;
  fetch?: ProviderFetch;
  now?: () => number;
  /** 07 PC (default) or 08 mobile: which payment page UnionPay shows. */
  channelType?: ChannelType;
}

type CallName = 'frontTransReq' | 'queryTrans' | 'backTransReq';

/** What one call produced: verified fields, or the reason nothing can be trusted. */
type CallResult =
  | { readonly ok: true; readonly fields: UnionPayFields; readonly httpStatus: number; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly httpStatus: number | null;
      readonly latencyMs: number;
      /** The answer's signing certificate failed the chain checks: retrying cannot help. */
      readonly untrustedCert?: boolean;
    };

/** The trace and rejection code of an answer whose signing certificate is not UnionPay's. */
export const UNTRUSTED_CERT = 'signPubKeyCert';

/**
 * An answer signed with a certificate that is not UnionPay's (wrong chain,
 * expired, foreign root, another CN) is definite: nobody can be believed to
 * have answered, and asking again cannot change that; an operator must look.
 */
const untrusted = (reason: string): Rejected => ({ kind: 'rejected', code: UNTRUSTED_CERT, message: reason });

export function createUnionPayAdapter(options: UnionPayAdapterOptions): OnlineAdapter {
  const { credentials, timeoutMs } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? providerFetch('unionpay');
  const now = options.now ?? Date.now;
  const channelType = options.channelType ?? '07';
  const frontAction = `${baseUrl}${UNIONPAY_PATHS.front}`;

  const trace = (call: CallName, latencyMs: number, httpStatus: number | null, code: string | null, message: string | null): ProviderTrace => ({
    provider: 'unionpay',
    call,
    latencyMs,
    httpStatus,
    code,
    message,
  });

  async function call(path: string, fields: Record<string, string>): Promise<CallResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let httpStatus: number | null = null;
    try {
      const signed = signFields(fields, credentials.merchantPrivateKeyPem);
      const response = await doFetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams(signed).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = response.status;
      const body = await response.text();
      if (!response.ok) return { ok: false, reason: `HTTP ${response.status}`, httpStatus, latencyMs: elapsed() };
      const answer = parseAnswer(body);
      if (answer === null) return { ok: false, reason: 'unparsable answer: not k=v&k=v with unique names', httpStatus, latencyMs: elapsed() };
      const verified = verifyUnionPayMessage(answer, credentials, now());
      if (!verified.ok) return { ok: false, reason: `answer ${verified.detail}`, untrustedCert: verified.untrustedCert, httpStatus, latencyMs: elapsed() };
      if (answer['merId'] !== undefined && answer['merId'] !== credentials.merId) {
        return { ok: false, reason: 'answer names another merId', httpStatus, latencyMs: elapsed() };
      }
      return { ok: true, fields: answer, httpStatus, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, reason: describeCallError(error, timeoutMs), httpStatus, latencyMs: elapsed() };
    }
  }

  /** Runs one call and turns its answer into an outcome plus a secret-free trace. */
  async function traced<T>(
    name: CallName,
    path: string,
    fields: Record<string, string>,
    interpret: (fields: UnionPayFields) => T,
    whenUnknown: (reason: string) => T,
    whenUntrusted: (reason: string) => T = whenUnknown,
  ): Promise<Traced<T>> {
    const result = await call(path, fields);
    if (!result.ok) {
      const outcome = result.untrustedCert === true ? whenUntrusted(result.reason) : whenUnknown(result.reason);
      return { outcome, trace: trace(name, result.latencyMs, result.httpStatus, result.untrustedCert === true ? UNTRUSTED_CERT : null, result.reason) };
    }
    return {
      outcome: interpret(result.fields),
      trace: trace(name, result.latencyMs, result.httpStatus, traceCode(result.fields), traceMessage(result.fields)),
    };
  }

  /** A txnTime this adapter never sent cannot be queried: say so instead of guessing. */
  function unknownTxnTime<T>(orderId: string, whenUnknown: (reason: string) => T): Traced<T> {
    const reason = `txnTime of orderId ${orderId} was not handed to the adapter; UnionPay queries need it`;
    return { outcome: whenUnknown(reason), trace: trace('queryTrans', 0, null, null, reason) };
  }

  async function query(orderNo: string, data?: ProviderData): Promise<Traced<QueryOutcome>> {
    const txnTime = txnTimeIn(data, orderNo);
    const unknown = (reason: string): QueryOutcome => ({ kind: 'unknown', reason });
    if (txnTime === undefined) return unknownTxnTime(orderNo, unknown);
    return traced(
      'queryTrans',
      UNIONPAY_PATHS.query,
      queryFields(credentials.merId, credentials.certId, orderNo, txnTime),
      (fields) => toQueryOutcome(fields, orderNo),
      unknown,
      untrusted,
    );
  }

  async function createOrder(request: OrderRequest): Promise<Traced<OrderOutcome>> {
    const declined = (code: string, message: string): Traced<OrderOutcome> => ({
      outcome: { kind: 'declined', code, message },
      trace: trace('frontTransReq', 0, null, code, message),
    });
    // 10 报文格式错误 / 13 报文交易要素缺失: what the gateway would answer; better said before the shopper sees it.
    if (!isUnionPayOrderId(request.orderNo)) return declined('10', 'orderId must be 8–40 letters and digits');
    if (request.money.amount <= 0) return declined('10', 'txnAmt must be positive');
    if (request.returnUrl === null) return declined('13', 'frontUrl (the return URL) is required for a front consume');
    try {
      // A retry of the same order must send the same txnTime, or UnionPay would see another transaction.
      const txnTime = txnTimeIn(request.providerData, request.orderNo) ?? chinaTime(now());
      const fields = signFields(
        frontConsumeFields({
          merId: credentials.merId,
          certId: credentials.certId,
          orderId: request.orderNo,
          txnTime,
          money: request.money,
          frontUrl: request.returnUrl,
          backUrl: request.notifyUrl ?? UNIONPAY_NO_NOTIFY_URL,
          payTimeout: chinaTime(request.expiresAt),
          channelType,
        }),
        credentials.merchantPrivateKeyPem,
      );
      const qrCode = orderCodeUrl(frontAction, credentials.merId, request.orderNo, txnTime);
      return {
        outcome: { kind: 'created', qrCode, payForm: { action: frontAction, fields } },
        trace: trace('frontTransReq', 0, null, null, null),
        providerData: unionPayTxnTimeData(request.orderNo, txnTime),
      };
    } catch (error) {
      const reason = `cannot sign the front consume: ${error instanceof Error ? error.name : 'error'}`; // never the key itself
      return { outcome: { kind: 'unknown', reason, code: null }, trace: trace('frontTransReq', 0, null, null, reason) };
    }
  }

  /**
   * UnionPay has no "close" for an unpaid front consume: the order stops
   * being payable at the payTimeout createOrder sent (the order's expiresAt).
   * So close asks the gateway: paid → already_paid; still processing (money
   * may yet move) → retry; never paid or failed → closed. Closing before
   * expiresAt cannot stop a shopper who is on UnionPay's page right now.
   */
  async function close(orderNo: string, data?: ProviderData): Promise<Traced<CloseOutcome>> {
    const { outcome, trace: queryTrace } = await query(orderNo, data);
    switch (outcome.kind) {
      case 'paid':
        return { outcome: { kind: 'already_paid' }, trace: queryTrace };
      case 'awaiting_customer':
        return { outcome: { kind: 'retry', reason: 'the payment is still processing at UnionPay' }, trace: queryTrace };
      case 'not_paid':
      case 'closed':
        return { outcome: { kind: 'closed' }, trace: queryTrace };
      case 'unknown':
        return { outcome: { kind: 'unknown', reason: outcome.reason }, trace: queryTrace };
      case 'rejected':
        return { outcome, trace: queryTrace };
      default: {
        const unreachable: never = outcome;
        throw new Error(`unexpected query outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** A refund names the consume by its queryId, so the consume is queried first. */
  async function refund(request: RefundRequest): Promise<Traced<RefundOutcome>> {
    const original = await query(request.orderNo, request.providerData);
    const sale = original.outcome;
    const viaQuery = (outcome: RefundOutcome): Traced<RefundOutcome> => ({ outcome, trace: original.trace });
    switch (sale.kind) {
      case 'paid':
        break;
      case 'not_paid':
        return viaQuery({ kind: 'declined', code: '34', message: 'the sale is not paid at UnionPay (no such transaction)' });
      case 'closed':
        return viaQuery({ kind: 'declined', code: '35', message: `the sale failed at UnionPay (${sale.code})` });
      case 'awaiting_customer':
        return viaQuery({ kind: 'declined', code: '35', message: 'the sale is still processing at UnionPay' });
      case 'unknown':
        return viaQuery({ kind: 'unknown', reason: `querying the sale: ${sale.reason}` });
      case 'rejected':
        return viaQuery(sale);
      default: {
        const unreachable: never = sale;
        throw new Error(`unexpected query outcome ${JSON.stringify(unreachable)}`);
      }
    }
    if (sale.providerTxnId === null) return viaQuery({ kind: 'unknown', reason: 'the paid sale has no queryId' });
    if (!isUnionPayOrderId(request.refundNo)) return viaQuery({ kind: 'declined', code: '10', message: 'refund orderId must be 8–40 letters and digits' });
    // Handed back with every outcome, unknown ones too: after a timeout, refundQuery must ask with this very txnTime.
    const storedTxnTime = txnTimeIn(request.providerData, request.refundNo);
    const txnTime = storedTxnTime ?? chinaTime(now());
    let lostTxnTime = false;
    const result = await traced(
      'backTransReq',
      UNIONPAY_PATHS.back,
      refundFields({
        merId: credentials.merId,
        certId: credentials.certId,
        orderId: request.refundNo,
        txnTime,
        money: request.refundMoney,
        origQryId: sale.providerTxnId,
        backUrl: UNIONPAY_NO_NOTIFY_URL,
        channelType,
      }),
      (fields): RefundOutcome => {
        // 12 for a refund sent for the first time (as far as CanCan knows): an earlier send reached UnionPay and
        // its txnTime was lost before it was recorded (a crash between call and commit). That refund can be
        // neither queried nor repeated without its txnTime: never fail it, never store the new txnTime.
        lostTxnTime = storedTxnTime === undefined && fields['respCode'] === RESP_DUPLICATE;
        if (lostTxnTime) return { kind: 'unknown', reason: LOST_REFUND_TXN_TIME };
        return toRefundOutcome(fields, request.refundNo);
      },
      (reason): RefundOutcome => ({ kind: 'unknown', reason }),
    );
    return {
      outcome: result.outcome,
      trace: { ...result.trace, latencyMs: result.trace.latencyMs + original.trace.latencyMs },
      ...(lostTxnTime ? {} : { providerData: unionPayTxnTimeData(request.refundNo, txnTime) }),
    };
  }

  async function refundQuery(request: RefundRequest): Promise<Traced<RefundQueryOutcome>> {
    const txnTime = txnTimeIn(request.providerData, request.refundNo);
    const unknown = (reason: string): RefundQueryOutcome => ({ kind: 'unknown', reason });
    if (txnTime === undefined) return unknownTxnTime(request.refundNo, unknown);
    return traced(
      'queryTrans',
      UNIONPAY_PATHS.query,
      queryFields(credentials.merId, credentials.certId, request.refundNo, txnTime),
      (fields) => toRefundQueryOutcome(fields, request),
      unknown,
      untrusted,
    );
  }

  return { provider: 'unionpay', createOrder, query, close, refund, refundQuery, mapFailure: mapUnionPayFailure };
}

/**
 * Whether an asynchronous notification (the form UnionPay posts to backUrl,
 * or the front notification on frontUrl) is signed by UnionPay. Read its
 * respCode only after this says true — and prefer a query before trusting it.
 */
export function verifyUnionPayNotification(fields: UnionPayFields, trust: string | UnionPayCredentials, now: number = Date.now()): boolean {
  if (typeof trust === 'string') return verifyFields(fields, trust);
  return verifyUnionPayMessage(fields, trust, now).ok;
}
