/**
 * The IPN (src/chop/ipn.ts) as an OpenAPI 3.1 `webhooks` entry: the signed
 * form CanCan posts to a charge's `ipn_url` once it is final.
 */

const text = (description: string, example: string) => ({ type: 'string', description, examples: [example] });

const IPN_FORM = {
  type: 'object',
  required: ['id', 'amount', 'notify_status', 'currency', 'time', 'reference', 'notify_id', 'livemode', 'fields', 'sign'],
  properties: {
    id: text("The charge id (the landing URL's `q`).", '4f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c'),
    amount: text("The amount in the currency's smallest unit, as text.", '999'),
    notify_status: { type: 'string', enum: ['success', 'fail'], description: '`success` when the charge was paid, else `fail`.' },
    currency: text('ISO 4217 code.', 'USD'),
    time: text('`yyyy-MM-dd HH:mm:ss`, UTC: when the charge became final.', '2026-01-18 09:53:54'),
    reference: text("The merchant's reference of the charge.", 'order-1001'),
    notify_id: text('The id of this notification; a resend has a new one. Use it to ignore a repeat.', '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d'),
    approval_code: text("Cards, paid: the issuer's approval code.", '123456'),
    result_message: text("Cards: the issuer's answer in words.", 'Approved'),
    card_number: text('Cards: masked card number.', '4111xxxxxxxx1111'),
    exp_date: text('Cards: expiry date, MMYY.', '1230'),
    livemode: { type: 'string', enum: ['true', 'false'], description: '`false` for a test-mode charge (signed, so it cannot be changed).' },
    fields: text('The names of the signed fields, comma-separated, in this order.', 'id,amount,notify_status,currency,time,reference,notify_id,livemode'),
    sign: text(
      'MD5 (hex) of the fields named in `fields` plus `fields` itself, sorted by name, each as `name=value&` with raw values, followed by `token=<the API key that made the charge>`.',
      '0cc175b9c0f1b6a831c399e269772661',
    ),
  },
};

const IPN_EXAMPLE = {
  id: '4f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c',
  amount: '999',
  notify_status: 'success',
  currency: 'USD',
  time: '2026-01-18 09:53:54',
  reference: 'order-1001',
  notify_id: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
  livemode: 'false',
  fields: 'id,amount,notify_status,currency,time,reference,notify_id,livemode',
  sign: '0cc175b9c0f1b6a831c399e269772661',
};

export const WEBHOOKS = {
  ipn: {
    post: {
      operationId: 'ipn',
      summary: 'IPN: a CHOP or Online charge became final',
      description:
        "Posted to the charge's `ipn_url` when it is paid or fails, retried on the configured schedule until your server answers 2xx. Check `sign` (the seed's signature) or `CanCan-Signature` (stronger: keyed by the merchant's webhook secret, with a timestamp) before trusting the fields.",
      tags: ['CHOP API'],
      parameters: [
        {
          name: 'CanCan-Signature',
          in: 'header',
          required: true,
          description:
            '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the webhook secret (whsec_…) on the dashboard\'s developers page>`. Refuse old `t` values to stop replays.',
          schema: { type: 'string' },
          example: 't=1768730034,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
        },
      ],
      requestBody: {
        required: true,
        content: { 'application/x-www-form-urlencoded': { schema: IPN_FORM, example: IPN_EXAMPLE } },
      },
      responses: {
        '200': {
          description: 'Any 2xx: received; no more tries.',
          content: { 'text/plain': { schema: { type: 'string', description: 'Any text, e.g. `success`.' }, example: 'success' } },
        },
        default: { description: 'Anything else (or no answer in time): CanCan tries again later.' },
      },
    },
  },
};
