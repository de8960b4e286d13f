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

const nullable = (type: string, description: string) => ({ type: [type, 'null'], description });
const CHARGE_ID = '4f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c';
/** A paid charge, as inquire and the list show it (the examples of the answers). */
const CHARGE_EXAMPLE = {
  id: CHARGE_ID,
  type: 'charge',
  amount: 999,
  currency: 'USD',
  reference: 'order-1001',
  payment_method: 'alipay',
  time: '2026-01-18 09:53:54',
  note: null,
  notify_result: 'success',
  status: 'succeeded',
  livemode: false,
  refunded_amount: 0,
  cancelled: false,
  ext: '{}',
  created_at: '2026-01-18T09:53:12Z',
};
const NOTIFICATION_EXAMPLE = {
  notify_id: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
  url: 'https://shop.example/ipn',
  status: 'delivered',
  attempts: 1,
  created_at: '2026-01-18T09:53:54Z',
  next_attempt_at: null,
  delivered_at: '2026-01-18T09:53:55Z',
  fields: { id: CHARGE_ID, amount: '999', notify_status: 'success', currency: 'USD', reference: 'order-1001' },
  attempt_log: [{ at: '2026-01-18T09:53:54Z', http_status: 200, latency_ms: 84, error: null, response_excerpt: 'success' }],
};
const CHOP_TRANSACTION = {
  $id: 'ChopTransaction',
  description: 'A CHOP or Online charge, or a refund of one.',
  type: 'object',
  required: ['id', 'type', 'amount', 'currency', 'reference', 'payment_method', 'time', 'note', 'notify_result', 'status', 'livemode', 'created_at'],
  properties: {
    id: { type: 'string', description: "CanCan's id of the charge or refund (a charge's is the landing URL's `q`)." },
    type: { type: 'string', enum: ['charge', 'refund'], description: 'A charge or a refund.' },
    amount: nullable('integer', "In the currency's smallest unit (cents)."),
    currency: nullable('string', 'ISO 4217 code.'),
    reference: nullable('string', "The merchant's reference (the charge's `reference`)."),
    payment_method: nullable('string', 'The payment method, e.g. alipay, wechatpay, cc.'),
    time: { type: 'string', description: '`yyyy-MM-dd HH:mm:ss`, UTC: when it became final, else when it was created.' },
    note: nullable('string', 'The note given with the charge or refund.'),
    notify_result: { enum: ['success', 'expired', 'fail', null], description: 'success; null while the QR is still payable; expired; fail.' },
    qr_code: {
      type: 'string',
      description:
        "A charge still payable: the content of its QR code, as the payment page draws it (for UnionPay's redirect, the order's code URL). Absent once paid, failed or expired, for cards, and until the provider order exists (a moment after the charge).",
      examples: ['weixin://wxpay/bizpayurl?pr=AbCdEf1'],
    },
    status: { type: 'string', description: 'pending, succeeded, failed, expired, declined or cancelled.' },
    livemode: { type: 'boolean', description: "true for a live-mode key's transaction, false for a test-mode one." },
    refunded_amount: nullable('integer', 'Charges: the sum of the succeeded refunds.'),
    cancelled: { type: 'boolean', description: 'Charges: true once cancelled.' },
    transaction_id: { type: ['string', 'null'], description: 'Refunds: the charge they refund.' },
    card_number: { type: 'string', description: 'Cards: masked, e.g. 4111xxxxxxxx1111.' },
    exp_date: { type: 'string', description: 'Cards: the expiry date, MMYY.' },
    approval_code: nullable('string', "Cards: the issuer's approval code."),
    ext: { type: 'string', description: "The charge's `ext`, as JSON text." },
    created_at: { type: 'string', description: 'ISO 8601, UTC.' },
  },
  examples: [CHARGE_EXAMPLE],
};
const NOTIFICATION = {
  $id: 'ChopNotification',
  description: 'One IPN of a charge and its delivery.',
  type: 'object',
  required: ['notify_id', 'url', 'status', 'attempts', 'created_at', 'next_attempt_at', 'delivered_at', 'fields', 'attempt_log'],
  properties: {
    notify_id: { type: 'string', description: "The notification's id (the IPN's `notify_id`)." },
    url: { type: 'string', description: 'The `ipn_url` it is posted to.' },
    status: {
      type: 'string',
      enum: ['pending', 'delivered', 'failed'],
      description: 'pending while tries remain, delivered on a 2xx, failed after the last try.',
    },
    attempts: { type: 'integer', description: 'How many deliveries were tried.' },
    created_at: nullable('string', 'ISO 8601, UTC.'),
    next_attempt_at: nullable('string', 'ISO 8601, UTC: the next try; null when none is planned.'),
    delivered_at: nullable('string', 'ISO 8601, UTC: when a try got a 2xx.'),
    fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'The signed form fields posted.' },
    attempt_log: {
      type: 'array',
      description: 'Every try, oldest first.',
      items: {
        type: 'object',
        properties: {
          at: nullable('string', 'ISO 8601, UTC: when the try started.'),
          http_status: nullable('integer', "The receiver's HTTP status; null when it did not answer."),
          latency_ms: { type: 'integer', description: 'How long the try took.' },
          error: nullable('string', 'Why the try failed without an answer (timeout, refused, …).'),
          response_excerpt: nullable('string', "The first bytes of the receiver's answer."),
        },
      },
    },
  },
  examples: [NOTIFICATION_EXAMPLE],
};
const CHOP_FAIL = {
  $id: 'ChopFail',
  description: 'A refused request: every problem at once in `error`.',
  type: 'object',
  required: ['result', 'error', 'code'],
  properties: {
    result: { type: 'string', const: 'fail', description: 'Always `fail`.' },
    error: { type: 'string', description: 'Every problem of the request, for people.' },
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
const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying.' } };
const COMMON_FAILS = {
  400: fail('Bad parameters.'),
  401: fail('No valid token (`unauthorized`).'),
  429: fail('Too many requests for this key (`rate_limited`).', RETRY_AFTER),
  500: fail('Something went wrong on our side (`internal_error`); the request can be retried safely (with the same `Idempotency-Key` where it takes one).'),
  503: fail('The database is unavailable (`service_unavailable`); retry after `Retry-After` seconds.', RETRY_AFTER),
};
/** A `result: success` answer; `example` is the whole answer, shown as the response's example. */
const success = (properties: Record<string, object>, required: string[], example: object) => ({
  type: 'object',
  required: ['result', ...required],
  properties: { result: { type: 'string', const: 'success', description: 'Always `success`.' }, ...properties },
  examples: [{ result: 'success', ...example }],
});
/** The routes that move money take an `Idempotency-Key` (src/http/idempotency.ts defines the header). */
const IDEMPOTENT = { headers: IDEMPOTENCY_HEADERS };
const IDEMPOTENCY_FAILS = {
  409: fail('A request with this `Idempotency-Key` is still in progress (`idempotency_key_in_progress`); retry after `Retry-After` seconds.', RETRY_AFTER),
  422: fail('This `Idempotency-Key` was used with other parameters or another endpoint (`idempotency_key_reused`).'),
};
/** operationIds differ between the CHOP and the Online API's copy of a route. */
const idFor = (tag: string, name: string) => `${tag === 'Online API' ? 'online' : 'chop'}${name}`;
const route = <T extends object>(tag: string, operationId: string, summary: string, extra: T) => ({
  operationId,
  summary,
  tags: [tag],
  security: API_SECURITY,
  ...extra,
});
const chopIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'The charge id.', examples: [CHARGE_ID] } },
};
const LANDING_URL = `https://cancan.example/chop/landing?q=${CHARGE_ID}`;

