/**
 * Parameters of the CHOP and Online APIs, as Citcon's clients send them:
 * form fields or JSON, amounts as integers in minor units under either name
 * (`amount`/`trans_amount`, `currency`/`trans_currency`), unknown extras kept.
 * Every problem is reported at once, each saying what to fix. Each request's
 * shape is one TypeBox schema below: its validator, its messages and its
 * OpenAPI schema (src/http/schemas/chop.ts publishes these objects).
 */
import { type TInteger, type TSchema, type TString, Type } from '@sinclair/typebox';
import { compileRequest, compileText, type Check, type FieldRefusal, saidFor, says } from '../core/request-schema.js';
import {
  AMOUNT_CEILING,
  type CurrencyCode,
  DEFAULT_MAX_AMOUNT_MAJOR,
  isCurrencyCode,
  maxAmount,
  maxAmountAnyCurrency,
  toMajorUnitString,
} from '../domain/money.js';
import { amountRuleBreach } from '../providers/amount-rules.js';
import { PAY_QR_VENDORS, type PaymentMethod, paymentMethod, paymentMethodCodes } from './methods.js';

/** A refusal of bad input: `{"result":"fail","error":message,"code":code}` with this HTTP status. */
export class ChopError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Readonly<Record<string, string>>;

// Also the JSON Schema's limits (src/http/schemas/chop.ts): a test checks the schema accepts whatever these parsers accept.
// Amounts: at most 14 digits, then the maximum per currency (config maxAmountMajor, domain/money.ts).
export const MAX_URL_LENGTH = 2048;
export const MAX_TEXT = 256;

