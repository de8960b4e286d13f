/**
 * JSON Schemas of the CHOP API (/chop) and the Online API (/payment) as /docs
 * shows them. The request bodies and query strings are the parsers' own
 * TypeBox schemas (src/chop/params.ts), the Idempotency-Key header its own
 * (src/http/idempotency.ts), published as they are: form fields as text,
 * trimmed, an empty field being absent (JSON bodies are read the same way:
 * numbers as text).
 */
import { CANCEL_REQUEST, CHARGE_REQUEST, CHOP_LIST_QUERY, INQUIRE_REQUEST, PAY_QR_QUERY, PAY_QR_REQUEST, REFUND_REQUEST } from '../../chop/params.js';
import { IDEMPOTENCY_HEADERS } from '../idempotency.js';
import { API_SECURITY, jsonResponse, ref } from './common.js';

const nullable = (type: string) => ({ type: [type, 'null'] });
const CHOP_TRANSACTION = {
  $id: 'ChopTransaction',
  type: 'object',
  required: ['id', 'type', 'amount', 'currency', 'reference', 'payment_method', 'time', 'note', 'notify_result', 'status', 'livemode', 'created_at'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['charge', 'refund'] },
    amount: nullable('integer'),
    currency: nullable('string'),
    reference: nullable('string'),
    payment_method: nullable('string'),
    time: { type: 'string', description: '`yyyy-MM-dd HH:mm:ss`, UTC: when it became final, else when it was created.' },
    note: nullable('string'),
    notify_result: { enum: ['success', 'expired', 'fail', null], description: 'success; null while the QR is still payable; expired; fail.' },
    qr_code: {
      type: 'string',
      description:
        "A charge still payable: the content of its QR code, as the payment page draws it (for UnionPay's redirect, the order's code URL). Absent once paid, failed or expired, for cards, and until the provider order exists (a moment after the charge).",
      examples: ['weixin://wxpay/bizpayurl?pr=AbCdEf1'],
    },
    status: { type: 'string', description: 'pending, succeeded, failed, expired, declined or cancelled.' },
    livemode: { type: 'boolean', description: "true for a live-mode key's transaction, false for a test-mode one." },
    refunded_amount: nullable('integer'),
    cancelled: { type: 'boolean' },
    transaction_id: { type: ['string', 'null'], description: 'Refunds: the charge they refund.' },
    card_number: { type: 'string', description: 'Cards: masked, e.g. 4111xxxxxxxx1111.' },
    exp_date: { type: 'string' },
    approval_code: nullable('string'),
    ext: { type: 'string', description: "The charge's `ext`, as JSON text." },
    created_at: { type: 'string' },
  },
};
const NOTIFICATION = {
  $id: 'ChopNotification',
  type: 'object',
  required: ['notify_id', 'url', 'status', 'attempts', 'created_at', 'next_attempt_at', 'delivered_at', 'fields', 'attempt_log'],
  properties: {
    notify_id: { type: 'string' },
    url: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    created_at: nullable('string'),
    next_attempt_at: nullable('string'),
    delivered_at: nullable('string'),
    fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'The signed form fields posted.' },
    attempt_log: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: nullable('string'),
          http_status: nullable('integer'),
          latency_ms: { type: 'integer' },
          error: nullable('string'),
          response_excerpt: nullable('string'),
        },
      },
    },
  },
};
const CHOP_FAIL = {
  $id: 'ChopFail',
  description: 'A refused request: every problem at once in `error`.',
  type: 'object',
  required: ['result', 'error', 'code'],
  properties: {
    result: { type: 'string', const: 'fail' },
    error: { type: 'string' },
    code: {
      type: 'string',
      description:
        'missing_parameter, invalid_parameter, invalid_parameters, conflicting_parameters, unsupported_currency, unauthorized, rate_limited, not_found, payment_method_not_enabled, url_not_allowed, invalid_idempotency_key, idempotency_key_reused, idempotency_key_in_progress, …',
    },
  },
  examples: [{ result: 'fail', error: 'amount (or trans_amount) is required: an integer in cents, e.g. 999 for 9.99', code: 'missing_parameter' }],
};

/** Shared schemas (components of the OpenAPI document). */
export const CHOP_SCHEMAS: readonly object[] = [
  CHARGE_REQUEST,
  PAY_QR_REQUEST,
  REFUND_REQUEST,
  CANCEL_REQUEST,
  INQUIRE_REQUEST,
  CHOP_TRANSACTION,
  NOTIFICATION,
  CHOP_FAIL,
];

const FORM = ['application/x-www-form-urlencoded', 'application/json'];
const fail = (description: string, headers?: Record<string, object>) => jsonResponse(description, ref('ChopFail'), headers);
const COMMON_FAILS = {
  400: fail('Bad parameters.'),
  401: fail('No valid token (`unauthorized`).'),
  429: fail('Too many requests for this key (`rate_limited`).', { 'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying.' } }),
};
const success = (properties: Record<string, object>, required: string[]) => ({
  type: 'object',
  required: ['result', ...required],
  properties: { result: { type: 'string', const: 'success' }, ...properties },
});
/** The routes that move money take an `Idempotency-Key` (src/http/idempotency.ts defines the header). */
const IDEMPOTENT = { headers: IDEMPOTENCY_HEADERS };
const IDEMPOTENCY_FAILS = {
  409: fail('A request with this `Idempotency-Key` is still in progress (`idempotency_key_in_progress`); retry after `Retry-After` seconds.', {
    'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying.' },
  }),
  422: fail('This `Idempotency-Key` was used with other parameters or another endpoint (`idempotency_key_reused`).'),
};
const route = <T extends object>(tag: string, summary: string, extra: T) => ({ summary, tags: [tag], security: API_SECURITY, ...extra });
const chopIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'The charge id.' } } };

