/**
 * Alipay's trade bill (bill_type=trade): a zip of two GBK CSV files, the
 * business details (业务明细) and their summary (业务明细(汇总)). Each opens
 * with `#` comment lines (title, account, period), has one header line, its
 * rows (values padded with a tab, as Alipay writes them), and `#` closing
 * lines (the details: counts of trades and refunds; both: export time).
 * Amounts are in yuan; refunds are printed negative, and the service fee
 * (服务费) is negative on trades and positive (given back) on refunds.
 *
 * Reconstructed from the column lists in Alipay's bill documentation and
 * descriptions of downloaded files; Alipay publishes no sample file. The bill
 * has no currency column (it is in CNY); the sandbox marks a trade priced in
 * another currency with `trans_currency=XXX` in 备注, and the parser honours it.
 */
import { currencyExponent, isCurrencyCode, type CurrencyCode } from '../../domain/money.js';
import { CHINA_OFFSET_MS, beijingTimestamp, parseBeijingTimestamp } from '../china-time.js';
import type { Statement, StatementLine, StatementTotal } from '../statements.js';
import { decodeGbk, encodeGbk } from './statement-gbk.js';

export const DETAIL_HEADER = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
] as const;

export const SUMMARY_HEADER = [
  '门店编号',
  '门店名称',
  '交易订单总笔数',
  '退款订单总笔数',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '卡消费金额（元）',
  '服务费（元）',
  '分润（元）',
  '实收净额（元）',
] as const;

const DETAIL_TITLE = '#支付宝业务明细查询';
const SUMMARY_TITLE = '#支付宝业务汇总查询';
const RULE = '-----------------------------------------';
const REMARK_CURRENCY = /^trans_currency=([A-Z]{3})$/;

/** One line as the simulator prints it (amounts in minor units of `currency`, positive). */
export interface TradeBillRow {
  readonly kind: '交易' | '退款';
  readonly tradeNo: string;
  readonly orderNo: string;
  readonly refundNo: string;
  readonly createdAt: number;
  /** Null: the trade is not completed (the sandbox's "not settled"). */
  readonly completedAt: number | null;
  readonly currency: CurrencyCode;
  readonly amount: number;
  /** Charged on trades, given back on refunds (positive either way). */
  readonly fee: number;
}

/** Minor units → yuan text, signed ("-0.01"). */
function yuan(amount: number, currency: CurrencyCode): string {
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return amount < 0 ? `-${text}` : text;
}

/** `[2024年05月13日 00:00:00]` in China time. */
function bracketTime(epochMs: number): string {
  const [date = '', time = ''] = beijingTimestamp(epochMs).split(' ');
  const [year, month, day] = date.split('-');
  return `[${year}年${month}月${day}日 ${time}]`;
}

const row = (values: readonly string[]): string => values.map((value) => `${value}\t`).join(',');

export interface TradeBillFiles {
  /** File name → GBK bytes, as zipped. */
  readonly files: Record<string, Uint8Array>;
}