/** Flattens a parsed body (form or JSON) into strings; nested JSON values are kept as JSON text. */
export function toParams(body: unknown): Params {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new ChopError(400, 'invalid_body', 'Send the parameters as form fields (application/x-www-form-urlencoded) or a JSON object');
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    params[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return params;
}

/** What a refusal says: its code and message. */
export interface Said {
  readonly code: string;
  readonly message: string | ((value: unknown) => string);
}
const missing = (message: string): Said => ({ code: 'missing_parameter', message });
const invalid = (message: Said['message']): Said => ({ code: 'invalid_parameter', message });

/**
 * The problems of one request, each in its slot (a parameter, or a rule such as `maximum`):
 * one per slot, reported in the order of the slots, all at once.
 */
class Problems {
  private readonly list: { slot: string; code: string; message: string }[] = [];
  constructor(private readonly slots: readonly string[]) {}
  add(slot: string, code: string, message: string): void {
    if (!this.has(slot)) this.list.push({ slot, code, message });
  }
  /** Withdraws a slot's problem (a conflict between aliases speaks for both values). */
  drop(slot: string): void {
    const index = this.list.findIndex((p) => p.slot === slot);
    if (index !== -1) this.list.splice(index, 1);
  }
  has(slot: string): boolean {
    return this.list.some((p) => p.slot === slot);
  }
  /** The schema's refusals of `fields`, each in the slot of its parameter (aliases share one). */
  addRefusals(check: Check, fields: Params): void {
    for (const refusal of check(fields)) {
      const said = saidFor<Said>(refusal);
      const name = refusal.pointer.slice(1);
      if (!said) throw new Error(`no message for ${refusal.keyword} of ${name}`);
      this.add(SLOT_OF[name] ?? name, said.code, typeof said.message === 'function' ? said.message(refusal.value) : said.message);
    }
  }
  throwIfAny(): void {
    const rank = (slot: string) => this.slots.indexOf(slot);
    const list = [...this.list].sort((a, b) => rank(a.slot) - rank(b.slot));
    const first = list[0];
    if (!first) return;
    const code = list.every((p) => p.code === first.code) ? first.code : 'invalid_parameters';
    throw new ChopError(400, code, list.map((p) => p.message).join('; '));
  }
}
const SLOT_OF: Readonly<Record<string, string>> = { trans_amount: 'amount', trans_currency: 'currency', vendor: 'method', payment_method: 'method' };

/** A parameter as the parsers read it: trimmed; empty means absent. */
const present = (params: Params, name: string): string | undefined => {
  const value = params[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** Every parameter as the parsers read it (what the request schemas below describe). */
export function presentParams(params: Params): Params {
  // fromEntries defines own properties, even one named __proto__.
  return Object.fromEntries(
    Object.keys(params).flatMap((name) => {
      const value = present(params, name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

// The request schemas: what the schema states (names, methods, digits, lengths), it refuses with
// the messages below; the rules beside it (amount range, URL syntax, currency per method, aliases
// that disagree, `ext` as JSON) are the parse functions'. /docs publishes these objects.

const text = (name: string, description: string) =>
  says<TString, Said>(Type.String({ maxLength: MAX_TEXT, description }), {
    required: missing(`${name} is required`),
    default: invalid(`${name} is longer than ${MAX_TEXT} characters`),
  });
const urlRefused = (name: string) => `${name} must be an absolute http(s) URL of at most ${MAX_URL_LENGTH} characters`;
const url = (name: string, description: string) =>
  Type.Optional(
    says<TString, Said>(
      Type.String({
        maxLength: MAX_URL_LENGTH,
        description: `${description} An absolute http(s) URL without credentials, not on a private, loopback, link-local, metadata or reserved address (IPv4 inside IPv6 included); refused with url_not_allowed.`,
      }),
      { default: invalid(urlRefused(name)) },
    ),
  );
const amountRefused = (value: unknown) =>
  `amount must be a positive integer in the currency's smallest unit (cents), without decimals or separators; got ${JSON.stringify(value)}`;
const amount = (description: string) =>
  Type.Optional(
    says<TString, Said>(
      Type.String({
        pattern: '^[0-9]{1,14}$',
        examples: ['999'],
        description:
          `${description} An integer in the currency's smallest unit (999 = $9.99), without decimals or separators, from 1 to the maximum per transaction: ` +
          `by default ${maxAmount('USD')} in a two-decimal currency (99,999,999.99), ${maxAmount('JPY')} in a zero-decimal one, ${maxAmount('BHD')} in a three-decimal one ` +
          `(the server's CANCAN_MAX_AMOUNT_MAJOR whole units plus the largest fraction; never above ${AMOUNT_CEILING}).`,
      }),
      { default: invalid(amountRefused) },
    ),
  );
const currencyRefused = (value: unknown) => `currency ${JSON.stringify(value)} is not a supported ISO 4217 code`;
const currency = (description: string) =>
  Type.Optional(
    says<TString, Said>(
      Type.String({
        minLength: 3,
        maxLength: 3,
        examples: ['USD'],
        description: `${description} A three-letter ISO 4217 code (any case).`,
      }),
      { default: invalid(currencyRefused) },
    ),
  );
const money = {
  amount: amount('`amount` or `trans_amount` is required; both with different values are refused.'),
  trans_amount: amount('Same as `amount`.'),
  currency: currency('`currency` or `trans_currency` is required.'),
  trans_currency: currency('Same as `currency`.'),
};
const method = (name: string, codes: readonly string[], description?: string) =>
  says<TSchema, Said>(Type.Unsafe<string>({ type: 'string', enum: [...codes], ...(description ? { description } : {}) }), {
    required: missing(`${name} is required: one of ${codes.join(', ')}`),
    default: invalid((value) => `${name} ${JSON.stringify(value)} is not supported; use one of ${codes.join(', ')}`),
  });
const charge = {
  reference: text(
    'reference',
    "The merchant's order reference. Without `allow_duplicates=yes`, a second charge with the same reference answers the first one's URL.",
  ),
  ipn_url: url('ipn_url', 'Where CanCan posts the signed IPN when the charge is final.'),
  ext: Type.Optional(Type.String({ description: 'JSON, url-encoded; kept with the charge and shown by inquire.' })),
  allow_duplicates: Type.Optional(
    Type.String({
      examples: ['yes'],
      description: '`yes` (or true, 1) always makes a new charge; `no` (default) answers an earlier charge with the same reference.',
    }),
  ),
};
/** Parameters CanCan does not use (note, source, client_country, …) are kept with the charge. */
const extras = { additionalProperties: Type.String() };

export const CHARGE_REQUEST = Type.Object(
  {
    payment_method: method(
      'payment_method',
      paymentMethodCodes(),
      'alipay, wechatpay, cc (card form), upop (UnionPay) take USD, CAD, EUR, GBP, HKD, JPY, CNY, AUD, NZD, SGD; alipay_hk HKD, dana IDR, gcash PHP, kakaopay KRW, jkopay TWD.',
    ),
    ...money,
    ...charge,
    callback_url_success: url('callback_url_success', 'Where the shopper goes after paying.'),
    callback_url_fail: url('callback_url_fail', 'Where the shopper goes after a decline, a cancel or the expiry.'),
    mobile_result_url: url('mobile_result_url', 'Kept with the charge.'),
  },
  {
    $id: 'ChopChargeRequest',
    ...extras,
    examples: [
      {
        payment_method: 'wechatpay',
        amount: '999',
        currency: 'USD',
        reference: 'order-1001',
        ipn_url: 'https://shop.example/ipn',
        callback_url_success: 'https://shop.example/thanks',
        callback_url_fail: 'https://shop.example/sorry',
      },
    ],
  },
);

export const PAY_QR_REQUEST = Type.Object(
  {
    vendor: method('vendor', PAY_QR_VENDORS, 'The wallet whose QR code to make.'),
    ...money,
    ...charge,
    callback_url: url('callback_url', 'Where the shopper goes after paying or failing.'),
    format: Type.Optional(Type.String({ description: '`json` answers the QR content instead of the PNG (also as a query parameter).' })),
  },
  {
    $id: 'PayQrRequest',
    ...extras,
    examples: [{ vendor: 'alipay', amount: '999', currency: 'USD', reference: 'order-1002' }],
  },
);

const selectorFields = {
  transaction_id: Type.Optional(Type.String({ description: "The charge id (the landing URL's `q`, the IPN's `id`). Send it or the reference, not both." })),
  transaction_reference: Type.Optional(Type.String({ description: "The charge's `reference`." })),
  trans_reference: Type.Optional(Type.String({ description: 'Same as `transaction_reference`.' })),
  reason: Type.Optional(text('reason', 'A note kept with the refund or cancel (inquire shows it as `note`).')),
};

export const REFUND_REQUEST = Type.Object(
  { ...selectorFields, ...money },
  {
    $id: 'ChopRefundRequest',
    examples: [{ transaction_id: '4f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c', amount: '500', currency: 'USD', reason: 'return' }],
  },
);
export const CANCEL_REQUEST = Type.Object(selectorFields, { $id: 'ChopCancelRequest', examples: [{ transaction_reference: 'order-1001' }] });
export const INQUIRE_REQUEST = Type.Object(
  {
    q: Type.Optional(Type.String({ description: 'The transaction id.' })),
    id: Type.Optional(Type.String({ description: 'Same as `q`.' })),
    reference: Type.Optional(Type.String({ description: "The charge's reference." })),
    inquire_method: Type.Optional(Type.String({ examples: ['real'], description: '`real`: ask the provider first.' })),
    inquire_methods: Type.Optional(Type.String({ description: 'Same as `inquire_method`.' })),
  },
  {
    $id: 'ChopInquireRequest',
    description: '`q` (or `id`) or `reference` is required; they may also come as query parameters when the body is empty.',
    examples: [{ q: '4f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c', inquire_method: 'real' }],
  },
);

// Query strings, read from text ("20" is a number). Unlike a body, a query string is refused for its first problem only.

/** /chop/transactions page sizes. */
export const CHOP_LIST_LIMIT = { default: 20, max: 100 } as const;

/** A text parameter: a parameter sent twice arrives as an array, which only the `type` rule refuses. */
const onceOnly = (name: string, description: string) =>
  Type.Optional(says<TString, Said>(Type.String({ description }), { default: invalid(`${name} must be given once`) }));

export const CHOP_LIST_QUERY = Type.Object({
  limit: Type.Optional(
    says<TInteger, Said>(
      Type.Integer({
        minimum: 1,
        maximum: CHOP_LIST_LIMIT.max,
        default: CHOP_LIST_LIMIT.default,
        description: 'How many transactions a page holds.',
        examples: [20],
      }),
      {
        default: invalid(`limit must be a whole number from 1 to ${CHOP_LIST_LIMIT.max}`),
      },
    ),
  ),
  starting_after: onceOnly('starting_after', 'The id of the last transaction of the previous page.'),
  reference: onceOnly('reference', 'Only the transactions with this reference.'),
});

export const PAY_QR_QUERY = Type.Object({ format: onceOnly('format', '`json`: the QR content as JSON instead of the PNG.') });

/** The first of a query string's or header's refusals, as the CHOP APIs answer it; null when there is none. */
export function firstRefusal(refusals: readonly FieldRefusal[]): ChopError | null {
  const refusal = refusals[0];
  if (!refusal) return null;
  const said = saidFor<Said>(refusal);
  if (!said) throw new Error(`no message for ${refusal.keyword} of ${refusal.pointer}`);
  return new ChopError(400, said.code, typeof said.message === 'function' ? said.message(refusal.value) : said.message);
}

const QUERY_CHECKS = { list: compileText(CHOP_LIST_QUERY), payQr: compileText(PAY_QR_QUERY) };

export interface ChopListQuery {
  readonly limit: number;
  /** null when absent or empty. */
  readonly startingAfter: string | null;
  readonly reference: string | null;
}

/** `GET /chop/transactions`: the page size, the cursor, the reference filter. */
export function parseChopListQuery(query: Record<string, unknown>): ChopListQuery {
  const { value, refusals } = QUERY_CHECKS.list(query);
  const refused = firstRefusal(refusals);
  if (refused) throw refused;
  const orNull = (text: string | undefined) => (text === undefined || text === '' ? null : text);
  return { limit: value.limit ?? CHOP_LIST_LIMIT.default, startingAfter: orNull(value.starting_after), reference: orNull(value.reference) };
}

/** `POST /payment/pay_qr?format=json`: the format, undefined without one. */
export function parsePayQrQuery(query: Record<string, unknown>): string | undefined {
  const { value, refusals } = QUERY_CHECKS.payQr(query);
  const refused = firstRefusal(refusals);
  if (refused) throw refused;
  return value.format;
}

const CHECKS = {
  charge: compileRequest(CHARGE_REQUEST),
  payQr: compileRequest(PAY_QR_REQUEST),
  refund: compileRequest(REFUND_REQUEST),
  cancel: compileRequest(CANCEL_REQUEST),
  inquire: compileRequest(INQUIRE_REQUEST),
};

/** A value given under one of two names (sharing `slot`); both given and different is a conflict (null), the only problem said of them. */
function aliased(params: Params, names: readonly [string, string], problems: Problems, slot: string): string | undefined | null {
  const [a, b] = names.map((n) => present(params, n));
  if (a !== undefined && b !== undefined && a !== b) {
    problems.drop(slot);
    problems.add(`${slot}_conflict`, 'conflicting_parameters', `${names[0]} (${a}) and ${names[1]} (${b}) disagree; send one of them`);
    return null;
  }
  return a ?? b;
}

export interface MoneyParams {
  readonly amount: number;
  readonly currency: CurrencyCode;
}

/** The slots of the money rules, in the order their problems are reported. */
const MONEY_SLOTS = ['amount_conflict', 'currency_conflict', 'amount', 'currency', 'maximum'] as const;

/** The money rules beyond the schema (which checked each name's digits and length): one name or the other, the range, the currency. */
function moneyParams(params: Params, problems: Problems, maxAmountMajor: number): Partial<MoneyParams> {
  const amountText = aliased(params, ['amount', 'trans_amount'], problems, 'amount');
  const currencyText = aliased(params, ['currency', 'trans_currency'], problems, 'currency');
  let amount: number | undefined;
  let currency: CurrencyCode | undefined;
  if (amountText === undefined) problems.add('amount', 'missing_parameter', 'amount (or trans_amount) is required: an integer in cents, e.g. 999 for 9.99');
  else if (amountText !== null && !problems.has('amount')) {
    if (Number(amountText) <= 0 || Number(amountText) > AMOUNT_CEILING) problems.add('amount', 'invalid_parameter', amountRefused(amountText));
    else amount = Number(amountText);
  }
  if (currencyText === undefined)
    problems.add('currency', 'missing_parameter', 'currency (or trans_currency) is required: a 3-letter ISO 4217 code such as USD');
  else if (currencyText !== null && !problems.has('currency')) {
    if (!isCurrencyCode(currencyText.toUpperCase())) problems.add('currency', 'invalid_parameter', currencyRefused(currencyText));
    else currency = currencyText.toUpperCase() as CurrencyCode;
  }
  if (amount !== undefined) {
    const max = currency ? maxAmount(currency, maxAmountMajor) : maxAmountAnyCurrency(maxAmountMajor);
    if (amount > max) {
      problems.add(
        'maximum',
        'invalid_parameter',
        currency
          ? `amount must be at most ${toMajorUnitString({ amount: max, currency })} ${currency}, that is ${max} in the smallest unit; got ${amount}`
          : `amount must be at most ${max} in the smallest unit of any currency; got ${amount}`,
      );
      amount = undefined;
    }
  }
  return { ...(amount !== undefined ? { amount } : {}), ...(currency !== undefined ? { currency } : {}) };
}

/** The URL rule beyond the schema: absolute http(s); the length again, for the Online API's callback_url that a CHOP charge reads too. */
function optionalUrl(params: Params, name: string, problems: Problems): string | null {
  const value = present(params, name);
  if (value === undefined || problems.has(name)) return null;
  let url: URL | null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || value.length > MAX_URL_LENGTH) {
    problems.add(name, 'invalid_parameter', urlRefused(name));
    return null;
  }
  return url.toString();
}

function yesNo(params: Params, name: string, problems: Problems): boolean {
  const value = present(params, name)?.toLowerCase();
  if (value === undefined || value === 'no' || value === 'false' || value === '0') return false;
  if (value === 'yes' || value === 'true' || value === '1') return true;
  problems.add(name, 'invalid_parameter', `${name} must be yes or no`);
  return false;
}

export interface ChargeParams extends MoneyParams {
  readonly method: PaymentMethod;
  readonly reference: string;
  readonly ipnUrl: string | null;
  readonly callbackUrlSuccess: string | null;
  readonly callbackUrlFail: string | null;
  readonly mobileResultUrl: string | null;
  /** `ext` decoded to JSON text, or null. */
  readonly ext: string | null;
  readonly allowDuplicates: boolean;
  /** Parameters CanCan does not use (note, source, client_country, …), kept as sent. */
  readonly extras: Readonly<Record<string, string>>;
}

/** The parameters the charge schemas name: any other is an extra, kept as sent. */
const CHARGE_PARAMS = new Set([...Object.keys(CHARGE_REQUEST.properties), ...Object.keys(PAY_QR_REQUEST.properties)]);
const CHARGE_SLOTS = [
  'method',
  ...MONEY_SLOTS,
  'reference',
  'ipn_url',
  'callback_url',
  'callback_url_success',
  'callback_url_fail',
  'mobile_result_url',
  'ext',
  'allow_duplicates',
  'unsupported_currency',
  'amount_rule',
];

/** `POST /chop/chop` (methodParam `payment_method`) and `POST /payment/pay_qr` (methodParam `vendor`, the vendors of PAY_QR_VENDORS). */
export function parseChargeParams(params: Params, options: { methodParam: 'payment_method' | 'vendor'; maxAmountMajor?: number }): ChargeParams {
  const problems = new Problems(CHARGE_SLOTS);
  problems.addRefusals(options.methodParam === 'vendor' ? CHECKS.payQr : CHECKS.charge, presentParams(params));
  const methodCode = present(params, options.methodParam);
  const method = problems.has('method') || methodCode === undefined ? undefined : paymentMethod(methodCode);
  const money = moneyParams(params, problems, options.maxAmountMajor ?? DEFAULT_MAX_AMOUNT_MAJOR);
  const reference = present(params, 'reference');
  const ipnUrl = optionalUrl(params, 'ipn_url', problems);
  // The Online API has one callback_url; CHOP has a success and a fail URL.
  const callbackUrl = optionalUrl(params, 'callback_url', problems);
  const callbackUrlSuccess = optionalUrl(params, 'callback_url_success', problems) ?? callbackUrl;
  const callbackUrlFail = optionalUrl(params, 'callback_url_fail', problems) ?? callbackUrl;
  const mobileResultUrl = optionalUrl(params, 'mobile_result_url', problems);
  const ext = parseExt(present(params, 'ext'), problems);
  const allowDuplicates = yesNo(params, 'allow_duplicates', problems);
  if (method && money.currency && !method.currencies.includes(money.currency)) {
    problems.add('unsupported_currency', 'unsupported_currency', `${method.code} accepts ${method.currencies.join(', ')}, not ${money.currency}`);
  }
  // The method's amount rules (whole units, minimums): an amount the provider cannot take is never sent.
  if (method && money.amount !== undefined && money.currency && !problems.has('maximum') && !problems.has('unsupported_currency')) {
    const breach = amountRuleBreach(method.code, method, money.amount, money.currency, 'amount');
    if (breach) problems.add('amount_rule', 'invalid_parameter', breach.message);
  }
  problems.throwIfAny();
  const extras: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (!CHARGE_PARAMS.has(key)) extras[key] = value;
  return {
    method: method as PaymentMethod,
    amount: money.amount as number,
    currency: money.currency as CurrencyCode,
    reference: reference as string,
    ipnUrl,
    callbackUrlSuccess,
    callbackUrlFail,
    mobileResultUrl,
    ext,
    allowDuplicates,
    extras,
  };
}

/** `ext` is url-encoded JSON; a form decode has undone one level, a client may have encoded twice. */
function parseExt(value: string | undefined, problems: Problems): string | null {
  if (value === undefined) return null;
  for (const candidate of [value, safeDecode(value)]) {
    if (candidate === null) continue;
    try {
      return JSON.stringify(JSON.parse(candidate));
    } catch {
      // try the next decoding
    }
  }
  problems.add('ext', 'invalid_parameter', 'ext must be JSON, url-encoded');
  return null;
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** Which charge a refund or cancel names: by CanCan id or by the merchant's reference. */
export type TransactionSelector = { readonly id: string } | { readonly reference: string };

function selector(params: Params, problems: Problems): TransactionSelector | null {
  const id = present(params, 'transaction_id');
  const reference = present(params, 'transaction_reference') ?? present(params, 'trans_reference');
  if (id !== undefined && reference !== undefined) {
    problems.add('selector', 'conflicting_parameters', 'send transaction_id or transaction_reference, not both');
    return null;
  }
  if (id !== undefined) return { id };
  if (reference !== undefined) return { reference };
  problems.add('selector', 'missing_parameter', 'transaction_id or transaction_reference is required');
  return null;
}

export interface RefundParams extends MoneyParams {
  readonly charge: TransactionSelector;
  readonly reason: string | null;
}

export function parseRefundParams(params: Params, maxAmountMajor = DEFAULT_MAX_AMOUNT_MAJOR): RefundParams {
  const problems = new Problems(['selector', ...MONEY_SLOTS, 'reason']);
  problems.addRefusals(CHECKS.refund, presentParams(params));
  const charge = selector(params, problems);
  const money = moneyParams(params, problems, maxAmountMajor);
  const reason = present(params, 'reason') ?? null;
  problems.throwIfAny();
  return { charge: charge as TransactionSelector, amount: money.amount as number, currency: money.currency as CurrencyCode, reason };
}

export interface CancelParams {
  readonly charge: TransactionSelector;
  readonly reason: string | null;
}

export function parseCancelParams(params: Params): CancelParams {
  const problems = new Problems(['selector', 'reason']);
  problems.addRefusals(CHECKS.cancel, presentParams(params));
  const charge = selector(params, problems);
  const reason = present(params, 'reason') ?? null;
  problems.throwIfAny();
  return { charge: charge as TransactionSelector, reason };
}

export interface InquireParams {
  readonly target: TransactionSelector;
  readonly real: boolean;
}

export function parseInquireParams(params: Params): InquireParams {
  const problems = new Problems(['target']);
  problems.addRefusals(CHECKS.inquire, presentParams(params));
  const q = present(params, 'q') ?? present(params, 'id');
  const reference = present(params, 'reference');
  if (q === undefined && reference === undefined) problems.add('target', 'missing_parameter', 'q (the transaction id) or reference is required');
  const method = present(params, 'inquire_method') ?? present(params, 'inquire_methods');
  problems.throwIfAny();
  return { target: q !== undefined ? { id: q } : { reference: reference as string }, real: method === 'real' };
}
