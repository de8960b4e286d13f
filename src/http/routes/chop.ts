/**
 * The Citcon-compatible CHOP API (/chop) and Online API (/payment). Thin:
 * parse, call chop/, render. Bad input answers `{"result":"fail","error","code"}`
 * with a 4xx status; refund and cancel refusals are answers (HTTP 200).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { CoreDeps } from '../../core/deps.js';
import { isDatabaseUnavailableError } from '../../store/db.js';
import { ApiError } from '../../domain/errors.js';
import { createCharge } from '../../chop/charges.js';
import { resendIpn } from '../../chop/ipn.js';
import {
  ChopError,
  type Params,
  parseCancelParams,
  parseChargeParams,
  parseChopListQuery,
  parseInquireParams,
  parsePayQrQuery,
  parseRefundParams,
  toParams,
} from '../../chop/params.js';
import { declinedRefundAnswer } from '../../chop/refund-answers.js';
import { CANCEL_MESSAGES, findCharge, requestCancel, requestRefund } from '../../chop/refunds.js';
import { waitForRow, waitUntilFinal } from '../../core/waiting.js';
import { wakeTransactionJob } from '../../jobs/queue.js';
import { renderChopTransaction, renderNotification } from '../../chop/views.js';
import { findChopTransaction, findNotification, listChopTransactions, notificationsOf } from '../../store/chop-reads.js';
import type { TransactionRow } from '../../store/transactions.js';
import { type AuthLimiters, type KeyCaller, admitCaller } from '../auth.js';
import { DATABASE_RETRY_AFTER, DATABASE_UNAVAILABLE, chopCodeOf } from '../errors.js';
import { effectRef, idempotent } from '../idempotency.js';
import { CHOP_ROUTES, CHOP_SCHEMAS } from '../schemas/chop.js';
import { type ChopParsers, chopValidator } from '../schemas/rules.js';
import { plainJson } from '../schemas/validator.js';

/** How long refund, cancel and pay_qr answers wait for the provider before answering "pending". */
const ANSWER_WAIT_MS = 10_000;

export function sendFail(reply: FastifyReply, status: number, code: string, error: string): FastifyReply {
  return reply.code(status).type('application/json').send({ result: 'fail', error, code });
}

function callerOf(request: FastifyRequest): KeyCaller {
  if (!request.caller) throw new Error('route without authentication');
  return request.caller;
}

