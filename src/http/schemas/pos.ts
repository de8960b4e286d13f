/**
 * JSON Schemas of the POS API (CANCAN v2) as the OpenAPI document at /docs
 * shows them. The request bodies are the validator's own TypeBox schemas
 * (src/core/validate.ts) and the list's query string list-query.ts's,
 * published as they are; the rest documents answers.
 */
import { REFUND_REQUEST, SALE_REQUEST, VOID_REQUEST } from '../../core/validate.js';
import type { ApiErrorCode } from '../../domain/errors.js';
import { TRANSACTION_STATES } from '../../domain/states.js';
import { LIST_QUERY } from '../routes/list-query.js';
import { API_SECURITY, jsonResponse, ref } from './common.js';

const TRANSACTION_REQUEST = {
  $id: 'TransactionRequest',
  description: '`data.type` selects a sale, a void or a refund. Unknown attributes are ignored.',
  oneOf: [ref('SaleRequest'), ref('VoidRequest'), ref('RefundRequest')],
  examples: [SALE_REQUEST, VOID_REQUEST, REFUND_REQUEST].flatMap((request) => request.examples as unknown[]),
};

const nullableText = (description: string) => ({ type: ['string', 'null'], description });
const commonAttributes = {
  state: { type: 'string', enum: TRANSACTION_STATES, description: '`pending` until the provider answers, then `succeeded` or `failed` (final).' },
  description: nullableText('The free-form description the POS sent.'),
  pos_id: nullableText('The POS terminal that sent the request, as it named itself.'),
  mch_level_1: nullableText('Merchant hierarchy, level 1 (e.g. the brand), as the POS sent it.'),
  mch_level_2: nullableText('Merchant hierarchy, level 2 (e.g. the region), as the POS sent it.'),
  mch_level_3: nullableText('Merchant hierarchy, level 3 (e.g. the store), as the POS sent it.'),
  failure_code: { type: ['string', 'null'], description: 'Why the transaction failed (e.g. customer_insufficient_balance_failure); null unless failed.' },
  failure_detail: { type: ['string', 'null'], description: 'Human-readable failure message; null unless failed.' },
  livemode: { type: 'boolean', description: "true for a live-mode key's transaction, false for a test-mode one (beyond the blueprint)." },
  created_at: { type: 'string', description: 'ISO 8601, UTC, seconds (2017-01-18T09:53:52Z).' },
  updated_at: { type: 'string', description: 'ISO 8601, UTC, seconds: the last change of state.' },
};
const COMMON_REQUIRED = ['state', 'failure_code', 'failure_detail', 'livemode', 'created_at', 'updated_at'];
const resource = (type: 'sale' | 'void' | 'refund', attributes: Record<string, object>, required: string[]) => ({
  $id: `${type[0]?.toUpperCase()}${type.slice(1)}`,
  type: 'object',
  required: ['id', 'type', 'attributes'],
  properties: {
    id: { type: 'string', description: 'The id the POS gave the transaction.' },
    type: { type: 'string', const: type, description: `Always \`${type}\`.` },
    attributes: {
      type: 'object',
      description: `The ${type} as it is now.`,
      required: [...COMMON_REQUIRED, ...required],
      properties: { ...commonAttributes, ...attributes },
    },
  },
});
const SALE = resource(
  'sale',
  {
    payment_gateway: { type: 'string', description: 'The gateway the sale went through.' },
    amount: { type: 'integer', description: "In the currency's smallest unit (cents)." },
    currency: { type: 'string', description: 'ISO 4217 code.' },
    refunded_amount: { type: 'integer', description: 'Sum of the succeeded refunds.' },
    voided: { type: 'boolean', description: 'True once a void succeeded.' },
  },
  ['payment_gateway', 'amount', 'currency', 'refunded_amount', 'voided'],
);
const SALE_ID = { type: ['string', 'null'], description: 'The id of the sale it applies to.' };
const VOID = resource('void', { sale: SALE_ID }, ['sale']);
const REFUND = resource(
  'refund',
  {
    sale: SALE_ID,
    amount: { type: 'integer', description: "The refunded amount, in the currency's smallest unit." },
    currency: { type: 'string', description: "The sale's currency." },
  },
  ['sale', 'amount', 'currency'],
);
/** A succeeded sale, as the answers show it (the examples of the answers). */
const SALE_EXAMPLE = {
  id: 'ee96aaf7-9ec7-4baf-bf88-c0f77db672e0',
  type: 'sale',
  attributes: {
    state: 'succeeded',
    payment_gateway: 'linepay_th_domestic',
    amount: 10000,
    currency: 'THB',
    refunded_amount: 0,
    voided: false,
    description: 'Item 246',
    pos_id: 'POS123',
    mch_level_1: null,
    mch_level_2: null,
    mch_level_3: null,
    failure_code: null,
    failure_detail: null,
    livemode: false,
    created_at: '2026-01-18T09:53:52Z',
    updated_at: '2026-01-18T09:53:54Z',
  },
};
const TRANSACTION = { $id: 'Transaction', description: 'A sale, a void or a refund, by `type`.', oneOf: [ref('Sale'), ref('Void'), ref('Refund')] };

