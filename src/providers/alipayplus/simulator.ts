/**
 * Alipay+ simulator: Antom's side of the AMS online payment APIs for the
 * Alipay+ wallets (pay as Cashier Payment, inquiryPayment, cancel, refund,
 * inquiryRefund), speaking signed JSON both ways. Register with
 * `prefix: '/_sim/alipayplus'`; it serves `POST /ams/api/v1/payments/<api>`
 * and the sandbox paths `/ams/sandbox/api/v1/payments/<api>`.
 *
 * The shopper pays through the sandbox wallet: each payment's QR content and
 * cashier URL are registered in the ledger, and the scan handler applies the
 * test values (docs/providers.md) with `approveBehaviour`. What the simulator knows
 * lives in the SimulatorLedger and is committed before it answers.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isCurrencyCode } from '../../domain/money.js';
import { testValue } from '../../simulators/test-values.js';
import { ALIPAYPLUS_AMOUNT_RULES } from './amount-rules.js';
import type { SimOrder, SimulatorLedger } from '../../simulators/ledger.js';
import { approveBehaviour, type SandboxWallet, type ScanAction, type ScanResult } from '../../simulators/wallet.js';
import { isoTime, parseIsoTime, parseRequestTime, signMessage, verifyMessage } from './sign.js';
import {
  ALIPAYPLUS_APIS,
  ALIPAYPLUS_PAYMENT_METHOD_TYPES,
  ALIPAYPLUS_WALLET_CURRENCIES,
  isJsonObject,
  type AlipayPlusApi,
  type AlipayPlusPaymentMethod,
  type JsonObject,
} from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';
import { registerSettlementReportRoute } from './statement-simulator.js';

export interface AlipayPlusSimulatorOptions {
  ledger: SimulatorLedger;
  /** The sandbox customer wallet that scans the codes this simulator issues. */
  wallet?: SandboxWallet;
  /** The merchants Antom knows, with the public keys their requests are verified with. */
  clients: Array<{ clientId: string; publicKeyPem: string }>;
  /** The simulated Antom private key: signs every answer. */
  providerPrivateKeyPem: string;
  /** How long a test-value-53 payment waits for the customer before it is paid. */
  confirmDelayMs: number;
  /** How late the answer to a test-value-56 pay comes (default 0). */
  slowResponseMs?: number;
  now?: () => number;
}

const PROVIDER = 'alipayplus';

/** Antom closes an unpaid Cashier Payment 14 minutes after the pay call unless paymentExpiryTime says otherwise. */
const DEFAULT_EXPIRY_MS = 14 * 60_000;

/** paymentMethodType → the currencies that wallet accepts. */
const WALLET_CURRENCIES: ReadonlyMap<string, readonly string[]> = new Map(
  (Object.keys(ALIPAYPLUS_PAYMENT_METHOD_TYPES) as AlipayPlusPaymentMethod[]).map(
    (method) => [ALIPAYPLUS_PAYMENT_METHOD_TYPES[method], ALIPAYPLUS_WALLET_CURRENCIES[method]] as const,
  ),
);

/** paymentMethodType → the currencies that wallet takes in whole units only (their test values read the whole amount). */
const WHOLE_UNIT_CURRENCIES: ReadonlyMap<string, readonly string[]> = new Map(
  (Object.keys(ALIPAYPLUS_PAYMENT_METHOD_TYPES) as AlipayPlusPaymentMethod[]).map(
    (method) => [ALIPAYPLUS_PAYMENT_METHOD_TYPES[method], ALIPAYPLUS_AMOUNT_RULES[method].wholeUnitCurrencies ?? []] as const,
  ),
);
const wholeUnitCurrenciesOf = (paymentMethodType: string): readonly string[] => WHOLE_UNIT_CURRENCIES.get(paymentMethodType) ?? [];

/**
 * Antom's cancellation periods (docs.antom.com, Cashier Payment "Cancel"):
 * Indonesia-based payment methods and JKOPay cannot be cancelled at all.
 */
const NOT_CANCELLABLE: ReadonlySet<string> = new Set(['DANA', 'JKOPAY']);

/** What the ledger's opaque `providerState` holds for an Alipay+ payment. */
interface PaymentState {
  readonly method: string;
  readonly expiresAt: number;
  readonly createdAt: number;
  /** paymentResultCode of a FAIL payment. */
  readonly failCode?: string;
  readonly failMessage?: string;
  readonly paidAt?: number;
  readonly code: string;
  readonly cashierUrl: string;
}