export const CHOP_ROUTES = {
  charge: route('CHOP API', 'chopCharge', 'Create a hosted-checkout payment', {
    consumes: FORM,
    ...IDEMPOTENT,
    body: ref('ChopChargeRequest'),
    response: {
      200: jsonResponse(
        'The payment page to send the shopper to.',
        success({ url: { type: 'string', description: 'The payment page (its `q` is the charge id).' } }, ['url'], { url: LANDING_URL }),
      ),
      403: fail('The payment method is not enabled for this merchant, or not available in live mode.'),
      ...IDEMPOTENCY_FAILS,
      ...COMMON_FAILS,
    },
  }),
  inquire: (tag: string) =>
    route(tag, idFor(tag, 'Inquire'), 'Status of a charge or refund', {
      consumes: FORM,
      body: ref('ChopInquireRequest'),
      response: { 200: jsonResponse('The transaction.', ref('ChopTransaction')), 404: fail('No transaction with this id or reference.'), ...COMMON_FAILS },
    }),
  refund: (tag: string) =>
    route(tag, idFor(tag, 'Refund'), 'Refund a charge, in part or in full', {
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
              properties: {
                id: { type: 'string', description: "The refund's id (inquire it for its final state)." },
                transaction_id: { type: 'string', description: 'The refunded charge.' },
                refunded: { const: true, description: 'The refund was accepted.' },
                status: { enum: ['success', 'pending'], description: '`pending` while the provider has not confirmed it.' },
              },
            },
            {
              type: 'object',
              required: ['code', 'refunded', 'status'],
              properties: {
                code: { type: 'string', description: 'Why it was refused: 4071, 4072, 4073 or 4074.' },
                refunded: { const: false, description: 'The refund was refused.' },
                status: { type: 'string', description: 'The reason, in words.' },
              },
            },
          ],
          examples: [{ id: 'b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6', transaction_id: CHARGE_ID, refunded: true, status: 'success' }],
        }),
        404: fail('No such charge.'),
        ...IDEMPOTENCY_FAILS,
        ...COMMON_FAILS,
      },
    }),
  cancel: route('CHOP API', 'chopCancel', 'Cancel a charge (Alipay and WeChat Pay)', {
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
          transaction_id: { type: 'string', description: 'The charge.' },
          transaction_reference: nullable('string', "The charge's reference."),
          cancelled: { type: 'boolean', description: 'true when cancelled, false when refused.' },
          status: { type: 'string', description: 'What happened, in words.' },
        },
        examples: [{ transaction_id: CHARGE_ID, transaction_reference: 'order-1001', cancelled: true, status: 'Order cancelled' }],
      }),
      404: fail('No such charge.'),
      ...IDEMPOTENCY_FAILS,
      ...COMMON_FAILS,
    },
  }),
  list: route('CHOP API', 'chopListTransactions', "The merchant's CHOP charges and refunds, newest first", {
    querystring: CHOP_LIST_QUERY,
    response: {
      200: jsonResponse(
        'A page.',
        success(
          {
            data: { type: 'array', items: ref('ChopTransaction'), description: 'The transactions of this page, newest first.' },
            has_more: { type: 'boolean', description: 'Whether a next page exists (ask with `starting_after` = the last id).' },
          },
          ['data', 'has_more'],
          { data: [CHARGE_EXAMPLE], has_more: false },
        ),
      ),
      ...COMMON_FAILS,
    },
  }),
  notifications: route('CHOP API', 'chopListNotifications', "A charge's IPNs and every delivery attempt", {
    params: chopIdParams,
    response: {
      200: jsonResponse(
        'The notifications.',
        success({ data: { type: 'array', items: ref('ChopNotification'), description: 'The IPNs of the charge, oldest first.' } }, ['data'], {
          data: [NOTIFICATION_EXAMPLE],
        }),
      ),
      404: fail('No such charge.'),
      ...COMMON_FAILS,
    },
  }),
  resend: route('CHOP API', 'chopResendNotification', "Send a final charge's IPN again", {
    params: chopIdParams,
    response: {
      202: jsonResponse(
        'Queued.',
        success({ data: ref('ChopNotification') }, ['data'], {
          data: { ...NOTIFICATION_EXAMPLE, status: 'pending', attempts: 0, delivered_at: null, attempt_log: [] },
        }),
      ),
      404: fail('No such charge.'),
      409: fail('The charge is not final yet (`not_final`) or has no ipn_url (`no_ipn_url`).'),
      ...COMMON_FAILS,
    },
  }),
  payQr: route('Online API', 'onlinePayQr', 'The payment QR as a PNG, for your own page', {
    consumes: FORM,
    ...IDEMPOTENT,
    querystring: PAY_QR_QUERY,
    body: ref('PayQrRequest'),
    response: {
      200: {
        description: 'The QR code (PNG), or with `format=json` its content.',
        content: {
          'image/png': { schema: { type: 'string', contentMediaType: 'image/png', description: 'The QR code.' } },
          'application/json': {
            schema: success(
              {
                qr_code: { type: 'string', description: "The QR code's content: show it as a QR code to the shopper." },
                id: { type: 'string', description: 'The charge id.' },
                url: { type: 'string', description: "The charge's landing page." },
              },
              ['qr_code', 'id', 'url'],
              { qr_code: 'https://qr.alipay.com/bax01234567890', id: CHARGE_ID, url: LANDING_URL },
            ),
          },
        },
      },
      403: fail('The vendor is not enabled for this merchant.'),
      502: fail('The provider refused the payment (`provider_declined`).'),
      ...IDEMPOTENCY_FAILS,
      ...COMMON_FAILS,
      503: fail(
        'The provider has not answered yet (`provider_unavailable`): send the same request again; or the database is unavailable (`service_unavailable`, with `Retry-After`).',
        RETRY_AFTER,
      ),
    },
  }),
};