const TRANSACTION_DOCUMENT = {
  $id: 'TransactionDocument',
  type: 'object',
  required: ['data'],
  properties: { data: ref('Transaction') },
  examples: [{ data: SALE_EXAMPLE }],
};
const TRANSACTION_LIST = {
  $id: 'TransactionList',
  type: 'object',
  required: ['data', 'links'],
  properties: {
    data: { type: 'array', items: ref('Transaction'), description: 'The transactions of this page, newest first.' },
    links: {
      type: 'object',
      description: 'Where this page and the next one are.',
      required: ['self'],
      properties: { self: { type: 'string', description: 'This page.' }, next: { type: 'string', description: 'The next page; absent on the last one.' } },
    },
  },
  examples: [
    {
      data: [SALE_EXAMPLE],
      links: { self: '/api/v2/transactions?page[size]=1', next: '/api/v2/transactions?page[size]=1&page[after]=MTIz' },
    },
  ],
};

const ERROR_CODES = [
  'authentication_error',
  'attribute_error',
  'access_forbidden_error',
  'not_found_error',
  'conflict_error',
  'payload_too_large_error',
  'unsupported_media_type_error',
  'rate_limit_error',
  'service_unavailable_error',
  'internal_error',
] as const satisfies readonly ApiErrorCode[];
// Fails to compile when domain/errors.ts gains a code this list does not document.
const everyCodeListed: Exclude<ApiErrorCode, (typeof ERROR_CODES)[number]> extends never ? true : never = true;
void everyCodeListed;

const POS_ERRORS = {
  $id: 'PosErrors',
  description:
    "The blueprint's error envelope. Validation errors name the attribute (`source.pointer`) or the query parameter (`source.parameter`); every problem of a request is listed at once.",
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      description: 'Every problem of the request.',
      items: {
        type: 'object',
        required: ['status', 'code', 'detail'],
        properties: {
          status: { type: 'string', description: 'The HTTP status, as a string.' },
          code: { type: 'string', enum: ERROR_CODES, description: 'What kind of error, for programs.' },
          detail: { type: 'string', description: 'What went wrong and how to fix it, for people.' },
          source: {
            type: 'object',
            description: 'What the error is about, when it is about one attribute or parameter.',
            properties: {
              pointer: { type: 'string', description: 'JSON pointer into the body, e.g. /data/attributes/amount.' },
              parameter: { type: 'string', description: 'The query parameter, e.g. page[size].' },
            },
          },
        },
      },
    },
  },
  examples: [
    {
      errors: [
        {
          status: '400',
          code: 'attribute_error',
          detail: "`amount` must be a positive integer in the currency's smallest unit (e.g. 100 for $1.00), got -5",
          source: { pointer: '/data/attributes/amount' },
        },
      ],
    },
  ],
};

