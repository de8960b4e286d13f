/**
 * The POS API's request bodies, defined once: each TypeBox schema below is the
 * validator (ajv), the TypeScript type (Static), the OpenAPI schema
 * (src/http/schemas/pos.ts publishes these objects) and, field by field, the
 * messages of a refusal. Every problem is reported with the attribute it
 * concerns (a JSON pointer), all problems of a body at once. Only the maximum
 * per currency, which depends on the server's setting, is a rule beside the schema.
 */
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { CLIENT_ID_PATTERN } from '../domain/ids.js';
import { type ErrorItem, attributeError } from '../domain/errors.js';
import {
  AMOUNT_CEILING,
  type CurrencyCode,
  DEFAULT_MAX_AMOUNT_MAJOR,
  knownCurrencies,
  maxAmount,
  maxAmountAnyCurrency,
  toMajorUnitString,
} from '../domain/money.js';
import { type Check, type FieldRefusal, compileRequest, messageFor, says } from './request-schema.js';
import { gatewayCodes, gatewayProfile } from '../providers/registry.js';
import { amountRuleBreach } from '../providers/amount-rules.js';
import { knownShapes } from './auto-gateway.js';

/** Longest description, pos_id and mch_level_1..3. */
export const MAX_TEXT = 255;
export const MAX_GATEWAY_LENGTH = 64;
export const MAX_AUTH_KEY_LENGTH = 128;

const A = '/data/attributes';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

const ID_RULE = '1–64 characters of A–Z, a–z, 0–9, `.`, `_`, `:` or `-`';

/** A text attribute the request must carry (not null, not empty). */
function requiredText(name: string, maxLength: number, options: { description: string; writeOnly?: boolean }) {
  return says(Type.String({ minLength: 1, maxLength, ...options }), {
    required: `\`${name}\` is required`,
    type: (value) => (value === null ? `\`${name}\` is required` : `\`${name}\` must be a string, got ${describe(value)}`),
    minLength: `\`${name}\` must not be empty`,
    default: (value) => `\`${name}\` must be at most ${maxLength} characters, got ${String(value).length}`,
  });
}

/** A text attribute that may be absent or null. */
function optionalText(name: string, description: string) {
  return Type.Optional(
    says(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: MAX_TEXT, description }), {
      type: (value) => `\`${name}\` must be a string, got ${describe(value)}`,
      default: (value) => `\`${name}\` must be at most ${MAX_TEXT} characters, got ${String(value).length}`,
    }),
  );
}

/** The id of a sale, as a void or refund names it. */
function saleReference(description: string) {
  return says(Type.String({ minLength: 1, maxLength: 64, pattern: CLIENT_ID_PATTERN.source, description }), {
    required: '`sale` is required',
    type: (value) => (value === null ? '`sale` is required' : `\`sale\` must be a string, got ${describe(value)}`),
    minLength: '`sale` must not be empty',
    maxLength: (value) => `\`sale\` must be at most 64 characters, got ${String(value).length}`,
    default: `\`sale\` must be the id of a sale: ${ID_RULE}`,
  });
}

// The schema bounds what any setting allows; the maximum per currency is checked beside it (it depends on the sale's currency and the server's setting).
const amount = () =>
  says(
    Type.Integer({
      minimum: 1,
      maximum: AMOUNT_CEILING,
      description:
        "A positive integer in the currency's smallest unit (100 = $1.00; 100 = ¥100 in a 0-decimal currency), at most the maximum per transaction: " +
        `by default ${maxAmount('USD')} in a two-decimal currency (99,999,999.99), ${maxAmount('JPY')} in a zero-decimal one, ${maxAmount('BHD')} in a three-decimal one ` +
        "(the server's CANCAN_MAX_AMOUNT_MAJOR whole units plus the largest fraction). A refund is held to its sale's currency's maximum. " +
        'A gateway may take a currency in whole units only (TWD at linepay_tw_domestic: a multiple of 100); another amount is refused with 400.',
    }),
    {
      required: '`amount` is required',
      type: (value) => (value === null ? '`amount` is required' : positiveAmount(value)),
      default: positiveAmount,
    },
  );
