/**
 * The Antom simulator's settlement details report: the day's paid payments
 * and settled refunds from the simulator ledger, with the day's planted
 * differences applied, printed as statement-file.ts writes it. Served over
 * HTTP at `/v1/settlements/<clientId>/<YYYYMMDD>/settlement_details.csv`
 * (statement.ts explains why HTTP), signed like every simulator answer.
 *
 * Sandbox fee: 0.6 % of each payment, rounded half up (statement-day.ts);
 * refunds carry no fee. One settlement batch per day.
 */
import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCurrencyCode, type CurrencyCode } from '../../domain/money.js';
import type { SimulatorLedger, StatementPlant } from '../../simulators/ledger.js';
import { isPublished, sandboxFee, statementDayBounds } from '../statement-day.js';
import { isoTime, parseRequestTime, signMessage, verifyMessage } from './sign.js';
import { formatSettlementReport, reportAmount, type AntomSettlementRow } from './statement-file.js';
import { ANTOM_STATEMENT_PUBLICATION, ANTOM_STATEMENT_UTC_OFFSET_HOURS, REPORT_NOT_READY } from './statement.js';

const PROVIDER = 'alipayplus';
const HOUR_MS = 3_600_000;

/** The report's rows for a day, oldest first (the day must be a real date). */
export function antomSettlementRows(ledger: SimulatorLedger, clientId: string, day: string): AntomSettlementRow[] {
  const bounds = statementDayBounds(day, ANTOM_STATEMENT_UTC_OFFSET_HOURS);
  if (bounds === null) throw new Error(`not a day: ${day}`);
  const batchId = `${day.replace(/-/g, '')}0001`;
  const settlementTime = isoTime(bounds.end + ANTOM_STATEMENT_PUBLICATION.hoursAfterDay * HOUR_MS);
  const base = { settlementBatchId: batchId, customerId: clientId, settlementTime, productCode: 'CASHIER_PAYMENT' };
  const plants = ledger.plantsFor(PROVIDER, day);
  const planted = (kind: StatementPlant['kind'], orderNo: string): StatementPlant | undefined =>
    plants.find((plant) => plant.kind === kind && plant.orderNo === orderNo);
  const dropped = (orderNo: string): boolean => planted('drop', orderNo) !== undefined;

  const rows: Array<{ at: number; row: AntomSettlementRow }> = [];
  const { payments, refunds } = ledger.settledBetween(PROVIDER, bounds.start, bounds.end);
  for (const payment of payments) {
    if (dropped(payment.orderNo) || !isCurrencyCode(payment.currency)) continue;
    const amount = planted('amount', payment.orderNo)?.amount ?? payment.amount;
    const unsettled = planted('status', payment.orderNo) !== undefined;
    const fee = unsettled ? 0 : (planted('fee', payment.orderNo)?.amount ?? sandboxFee(amount));
    const method = methodOf(payment.providerState);
    rows.push({
      at: payment.paidAt,
      row: {
        ...base,
        ...amounts(payment.currency, amount, -fee, unsettled ? 0 : amount - fee),
        transactionId: payment.providerTxnId ?? '',
        originalTransactionId: '',
        transactionRequestId: payment.orderNo,
        paymentMethodType: method,
        pspName: method,
        transactionType: unsettled ? 'CANCEL' : 'PAYMENT',
        paymentTime: isoTime(payment.paidAt),
        originalTransactionRequestId: '',
      },
    });
  }
  for (const refund of refunds) {
    if (dropped(refund.orderNo) || !isCurrencyCode(refund.currency)) continue;
    const order = ledger.findOrder(PROVIDER, refund.orderNo);
    const method = methodOf(order?.providerState ?? null);
    rows.push({
      at: refund.settledAt,
      row: {
        ...base,
        ...amounts(refund.currency, -refund.amount, 0, -refund.amount),
        transactionId: refund.providerRefundId,
        originalTransactionId: order?.providerTxnId ?? '',
        transactionRequestId: refund.refundNo,
        paymentMethodType: method,
        pspName: method,
        transactionType: 'REFUND',
        paymentTime: isoTime(refund.settledAt),
        originalTransactionRequestId: refund.orderNo,
      },
    });
  }
  for (const plant of plants) {
    if (plant.kind !== 'extra_payment') continue;
    const currency = plant.currency ?? 'HKD';
    if (!isCurrencyCode(currency)) continue;
    const amount = plant.amount ?? 100;
    const at = bounds.start + 12 * HOUR_MS;
    const fee = sandboxFee(amount);
    rows.push({
      at,
      row: {
        ...base,
        ...amounts(currency, amount, -fee, amount - fee),
        transactionId: plantedPaymentId(day),
        originalTransactionId: '',
        transactionRequestId: plant.orderNo,
        paymentMethodType: 'ALIPAY_HK',
        pspName: 'ALIPAY_HK',
        transactionType: 'PAYMENT',
        paymentTime: isoTime(at),
        originalTransactionRequestId: '',
      },
    });
  }
  return rows.sort((a, b) => a.at - b.at).map((entry) => entry.row);
}