/** Shared schemas (components of the OpenAPI document), registered once per server. */
export const POS_SCHEMAS: readonly object[] = [
  SALE_REQUEST,
  VOID_REQUEST,
  REFUND_REQUEST,
  TRANSACTION_REQUEST,
  SALE,
  VOID,
  REFUND,
  TRANSACTION,
  TRANSACTION_DOCUMENT,
  TRANSACTION_LIST,
  POS_ERRORS,
];

const errors = (description: string, headers?: Record<string, object>) => jsonResponse(description, ref('PosErrors'), headers);
const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying.' } };
const COMMON_ERRORS = {
  401: errors('No valid API key.'),
  429: errors('Too many requests for this API key (CANCAN_RATE_LIMIT_PER_SECOND, CANCAN_RATE_LIMIT_BURST).', RETRY_AFTER),
  500: errors('Something went wrong on our side; the request can be retried with the same id.'),
  503: errors('The database is unavailable; retry later.'),
};

export const CREATE_TRANSACTION_ROUTE = {
  operationId: 'createTransaction',
  summary: 'Create a sale, void or refund',
  description:
    'The answer comes before the provider is called (`pending`) unless `Prefer: wait=N` holds it. Voids and refunds that cannot be done are recorded as `201` with `state: failed` and a `failure_code`.',
  tags: ['POS API'],
  security: API_SECURITY,
  consumes: ['application/json'],
  headers: {
    type: 'object',
    properties: {
      prefer: {
        type: 'string',
        description:
          '`wait=N` (N ≤ 30): hold the answer until the transaction is final or N seconds pass. The status stays 201/200; the body shows the latest state.',
        examples: ['wait=10'],
      },
    },
  },
  body: ref('TransactionRequest'),
  response: {
    201: jsonResponse('Created. `Preference-Applied: wait=N` when `Prefer` was honoured.', ref('TransactionDocument'), {
      'Preference-Applied': { type: 'string', description: 'The `wait=N` that was honoured.' },
    }),
    200: jsonResponse('A retry of an earlier request with the same id and body: the transaction as it is now.', ref('TransactionDocument'), {
      'Idempotent-Replayed': { type: 'string', enum: ['true'], description: 'This answer is a replay of the first one.' },
    }),
    400: errors(
      'The body is not valid JSON or an attribute is wrong (`attribute_error`, with `source.pointer`); ' +
        'with `payment_gateway` `auto`, also when no gateway or more than one fits the code, its currency and the merchant.',
    ),
    403: errors('The gateway is not enabled for this merchant, or a live key has no provider credentials.'),
    409: errors('This id was used before with another body (`conflict_error`).'),
    413: errors('The body is larger than 64 KiB.'),
    415: errors('The body was sent as another media type than JSON (`unsupported_media_type_error`): send `Content-Type: application/json`.'),
    ...COMMON_ERRORS,
  },
};

export const GET_TRANSACTION_ROUTE = {
  operationId: 'getTransaction',
  summary: 'Retrieve a transaction',
  tags: ['POS API'],
  security: API_SECURITY,
  params: {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string', description: 'The id the POS gave the transaction.', examples: [SALE_EXAMPLE.id] } },
  },
  response: {
    200: jsonResponse('The transaction.', ref('TransactionDocument')),
    404: errors('No transaction with this id for this merchant (`not_found_error`, "Record Not Found").'),
    ...COMMON_ERRORS,
  },
};

export const LIST_TRANSACTIONS_ROUTE = {
  operationId: 'listTransactions',
  summary: 'List transactions (reconciliation)',
  description: 'Newest first, in cursor pages: follow `links.next`. An empty parameter is the same as an absent one.',
  tags: ['POS API'],
  security: API_SECURITY,
  querystring: LIST_QUERY,
  response: {
    200: jsonResponse('A page of transactions.', ref('TransactionList')),
    400: errors('A filter or page parameter is wrong (`attribute_error`, with `source.parameter`).'),
    ...COMMON_ERRORS,
  },
};