const positiveAmount = (value: unknown) =>
  `\`amount\` must be a positive integer in the currency's smallest unit (e.g. 100 for $1.00), got ${JSON.stringify(value)}`;

const tags = {
  pos_id: optionalText('pos_id', 'A unique identifier of the POS system.'),
  mch_level_1: optionalText('mch_level_1', 'Arbitrary string.'),
  mch_level_2: optionalText('mch_level_2', 'Arbitrary string.'),
  mch_level_3: optionalText('mch_level_3', 'Arbitrary string.'),
};

const currencyRefused = (value: unknown) => `\`currency\` must be a three-letter ISO 4217 code in upper case (e.g. CNY), got ${JSON.stringify(value)}`;

// Attributes in the order their problems are reported.
const SALE_ATTRIBUTES = Type.Object({
  payment_gateway: requiredText('payment_gateway', MAX_GATEWAY_LENGTH, {
    description:
      `The gateway: ${gatewayCodes().join(', ')}. Must be enabled for the merchant. ` +
      'Or `auto` (an extension beyond the blueprint): CanCan picks the gateway by the shape of `payment_auth_key` ' +
      `(${knownShapes()}) among the gateways enabled for the merchant that sell in \`currency\` ` +
      "(and, for a live key, have the merchant's live credentials); the sale is stored and answered with the chosen gateway. " +
      'No such gateway, or more than one: 400 naming them. A retry of an `auto` sale sends `auto` again (the same body); naming the chosen gateway instead is another body (409).',
  }),
  payment_auth_key: requiredText('payment_auth_key', MAX_AUTH_KEY_LENGTH, {
    writeOnly: true,
    description: "The customer's payment code (scanned barcode/QR). Never echoed back or logged.",
  }),
  amount: amount(),
  currency: says(
    Type.Unsafe<CurrencyCode>({
      type: 'string',
      enum: knownCurrencies(),
      description:
        'Three-letter ISO 4217 code in upper case; the gateway decides which it accepts (wechatpay_international and alipay_international: ' +
        "the merchant's own list, USD unless the operator set one).",
    }),
    {
      required: '`currency` is required',
      type: (value) => (value === null ? '`currency` is required' : currencyRefused(value)),
      default: currencyRefused,
    },
  ),
  description: requiredText('description', MAX_TEXT, { description: 'A free-form description of the transaction.' }),
  ...tags,
});

const VOID_ATTRIBUTES = Type.Object({
  sale: saleReference('The id of the sale to void.'),
  description: optionalText('description', 'A free-form description of the transaction.'),
  ...tags,
});

const REFUND_ATTRIBUTES = Type.Object({
  sale: saleReference('The id of the sale to refund.'),
  amount: amount(),
  description: optionalText('description', 'A free-form description of the transaction.'),
  ...tags,
});

// What /docs says of each attributes object (set here, so the definitions above keep their shape).
SALE_ATTRIBUTES.description = 'What to charge, in which currency, through which gateway, and the code the customer showed.';
VOID_ATTRIBUTES.description = 'The sale to void.';
REFUND_ATTRIBUTES.description = 'The sale to refund and the amount to give back.';

const TYPES = ['sale', 'void', 'refund'] as const;
type RequestType = (typeof TYPES)[number];

