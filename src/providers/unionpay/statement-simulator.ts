/**
 * The UnionPay simulator's file transfer (txnType 76): the day's consumes
 * paid and refunds settled, from the simulator ledger with the day's planted
 * differences applied, as a ZM file (statement-file.ts) zipped with an empty
 * ZME file, deflated and base64-encoded into `fileContent`, in a signed
 * answer. Before the day's publication time, and for a day in the future,
 * the answer is respCode 98 (no file).
 *
 * Sandbox fee: 0.6 % of each consume, rounded half up (statement-day.ts);
 * refunds carry no fee.
 */
import { randomInt } from 'node:crypto';
import { isCurrencyCode, type CurrencyCode } from '../../domain/money.js';
import type { SimulatorLedger, StatementPlant } from '../../simulators/ledger.js';
import { chinaTime } from '../china-time.js';
import { isPublished, sandboxFee, statementDayBounds, statementDayOf } from '../statement-day.js';
import type { UnionPayFields } from './sign.js';
import { formatZmLine, packFileContent, zipFileName, zmDigits, zmFileName, zmReserved, zmSigned, ZM_TXN_TYPES, type ZmLine } from './statement-file.js';
import { FILE_TRANSFER, RESP_FILE_NOT_FOUND, UNIONPAY_STATEMENT_PUBLICATION, UNIONPAY_STATEMENT_UTC_OFFSET_HOURS } from './statement.js';
import { UNIONPAY_ENCODING, UNIONPAY_SIGN_METHOD, UNIONPAY_VERSION } from './transformers.js';

const PROVIDER = 'unionpay';
const HOUR_MS = 3_600_000;

/** The ZM lines of a merchant's day, oldest first. */
export function unionPayZmLines(ledger: SimulatorLedger, merId: string, day: string): ZmLine[] {
  const bounds = statementDayBounds(day, UNIONPAY_STATEMENT_UTC_OFFSET_HOURS);
  if (bounds === null) throw new Error(`not a day: ${day}`);
  const plants = ledger.plantsFor(PROVIDER, day);
  const planted = (kind: StatementPlant['kind'], orderNo: string): StatementPlant | undefined =>
    plants.find((plant) => plant.kind === kind && plant.orderNo === orderNo);
  const dropped = (orderNo: string): boolean => planted('drop', orderNo) !== undefined;
  const common = { acqInsCode: '00000000000', sendInsCode: '00000000000', merCatCode: '5999', termType: '07', bizType: '000201', merId };

  const lines: Array<{ at: number; line: ZmLine }> = [];
  const { payments, refunds } = ledger.settledBetween(PROVIDER, bounds.start, bounds.end);
  for (const payment of payments) {
    if (dropped(payment.orderNo) || merIdOf(payment.providerState) !== merId || !isCurrencyCode(payment.currency)) continue;
    const amount = planted('amount', payment.orderNo)?.amount ?? payment.amount;
    const voided = planted('status', payment.orderNo) !== undefined;
    const fee = voided ? 0 : (planted('fee', payment.orderNo)?.amount ?? sandboxFee(amount));
    lines.push({
      at: payment.paidAt,
      line: {
        ...common,
        ...consumeAmounts(amount, fee, payment.currency, voided),
        tradeCode: voided ? 'S31' : 'S22',
        traceNo: traceNo(),
        txnTime: chinaTime(payment.paidAt).slice(4),
        queryId: payment.providerTxnId ?? '',
        orderId: payment.orderNo,
        txnType: voided ? ZM_TXN_TYPES.consumeVoid : ZM_TXN_TYPES.consume,
        txnSubType: voided ? '00' : '01',
        origOrderId: voided ? payment.orderNo : '',
      },
    });
  }
  for (const refund of refunds) {
    const order = ledger.findOrder(PROVIDER, refund.orderNo);
    if (dropped(refund.orderNo) || order === null || merIdOf(order.providerState) !== merId || !isCurrencyCode(refund.currency)) continue;
    lines.push({
      at: refund.settledAt,
      line: {
        ...common,
        tradeCode: 'S30',
        traceNo: traceNo(),
        txnTime: chinaTime(refund.settledAt).slice(4),
        txnAmt: zmDigits(refund.amount, 12),
        queryId: refund.providerRefundId,
        orderId: refund.refundNo,
        merFee: zmSigned(0, true),
        settleAmt: zmSigned(refund.amount, false),
        netAmt: zmSigned(refund.amount, false),
        txnType: ZM_TXN_TYPES.refund,
        txnSubType: '00',
        origQryId: order.providerTxnId ?? '',
        origOrderId: refund.orderNo,
        reserved: zmReserved(refund.currency),
      },
    });
  }
  for (const plant of plants) {
    const currency = plant.currency ?? 'CNY';
    if (plant.kind !== 'extra_payment' || !isCurrencyCode(currency)) continue;
    const amount = plant.amount ?? 100;
    const at = bounds.start + 12 * HOUR_MS;
    lines.push({
      at,
      line: {
        ...common,
        ...consumeAmounts(amount, sandboxFee(amount), currency, false),
        tradeCode: 'S22',
        traceNo: traceNo(),
        txnTime: chinaTime(at).slice(4),
        queryId: `${chinaTime(at)}${String(randomInt(10_000_000)).padStart(7, '0')}`,
        orderId: plant.orderNo,
        txnType: ZM_TXN_TYPES.consume,
        txnSubType: '01',
      },
    });
  }
  return lines.sort((a, b) => a.at - b.at).map((entry) => entry.line);
}

