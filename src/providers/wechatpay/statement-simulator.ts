/**
 * The WeChat Pay simulator's `POST /pay/downloadbill`: the ALL bill of a day
 * (China time) from the simulator ledger's settled payments and refunds, with
 * the day's planted differences applied, gzipped when tar_type=GZIP. A day
 * after today answers "Bill Creating"; a day without business "No Bill
 * Exist". The sandbox charges a fee of 0.6% (rounded half up to minor units)
 * and gives the same share back on refunds.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { isCurrencyCode } from '../../domain/money.js';
import type { SettledPayment, SimulatorLedger, StatementPlant } from '../../simulators/ledger.js';
import { CHINA_UTC_OFFSET_HOURS, chinaTime } from '../china-time.js';
import { sandboxFee, statementDayBounds } from '../statement-day.js';
import type { WeChatPayCredentials } from './credentials.js';
import { parseSignType, verifyFields } from './sign.js';
import { nativeMemoOf } from './simulator-qr.js';
import { BILL_CREATING_MESSAGE, NO_BILL_MESSAGE } from './statement.js';
import { formatAllBill, type BillRow } from './statement-format.js';
import { buildXml, field, parseXml, type WireFields } from './xml.js';

const PROVIDER = 'wechatpay';
export const SANDBOX_FEE_RATE = '0.60%';

export interface StatementSimulatorOptions {
  readonly ledger: SimulatorLedger;
  readonly credentials: readonly WeChatPayCredentials[];
  readonly now: () => number;
}

/** Registers the route on the simulator plugin (whose body parsers read XML as text). */
export function registerDownloadBill(app: FastifyInstance, options: StatementSimulatorOptions): void {
  app.post('/pay/downloadbill', async (request, reply) => {
    const answer = downloadBill(request.body, options);
    if (answer.kind === 'xml') return reply.code(200).type('text/xml; charset=utf-8').send(answer.xml);
    if (answer.gzip)
      return reply
        .code(200)
        .type('application/x-gzip')
        .send(gzipSync(Buffer.from(answer.text, 'utf8')));
    return reply.code(200).type('text/plain; charset=utf-8').send(answer.text);
  });
}

type BillAnswer = { readonly kind: 'xml'; readonly xml: string } | { readonly kind: 'bill'; readonly text: string; readonly gzip: boolean };

function downloadBill(body: unknown, options: StatementSimulatorOptions): BillAnswer {
  const fail = (message: string, errorCode?: string): BillAnswer => ({
    kind: 'xml',
    xml: buildXml({ return_code: 'FAIL', return_msg: message, ...(errorCode !== undefined ? { error_code: errorCode } : {}) }),
  });
  let request: WireFields;
  try {
    request = typeof body === 'string' ? parseXml(body) : {};
  } catch {
    return fail('XML format error');
  }
  const merchant = options.credentials.find(
    (candidate) =>
      candidate.mchId === field(request, 'mch_id') &&
      (candidate.subMchId ?? '') === (field(request, 'sub_mch_id') ?? '') &&
      candidate.appId === field(request, 'appid'),
  );
  if (merchant === undefined) return fail('mch_id, sub_mch_id or appid is not valid');
  const signType = parseSignType(field(request, 'sign_type'));
  if (signType === null || !verifyFields(request, merchant.apiKey, signType)) return fail('SIGN ERROR');
  if (!field(request, 'nonce_str')) return fail('nonce_str is missing');
  const billDate = field(request, 'bill_date') ?? '';
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(billDate);
  if (match === null) return fail('invalid bill_date', '20001');
  const billType = field(request, 'bill_type') ?? 'ALL';
  // The sandbox writes the ALL layout only; SUCCESS and REFUND have their own columns.
  if (billType !== 'ALL') return fail('invalid bill_type: the sandbox serves ALL', '20001');
  const tarType = field(request, 'tar_type');
  if (tarType !== undefined && tarType !== '' && tarType !== 'GZIP') return fail('invalid tar_type', '20001');
  if (billDate > chinaTime(options.now()).slice(0, 8)) return fail(BILL_CREATING_MESSAGE);
  const rows = billRows(options.ledger, `${match[1]}-${match[2]}-${match[3]}`, merchant);
  if (rows.length === 0) return fail(NO_BILL_MESSAGE, '20002');
  return { kind: 'bill', text: formatAllBill(rows), gzip: tarType === 'GZIP' };
}