/** `{"data":{"id","type","attributes"}}`. */
function request<T extends TSchema, A extends TSchema>(type: T, attributes: A, options: { $id?: string; description?: string; examples?: unknown[] } = {}) {
  const schema = says(
    Type.Object(
      {
        data: says(
          Type.Object({
            id: says(
              Type.String({
                pattern: CLIENT_ID_PATTERN.source,
                description:
                  'An identifier of the transaction, unique to the merchant: 1–64 characters of A–Z, a–z, 0–9, `.`, `_`, `:`, `-`. Re-sending the same id with the same body is a safe retry.',
              }),
              {
                required: '`id` is required and must be a string, got a undefined',
                type: (value) => `\`id\` is required and must be a string, got ${describe(value)}`,
                default: `\`id\` must be ${ID_RULE}`,
              },
            ),
            type: says(type, { default: `\`type\` must be one of ${TYPES.join(', ')}` }),
            attributes: says(attributes, { default: '`attributes` is required and must be an object' }),
          }),
          { default: '`data` is required and must be an object' },
        ),
      },
      options,
    ),
    { default: 'The body must be a JSON object with a `data` member' },
  );
  schema.properties.data.description = 'The transaction to create: its id, its kind and its attributes.';
  return schema;
}
const example = (type: RequestType, attributes: object) => [{ data: { id: 'ee96aaf7-9ec7-4baf-bf88-c0f77db672e0', type, attributes } }];

/** The request schemas (components of the OpenAPI document, src/http/schemas/pos.ts). */
export const SALE_REQUEST = request(Type.Literal('sale', { description: 'The kind of transaction: `sale`.' }), SALE_ATTRIBUTES, {
  $id: 'SaleRequest',
  description: 'Charges the customer whose payment code the cashier scanned.',
  examples: example('sale', {
    payment_gateway: 'linepay_th_domestic',
    payment_auth_key: '081149423436',
    amount: 10000,
    currency: 'THB',
    description: 'Item 246',
    pos_id: 'POS123',
  }),
});
export const VOID_REQUEST = request(Type.Literal('void', { description: 'The kind of transaction: `void`.' }), VOID_ATTRIBUTES, {
  $id: 'VoidRequest',
  description: 'Voids a sale while it is pending or within the void window after it succeeded.',
  examples: example('void', { sale: 'c2f5a10a-d7a7-4d69-83fa-b57c343d22d4', description: 'customer has changed her mind' }),
});
export const REFUND_REQUEST = request(Type.Literal('refund', { description: 'The kind of transaction: `refund`.' }), REFUND_ATTRIBUTES, {
  $id: 'RefundRequest',
  description: 'Refunds a succeeded sale, in part or in full (several partial refunds up to the sale amount).',
  examples: example('refund', { sale: 'c2f5a10a-d7a7-4d69-83fa-b57c343d22d4', amount: 500, description: 'factory defect' }),
});
/** A body whose `data.type` is none of the three: only the envelope is checked. */
const ANY_REQUEST = request(Type.Unsafe<RequestType>({ type: 'string', enum: [...TYPES] }), Type.Object({}));

/** Absent optional attributes are null in a validated request. */
type Present<T> = { readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };
type Validated<S extends TSchema, T extends RequestType> = { readonly type: T; readonly id: string; readonly attributes: Present<Static<S>> };

export type TransactionRequest =
  Validated<typeof SALE_ATTRIBUTES, 'sale'> | Validated<typeof VOID_ATTRIBUTES, 'void'> | Validated<typeof REFUND_ATTRIBUTES, 'refund'>;
export type CommonAttributes = Pick<Present<Static<typeof VOID_ATTRIBUTES>>, 'description' | 'pos_id' | 'mch_level_1' | 'mch_level_2' | 'mch_level_3'>;

const CHECKS: Record<RequestType | 'any', { check: Check; attributes: TObject }> = {
  sale: { check: compileRequest(SALE_REQUEST), attributes: SALE_ATTRIBUTES },
  void: { check: compileRequest(VOID_REQUEST), attributes: VOID_ATTRIBUTES },
  refund: { check: compileRequest(REFUND_REQUEST), attributes: REFUND_ATTRIBUTES },
  any: { check: compileRequest(ANY_REQUEST), attributes: Type.Object({}) },
};

/**
 * Why an amount is over the maximum (config maxAmountMajor), stated in the currency's major units; null when within.
 * Without a currency (a refund names only its sale) the largest maximum of any currency applies.
 */
