/**
 * A scripted provider for engine tests: every adapter call takes the next
 * scripted answer (in order, for the call it names) and is recorded with what
 * it was called with. One script serves the POS, online and card views, as one
 * provider would. A call nobody scripted is recorded and fails loudly.
 */
import type { FailureCode } from '../../src/domain/failures.js';
import type { KeyMode } from '../../src/domain/secrets.js';
import type { PaymentMethod } from '../../src/chop/methods.js';
import type { AdapterSource } from '../../src/providers/adapters.js';
import { describeCallError } from '../../src/providers/call-errors.js';
import type {
  CardAdapter,
  CardSaleOutcome,
  CardSaleRequest,
  CloseOutcome,
  OnlineAdapter,
  OrderOutcome,
  OrderRequest,
  PayOutcome,
  PayRequest,
  PosAdapter,
  PosProviderName,
  ProviderName,
  QueryOutcome,
  RefundOutcome,
  RefundQueryOutcome,
  RefundRequest,
  ReverseOutcome,
  Traced,
} from '../../src/providers/contract.js';
import type { GatewayProfile } from '../../src/providers/registry.js';
import type { FakeClock } from './fake-clock.js';

/** Each adapter call, what it is called with and what it answers. */
export interface Calls {
  pay: { request: PayRequest; outcome: PayOutcome };
  query: { request: string; outcome: QueryOutcome };
  reverse: { request: string; outcome: ReverseOutcome };
  refund: { request: RefundRequest; outcome: RefundOutcome };
  refundQuery: { request: RefundRequest; outcome: RefundQueryOutcome };
  createOrder: { request: OrderRequest; outcome: OrderOutcome };
  close: { request: string; outcome: CloseOutcome };
  sale: { request: CardSaleRequest; outcome: CardSaleOutcome };
}
export type CallName = keyof Calls;

/** How a scripted call ends. */
export type Behaviour<K extends CallName> =
  /** The provider answers this. */
  | { readonly answer: Calls[K]['outcome'] }
  /** No answer within the adapter's limit: the clock moves on by it and the call reports `unknown`, as the real adapters do. */
  | { readonly timeout: true }
  /** The adapter fails with an exception (a bug, an unexpected answer it does not turn into an outcome). */
  | { readonly throws: string }
  /** The call reaches the provider and never returns: the worker died before it could record anything. */
  | { readonly hang: true };

export type ScriptItem<K extends CallName = CallName> = Behaviour<K> & {
  readonly call: K;
  /** Runs while the call is in flight (before it answers): another worker taking the job over, a concurrent request. */
  readonly during?: () => Promise<void>;
};

export interface RecordedCall {
  readonly call: CallName;
  readonly request: unknown;
}

export class UnscriptedCall extends Error {}

/** Provider codes the fake maps to failure codes; any other code maps to unknown_failure, as in the real tables. */
export const FAKE_FAILURE_CODES: Readonly<Record<string, FailureCode>> = {
  NOTENOUGH: 'customer_insufficient_balance_failure',
  BANKERROR: 'bank_failure',
  AUTHCODEEXPIRE: 'payment_auth_key_failure',
  REFUND_TOO_LATE: 'refund_not_allowed_failure',
  CARD_DECLINED: 'card_failure',
};

export class ScriptedProvider {
  private readonly script: ScriptItem[] = [];
  /** Every call made, in order, whether scripted or not. */
  readonly calls: RecordedCall[] = [];

  constructor(
    private readonly clock: FakeClock,
    readonly timeoutMs: number,
  ) {}

  /** Adds the next expected call and how it ends. */
  expect<K extends CallName>(call: K, behaviour: Behaviour<K>, during?: () => Promise<void>): this {
    this.script.push({ call, ...behaviour, ...(during ? { during } : {}) });
    return this;
  }

  /** The scripted calls not made yet. */
  get unused(): readonly CallName[] {
    return this.script.map((item) => item.call);
  }

  /** Names of the calls made since `from` (an index into `calls`). */
  callNamesSince(from: number): CallName[] {
    return this.calls.slice(from).map((c) => c.call);
  }

  private async answer<K extends CallName>(provider: ProviderName, call: K, request: Calls[K]['request']): Promise<Traced<Calls[K]['outcome']>> {
    this.calls.push({ call, request });
    const item = this.script[0];
    if (!item || item.call !== call) throw new UnscriptedCall(`unscripted ${call} call (next scripted: ${item?.call ?? 'nothing'})`);
    this.script.shift();
    await item.during?.();
    const trace = (code: string | null, message: string | null, latencyMs = 5, httpStatus: number | null = 200) => ({
      provider,
      call,
      latencyMs,
      httpStatus,
      code,
      message,
    });
    if ('answer' in item) {
      const outcome = item.answer as Calls[K]['outcome'];
      const code = 'code' in outcome && typeof outcome.code === 'string' ? outcome.code : null;
      return { outcome, trace: trace(code, outcome.kind) };
    }
    if ('timeout' in item) {
      this.clock.advance(this.timeoutMs);
      const reason = describeCallError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), this.timeoutMs);
      // Every outcome union has this `unknown` member; `code` is only read where the union declares it.
      const outcome = { kind: 'unknown', reason, code: null } as unknown as Calls[K]['outcome'];
      return { outcome, trace: trace(null, reason, this.timeoutMs, null) };
    }
    if ('throws' in item) throw new Error(item.throws);
    return new Promise<never>(() => undefined);
  }

  mapFailure = (code: string): FailureCode => FAKE_FAILURE_CODES[code] ?? 'unknown_failure';

  private refunds(provider: ProviderName) {
    return {
      refund: (request: RefundRequest) => this.answer(provider, 'refund', request),
      refundQuery: (request: RefundRequest) => this.answer(provider, 'refundQuery', request),
      mapFailure: this.mapFailure,
    };
  }

  /** What a POS gateway's provider offers. */
  pos(provider: PosProviderName): PosAdapter {
    return {
      provider,
      ...this.refunds(provider),
      isWellFormedAuthCode: (authCode) => /^\d{18}$/.test(authCode),
      pay: (request) => this.answer(provider, 'pay', request),
      query: (orderNo) => this.answer(provider, 'query', orderNo),
      reverse: (orderNo) => this.answer(provider, 'reverse', orderNo),
    };
  }

  /** What a hosted-checkout wallet offers (no `sale`: the engine tells a card acquirer by it). */
  online(provider: ProviderName): OnlineAdapter {
    return {
      provider,
      ...this.refunds(provider),
      createOrder: (request) => this.answer(provider, 'createOrder', request),
      query: (orderNo) => this.answer(provider, 'query', orderNo),
      close: (orderNo) => this.answer(provider, 'close', orderNo),
    };
  }

  card(): CardAdapter {
    return {
      provider: 'card',
      ...this.refunds('card'),
      sale: (request) => this.answer('card', 'sale', request),
      query: (orderNo) => this.answer('card', 'query', orderNo),
    };
  }

  /** Serves every gateway, payment method and mode from this script. */
  source(): AdapterSource {
    return {
      adapterFor: async (profile: GatewayProfile, _mode: KeyMode) => this.pos(profile.provider as PosProviderName),
      onlineAdapterFor: async (method: PaymentMethod, _mode: KeyMode) => this.online(method.provider as ProviderName),
      cardAdapterFor: async (_mode: KeyMode) => this.card(),
      // Scripted adapters have no credentials: notifications and statements are tested with the simulators.
      contextFor: async () => null,
    };
  }
}
