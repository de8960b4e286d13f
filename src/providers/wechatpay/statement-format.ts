/**
 * WeChat Pay v2 trade bill (`downloadbill`, bill_type=ALL), as text: a header
 * line, one line per payment or refund with every field prefixed by a
 * backquote (so spreadsheets keep 28-digit ids), then a summary header and a
 * summary line. Amounts are in major units ("元"); the fee (手续费) has five
 * decimals (rounded to two, then "000"). The simulator writes this format and
 * the statement source reads it, so both follow the one description here.
 *
 * Columns are found by header name: older merchants still get the early
 * layout (总金额 instead of 应结订单金额, no 订单金额 / 申请退款金额).
 */
import { currencyExponent, isCurrencyCode, type CurrencyCode } from '../../domain/money.js';
import type { Statement, StatementLine, StatementTotal } from '../statements.js';
import { beijingTimestamp, parseBeijingTimestamp } from '../china-time.js';

/** The ALL bill's detail header of merchants on the current layout. */
export const ALL_BILL_HEADER = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;

export const ALL_BILL_SUMMARY_HEADER = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const;

type Column = (typeof ALL_BILL_HEADER)[number];

/** One line as the simulator prints it (amounts in minor units of `currency`). */
export interface BillRow {
  readonly at: number;
  readonly appId: string;
  readonly mchId: string;
  readonly subMchId: string;
  readonly transactionId: string;
  readonly orderNo: string;
  readonly tradeType: string;
  /** SUCCESS (paid), REFUND, REVOKED (a payment reversed: not settled). */
  readonly tradeState: 'SUCCESS' | 'REFUND' | 'REVOKED';
  readonly currency: CurrencyCode;
  /** Payments: the order amount; refunds: 0. */
  readonly orderAmount: number;
  readonly refund: { readonly refundId: string; readonly refundNo: string; readonly amount: number } | null;
  /** Charged on payments, given back (negative) on refunds. */
  readonly fee: number;
  readonly feeRate: string;
  readonly body: string;
}