export function amountOverMaximum(amount: number, currency: CurrencyCode | null, maxAmountMajor: number): string | null {
  if (currency) {
    const max = maxAmount(currency, maxAmountMajor);
    return amount <= max
      ? null
      : `\`amount\` must be at most ${toMajorUnitString({ amount: max, currency })} ${currency} (${max} in the smallest unit), got ${amount}`;
  }
  const max = maxAmountAnyCurrency(maxAmountMajor);
  return amount <= max
    ? null
    : `\`amount\` must be at most ${maxAmountMajor} major units and their fraction (${max} in the smallest unit of a 3-decimal currency), got ${amount}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeOf = (body: unknown): RequestType | 'any' => {
  const type = isObject(body) && isObject(body.data) ? body.data.type : undefined;
  return (TYPES as readonly unknown[]).includes(type) ? (type as RequestType) : 'any';
};

export function validateTransactionRequest(
  body: unknown,
  maxAmountMajor = DEFAULT_MAX_AMOUNT_MAJOR,
): { ok: true; request: TransactionRequest } | { ok: false; errors: ErrorItem[] } {
  const type = typeOf(body);
  const { check, attributes } = CHECKS[type];
  const refusals = check(body);
  // Over the schema's ceiling is over any setting's maximum: said by the maximum rule below.
  const overCeiling = (r: FieldRefusal) => r.pointer === `${A}/amount` && r.keyword === 'maximum' && Number.isSafeInteger(r.value);
  const errors = refusals.filter((r) => !overCeiling(r)).map((r) => attributeError(messageFor(r), r.pointer));
  const fits = (pointer: string) => !errors.some((e) => e.pointer === pointer);
  // Only a body that fits its schema up to the amount is read from here on.
  const data = () => (body as { data: { id: string; type: RequestType; attributes: Record<string, unknown> } }).data;
  if ('amount' in attributes.properties && fits('') && fits('/data') && fits(A) && fits(`${A}/amount`)) {
    const currency = type === 'sale' && fits(`${A}/currency`) ? (data().attributes.currency as CurrencyCode) : null;
    const problem = amountOverMaximum(data().attributes.amount as number, currency, maxAmountMajor);
    // Reported where it always was: after the currency, before the text attributes.
    if (problem) errors.splice(errors.filter((e) => BEFORE_MAXIMUM.has(e.pointer ?? '')).length, 0, attributeError(problem, `${A}/amount`));
    const breach = !problem && currency ? saleAmountRuleBreach(data().attributes, currency) : null;
    if (breach) errors.splice(errors.filter((e) => BEFORE_MAXIMUM.has(e.pointer ?? '')).length, 0, attributeError(breach, `${A}/amount`));
  }
  if (errors.length > 0) return { ok: false, errors };
  const { id, attributes: given } = data();
  // The text attributes every kind has first, as the request has always been built.
  const names = [...new Set([...COMMON_NAMES, ...Object.keys(attributes.properties)])];
  const present = Object.fromEntries(names.map((name) => [name, given[name] ?? null]));
  return { ok: true, request: { type, id, attributes: present } as TransactionRequest };
}
/** The gateway's amount rules (whole units, minimums): an amount the provider cannot take is never sent. */
function saleAmountRuleBreach(attributes: Record<string, unknown>, currency: CurrencyCode): string | null {
  const gateway = typeof attributes.payment_gateway === 'string' ? gatewayProfile(attributes.payment_gateway) : undefined;
  if (!gateway) return null;
  return amountRuleBreach(gateway.code, gateway, attributes.amount as number, currency, '`amount`')?.message ?? null;
}
const COMMON_NAMES = ['description', 'pos_id', 'mch_level_1', 'mch_level_2', 'mch_level_3'] as const;
const BEFORE_MAXIMUM = new Set([
  '',
  '/data',
  '/data/id',
  '/data/type',
  A,
  `${A}/payment_gateway`,
  `${A}/payment_auth_key`,
  `${A}/amount`,
  `${A}/currency`,
  `${A}/sale`,
]);

/** Canonical JSON (sorted keys) of a request, for telling retries from conflicts. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