function amounts(currency: CurrencyCode, gross: number, fee: number, net: number) {
  return {
    transactionAmountValue: reportAmount(gross, currency),
    transactionCurrency: currency,
    settlementAmountValue: reportAmount(net, currency),
    settlementCurrency: currency,
    feeAmountValue: reportAmount(fee, currency),
    feeCurrency: currency,
  };
}

function methodOf(providerState: string | null): string {
  try {
    const parsed: unknown = JSON.parse(providerState ?? '{}');
    return typeof parsed === 'object' && parsed !== null && 'method' in parsed && typeof parsed.method === 'string' ? parsed.method : '';
  } catch {
    return '';
  }
}

function plantedPaymentId(day: string): string {
  return `${day.replace(/-/g, '')}1940108${Array.from({ length: 18 }, () => String(randomInt(10))).join('')}`;
}

export interface SettlementReportRouteOptions {
  readonly ledger: SimulatorLedger;
  readonly clients: ReadonlyArray<{ clientId: string; publicKeyPem: string }>;
  readonly providerPrivateKeyPem: string;
  readonly now: () => number;
}

/** Mounts `GET /v1/settlements/:clientId/:date/:file` on the Antom simulator. */
export function registerSettlementReportRoute(app: FastifyInstance, options: SettlementReportRouteOptions): void {
  const prefix = app.prefix;
  type Params = { clientId: string; date: string; file: string };
  app.get('/v1/settlements/:clientId/:date/:file', async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const path = request.url.split('?')[0]?.slice(prefix.length) ?? '';
    const clientId = headerOf(request, 'client-id');
    const send = (status: number, body: string, type: string) => {
      const responseTime = isoTime(options.now());
      const signature = signMessage({ httpMethod: 'GET', path, clientId, time: responseTime, body }, options.providerPrivateKeyPem);
      return reply.code(status).header('client-id', clientId).header('response-time', responseTime).header('signature', signature).type(type).send(body);
    };
    const fail = (status: number, resultCode: string, resultMessage: string) =>
      send(status, JSON.stringify({ result: { resultCode, resultStatus: 'F', resultMessage } }), 'application/json; charset=UTF-8');

    const client = options.clients.find((candidate) => candidate.clientId === clientId);
    if (client === undefined) return fail(401, 'INVALID_CLIENT', 'The client-id is not known.');
    const time = headerOf(request, 'request-time');
    if (parseRequestTime(time) === null) return fail(400, 'PARAM_ILLEGAL', 'Illegal parameters: request-time');
    if (!verifyMessage({ httpMethod: 'GET', path, clientId, time, body: '' }, headerOf(request, 'signature'), client.publicKeyPem)) {
      return fail(401, 'INVALID_SIGNATURE', 'The signature is not validated.');
    }
    const { params } = request;
    if (params.clientId !== clientId) return fail(403, 'ACCESS_DENIED', "Another client's reports.");
    const dateMatch = /^(\d{4})(\d{2})(\d{2})$/.exec(params.date);
    const day = dateMatch === null ? '' : `${dateMatch[1]}-${dateMatch[2]}-${dateMatch[3]}`;
    const bounds = statementDayBounds(day, ANTOM_STATEMENT_UTC_OFFSET_HOURS);
    if (bounds === null || params.file !== 'settlement_details.csv') return fail(404, REPORT_NOT_READY, 'No such report.');
    if (!isPublished(bounds, ANTOM_STATEMENT_PUBLICATION.hoursAfterDay, options.now())) {
      return fail(404, REPORT_NOT_READY, `The settlement report of ${day} is not generated yet.`);
    }
    return send(200, formatSettlementReport(antomSettlementRows(options.ledger, clientId, day)), 'text/csv; charset=UTF-8');
  });
}

function headerOf(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
}
