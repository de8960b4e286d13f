/**
 * The throwaway provider's adapter: a few JSON calls over HTTP, just enough
 * for a POS sale (and its queries, reversal and refunds) and a hosted-checkout
 * QR charge.
 */
import { performance } from 'node:perf_hooks';
import type {
  CloseOutcome,
  OnlineAdapter,
  OrderOutcome,
  PayOutcome,
  PosAdapter,
  PosProviderName,
  QueryOutcome,
  RefundOutcome,
  RefundQueryOutcome,
  ReverseOutcome,
  Traced,
} from '../../../src/providers/contract.js';
import type { FailureCode } from '../../../src/domain/failures.js';

export interface ThrowawayCredentials {
  readonly token: string;
}

export const THROWAWAY_SANDBOX_CREDENTIALS: ThrowawayCredentials = { token: 'throwaway-sandbox-token' };

/** What the simulator answers: a status word and, on refusals, a code. */
interface Answer {
  readonly status: string;
  readonly code?: string;
  readonly txnId?: string;
}

// The provider names' type comes from the real list; this provider is added to a list only in tests.
const NAME = 'throwaway' as PosProviderName;

export function createThrowawayAdapter(options: { endpoint: string; credentials: ThrowawayCredentials; timeoutMs: number }): PosAdapter & OnlineAdapter {
  async function send<T>(path: string, body: object, toOutcome: (answer: Answer) => T, unknown: (reason: string) => T): Promise<Traced<T>> {
    const started = performance.now();
    let httpStatus: number | null = null;
    try {
      const response = await fetch(`${options.endpoint}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.credentials.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      httpStatus = response.status;
      const answer = (await response.json()) as Answer;
      const trace = {
        provider: NAME,
        call: path.slice(1),
        latencyMs: performance.now() - started,
        httpStatus,
        code: answer.code ?? null,
        message: answer.status,
      };
      return { outcome: response.ok ? toOutcome(answer) : unknown(`HTTP ${response.status}`), trace };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        outcome: unknown(reason),
        trace: { provider: NAME, call: path.slice(1), latencyMs: performance.now() - started, httpStatus, code: null, message: reason },
      };
    }
  }

  const query = (orderNo: string) =>
    send<QueryOutcome>(
      '/query',
      { orderNo },
      (a) =>
        a.status === 'paid'
          ? { kind: 'paid', providerTxnId: a.txnId ?? null }
          : a.status === 'closed'
            ? { kind: 'closed', code: 'CLOSED' }
            : { kind: 'not_paid' },
      (reason) => ({ kind: 'unknown', reason }),
    );

  return {
    provider: NAME,
    isWellFormedAuthCode: (authCode) => /^\d{8}$/.test(authCode),
    mapFailure: (code): FailureCode => (code === 'NO_FUNDS' ? 'customer_insufficient_balance_failure' : 'unknown_failure'),
    pay: (request) =>
      send<PayOutcome>(
        '/pay',
        { orderNo: request.orderNo, amount: request.money.amount, currency: request.money.currency, authCode: request.authCode },
        (a) => (a.status === 'paid' ? { kind: 'paid', providerTxnId: a.txnId ?? null } : { kind: 'declined', code: a.code ?? 'DECLINED', message: a.status }),
        (reason) => ({ kind: 'unknown', reason, code: null }),
      ),
    query,
    reverse: (orderNo) =>
      send<ReverseOutcome>(
        '/reverse',
        { orderNo },
        () => ({ kind: 'reversed' }),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    refund: (request) =>
      send<RefundOutcome>(
        '/refund',
        { orderNo: request.orderNo, refundNo: request.refundNo, amount: request.refundMoney.amount },
        () => ({ kind: 'succeeded' }),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    refundQuery: (request) =>
      send<RefundQueryOutcome>(
        '/refund-query',
        { refundNo: request.refundNo },
        (a) => (a.status === 'refunded' ? { kind: 'succeeded' } : { kind: 'not_found' }),
        (reason) => ({ kind: 'unknown', reason }),
      ),
    createOrder: (request) =>
      send<OrderOutcome>(
        '/order',
        { orderNo: request.orderNo, amount: request.money.amount, currency: request.money.currency },
        (a) =>
          a.status === 'created'
            ? { kind: 'created', qrCode: `throwaway:${request.orderNo}`, payForm: null }
            : { kind: 'declined', code: a.code ?? 'DECLINED', message: a.status },
        (reason) => ({ kind: 'unknown', reason, code: null }),
      ),
    close: (orderNo) =>
      send<CloseOutcome>(
        '/close',
        { orderNo },
        (a) => (a.status === 'paid' ? { kind: 'already_paid' } : { kind: 'closed' }),
        (reason) => ({ kind: 'unknown', reason }),
      ),
  };
}