/** The day's lines: payments and refunds settled that day, then the plants, in time order. */
export function billRows(ledger: SimulatorLedger, day: string, merchant: WeChatPayCredentials): BillRow[] {
  const bounds = statementDayBounds(day, CHINA_UTC_OFFSET_HOURS);
  if (bounds === null) return [];
  const { start, end } = bounds;
  const { payments, refunds } = ledger.settledBetween(PROVIDER, start, end);
  const plants = ledger.plantsFor(PROVIDER, day);
  const base = { appId: merchant.appId, mchId: merchant.mchId, subMchId: merchant.subMchId ?? '', feeRate: SANDBOX_FEE_RATE, body: 'CanCan sandbox' };
  const rows: BillRow[] = [];
  const known = new Map<string, SettledPayment>(payments.map((payment) => [payment.orderNo, payment]));
  for (const payment of payments) {
    if (!isCurrencyCode(payment.currency)) continue;
    // A reversed payment did not stay: WeChat lists it as REVOKED.
    const tradeState = payment.status === 'reversed' ? 'REVOKED' : 'SUCCESS';
    rows.push(
      planted(plants, {
        ...base,
        at: payment.paidAt,
        transactionId: payment.providerTxnId ?? '',
        orderNo: payment.orderNo,
        tradeType: nativeMemoOf(payment)?.tradeType ?? 'MICROPAY',
        tradeState,
        currency: payment.currency,
        orderAmount: payment.amount,
        refund: null,
        fee: sandboxFee(payment.amount),
      }),
    );
  }
  for (const refund of refunds) {
    if (!isCurrencyCode(refund.currency)) continue;
    const order = known.get(refund.orderNo) ?? ledger.findOrder(PROVIDER, refund.orderNo);
    rows.push({
      ...base,
      at: refund.settledAt,
      transactionId: order?.providerTxnId ?? '',
      orderNo: refund.orderNo,
      tradeType: order === null ? 'MICROPAY' : (nativeMemoOf(order)?.tradeType ?? 'MICROPAY'),
      tradeState: 'REFUND',
      currency: refund.currency,
      orderAmount: 0,
      refund: { refundId: refund.providerRefundId, refundNo: refund.refundNo, amount: refund.amount },
      fee: -sandboxFee(refund.amount),
    });
  }
  for (const plant of plants) {
    const currency = plant.currency ?? 'CNY';
    if (plant.kind !== 'extra_payment' || plant.amount === null || plant.amount === undefined || !isCurrencyCode(currency)) continue;
    rows.push({
      ...base,
      at: start + 12 * 3_600_000,
      transactionId: plantedTransactionId(day, plant.orderNo),
      orderNo: plant.orderNo,
      tradeType: 'MICROPAY',
      tradeState: 'SUCCESS',
      currency,
      orderAmount: plant.amount,
      refund: null,
      fee: sandboxFee(plant.amount),
    });
  }
  const dropped = new Set(plants.filter((plant) => plant.kind === 'drop').map((plant) => plant.orderNo));
  return rows.filter((row) => !dropped.has(row.orderNo)).sort((a, b) => a.at - b.at);
}

/** A payment's row with the plants that change it (amount, status, fee) applied. */
function planted(plants: readonly StatementPlant[], row: BillRow): BillRow {
  let result = row;
  for (const plant of plants) {
    if (plant.orderNo !== row.orderNo) continue;
    const amount = plant.amount ?? null;
    if (plant.kind === 'amount' && amount !== null) result = { ...result, orderAmount: amount, fee: sandboxFee(amount) };
    if (plant.kind === 'status') result = { ...result, tradeState: 'REVOKED' };
    if (plant.kind === 'fee' && amount !== null) result = { ...result, fee: amount };
  }
  return result;
}

/** A WeChat-like transaction id for a planted payment, the same on every download of the day. */
function plantedTransactionId(day: string, orderNo: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(`${day}/${orderNo}`).digest('hex').slice(0, 16)}`) % 10n ** 16n;
  return `4200${day.replace(/-/g, '')}${String(digits).padStart(16, '0')}`;
}