/** The two CSV files of a day (`day` YYYY-MM-DD, China time) for `account` (the PID + "0156"). */
export function formatTradeBill(account: string, day: string, rows: readonly TradeBillRow[], exportedAt: number): TradeBillFiles {
  const start = Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS;
  const head = (title: string, list: string): string[] => [
    title,
    `#账号：[${account}]`,
    `#起始日期：${bracketTime(start)}   终止日期：${bracketTime(start + 86_400_000)}`,
    `#${RULE}${list}${RULE}`,
  ];
  const zero = (currency: CurrencyCode): string => yuan(0, currency);
  const detail = [...head(DETAIL_TITLE, '业务明细列表'), DETAIL_HEADER.join(',')];
  let trades = 0;
  let refunds = 0;
  let net = 0;
  let fees = 0;
  for (const line of rows) {
    const sign = line.kind === '交易' ? 1 : -1;
    if (line.kind === '交易') trades += 1;
    else refunds += 1;
    net += sign * line.amount;
    fees -= sign * line.fee;
    const c = line.currency;
    detail.push(
      row([
        line.tradeNo,
        line.orderNo,
        line.kind,
        'CanCan sandbox',
        beijingTimestamp(line.createdAt),
        line.completedAt === null ? '' : beijingTimestamp(line.completedAt),
        '',
        '',
        '',
        '',
        '159****5620',
        yuan(sign * line.amount, c),
        yuan(sign * line.amount, c),
        zero(c),
        zero(c),
        zero(c),
        zero(c),
        zero(c),
        '',
        zero(c),
        zero(c),
        line.refundNo,
        yuan(-sign * line.fee, c),
        zero(c),
        c === 'CNY' ? '' : `trans_currency=${c}`,
      ]),
    );
  }
  detail.push(`#${RULE}业务明细列表结束${RULE}`, `#交易合计：${trades}笔，退款合计：${refunds}笔`, `#导出时间：${bracketTime(exportedAt)}`);
  const currency = rows[0]?.currency ?? 'CNY';
  const summary = [
    ...head(SUMMARY_TITLE, '业务汇总列表'),
    SUMMARY_HEADER.join(','),
    row([
      '合计',
      '',
      String(trades),
      String(refunds),
      yuan(net, currency),
      yuan(net, currency),
      zero(currency),
      zero(currency),
      zero(currency),
      yuan(fees, currency),
      zero(currency),
      yuan(net + fees, currency),
    ]),
    `#${RULE}业务汇总列表结束${RULE}`,
    `#导出时间：${bracketTime(exportedAt)}`,
  ];
  const date = day.replace(/-/g, '');
  const encode = (lines: readonly string[]): Uint8Array => encodeGbk(`${lines.join('\r\n')}\r\n`);
  return { files: { [`${account}_${date}_业务明细.csv`]: encode(detail), [`${account}_${date}_业务明细(汇总).csv`]: encode(summary) } };
}

export type ParsedTradeBill = { readonly ok: true; readonly statement: Statement } | { readonly ok: false; readonly reason: string };

class TradeBillError extends Error {}

/**
 * The zip's files (name → bytes) → statement lines and totals. The two files
 * are told apart by their title line, not their names (Alipay's zips carry
 * GBK names without saying so).
 */
export function parseTradeBill(files: Readonly<Record<string, Uint8Array>>): ParsedTradeBill {
  try {
    const texts = Object.entries(files)
      .filter(([name]) => name.toLowerCase().endsWith('.csv'))
      .map(([, bytes]) => {
        try {
          return decodeGbk(bytes);
        } catch {
          throw new TradeBillError('a file is not GBK text');
        }
      });
    const detail = texts.filter((text) => text.startsWith(DETAIL_TITLE));
    const summary = texts.filter((text) => text.startsWith(SUMMARY_TITLE));
    if (detail.length !== 1 || summary.length !== 1) throw new TradeBillError('the zip does not hold one details file and one summary file');
    return { ok: true, statement: readStatement(detail[0] ?? '', summary[0] ?? '') };
  } catch (error) {
    if (error instanceof TradeBillError) return { ok: false, reason: `the Alipay bill does not read: ${error.message}` };
    throw error;
  }
}

interface Table {
  readonly rows: ReadonlyArray<ReadonlyMap<string, string>>;
  readonly comments: readonly string[];
}

/** A CSV file with `#` comments: the header is the first other line; values are trimmed of Alipay's tab padding. */
function table(text: string): Table {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const comments = lines.filter((line) => line.startsWith('#'));
  const [header, ...data] = lines.filter((line) => !line.startsWith('#')).map((line) => line.split(',').map((value) => value.trim()));
  if (header === undefined) throw new TradeBillError('a file has no header');
  const rows = data.map((values) => {
    if (values.length !== header.length) throw new TradeBillError(`a line has ${values.length} fields, the header ${header.length}`);
    return new Map(header.map((name, index) => [name, values[index] ?? '']));
  });
  return { rows, comments };
}

function value(fields: ReadonlyMap<string, string>, name: string): string {
  const found = fields.get(name);
  if (found === undefined) throw new TradeBillError(`no ${name} column`);
  return found;
}

