/**
 * The Alipay simulator's bill download: `alipay.data.dataservice.bill.downloadurl.query`
 * (through the gateway, so signed like every answer) hands out a
 * `bill_download_url` under the simulator's mount, good for 30 seconds; a GET
 * of it answers the zip of the day's GBK CSVs, built from the ledger's
 * settled payments and refunds (China-time day) with the day's planted
 * differences applied. A day after today is refused (the adapter reads that
 * as not ready); a day without business answers `isp.bill_not_exist`. The
 * sandbox charges a service fee of 0.6% (rounded half up to minor units) and
 * gives the same share back on refunds.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { zipSync } from 'fflate';
import { isCurrencyCode } from '../../domain/money.js';
import type { SimulatorLedger, StatementPlant } from '../../simulators/ledger.js';
import { beijingTimestamp, CHINA_UTC_OFFSET_HOURS } from '../china-time.js';
import { sandboxFee, statementDayBounds } from '../statement-day.js';
import { BILL_NOT_EXIST } from './statement.js';
import { formatTradeBill, type TradeBillRow } from './statement-format.js';

const PROVIDER = 'alipay';
/** The sandbox merchant's PID; bill URLs and file names carry it with "0156" appended, as Alipay's do. */
export const SANDBOX_PID = '2088000000000000';
const ACCOUNT = `${SANDBOX_PID}0156`;
/** "The download URL must be used within 30 seconds." */
export const BILL_URL_VALIDITY_MS = 30_000;
export const BILL_FILE_PATH = '/downloadBillFile.resource';

export interface BillDownloadOptions {
  readonly ledger: SimulatorLedger;
  /** Keys the download tokens (any secret the simulator keeps). */
  readonly secret: string;
  readonly now: () => number;
}

type Fields = Record<string, string>;

export interface BillDownloads {
  /** The gateway method's answer fields; `baseUrl` is the simulator's mount as the caller reached it. */
  answer(biz: Readonly<Record<string, string>>, baseUrl: string): Fields;
  register(app: FastifyInstance): void;
}

export function alipayBillDownloads(options: BillDownloadOptions): BillDownloads {
  const { ledger, now } = options;
  const tokenKey = createHash('sha256').update(`alipay bill downloads\n${options.secret}`).digest();
  const tokenOf = (date: string, timestamp: string): string => createHmac('sha256', tokenKey).update(`${date}|${timestamp}`).digest('hex').slice(0, 32);
  const fail = (subCode: string, subMsg: string): Fields => ({ code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg });

  function answer(biz: Readonly<Record<string, string>>, baseUrl: string): Fields {
    if (biz['bill_type'] !== 'trade') return fail('isv.invalid-arguments', 'bill_type: the sandbox serves trade bills');
    const day = biz['bill_date'] ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
      return fail('isv.invalid-arguments', 'bill_date must be yyyy-MM-dd (the sandbox serves daily bills)');
    }
    if (day > beijingTimestamp(now()).slice(0, 10)) return fail('isv.invalid-arguments', 'bill_date is after today: no bill yet');
    if (tradeBillRows(ledger, day).length === 0) return fail(BILL_NOT_EXIST, 'bill does not exist');
    const date = day.replace(/-/g, '');
    const timestamp = String(now());
    const query = new URLSearchParams({
      bizType: 'trade',
      userId: ACCOUNT,
      fileType: 'csv.zip',
      bizDates: date,
      downloadFileName: `${ACCOUNT}_${date}.csv.zip`,
      fileId: `/trade/${ACCOUNT}/${date}.csv.zip`,
      timestamp,
      token: tokenOf(date, timestamp),
    });
    return { code: '10000', msg: 'Success', bill_download_url: `${baseUrl}${BILL_FILE_PATH}?${query.toString()}` };
  }

  function register(app: FastifyInstance): void {
    app.get(BILL_FILE_PATH, async (request, reply) => {
      const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1));
      const date = query.get('bizDates') ?? '';
      const timestamp = query.get('timestamp') ?? '';
      const token = Buffer.from(query.get('token') ?? '');
      const expected = Buffer.from(tokenOf(date, timestamp));
      if (!/^\d{8}$/.test(date) || token.length !== expected.length || !timingSafeEqual(token, expected)) {
        return reply.code(403).type('text/plain; charset=utf-8').send('invalid token');
      }
      if (now() > Number(timestamp) + BILL_URL_VALIDITY_MS) return reply.code(410).type('text/plain; charset=utf-8').send('下载超时，请重新下载');
      const day = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
      const { files } = formatTradeBill(ACCOUNT, day, tradeBillRows(ledger, day), now());
      return reply
        .code(200)
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${ACCOUNT}_${date}.csv.zip"`)
        .send(Buffer.from(zipSync(files)));
    });
  }

  return { answer, register };
}