/** Minor units → the bill's major-unit text with at least `decimals` decimals ("0.01", "0.00600"). */
function major(amount: number, currency: CurrencyCode, decimals = 2): string {
  const exponent = currencyExponent(currency);
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = (exponent === 0 ? '' : digits.slice(-exponent)).padEnd(decimals, '0');
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

const ticked = (values: readonly string[]): string => values.map((value) => `\`${value}`).join(',');

/** The bill text of `rows` (already in the order to print), with its summary. */
export function formatAllBill(rows: readonly BillRow[]): string {
  const lines: string[] = [ALL_BILL_HEADER.join(',')];
  const currency = rows[0]?.currency ?? 'CNY';
  let settlement = 0;
  let refunds = 0;
  let fees = 0;
  for (const row of rows) {
    const refundAmount = row.refund?.amount ?? 0;
    settlement += row.orderAmount;
    refunds += refundAmount;
    fees += row.fee;
    const values: Record<Column, string> = {
      交易时间: beijingTimestamp(row.at),
      公众账号ID: row.appId,
      商户号: row.mchId,
      特约商户号: row.subMchId === '' ? '0' : row.subMchId,
      设备号: '',
      微信订单号: row.transactionId,
      商户订单号: row.orderNo,
      用户标识: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      交易类型: row.tradeType,
      交易状态: row.tradeState,
      付款银行: 'OTHERS',
      货币种类: row.currency,
      应结订单金额: major(row.orderAmount, row.currency),
      代金券金额: major(0, row.currency),
      微信退款单号: row.refund?.refundId ?? '0',
      商户退款单号: row.refund?.refundNo ?? '0',
      退款金额: major(refundAmount, row.currency),
      充值券退款金额: major(0, row.currency),
      退款类型: row.refund === null ? '' : 'ORIGINAL',
      退款状态: row.refund === null ? '' : 'SUCCESS',
      商品名称: row.body,
      商户数据包: '',
      手续费: major(row.fee, row.currency, 5),
      费率: row.feeRate,
      订单金额: major(row.orderAmount, row.currency),
      申请退款金额: major(refundAmount, row.currency),
      费率备注: '',
    };
    lines.push(ticked(ALL_BILL_HEADER.map((column) => values[column])));
  }
  lines.push(ALL_BILL_SUMMARY_HEADER.join(','));
  const zero = major(0, currency);
  lines.push(
    ticked([
      String(rows.length),
      major(settlement, currency),
      major(refunds, currency),
      zero,
      major(fees, currency, 5),
      major(settlement, currency),
      major(refunds, currency),
    ]),
  );
  return `${lines.join('\r\n')}\r\n`;
}

export type ParsedBill = { readonly ok: true; readonly statement: Statement } | { readonly ok: false; readonly reason: string };

class BillError extends Error {}

/** Reads an ALL bill (either layout) into statement lines and its summary. */
export function parseAllBill(text: string): ParsedBill {
  try {
    return { ok: true, statement: readBill(text) };
  } catch (error) {
    if (error instanceof BillError) return { ok: false, reason: `the WeChat Pay bill does not read: ${error.message}` };
    throw error;
  }
}

function readBill(text: string): Statement {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const header = lines[0]?.split(',').map((name) => name.trim());
  if (header === undefined || !header.includes('交易时间') || !header.includes('商户订单号')) throw new BillError('no detail header');
  const summaryAt = lines.findIndex((line, index) => index > 0 && line.startsWith('总交易单数'));
  if (summaryAt === -1 || summaryAt !== lines.length - 2) throw new BillError('no summary at the end');
  const detail = lines.slice(1, summaryAt).map((line) => record(header, line));
  const summary = record(lines[summaryAt]?.split(',') ?? [], lines[summaryAt + 1] ?? '');

  const statementLines = detail.map(toLine);
  const count = integer(summary, '总交易单数');
  // A file cut short, or with lines added or lost, is not the bill WeChat wrote.
  if (count !== statementLines.length) throw new BillError(`the summary counts ${count} lines, the bill has ${statementLines.length}`);
  return { lines: statementLines, totals: totalsOf(summary, statementLines) };
}

/** `header` → backquote-stripped values of one line; the column count must match. */
function record(header: readonly string[], line: string): ReadonlyMap<string, string> {
  const values = line.split(',');
  // The published bill ends some lines with one more empty field than its header names.
  if (values.length === header.length + 1 && values[values.length - 1] === '`') values.pop();
  if (values.length !== header.length) throw new BillError(`a line has ${values.length} fields, the header ${header.length}`);
  const fields = new Map<string, string>();
  header.forEach((name, index) => {
    const value = values[index] ?? '';
    fields.set(name.trim(), (value.startsWith('`') ? value.slice(1) : value).trim());
  });
  return fields;
}

function required(fields: ReadonlyMap<string, string>, ...names: string[]): string {
  for (const name of names) {
    const value = fields.get(name);
    if (value !== undefined) return value;
  }
  throw new BillError(`no ${names.join(' / ')} column`);
}

function integer(fields: ReadonlyMap<string, string>, name: string): number {
  const value = required(fields, name);
  if (!/^\d{1,15}$/.test(value)) throw new BillError(`${name} is not a count: ${JSON.stringify(value)}`);
  return Number(value);
}

/** A decimal in major units (up to five decimals, the extra ones zero) → minor units of `currency`. */
export function minorOf(text: string, currency: CurrencyCode, what: string): number {
  const match = /^(-?)(\d{1,15})(?:\.(\d{1,5}))?$/.exec(text);
  if (match === null) throw new BillError(`${what} is not an amount: ${JSON.stringify(text)}`);
  const exponent = currencyExponent(currency);
  const fraction = match[3] ?? '';
  if (/[^0]/.test(fraction.slice(exponent))) throw new BillError(`${what} has more decimals than ${currency}: ${JSON.stringify(text)}`);
  const minor = Number(match[2]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  return match[1] === '-' && minor !== 0 ? -minor : minor;
}

function toLine(fields: ReadonlyMap<string, string>): StatementLine {
  const currencyText = fields.get('货币种类') || 'CNY';
  if (!isCurrencyCode(currencyText)) throw new BillError(`unknown currency ${JSON.stringify(currencyText)}`);
  const currency = currencyText;
  const at = parseBeijingTimestamp(required(fields, '交易时间'));
  if (at === null) throw new BillError(`交易时间 is not a time: ${JSON.stringify(fields.get('交易时间'))}`);
  const orderNo = required(fields, '商户订单号');
  if (orderNo === '') throw new BillError('a line has no 商户订单号');
  const state = required(fields, '交易状态');
  const feeText = fields.get('手续费');
  const fee = feeText === undefined || feeText === '' ? null : minorOf(feeText, currency, '手续费');
  const transactionId = fields.get('微信订单号') || null;
  if (state === 'SUCCESS' || state === 'REVOKED') {
    // 订单金额 is what the order asked for; older bills only print 总金额.
    const amount = minorOf(fields.get('订单金额') ?? required(fields, '应结订单金额', '总金额'), currency, '订单金额');
    return {
      kind: 'payment',
      orderNo,
      refundNo: null,
      providerTxnId: transactionId,
      amountMinor: amount,
      currency,
      feeMinor: fee,
      netMinor: fee === null ? null : amount - fee,
      providerStatus: state,
      settled: state === 'SUCCESS',
      at,
    };
  }
  if (state === 'REFUND') {
    const amount = minorOf(fields.get('申请退款金额') ?? required(fields, '退款金额'), currency, '退款金额');
    const refundStatus = required(fields, '退款状态');
    const refundNo = required(fields, '商户退款单号');
    return {
      kind: 'refund',
      orderNo,
      refundNo: refundNo === '' || refundNo === '0' ? null : refundNo,
      providerTxnId: fields.get('微信退款单号') || transactionId,
      amountMinor: amount,
      currency,
      feeMinor: fee,
      // The fee comes back (negative) on a refund: what leaves the merchant is the refund less it.
      netMinor: fee === null ? null : amount + fee,
      providerStatus: `REFUND/${refundStatus}`,
      // "PROCESSING: already deducted from the account"; SUCCESS: and already arrived.
      settled: refundStatus === 'SUCCESS' || refundStatus === 'PROCESSING',
      at,
    };
  }
  throw new BillError(`unknown 交易状态 ${JSON.stringify(state)}`);
}

/**
 * The summary's totals. It prints one set of sums for the whole bill, so they
 * are attributed to a currency only when every line is in the same one.
 */
function totalsOf(summary: ReadonlyMap<string, string>, lines: readonly StatementLine[]): StatementTotal[] {
  const currencies = new Set(lines.map((line) => line.currency));
  const [currency] = [...currencies];
  if (currencies.size !== 1 || currency === undefined || !isCurrencyCode(currency)) return [];
  const payments = minorOf(summary.get('订单总金额') ?? required(summary, '应结订单总金额', '总交易额'), currency, '订单总金额');
  const refunds = minorOf(summary.get('申请退款总金额') ?? required(summary, '退款总金额', '总退款金额'), currency, '退款总金额');
  const feeText = summary.get('手续费总金额');
  return [
    {
      currency,
      paymentsMinor: payments,
      refundsMinor: refunds,
      feesMinor: feeText === undefined ? null : minorOf(feeText, currency, '手续费总金额'),
      lineCount: lines.length,
    },
  ];
}