function consumeAmounts(amount: number, fee: number, currency: CurrencyCode, voided: boolean): ZmLine {
  return {
    txnAmt: zmDigits(amount, 12),
    merFee: zmSigned(fee, false),
    settleAmt: zmSigned(voided ? 0 : amount, true),
    netAmt: zmSigned(voided ? 0 : amount - fee, true),
    reserved: zmReserved(currency),
  };
}

function merIdOf(providerState: string | null): string | null {
  try {
    const parsed: unknown = JSON.parse(providerState ?? 'null');
    return typeof parsed === 'object' && parsed !== null && 'merId' in parsed && typeof parsed.merId === 'string' ? parsed.merId : null;
  } catch {
    return null;
  }
}

const traceNo = (): string => String(randomInt(1_000_000)).padStart(6, '0');

/**
 * The day a settleDate (MMDD) names: the latest such date that is not after
 * today in China (a file is never asked for ahead of time).
 */
export function dayOfSettleDate(settleDate: string, nowMs: number): string | null {
  const match = /^(\d{2})(\d{2})$/.exec(settleDate);
  if (match === null) return null;
  const today = statementDayOf(nowMs, UNIONPAY_STATEMENT_UTC_OFFSET_HOURS);
  const year = Number(today.slice(0, 4));
  for (const candidate of [year, year - 1]) {
    const day = `${candidate}-${match[1]}-${match[2]}`;
    if (statementDayBounds(day, UNIONPAY_STATEMENT_UTC_OFFSET_HOURS) !== null && day <= today) return day;
  }
  return null;
}

export interface FileTransferOptions {
  readonly ledger: SimulatorLedger;
  readonly now: () => number;
  /** Version, merchant and signature checks, as for every request. */
  readonly check: (fields: UnionPayFields) => { respCode: string; respMsg: string } | { merId: string };
  readonly sign: (fields: Record<string, string>) => Record<string, string>;
}

/** The signed answer to a file transfer request (null fields: a field was sent twice). */
export function fileTransferAnswer(fields: Record<string, string> | null, options: FileTransferOptions): Record<string, string> {
  if (fields === null) return options.sign({ respCode: '10', respMsg: 'a field was sent twice' });
  const echo: Record<string, string> = {
    version: UNIONPAY_VERSION,
    encoding: UNIONPAY_ENCODING,
    signMethod: UNIONPAY_SIGN_METHOD,
  };
  for (const name of ['txnType', 'txnSubType', 'bizType', 'accessType', 'merId', 'settleDate', 'txnTime', 'fileType'] as const) {
    const value = fields[name];
    if (value !== undefined) echo[name] = value;
  }
  const answer = (extra: Record<string, string>): Record<string, string> => options.sign({ ...echo, ...extra });
  const checked = options.check(fields);
  if ('respCode' in checked) return answer(checked);
  if (fields['txnType'] !== FILE_TRANSFER.txnType || fields['txnSubType'] !== FILE_TRANSFER.txnSubType || fields['bizType'] !== FILE_TRANSFER.bizType) {
    return answer({ respCode: '10', respMsg: 'txnType 76, txnSubType 01, bizType 000000 expected' });
  }
  if (fields['fileType'] !== FILE_TRANSFER.fileType) return answer({ respCode: '10', respMsg: 'fileType must be 00' });
  const day = dayOfSettleDate(fields['settleDate'] ?? '', options.now());
  const bounds = day === null ? null : statementDayBounds(day, UNIONPAY_STATEMENT_UTC_OFFSET_HOURS);
  if (fields['settleDate'] === undefined || !/^\d{4}$/.test(fields['settleDate'])) return answer({ respCode: '10', respMsg: 'settleDate must be MMDD' });
  if (day === null || bounds === null || !isPublished(bounds, UNIONPAY_STATEMENT_PUBLICATION.hoursAfterDay, options.now())) {
    return answer({ respCode: RESP_FILE_NOT_FOUND, respMsg: '文件不存在' });
  }
  const lines = unionPayZmLines(options.ledger, checked.merId, day);
  const fileContent = packFileContent({
    [zmFileName(day, checked.merId)]: lines.map((line) => `${formatZmLine(line)}\r\n`).join(''),
    [zmFileName(day, checked.merId).replace('ZM_', 'ZME_')]: '',
  });
  return answer({ respCode: '00', respMsg: 'Success!', fileName: zipFileName(day, checked.merId), fileContent });
}