/** Signed yuan text → minor units of `currency`. */
function minor(text: string, currency: CurrencyCode, what: string): number {
  const match = /^(-?)(\d{1,15})(?:\.(\d{1,3}))?$/.exec(text);
  const exponent = currencyExponent(currency);
  const fraction = match?.[3] ?? '';
  if (match === null || /[^0]/.test(fraction.slice(exponent))) throw new TradeBillError(`${what} is not an amount of ${currency}: ${JSON.stringify(text)}`);
  const amount = Number(match[2]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  return match[1] === '-' && amount !== 0 ? -amount : amount;
}

function time(text: string, what: string): number {
  const at = parseBeijingTimestamp(text);
  if (at === null) throw new TradeBillError(`${what} is not a time: ${JSON.stringify(text)}`);
  return at;
}

function readStatement(detailText: string, summaryText: string): Statement {
  const detail = table(detailText);
  const lines = detail.rows.map(toLine);
  const trades = lines.filter((line) => line.kind === 'payment').length;
  const refunds = lines.length - trades;
  // The closing count line: a file cut short or with lines added no longer agrees with it.
  const counted = detail.comments.map((comment) => /^#交易合计：(\d+)笔，退款合计：(\d+)笔/.exec(comment)).find((match) => match !== null);
  if (counted === undefined) throw new TradeBillError('the details file has no count line');
  if (Number(counted[1]) !== trades || Number(counted[2]) !== refunds) {
    throw new TradeBillError(`the details count ${counted[1]} trades and ${counted[2]} refunds, the file has ${trades} and ${refunds}`);
  }
  const total = table(summaryText).rows.find((fields) => fields.get('门店编号') === '合计');
  if (total === undefined) throw new TradeBillError('the summary has no 合计 line');
  return { lines, totals: totalsOf(total, lines) };
}

function toLine(fields: ReadonlyMap<string, string>): StatementLine {
  const remark = REMARK_CURRENCY.exec(value(fields, '备注'));
  const currencyText = remark?.[1] ?? 'CNY';
  if (!isCurrencyCode(currencyText)) throw new TradeBillError(`unknown currency ${currencyText}`);
  const currency = currencyText;
  const kind = value(fields, '业务类型');
  const orderNo = value(fields, '商户订单号');
  if (orderNo === '') throw new TradeBillError('a line has no 商户订单号');
  const printed = minor(value(fields, '订单金额（元）'), currency, '订单金额');
  // 服务费 is what the line does to the merchant's money: negative when charged.
  const feeText = value(fields, '服务费（元）');
  const fee = feeText === '' ? null : -minor(feeText, currency, '服务费');
  const completed = value(fields, '完成时间');
  const at = time(completed === '' ? value(fields, '创建时间') : completed, '完成时间');
  const providerTxnId = value(fields, '支付宝交易号') || null;
  if (kind === '交易') {
    return {
      kind: 'payment',
      orderNo,
      refundNo: null,
      providerTxnId,
      amountMinor: printed,
      currency,
      feeMinor: fee,
      netMinor: fee === null ? null : printed - fee,
      providerStatus: completed === '' ? '交易(未完成)' : '交易',
      settled: completed !== '',
      at,
    };
  }
  if (kind === '退款') {
    const refundNo = value(fields, '退款批次号/请求号');
    return {
      kind: 'refund',
      orderNo,
      refundNo: refundNo === '' ? null : refundNo,
      providerTxnId,
      amountMinor: -printed,
      currency,
      feeMinor: fee,
      netMinor: fee === null ? null : -printed + fee,
      providerStatus: '退款',
      settled: completed !== '',
      at,
    };
  }
  throw new TradeBillError(`unknown 业务类型 ${JSON.stringify(kind)}`);
}

/**
 * The summary prints net amounts (trades less refunds) and counts. CanCan's
 * totals read its payments as that net plus the refund lines, so a line whose
 * amount disagrees with the summary shows as a payments difference; the fee
 * total is the summary's 服务费, charged positive.
 */
function totalsOf(total: ReadonlyMap<string, string>, lines: readonly StatementLine[]): StatementTotal[] {
  const currencies = new Set(lines.map((line) => line.currency));
  const [only] = [...currencies];
  const currency = only ?? 'CNY';
  if (currencies.size > 1 || !isCurrencyCode(currency)) return [];
  const refunds = lines.filter((line) => line.kind === 'refund').reduce((sum, line) => sum + line.amountMinor, 0);
  const count = Number(value(total, '交易订单总笔数')) + Number(value(total, '退款订单总笔数'));
  return [
    {
      currency,
      paymentsMinor: minor(value(total, '订单金额（元）'), currency, '订单金额') + refunds,
      refundsMinor: refunds,
      feesMinor: -minor(value(total, '服务费（元）'), currency, '服务费'),
      lineCount: count,
    },
  ];
}
