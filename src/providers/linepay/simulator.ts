/**
 * LINE Pay offline API simulator: the provider's side of oneTimeKeys/pay,
 * orders/{orderId}/check, void, refund and the Payment Details API
 * (GET /{version}/payments?orderId=), speaking LINE Pay's JSON. Offline API
 * v2 and v4 each have their own paths, authentication and pay body
 * (version.ts); a request that mixes them (v4 headers on a v2 path, a v2 pay
 * body on the v4 path, ...) is refused as LINE Pay would (1106 for headers,
 * 2101 for bodies). Register with `prefix: '/_sim/linepay'`.
 *
 * Outcomes are chosen by the last two digits of the amount in minor units
 * (amount × 100 for THB and TWD; docs/providers.md, "Simulator test
 * values"). Since LINE Pay takes whole TWD, TWD amounts always end in 00 and
 * are paid. What the simulator knows lives in the SimulatorLedger and is
 * committed before it answers. Like LINE Pay, every answer is HTTP 200 with
 * a returnCode, and transaction ids are bare 19-digit JSON numbers.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { fromMajorUnitNumber, isCurrencyCode, money, toMajorUnitNumber, type CurrencyCode } from '../../domain/money.js';
import { testValue } from '../../simulators/test-values.js';
import { LINEPAY_WHOLE_UNIT_CURRENCIES } from './amount-rules.js';
import { isWholeUnitAmount } from '../amount-rules.js';
import type { SimOrder, SimOrderStatus, SimulatorLedger } from '../../simulators/ledger.js';
import type { LinePayCredentials } from './adapter.js';
import { HEADER_ERROR, VOID_NOT_ALLOWED } from './errors.js';
import {
  BareInteger,
  isJsonObject,
  member,
  numberMember,
  parseLinePayJson,
  stringMember,
  stringifyLinePayJson,
  type JsonObject,
  type JsonWritable,
} from './json.js';
import { HEADER_DEVICE_PROFILE_ID, HEADER_DEVICE_TYPE, verifyRequest } from './sign.js';
import { LINEPAY_API_VERSIONS, type LinePayApiVersion } from './version.js';
import { type CheckStatus } from './transformers.js';
import { assertNever } from '../../domain/assert-never.js';

export interface LinePaySimulatorOptions {
  ledger: SimulatorLedger;
  channels: LinePayCredentials[];
  /** How long a test-value-53 order waits for the customer before it is paid. */
  confirmDelayMs: number;
  /** How late the answer to a test-value-56 pay call comes. */
  slowResponseMs: number;
  now?: () => number;
  /** Told of every authenticated request (tests check what reached the provider, e.g. device headers). */
  onRequest?: (seen: SeenRequest) => void;
}

/** An authenticated request as the simulator saw it. */
export interface SeenRequest {
  readonly method: 'GET' | 'POST';
  readonly apiPath: string;
  readonly version: LinePayApiVersion;
  readonly deviceProfileId: string | null;
  readonly deviceType: string | null;
}

/** Top-level members of a pay body that belong to one version only. */
const V2_ONLY_PAY_MEMBERS = ['productName', 'capture', 'extras'] as const;
const V4_ONLY_PAY_MEMBERS = ['packages', 'options'] as const;

const PROVIDER = 'linepay';

type PayBehaviour =
  | 'pay'
  | 'insufficient_balance'
  | 'key_expired'
  | 'confirm_later'
  | 'never_confirm'
  | 'system_error_paid'
  | 'slow_answer_paid'
  | 'customer_not_allowed'
  | 'merchant_not_allowed'
  | 'refund_refused'
  | 'system_error_unpaid';

function behaviourFor(minorUnits: number, currency: CurrencyCode): PayBehaviour {
  switch (testValue(minorUnits, currency, LINEPAY_WHOLE_UNIT_CURRENCIES)) {
    case 51:
      return 'insufficient_balance';
    case 52:
      return 'key_expired';
    case 53:
      return 'confirm_later';
    case 54:
      return 'never_confirm';
    case 55:
      return 'system_error_paid';
    case 56:
      return 'slow_answer_paid';
    case 57:
      return 'customer_not_allowed';
    case 58:
      return 'merchant_not_allowed';
    case 59:
      return 'refund_refused';
    case 61:
      return 'system_error_unpaid';
    default:
      return 'pay';
  }
}