type Result = { resultCode: string; resultStatus: 'S' | 'F' | 'U'; resultMessage: string };
type Answer = Record<string, unknown>;

const ok = (fields: Answer = {}): Answer => ({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } satisfies Result, ...fields });
const fail = (resultCode: string, resultMessage: string, fields: Answer = {}): Answer => ({
  result: { resultCode, resultStatus: 'F', resultMessage } satisfies Result,
  ...fields,
});
const unknown = (resultCode: string, resultMessage: string, fields: Answer = {}): Answer => ({
  result: { resultCode, resultStatus: 'U', resultMessage } satisfies Result,
  ...fields,
});
const URL_MAX_CHARS = 2048;
const illegal = (what: string): Answer => fail('PARAM_ILLEGAL', `Illegal parameters: ${what}`);

export function alipayPlusSimulator(options: AlipayPlusSimulatorOptions): FastifyPluginAsync {
  const { ledger, confirmDelayMs, providerPrivateKeyPem } = options;
  const slowResponseMs = options.slowResponseMs ?? 0;
  const now = options.now ?? Date.now;

  function stateOf(order: SimOrder): PaymentState {
    const parsed: unknown = JSON.parse(order.providerState ?? '{}');
    if (!isJsonObject(parsed) || typeof parsed['method'] !== 'string' || typeof parsed['expiresAt'] !== 'number') {
      throw new Error(`corrupt Alipay+ simulator state for ${order.orderNo}`);
    }
    return parsed as unknown as PaymentState;
  }

  function update(order: SimOrder, changes: Partial<Pick<SimOrder, 'status' | 'confirmAt' | 'refundedAmount'>>, state: Partial<PaymentState> = {}): SimOrder {
    return ledger.updateOrder(PROVIDER, order.orderNo, { ...changes, providerState: JSON.stringify({ ...stateOf(order), ...state }) });
  }

  /** Reads a payment, first letting a waiting customer confirm, or the payment expire, if its time has come. */
  function readOrder(orderNo: string): SimOrder | null {
    const order = ledger.findOrder(PROVIDER, orderNo);
    if (order === null || order.status !== 'unpaid') return order;
    const { expiresAt } = stateOf(order);
    const at = now();
    if (order.confirmAt !== null && at >= order.confirmAt && order.confirmAt < expiresAt) {
      return update(order, { status: 'paid', confirmAt: null }, { paidAt: order.confirmAt });
    }
    if (at >= expiresAt) {
      return update(order, { status: 'closed', confirmAt: null }, { failCode: 'ORDER_IS_CLOSED', failMessage: 'The payment has expired.' });
    }
    return order;
  }

  function findByPaymentId(paymentId: string): SimOrder | null {
    const entry = ledger
      .entries()
      .find((candidate) => candidate.provider === PROVIDER && ledger.findOrder(PROVIDER, candidate.order_no)?.providerTxnId === paymentId);
    return entry === undefined ? null : readOrder(entry.order_no);
  }

  const amountOf = (value: number, currency: string): Answer => ({ currency, value: String(value) });

  function paymentFields(order: SimOrder): Answer {
    const state = stateOf(order);
    return {
      paymentRequestId: order.orderNo,
      paymentId: order.providerTxnId,
      paymentAmount: amountOf(order.amount, order.currency),
      paymentCreateTime: isoTime(state.createdAt),
    };
  }

  /** The Cashier Payment answer: U + PAYMENT_IN_PROCESS with the code the wallet scans. */
  function inProcess(order: SimOrder): Answer {
    const state = stateOf(order);
    return unknown('PAYMENT_IN_PROCESS', 'payment in process', {
      ...paymentFields(order),
      paymentMethodType: state.method,
      normalUrl: state.cashierUrl,
      orderCodeForm: {
        expireTime: isoTime(state.expiresAt),
        codeDetails: [{ codeValue: state.code, displayType: 'TEXT' }],
      },
    });
  }

  async function pay(body: JsonObject, origin: string): Promise<Answer> {
    if (body['productCode'] !== 'CASHIER_PAYMENT') return illegal('productCode (only CASHIER_PAYMENT is simulated)');
    const orderNo = body['paymentRequestId'];
    if (!isRequestId(orderNo)) return illegal('paymentRequestId');
    const amount = readAmount(body['paymentAmount']);
    if (amount === null) return illegal('paymentAmount');
    const order = body['order'];
    if (!isJsonObject(order) || typeof order['orderDescription'] !== 'string' || order['orderDescription'] === '') return illegal('order.orderDescription');
    const paymentMethod = body['paymentMethod'];
    const method = isJsonObject(paymentMethod) ? paymentMethod['paymentMethodType'] : undefined;
    if (typeof method !== 'string' || method === '') return illegal('paymentMethod.paymentMethodType');
    const expiryText = body['paymentExpiryTime'];
    const expiresAt = expiryText === undefined ? now() + DEFAULT_EXPIRY_MS : parseIsoTime(typeof expiryText === 'string' ? expiryText : null);
    if (expiresAt === null) return illegal('paymentExpiryTime');
    if (!isOptionalUrl(body['paymentNotifyUrl'])) return illegal('paymentNotifyUrl');
    if (!isOptionalUrl(body['paymentRedirectUrl'])) return illegal('paymentRedirectUrl');

    const accepted = WALLET_CURRENCIES.get(method);
    if (accepted === undefined) return fail('UNAVAILABLE_PAYMENT_METHOD', `The payment method ${method} is unavailable.`);
    if (!accepted.includes(amount.currency)) return fail('CURRENCY_NOT_SUPPORT', `${method} does not accept ${amount.currency}.`);

    const existing = readOrder(orderNo);
    if (existing !== null) {
      // paymentRequestId is the idempotency key: the same request gets the same answer.
      if (existing.amount !== amount.value || existing.currency !== amount.currency || stateOf(existing).method !== method) {
        return fail('REPEAT_REQ_INCONSISTENT', 'Repeated requests are inconsistent.');
      }
      return payAgain(existing);
    }
    if (expiresAt <= now()) return illegal('paymentExpiryTime (already past)');

    switch (testValue(amount.value, amount.currency, wholeUnitCurrenciesOf(method))) {
      case 58:
        return fail('ACCESS_DENIED', 'Access is denied: the merchant may not sell with this payment method.');
      case 61: // no payment was created: inquiryPayment says ORDER_NOT_EXIST
        return unknown('UNKNOWN_EXCEPTION', 'An API calling is failed, which is caused by unknown reasons.');
      default:
        break;
    }
    const paymentId = newPaymentId(now());
    const cashierUrl = `${origin}/cashier/${paymentId}`;
    const state: PaymentState = { method, expiresAt, createdAt: now(), code: `${origin}/qr/${paymentId}`, cashierUrl };
    const created = ledger.transaction(() => {
      const inserted = ledger.insertOrder({
        provider: PROVIDER,
        orderNo,
        amount: amount.value,
        currency: amount.currency,
        status: 'unpaid',
        providerTxnId: paymentId,
        behaviour: 'cashier',
        providerState: JSON.stringify(state),
      });
      ledger.registerQrCode(PROVIDER, orderNo, state.code);
      ledger.registerQrCode(PROVIDER, orderNo, state.cashierUrl);
      return inserted;
    });
    switch (testValue(amount.value, amount.currency, wholeUnitCurrenciesOf(method))) {
      case 55: // the payment exists, but the answer is a system error
        return unknown('UNKNOWN_EXCEPTION', 'An API calling is failed, which is caused by unknown reasons.');
      case 56: // committed first, answered after the caller gave up
        await sleep(slowResponseMs);
        return inProcess(created);
      default:
        return inProcess(created);
    }
  }

  /** A pay call naming a paymentRequestId Antom has seen before. */
  function payAgain(order: SimOrder): Answer {
    switch (order.status) {
      case 'unpaid':
        return inProcess(order);
      case 'paid':
      case 'partially_refunded':
      case 'refunded': // final and successful: no code to show any more
        return ok(paymentFields(order));
      case 'closed':
      case 'reversed':
        return fail('ORDER_IS_CLOSED', 'The order is closed.');
      default:
        return assertNever(order.status);
    }
  }

  function inquiryPayment(body: JsonObject): Answer {
    const order = lookUpPayment(body);
    if (order === undefined) return illegal('paymentRequestId or paymentId');
    if (order === null) return fail('ORDER_NOT_EXIST', 'The order does not exist.');
    const state = stateOf(order);
    const fields = paymentFields(order);
    switch (order.status) {
      case 'unpaid':
        return ok({ ...fields, paymentStatus: 'PROCESSING', paymentResultCode: 'PAYMENT_IN_PROCESS', paymentResultMessage: 'payment in process' });
      case 'paid':
      case 'partially_refunded':
      case 'refunded': // refunds leave paymentStatus SUCCESS (Antom "Payment status description")
        return ok({
          ...fields,
          paymentStatus: 'SUCCESS',
          paymentResultCode: 'SUCCESS',
          paymentResultMessage: 'success',
          ...(state.paidAt === undefined ? {} : { paymentTime: isoTime(state.paidAt) }),
        });
      case 'closed':
        return ok({
          ...fields,
          paymentStatus: 'FAIL',
          paymentResultCode: state.failCode ?? 'PROCESS_FAIL',
          paymentResultMessage: state.failMessage ?? 'The payment failed.',
        });
      case 'reversed':
        return ok({ ...fields, paymentStatus: 'CANCELLED', paymentResultCode: 'ORDER_IS_CLOSED', paymentResultMessage: 'The payment was cancelled.' });
      default:
        return assertNever(order.status);
    }
  }

  /** By paymentId (it takes precedence) or paymentRequestId; undefined when neither is given. */
  function lookUpPayment(body: JsonObject): SimOrder | null | undefined {
    const paymentId = body['paymentId'];
    if (isRequestId(paymentId)) return findByPaymentId(paymentId);
    const orderNo = body['paymentRequestId'];
    return isRequestId(orderNo) ? readOrder(orderNo) : undefined;
  }

  function cancel(body: JsonObject): Answer {
    const order = lookUpPayment(body);
    if (order === undefined) return illegal('paymentRequestId or paymentId');
    if (order === null) return fail('ORDER_NOT_EXIST', 'The order does not exist.');
    const method = stateOf(order).method;
    if (NOT_CANCELLABLE.has(method)) return fail('CANCEL_WINDOW_EXCEED', `${method} payments cannot be cancelled.`);
    const cancelled = (current: SimOrder): Answer => ok({ paymentRequestId: current.orderNo, paymentId: current.providerTxnId, cancelTime: isoTime(now()) });
    switch (order.status) {
      case 'unpaid': // the code stops working
      case 'paid': // Antom refunds a paid payment in full
        return cancelled(update(order, { status: 'reversed', confirmAt: null }));
      case 'closed': // a FAIL payment: S, and its status stays FAIL
      case 'reversed': // idempotent
        return cancelled(order);
      case 'partially_refunded':
      case 'refunded': // "a refunded payment cannot be cancelled: PROCESS_FAIL"
        return fail('PROCESS_FAIL', 'A refunded payment cannot be cancelled.');
      default:
        return assertNever(order.status);
    }
  }

  function refund(body: JsonObject): Answer {
    const refundNo = body['refundRequestId'];
    const paymentId = body['paymentId'];
    if (!isRequestId(refundNo)) return illegal('refundRequestId');
    if (!isRequestId(paymentId)) return illegal('paymentId');
    const amount = readAmount(body['refundAmount']);
    if (amount === null) return illegal('refundAmount');
    const order = findByPaymentId(paymentId);
    if (order === null) return fail('ORDER_NOT_EXIST', 'The order does not exist.');
    if (amount.currency !== order.currency) return fail('CURRENCY_NOT_SUPPORT', 'The refund currency differs from the payment currency.');

    const refunded = (refundId: string): Answer =>
      ok({
        refundRequestId: refundNo,
        refundId,
        paymentId,
        refundAmount: amountOf(amount.value, amount.currency),
        refundTime: isoTime(now()),
      });
    const known = ledger.findRefund(PROVIDER, refundNo);
    if (known !== null) {
      // refundRequestId is the idempotency key: the same answer, no money moves again
      if (known.orderNo !== order.orderNo || known.amount !== amount.value) return fail('REPEAT_REQ_INCONSISTENT', 'Repeated requests are inconsistent.');
      return refunded(known.providerRefundId);
    }
    if (testValue(order.amount, order.currency, wholeUnitCurrenciesOf(stateOf(order).method)) === 59)
      return fail('REFUND_NOT_ALLOWED', 'Refunds are not allowed for this payment.');
    switch (order.status) {
      case 'paid':
      case 'partially_refunded':
      case 'refunded': // nothing left: the amount check refuses it
        break;
      case 'unpaid':
      case 'closed':
      case 'reversed':
        return fail('ORDER_STATUS_INVALID', 'The order status is invalid.');
      default:
        return assertNever(order.status);
    }
    if (amount.value > order.amount - order.refundedAmount) return fail('REFUND_AMOUNT_EXCEED', 'The total refund amount exceeds the payment amount.');
    const refundId = newPaymentId(now());
    ledger.transaction(() => {
      ledger.insertRefund({
        provider: PROVIDER,
        refundNo,
        orderNo: order.orderNo,
        amount: amount.value,
        currency: order.currency,
        status: 'succeeded',
        providerRefundId: refundId,
      });
      const refundedAmount = order.refundedAmount + amount.value;
      ledger.updateOrder(PROVIDER, order.orderNo, { refundedAmount, status: refundedAmount >= order.amount ? 'refunded' : 'partially_refunded' });
    });
    return refunded(refundId);
  }

  function inquiryRefund(body: JsonObject): Answer {
    const refundNo = body['refundRequestId'];
    if (!isRequestId(refundNo)) return illegal('refundRequestId');
    const known = ledger.findRefund(PROVIDER, refundNo);
    if (known === null) return fail('REFUND_NOT_EXIST', 'The refund does not exist.');
    return ok({
      refundRequestId: known.refundNo,
      refundId: known.providerRefundId,
      refundAmount: amountOf(known.amount, known.currency),
      refundStatus: known.status === 'succeeded' ? 'SUCCESS' : known.status === 'failed' ? 'FAIL' : 'PROCESSING',
    });
  }

  /** The sandbox wallet scanned one of this simulator's codes. */
  function scan(orderNo: string, action: ScanAction): ScanResult {
    const order = readOrder(orderNo);
    const notPayable = (message: string): ScanResult => ({ ok: false, error: 'not_payable', message });
    if (order === null) return notPayable('No such payment');
    if (order.status !== 'unpaid') return notPayable(`The payment is ${order.status === 'reversed' ? 'cancelled' : order.status}`);
    if (order.confirmAt !== null) return notPayable('The customer already confirmed; the payment is being processed');
    const result = (outcome: 'paid' | 'declined' | 'awaiting_confirmation', message: string): ScanResult => ({
      ok: true,
      provider: PROVIDER,
      orderNo,
      outcome,
      message,
    });
    const failed = (failCode: string, failMessage: string): ScanResult => {
      update(order, { status: 'closed' }, { failCode, failMessage });
      return result('declined', failMessage);
    };
    if (action === 'decline') return failed('PROCESS_FAIL', 'The customer cancelled the payment in the wallet.');
    const behaviour = approveBehaviour(order.amount, order.currency, wholeUnitCurrenciesOf(stateOf(order).method));
    switch (behaviour) {
      case 'pay':
        update(order, { status: 'paid' }, { paidAt: now() });
        return result('paid', 'Paid');
      case 'insufficient_balance':
        return failed('USER_BALANCE_NOT_ENOUGH', 'The user balance is not enough for this payment.');
      case 'not_allowed':
        return failed('USER_STATUS_ABNORMAL', 'The user status is abnormal.');
      case 'confirm_later':
        update(order, { confirmAt: now() + confirmDelayMs });
        return result('awaiting_confirmation', `The customer confirms in ${confirmDelayMs} ms`);
      case 'never_confirm':
        update(order, { confirmAt: Number.MAX_SAFE_INTEGER });
        return result('awaiting_confirmation', 'The customer never confirms');
      default:
        return assertNever(behaviour);
    }
  }

  const handlers: Record<AlipayPlusApi, (body: JsonObject, origin: string) => Answer | Promise<Answer>> = {
    [ALIPAYPLUS_APIS.pay]: pay,
    [ALIPAYPLUS_APIS.inquiryPayment]: inquiryPayment,
    [ALIPAYPLUS_APIS.cancel]: cancel,
    [ALIPAYPLUS_APIS.refund]: refund,
    [ALIPAYPLUS_APIS.inquiryRefund]: inquiryRefund,
  };

  /** The gateway layer (client, time, signature, body), then the API's handler. */
  async function answer(request: FastifyRequest, path: string, api: string, origin: string): Promise<Answer> {
    const handler = isApi(api) ? handlers[api] : undefined;
    if (handler === undefined) return fail('NO_INTERFACE_DEF', 'API is not defined.');
    const clientId = header(request, 'client-id');
    const requestTime = header(request, 'request-time');
    const signature = header(request, 'signature');
    if (clientId === null) return illegal('Client-Id header');
    const client = options.clients.find((candidate) => candidate.clientId === clientId);
    if (client === undefined) return fail('INVALID_CLIENT', 'The client is invalid.');
    if (parseRequestTime(requestTime) === null) return illegal('Request-Time header');
    const body = typeof request.body === 'string' ? request.body : '';
    if (!verifyMessage({ httpMethod: 'POST', path, clientId, time: requestTime ?? '', body }, signature, client.publicKeyPem)) {
      return fail('INVALID_SIGNATURE', 'The signature is not validated.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = null;
    }
    if (!isJsonObject(parsed)) return illegal('the body is not a JSON object');
    return handler(parsed, origin);
  }

  return async (app) => {
    if (options.wallet !== undefined) options.wallet.register(PROVIDER, scan);
    // Encapsulated: only this plugin's routes read JSON as raw text (the signature covers the exact bytes).
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    const prefix = app.prefix;
    const route = async (request: FastifyRequest<{ Params: { api: string } }>, reply: FastifyReply) => {
      const origin = `${request.protocol}://${request.host}${prefix}`;
      const path = request.url.split('?')[0]?.slice(prefix.length) ?? '';
      const clientId = header(request, 'client-id') ?? '';
      const body = JSON.stringify(await answer(request, path, request.params.api, origin));
      const responseTime = isoTime(now());
      // Signed like Antom signs: over the very text written, for the path the client called.
      const signature = signMessage({ httpMethod: 'POST', path, clientId, time: responseTime, body }, providerPrivateKeyPem);
      return reply
        .code(200)
        .header('client-id', clientId)
        .header('response-time', responseTime)
        .header('signature', signature)
        .type('application/json; charset=UTF-8')
        .send(body);
    };
    app.post('/ams/api/v1/payments/:api', route);
    app.post('/ams/sandbox/api/v1/payments/:api', route);

    // What a shopper's phone would open from the code: a plain page pointing at the sandbox wallet.
    const cashierPage = async (request: FastifyRequest<{ Params: { paymentId: string } }>, reply: FastifyReply) => {
      const order = findByPaymentId(request.params.paymentId);
      if (order === null) return reply.code(404).type('text/plain').send('No such Alipay+ payment');
      return reply
        .type('text/plain; charset=utf-8')
        .send(
          `Alipay+ sandbox cashier\npayment ${order.providerTxnId ?? ''}: ${order.amount} (minor units) ${order.currency}, ${order.status}\n` +
            'Pay it with POST /_sandbox/wallet/scan {"qr_code": "<this URL>", "action": "approve" | "decline"}\n',
        );
    };
    app.get('/cashier/:paymentId', cashierPage);
    app.get('/qr/:paymentId', cashierPage);

    // The settlement details report, over HTTP (Antom itself publishes it over SFTP: statement.ts).
    registerSettlementReportRoute(app, { ledger, clients: options.clients, providerPrivateKeyPem, now });
  };
}

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function isApi(api: string): api is AlipayPlusApi {
  return Object.values(ALIPAYPLUS_APIS).some((known) => known === api);
}

/** paymentNotifyUrl / paymentRedirectUrl: absent, or an absolute http(s) URL of at most 2048 characters (Antom pay). */
function isOptionalUrl(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'string' || value.length > URL_MAX_CHARS) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** paymentRequestId / refundRequestId / paymentId: up to 64 characters, no special characters. */
function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
}

/** An Amount object: a known ISO 4217 currency and a positive integer string of minor units (at most 16 digits). */
function readAmount(value: unknown): { currency: string; value: number } | null {
  if (!isJsonObject(value)) return null;
  const { currency, value: minor } = value;
  if (typeof currency !== 'string' || !isCurrencyCode(currency)) return null;
  if (typeof minor !== 'string' || !/^[1-9]\d{0,15}$/.test(minor)) return null;
  const amount = Number(minor);
  return Number.isSafeInteger(amount) ? { currency, value: amount } : null;
}

/** Antom-style ids: date, a fixed part and random digits (too long for a JS number on purpose). */
function newPaymentId(epochMs: number): string {
  const date = new Date(epochMs).toISOString().slice(0, 10).replace(/-/g, '');
  return `${date}1940108${Array.from({ length: 18 }, () => String(randomInt(10))).join('')}`;
}