/** The day's lines: trades and refunds settled that day, then the plants, in time order. */
export function tradeBillRows(ledger: SimulatorLedger, day: string): TradeBillRow[] {
  const bounds = statementDayBounds(day, CHINA_UTC_OFFSET_HOURS);
  if (bounds === null) return [];
  const { start, end } = bounds;
  const { payments, refunds } = ledger.settledBetween(PROVIDER, start, end);
  const plants = ledger.plantsFor(PROVIDER, day);
  const rows: TradeBillRow[] = [];
  for (const payment of payments) {
    if (!isCurrencyCode(payment.currency)) continue;
    const row: TradeBillRow = {
      kind: '交易',
      tradeNo: payment.providerTxnId ?? '',
      orderNo: payment.orderNo,
      refundNo: '',
      createdAt: payment.paidAt,
      // A cancelled (reversed) payment did not stay: printed without a completion time.
      completedAt: payment.status === 'reversed' ? null : payment.paidAt,
      currency: payment.currency,
      amount: payment.amount,
      fee: sandboxFee(payment.amount),
    };
    rows.push(planted(plants, row));
  }
  for (const refund of refunds) {
    if (!isCurrencyCode(refund.currency)) continue;
    rows.push({
      kind: '退款',
      tradeNo: ledger.findOrder(PROVIDER, refund.orderNo)?.providerTxnId ?? '',
      orderNo: refund.orderNo,
      refundNo: refund.refundNo,
      createdAt: refund.settledAt,
      completedAt: refund.settledAt,
      currency: refund.currency,
      amount: refund.amount,
      fee: sandboxFee(refund.amount),
    });
  }
  for (const plant of plants) {
    const currency = plant.currency ?? 'CNY';
    if (plant.kind !== 'extra_payment' || plant.amount === null || plant.amount === undefined || !isCurrencyCode(currency)) continue;
    const at = start + 12 * 3_600_000;
    rows.push({
      kind: '交易',
      tradeNo: plantedTradeNo(day, plant.orderNo),
      orderNo: plant.orderNo,
      refundNo: '',
      createdAt: at,
      completedAt: at,
      currency,
      amount: plant.amount,
      fee: sandboxFee(plant.amount),
    });
  }
  const dropped = new Set(plants.filter((plant) => plant.kind === 'drop').map((plant) => plant.orderNo));
  return rows.filter((row) => !dropped.has(row.orderNo)).sort((a, b) => a.createdAt - b.createdAt);
}

/** A trade's row with the plants that change it (amount, status, fee) applied. */
function planted(plants: readonly StatementPlant[], row: TradeBillRow): TradeBillRow {
  let result = row;
  for (const plant of plants) {
    if (plant.orderNo !== row.orderNo) continue;
    const amount = plant.amount ?? null;
    if (plant.kind === 'amount' && amount !== null) result = { ...result, amount, fee: sandboxFee(amount) };
    if (plant.kind === 'status') result = { ...result, completedAt: null };
    if (plant.kind === 'fee' && amount !== null) result = { ...result, fee: amount };
  }
  return result;
}

/** An Alipay-like trade number for a planted trade, the same on every download of the day. */
function plantedTradeNo(day: string, orderNo: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(`${day}/${orderNo}`).digest('hex').slice(0, 16)}`) % 10n ** 18n;
  return `${day.replace(/-/g, '')}22${String(digits).padStart(18, '0')}`;
}