interface Answer {
  readonly returnCode: string;
  readonly returnMessage: string;
  readonly info?: JsonWritable;
}

const success = (info?: JsonWritable): Answer => ({ returnCode: '0000', returnMessage: 'Success.', info });
const fail = (returnCode: string, returnMessage: string): Answer => ({ returnCode, returnMessage });

const NOT_FOUND = fail('1150', 'Transaction record not found.');
const MUST_CONFIRM = fail('1169', 'The customer must confirm the payment in LINE Pay.');
const PAID_STATUSES: ReadonlySet<SimOrderStatus> = new Set(['paid', 'partially_refunded', 'refunded']);

export function linePaySimulator(options: LinePaySimulatorOptions): FastifyPluginAsync {
  const { ledger, confirmDelayMs, slowResponseMs } = options;
  const now = options.now ?? Date.now;

  /** Reads an order, first letting a waiting customer confirm if their delay has passed. */
  function readOrder(orderNo: string): SimOrder | null {
    const order = ledger.findOrder(PROVIDER, orderNo);
    if (order === null || order.status !== 'unpaid' || order.confirmAt === null || now() < order.confirmAt) return order;
    return ledger.updateOrder(PROVIDER, orderNo, { status: 'paid', confirmAt: null, providerTxnId: order.providerTxnId ?? newId(now()) });
  }

  function paidInfo(order: SimOrder): { readonly [key: string]: JsonWritable | undefined } {
    return {
      transactionId: new BareInteger(order.providerTxnId ?? '0'),
      orderId: order.orderNo,
      transactionDate: isoTime(now()),
      payInfo: [{ method: 'BALANCE', amount: majorUnits(order.amount, order.currency) }],
    };
  }

  async function pay(version: LinePayApiVersion, body: string): Promise<Answer> {
    const request = readJson(body);
    if (request === null) return fail('2101', 'Parameter error: the body is not a JSON object.');
    const amount = numberMember(request, 'amount');
    const currency = stringMember(request, 'currency') ?? '';
    const orderId = stringMember(request, 'orderId') ?? '';
    const oneTimeKey = stringMember(request, 'oneTimeKey') ?? '';
    if (amount === undefined || !isCurrencyCode(currency) || !isOrderId(orderId)) {
      return fail('2101', 'Parameter error: amount, currency or orderId is missing or invalid.');
    }
    const shapeError = version === 'v2' ? v2PayShapeError(request) : v4PayShapeError(request, amount);
    if (shapeError !== null) return fail('2101', `Parameter error: ${shapeError}`);
    const minorUnits = toMinorUnits(amount, currency);
    if (minorUnits === null) return fail('2101', `Parameter error: ${amount} is not a valid ${currency} amount.`);
    // A malformed key is answered like an expired one (1180), so that it maps to payment_auth_key_failure.
    if (!isOneTimeKeyFor(currency, oneTimeKey)) return fail('1180', 'The oneTimeKey is invalid or has expired.');
    if (readOrder(orderId) !== null) return fail('1172', 'Existing same orderId.');

    const behaviour = behaviourFor(minorUnits, currency);
    const record = (status: SimOrderStatus, extra: { confirmAt?: number; providerState?: string } = {}): SimOrder =>
      ledger.insertOrder({
        provider: PROVIDER,
        orderNo: orderId,
        amount: minorUnits,
        currency,
        status,
        behaviour,
        ...extra,
        providerTxnId: status === 'paid' ? newId(now()) : null,
      });
    switch (behaviour) {
      case 'pay':
      case 'refund_refused':
        return success(paidInfo(record('paid')));
      case 'insufficient_balance':
        record('closed', { providerState: 'FAIL' });
        return fail('1142', 'Insufficient balance remains.');
      case 'key_expired':
        return fail('1180', 'The payment time has expired.');
      case 'confirm_later':
        record('unpaid', { confirmAt: now() + confirmDelayMs });
        return MUST_CONFIRM;
      case 'never_confirm':
        record('unpaid');
        return MUST_CONFIRM;
      case 'system_error_paid':
        record('paid');
        return fail('9000', 'Internal error.');
      case 'slow_answer_paid': {
        const order = record('paid'); // committed before the (late) answer
        await sleep(slowResponseMs);
        return success(paidInfo(order));
      }
      case 'customer_not_allowed':
        return fail('1101', 'The customer cannot make payments (purchaser status error).');
      case 'merchant_not_allowed':
        return fail('1104', 'The merchant does not exist or cannot use LINE Pay.');
      case 'system_error_unpaid':
        record('unpaid');
        return fail('9000', 'Internal error.');
      default:
        return assertNever(behaviour);
    }
  }

  function check(orderNo: string): Answer {
    const order = readOrder(orderNo);
    if (order === null) return NOT_FOUND;
    const status = checkStatusOf(order);
    if (status === 'waiting') return MUST_CONFIRM;
    if (status === 'no_payment') return NOT_FOUND;
    return success({ status });
  }

  function voidOrder(orderNo: string): Answer {
    const order = readOrder(orderNo);
    if (order === null) {
      // Tombstone: a pay call that arrives after its own cancellation must not charge the customer (it gets 1172).
      ledger.insertOrder({ provider: PROVIDER, orderNo, amount: 0, currency: '', status: 'reversed', providerState: 'VOIDED' });
      return success();
    }
    switch (order.status) {
      case 'unpaid':
        ledger.updateOrder(PROVIDER, orderNo, { status: 'reversed', providerState: 'VOIDED', confirmAt: null });
        return success();
      case 'closed':
      case 'reversed': // nothing was paid, nothing to cancel
        return success();
      case 'paid':
      case 'partially_refunded':
      case 'refunded':
        return fail(VOID_NOT_ALLOWED, 'A captured payment cannot be voided; refund it instead.');
      default:
        return assertNever(order.status);
    }
  }

  function refund(orderNo: string, body: string): Answer {
    const request = body.trim() === '' ? {} : readJson(body);
    if (request === null) return fail('2101', 'Parameter error: the body is not a JSON object.');
    const order = readOrder(orderNo);
    if (order === null) return NOT_FOUND;
    if (!PAID_STATUSES.has(order.status) || !isCurrencyCode(order.currency)) return fail('1155', 'The transaction cannot be refunded.');
    if (order.behaviour === 'refund_refused') return fail('1163', 'The refund period has passed.');
    const remaining = order.amount - order.refundedAmount;
    if (remaining === 0) return fail('1165', 'The transaction has already been refunded.');
    const asked = member(request, 'refundAmount');
    // Without refundAmount LINE Pay refunds everything left.
    const amount = asked === undefined ? remaining : typeof asked === 'number' ? toMinorUnits(asked, order.currency) : null;
    if (amount === null) return fail('2101', 'Parameter error: refundAmount is invalid.');
    if (amount > remaining) return fail('1164', 'The refund amount exceeds the refundable amount.');

    const refundTransactionId = newId(now());
    ledger.transaction(() => {
      const refundedAmount = order.refundedAmount + amount;
      ledger.insertRefund({
        provider: PROVIDER,
        refundNo: refundTransactionId,
        orderNo,
        amount,
        currency: order.currency,
        status: 'succeeded',
        providerRefundId: refundTransactionId,
      });
      ledger.updateOrder(PROVIDER, orderNo, { refundedAmount, status: refundedAmount >= order.amount ? 'refunded' : 'partially_refunded' });
    });
    return success({ refundTransactionId: new BareInteger(refundTransactionId), refundTransactionDate: isoTime(now()) });
  }

  /** Payment Details API, by orderId only: the payment and its refundList. */
  function details(query: URLSearchParams): Answer {
    const orderNo = query.get('orderId');
    if (orderNo === null || !isOrderId(orderNo)) return fail('2101', 'Parameter error: orderId is missing or invalid.');
    const order = readOrder(orderNo);
    if (order === null || !PAID_STATUSES.has(order.status)) return NOT_FOUND;
    const refunds = ledger.refundsOf(PROVIDER, orderNo).filter((entry) => entry.status === 'succeeded');
    return success([
      {
        ...paidInfo(order),
        transactionType: 'PAYMENT',
        currency: order.currency,
        refundList:
          refunds.length === 0
            ? undefined
            : refunds.map((entry) => ({
                refundTransactionId: new BareInteger(entry.providerRefundId),
                // As LINE Pay lists them: a refund of the whole payment is REFUND, of a part PARTIAL_REFUND.
                transactionType: entry.amount >= order.amount ? 'REFUND' : 'PARTIAL_REFUND',
                refundAmount: -majorUnits(entry.amount, entry.currency), // LINE Pay lists refunds as negative amounts
              })),
      },
    ]);
  }

  type Handler = (request: FastifyRequest, body: string) => Answer | Promise<Answer>;

  return async (app) => {
    const prefix = app.prefix;
    // Encapsulated: only this plugin's routes keep JSON bodies as text, since the v4 signature covers the exact bytes.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });

    /** Runs a handler once the request's credentials check out for its version; LINE Pay answers 1106 (HTTP 200) otherwise. */
    const route = (method: 'GET' | 'POST', path: string, version: LinePayApiVersion, handle: Handler): void => {
      app.route({
        method,
        url: path,
        handler: async (request, reply) => {
          const body = typeof request.body === 'string' ? request.body : '';
          const url = request.url.startsWith(prefix) ? request.url.slice(prefix.length) : request.url;
          const queryAt = url.indexOf('?');
          const apiPath = queryAt === -1 ? url : url.slice(0, queryAt);
          const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
          const auth = verifyRequest(request.headers, options.channels, apiPath, method === 'GET' ? query : body, version);
          const device = deviceOf(request);
          if (auth.ok) options.onRequest?.({ method, apiPath, version, ...device });
          const result = !auth.ok
            ? fail(HEADER_ERROR, `Header information error: ${auth.reason}.`)
            : (device.deviceProfileId === null) !== (device.deviceType === null)
              ? fail(HEADER_ERROR, `Header information error: ${HEADER_DEVICE_PROFILE_ID} and ${HEADER_DEVICE_TYPE} go together.`)
              : await handle(request, method === 'GET' ? query : body);
          const text = stringifyLinePayJson({ returnCode: result.returnCode, returnMessage: result.returnMessage, info: result.info });
          return reply.code(200).type('application/json; charset=UTF-8').send(text);
        },
      });
    };
    const orderIdOf = (request: FastifyRequest): string => (isJsonObject(request.params) ? (stringMember(request.params, 'orderId') ?? '') : '');

    const withOrderId =
      (handle: (orderNo: string, body: string) => Answer): Handler =>
      (request, body) => {
        const orderNo = orderIdOf(request);
        return isOrderId(orderNo) ? handle(orderNo, body) : fail('2101', 'Parameter error: orderId is invalid.');
      };

    for (const version of LINEPAY_API_VERSIONS) {
      route('POST', `/${version}/payments/oneTimeKeys/pay`, version, (_request, body) => pay(version, body));
      route('GET', `/${version}/payments/orders/:orderId/check`, version, withOrderId(check));
      route('POST', `/${version}/payments/orders/:orderId/void`, version, withOrderId(voidOrder));
      route('POST', `/${version}/payments/orders/:orderId/refund`, version, withOrderId(refund));
      route('GET', `/${version}/payments`, version, (_request, query) => details(new URLSearchParams(query)));
    }
  };
}