export function chopRoutes(deps: CoreDeps, limiters: AuthLimiters) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const schema of CHOP_SCHEMAS) app.addSchema(schema);
    const checked = (parsers: ChopParsers = {}) => ({ validatorCompiler: chopValidator(deps.log, parsers), serializerCompiler: plainJson });

    app.setErrorHandler((error, request, reply) => {
      if (error instanceof ChopError) return sendFail(reply, error.status, error.code, error.message);
      if (error instanceof ApiError) return sendFail(reply, error.status, chopCodeOf(error), error.items[0]?.detail ?? error.message);
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return sendFail(reply, status, 'invalid_request', (error as Error).message);
      if (isDatabaseUnavailableError(error))
        return sendFail(reply.header('retry-after', DATABASE_RETRY_AFTER), 503, 'service_unavailable', DATABASE_UNAVAILABLE);
      request.log.error({ err: error }, 'CHOP request failed');
      return sendFail(reply, 500, 'internal_error', 'Something went wrong on our side; the request can be retried safely');
    });

    // Authentication and the rate limit answer in this API's envelope: 401 `unauthorized`, 429 `rate_limited` (the error handler above).
    app.addHook('preValidation', admitCaller(deps, limiters));

    const { maxAmountMajor } = deps.config;
    const chargeOf = (methodParam: 'payment_method' | 'vendor') => (params: Params) => parseChargeParams(params, { methodParam, maxAmountMajor });
    const refundOf = (params: Params) => parseRefundParams(params, maxAmountMajor);
    const landingUrl = (row: TransactionRow) => `${deps.publicUrl()}/chop/landing?q=${row.ref}`;
    // Idempotency-Key on the routes that move money.
    const once = idempotent(deps);

    app.post('/chop/chop', { schema: CHOP_ROUTES.charge, ...checked({ body: chargeOf('payment_method') }), ...once }, async (request, reply) => {
      const params = chargeOf('payment_method')(toParams(request.body));
      const { row } = await createCharge(deps, callerOf(request), params, { ref: effectRef(request) });
      return reply.send({ result: 'success', url: landingUrl(row) });
    });

    app.post(
      '/payment/pay_qr',
      { schema: CHOP_ROUTES.payQr, ...checked({ body: chargeOf('vendor'), query: parsePayQrQuery }), ...once },
      async (request, reply) => {
        const params = chargeOf('vendor')(toParams(request.body));
        const { row } = await createCharge(deps, callerOf(request), params, { ref: effectRef(request) });
        // Wait for the provider order (its QR) or its failure.
        const ready = await waitForRow(deps, row, (latest) => latest.qr_code !== null || latest.state !== 'pending', ANSWER_WAIT_MS);
        if (ready.state === 'failed')
          throw new ChopError(
            502,
            'provider_declined',
            `${params.method.code} refused the payment (${ready.failure_detail ?? ready.failure_code ?? 'declined'})`,
          );
        if (!ready.qr_code)
          throw new ChopError(503, 'provider_unavailable', 'The provider has not answered yet; send the same request again (same reference) to get the code');
        const format = parsePayQrQuery(request.query as Record<string, unknown>) ?? toParams(request.body).format;
        if (format === 'json') return reply.send({ result: 'success', qr_code: ready.qr_code, id: ready.ref, url: landingUrl(ready) });
        const png = await QRCode.toBuffer(ready.qr_code, { type: 'png', margin: 2, width: 300, errorCorrectionLevel: 'M' });
        return reply.type('image/png').header('X-CanCan-Transaction-Id', ready.ref).send(png);
      },
    );

    const inquire = async (request: FastifyRequest, reply: FastifyReply) => {
      const { target, real } = parseInquireParams(toParams(request.body ?? request.query));
      const caller = callerOf(request);
      let row =
        (await findCharge(deps.store.db, caller, target)) ??
        ('id' in target ? await findChopTransaction(deps.store.db, { merchantId: caller.merchant.id, mode: caller.mode }, target.id) : undefined);
      if (!row) throw new ChopError(404, 'not_found', 'No transaction with this id or reference');
      if (real && row.state === 'pending') row = await askProviderNow(deps, row);
      return reply.send(renderChopTransaction(row, deps.clock.now()));
    };
    app.post('/chop/inquire', { schema: CHOP_ROUTES.inquire('CHOP API'), ...checked({ body: parseInquireParams }) }, inquire);
    app.post('/payment/inquire', { schema: CHOP_ROUTES.inquire('Online API'), ...checked({ body: parseInquireParams }) }, inquire);

    const refund = async (request: FastifyRequest, reply: FastifyReply) => {
      const params = refundOf(toParams(request.body));
      const decision = await requestRefund(deps, callerOf(request), params, { ref: effectRef(request) });
      if (!decision) throw new ChopError(404, 'not_found', 'No charge with this transaction_id or transaction_reference');
      if (!decision.ok) return reply.send({ code: decision.code, refunded: false, status: decision.status });
      const final = await waitUntilFinal(deps, decision.refund, ANSWER_WAIT_MS);
      if (final.state === 'failed') {
        const refusal = declinedRefundAnswer(final);
        return reply.send({ code: refusal.code, refunded: false, status: refusal.status });
      }
      return reply.send({ id: final.ref, transaction_id: decision.charge.ref, refunded: true, status: final.state === 'succeeded' ? 'success' : 'pending' });
    };
    app.post('/chop/refund', { schema: CHOP_ROUTES.refund('CHOP API'), ...checked({ body: refundOf }), ...once }, refund);
    app.post('/payment/refund', { schema: CHOP_ROUTES.refund('Online API'), ...checked({ body: refundOf }), ...once }, refund);

    app.post('/chop/cancel', { schema: CHOP_ROUTES.cancel, ...checked({ body: parseCancelParams }), ...once }, async (request, reply) => {
      const params = parseCancelParams(toParams(request.body));
      const decision = await requestCancel(deps, callerOf(request), params, { ref: effectRef(request) });
      if (!decision) throw new ChopError(404, 'not_found', 'No charge with this transaction_id or transaction_reference');
      const answer = (cancelled: boolean, status: string) =>
        reply.send({
          transaction_id: decision.charge.ref,
          transaction_reference: decision.charge.reference,
          cancelled,
          status,
        });
      if (!decision.ok) return answer(false, decision.status);
      const final = await waitUntilFinal(deps, decision.cancel, ANSWER_WAIT_MS);
      if (final.state === 'failed') return answer(false, CANCEL_MESSAGES.failed);
      return answer(true, final.state === 'succeeded' ? CANCEL_MESSAGES.cancelled : 'Cancellation in progress');
    });

    app.get('/chop/transactions', { schema: CHOP_ROUTES.list, ...checked({ query: parseChopListQuery }) }, async (request, reply) => {
      const { limit, startingAfter, reference } = parseChopListQuery(request.query as Record<string, unknown>);
      const { merchant, mode } = callerOf(request);
      const page = await listChopTransactions(deps.store.db, { merchantId: merchant.id, mode }, { limit, startingAfter, reference });
      if ('unknownCursor' in page) throw new ChopError(400, 'invalid_parameter', 'starting_after must be the id of a transaction from an earlier page');
      const now = deps.clock.now();
      return reply.send({ result: 'success', data: page.rows.map((row) => renderChopTransaction(row, now)), has_more: page.hasMore });
    });

    app.get<{ Params: { id: string } }>('/chop/transactions/:id/notifications', { schema: CHOP_ROUTES.notifications, ...checked() }, async (request, reply) => {
      const charge = await findCharge(deps.store.db, callerOf(request), { id: request.params.id });
      if (!charge) throw new ChopError(404, 'not_found', 'No charge with this id');
      const notifications = await notificationsOf(deps.store.db, charge.seq);
      return reply.send({ result: 'success', data: notifications.map(({ notification, attempts }) => renderNotification(notification, [...attempts])) });
    });

    app.post<{ Params: { id: string } }>(
      '/chop/transactions/:id/notifications/resend',
      { schema: CHOP_ROUTES.resend, ...checked() },
      async (request, reply) => {
        const charge = await findCharge(deps.store.db, callerOf(request), { id: request.params.id });
        if (!charge) throw new ChopError(404, 'not_found', 'No charge with this id');
        if (charge.state === 'pending') throw new ChopError(409, 'not_final', 'The charge is not final yet; its notification is sent when it is');
        const id = await resendIpn(deps, charge);
        if (id === null) throw new ChopError(409, 'no_ipn_url', 'The charge was created without an ipn_url');
        const notification = await findNotification(deps.store.db, id);
        if (!notification) throw new Error(`notification ${id} vanished after it was written`);
        return reply.code(202).send({ result: 'success', data: renderNotification(notification, []) });
      },
    );
  };
}

/** `inquire_method=real`: run the charge's next provider query now and wait briefly for it. */
export async function askProviderNow(deps: CoreDeps, row: TransactionRow): Promise<TransactionRow> {
  await wakeTransactionJob(deps.store.db, row.seq, deps.clock.now());
  deps.notifier.jobEnqueued();
  return waitForRow(deps, row, (latest) => latest.version !== row.version, 3_000);
}