export const CHOP_ROUTES = {
  charge: route('CHOP API', 'Create a hosted-checkout payment', {
    consumes: FORM,
    ...IDEMPOTENT,
    body: ref('ChopChargeRequest'),
    response: {
      200: jsonResponse(
        'The payment page to send the shopper to.',
        success({ url: { type: 'string', examples: ['https://cancan.example/chop/landing?q=4f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c'] } }, ['url']),
      ),
      403: fail('The payment method is not enabled for this merchant, or not available in live mode.'),
      ...IDEMPOTENCY_FAILS,
      ...COMMON_FAILS,
    },
  }),
  inquire: (tag: string) =>
    route(tag, 'Status of a charge or refund', {
      consumes: FORM,
      body: ref('ChopInquireRequest'),
      response: { 200: jsonResponse('The transaction.', ref('ChopTransaction')), 404: fail('No transaction with this id or reference.'), ...COMMON_FAILS },
    }),
  refund: (tag: string) =>
    route(tag, 'Refund a charge, in part or in full', {
      description:
        'Refusals are answers (HTTP 200, `refunded: false`): `4071` amount greater than allowed (also for an unpaid charge), `4072` other currency, `4073` insufficient open balance, `4074` past the refund period. Waits up to 10 s for the provider.',
      consumes: FORM,
      ...IDEMPOTENT,
      body: ref('ChopRefundRequest'),
      response: {
        200: jsonResponse('Refunded (`status` success or pending) or refused.', {
          oneOf: [
            {
              type: 'object',
              required: ['id', 'transaction_id', 'refunded', 'status'],
              properties: { id: { type: 'string' }, transaction_id: { type: 'string' }, refunded: { const: true }, status: { enum: ['success', 'pending'] } },
            },
            {
              type: 'object',
              required: ['code', 'refunded', 'status'],
              properties: { code: { type: 'string' }, refunded: { const: false }, status: { type: 'string' } },
            },
          ],
        }),
        404: fail('No such charge.'),
        ...IDEMPOTENCY_FAILS,
        ...COMMON_FAILS,
      },
    }),
  cancel: route('CHOP API', 'Cancel a charge (Alipay and WeChat Pay)', {
    description:
      'A pending charge is closed at the provider; a paid one is refunded in full. Refusals are answers: "Duplicate cancellation", "Not in cancellation window", "Cancel not supported for this payment method".',
    consumes: FORM,
    ...IDEMPOTENT,
    body: ref('ChopCancelRequest'),
    response: {
      200: jsonResponse('Cancelled or refused.', {
        type: 'object',
        required: ['transaction_id', 'transaction_reference', 'cancelled', 'status'],
        properties: {
          transaction_id: { type: 'string' },
          transaction_reference: nullable('string'),
          cancelled: { type: 'boolean' },
          status: { type: 'string', examples: ['Order cancelled'] },
        },
      }),
      404: fail('No such charge.'),
      ...IDEMPOTENCY_FAILS,
      ...COMMON_FAILS,
    },
  }),
  list: route('CHOP API', "The merchant's CHOP charges and refunds, newest first", {
    querystring: CHOP_LIST_QUERY,
    response: {
      200: jsonResponse('A page.', success({ data: { type: 'array', items: ref('ChopTransaction') }, has_more: { type: 'boolean' } }, ['data', 'has_more'])),
      ...COMMON_FAILS,
    },
  }),
  notifications: route('CHOP API', "A charge's IPNs and every delivery attempt", {
    params: chopIdParams,
    response: {
      200: jsonResponse('The notifications.', success({ data: { type: 'array', items: ref('ChopNotification') } }, ['data'])),
      404: fail('No such charge.'),
      ...COMMON_FAILS,
    },
  }),
  resend: route('CHOP API', "Send a final charge's IPN again", {
    params: chopIdParams,
    response: {
      202: jsonResponse('Queued.', success({ data: ref('ChopNotification') }, ['data'])),
      404: fail('No such charge.'),
      409: fail('The charge is not final yet (`not_final`) or has no ipn_url (`no_ipn_url`).'),
      ...COMMON_FAILS,
    },
  }),
  payQr: route('Online API', 'The payment QR as a PNG, for your own page', {
    consumes: FORM,
    ...IDEMPOTENT,
    querystring: PAY_QR_QUERY,
    body: ref('PayQrRequest'),
    response: {
      200: {
        description: 'The QR code (PNG), or with `format=json` its content.',
        content: {
          'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
          'application/json': { schema: success({ qr_code: { type: 'string' }, id: { type: 'string' }, url: { type: 'string' } }, ['qr_code', 'id', 'url']) },
        },
      },
      403: fail('The vendor is not enabled for this merchant.'),
      502: fail('The provider refused the payment (`provider_declined`).'),
      503: fail('The provider has not answered yet (`provider_unavailable`): send the same request again.'),
      ...IDEMPOTENCY_FAILS,
      ...COMMON_FAILS,
    },
  }),
};