function deviceOf(request: FastifyRequest): { deviceProfileId: string | null; deviceType: string | null } {
  const header = (name: string): string | null => {
    const value = request.headers[name.toLowerCase()];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return { deviceProfileId: header(HEADER_DEVICE_PROFILE_ID), deviceType: header(HEADER_DEVICE_TYPE) };
}

/** What is wrong with a v2 pay body (productName, capture=true or absent, no v4 members), or null. */
function v2PayShapeError(request: JsonObject): string | null {
  const productName = stringMember(request, 'productName') ?? '';
  if (productName === '' || productName.length > 4000) return 'productName is missing or too long.';
  const capture = member(request, 'capture');
  if (capture !== undefined && capture !== true) return 'capture must be true here.';
  const foreign = V4_ONLY_PAY_MEMBERS.find((name) => member(request, name) !== undefined);
  return foreign === undefined ? null : `${foreign} is not a v2 field.`;
}

/**
 * What is wrong with a v4 pay body, or null: no v2 members; packages[], when
 * sent, each with an id, products of name/quantity/price, and amounts that add up.
 */
function v4PayShapeError(request: JsonObject, amount: number): string | null {
  const foreign = V2_ONLY_PAY_MEMBERS.find((name) => member(request, name) !== undefined);
  if (foreign !== undefined) return `${foreign} is not a v4 field.`;
  const options = member(request, 'options');
  if (options !== undefined) {
    const payment = isJsonObject(options) ? member(options, 'payment') : undefined;
    const capture = isJsonObject(payment) ? member(payment, 'capture') : undefined;
    if (!isJsonObject(options) || (payment !== undefined && !isJsonObject(payment)) || (capture !== undefined && capture !== true)) {
      return 'options.payment.capture must be true here.';
    }
  }
  const packages = member(request, 'packages');
  if (packages === undefined) return null;
  if (!Array.isArray(packages) || packages.length === 0) return 'packages must be a non-empty list.';
  let total = 0;
  for (const entry of packages) {
    const problem = isJsonObject(entry) ? packageError(entry) : 'a package is not an object.';
    if (problem !== null) return problem;
    total += numberMember(entry as JsonObject, 'amount') ?? 0;
  }
  return Math.abs(total - amount) < 1e-9 ? null : 'the packages do not add up to amount.';
}

function packageError(entry: JsonObject): string | null {
  const id = stringMember(entry, 'id') ?? '';
  const amount = numberMember(entry, 'amount');
  const products = member(entry, 'products');
  if (id === '' || id.length > 50 || amount === undefined || !Array.isArray(products) || products.length === 0) {
    return 'a package needs an id, an amount and products.';
  }
  let sum = 0;
  for (const product of products) {
    const name = isJsonObject(product) ? (stringMember(product, 'name') ?? '') : '';
    const quantity = isJsonObject(product) ? numberMember(product, 'quantity') : undefined;
    const price = isJsonObject(product) ? numberMember(product, 'price') : undefined;
    if (name === '' || name.length > 4000 || quantity === undefined || !Number.isInteger(quantity) || quantity < 1 || price === undefined) {
      return 'a product needs a name, a whole quantity and a price.';
    }
    sum += quantity * price;
  }
  return Math.abs(sum - amount) < 1e-9 ? null : 'a package amount is not the sum of its products.';
}

/** How the check API reports an order; waiting and never-paid orders are answered with a returnCode instead. */
function checkStatusOf(order: SimOrder): CheckStatus | 'waiting' | 'no_payment' {
  switch (order.status) {
    case 'paid':
      return 'COMPLETE';
    case 'partially_refunded':
    case 'refunded':
      return 'REFUND';
    case 'closed':
    case 'reversed':
      return 'FAIL';
    case 'unpaid':
      return order.behaviour === 'confirm_later' || order.behaviour === 'never_confirm' ? 'waiting' : 'no_payment';
    default:
      return assertNever(order.status);
  }
}

function readJson(body: string): { readonly [key: string]: unknown } | null {
  try {
    const parsed = parseLinePayJson(body);
    return isJsonObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** A LINE Pay amount (major units) → minor units; null unless exact, positive and (TWD) whole. */
function toMinorUnits(amount: number, currency: CurrencyCode): number | null {
  try {
    const minor = fromMajorUnitNumber(amount, currency).amount;
    if (minor === 0 || (LINEPAY_WHOLE_UNIT_CURRENCIES.includes(currency) && !isWholeUnitAmount(minor, currency))) return null;
    return minor;
  } catch {
    return null;
  }
}

function majorUnits(minorUnits: number, currency: string): number {
  return isCurrencyCode(currency) ? toMajorUnitNumber(money(minorUnits, currency)) : minorUnits;
}

/** oneTimeKey lengths by country: TW 18 digits, JP 19, TH and Global 12 (told apart here by currency). */
function isOneTimeKeyFor(currency: CurrencyCode, key: string): boolean {
  const length = currency === 'TWD' ? 18 : currency === 'JPY' ? 19 : 12;
  return key.length === length && /^\d+$/.test(key);
}

/** orderId: "unique on merchant-side", max length 100. */
function isOrderId(text: string): boolean {
  return text.length >= 1 && text.length <= 100 && !/\p{Cc}/u.test(text);
}

/** A 19-digit id like LINE Pay's (year + 15 digits): always beyond Number.MAX_SAFE_INTEGER. */
function newId(epochMs: number): string {
  const digits = Array.from({ length: 15 }, () => String(randomInt(10))).join('');
  return `${new Date(epochMs).getUTCFullYear()}${digits}`;
}

/** ISO 8601 without milliseconds, LINE Pay's date format ("2019-04-25T09:21:56Z"). */
function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
