/**
 * UnionPay's merchant reconciliation files (《全渠道平台接入接口规范 第3部分
 * 文件接口》, as the acp SDK demos read them): the file transfer answer's
 * `fileContent` is base64 of a zlib-deflated zip (the SDK's
 * `deCodeFileContent`: base64-decode, inflate, save as `fileName`), holding
 * the day's files, among them the general transaction file
 * `INN<YYMMDD>88ZM_<merId>`: one fixed-width line per transaction, 42 fields
 * of the lengths below, one space between fields.
 *
 * Amounts are digits of minor units (fen for CNY); the fee, settlement and
 * net fields are a direction letter (C: credit to the merchant, D: debit)
 * and 12 digits. The ZM layout carries no currency: CanCan reads a numeric
 * ISO 4217 code from the first 3 characters of the last (reserved) field and
 * takes CNY when it is blank; the simulator prints it there (a CanCan
 * convention for cross-border sandbox merchants, not UnionPay's).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { unzipSync, zipSync } from 'fflate';
import type { StatementLine } from '../statements.js';
import { currencyFromNumeric, numericCurrencyCode } from './transformers.js';
import type { CurrencyCode } from '../../domain/money.js';

/** The ZM fields in order: name (as the spec's Chinese name, with the SDK demos' English key) and width in bytes. */
export const ZM_FIELDS = [
  ['tradeCode', 3], // 交易代码
  ['acqInsCode', 11], // 代理机构标识码
  ['sendInsCode', 11], // 发送机构标识码
  ['traceNo', 6], // 系统跟踪号
  ['txnTime', 10], // 交易传输时间 MMDDhhmmss
  ['accNo', 19], // 帐号
  ['txnAmt', 12], // 交易金额
  ['merCatCode', 4], // 商户类别
  ['termType', 2], // 终端类型
  ['queryId', 21], // 查询流水号
  ['oldPayType', 2], // 支付方式（旧）
  ['orderId', 32], // 商户订单号
  ['payCardType', 2], // 支付卡类型
  ['origTraceNo', 6], // 原始交易的系统跟踪号
  ['origTxnTime', 10], // 原始交易日期时间
  ['merFee', 13], // 商户手续费
  ['settleAmt', 13], // 结算金额
  ['payType', 4], // 支付方式
  ['groupMerId', 15], // 集团商户代码
  ['txnType', 2], // 交易类型
  ['txnSubType', 2], // 交易子类
  ['bizType', 6], // 业务类型
  ['accType', 2], // 帐号类型
  ['billType', 4], // 账单类型
  ['billNo', 32], // 账单号码
  ['interactMode', 1], // 交互方式
  ['origQryId', 21], // 原交易查询流水号
  ['merId', 15], // 商户代码
  ['splitMode', 1], // 分账入账方式
  ['subMerId', 15], // 二级商户代码
  ['subMerAbbr', 32], // 二级商户简称
  ['subMerAmt', 13], // 二级商户分账入账金额
  ['netAmt', 13], // 清算净额
  ['termId', 8], // 终端号
  ['merReserved', 32], // 商户自定义域
  ['discountAmt', 13], // 优惠金额
  ['invoiceAmt', 13], // 发票金额
  ['instalmentFee', 12], // 分期付款附加手续费
  ['instalments', 2], // 分期付款期数
  ['medium', 1], // 交易介质
  ['origOrderId', 32], // 原始交易订单号
  ['reserved', 98], // 保留使用
] as const;
export type ZmField = (typeof ZM_FIELDS)[number][0];
export type ZmLine = Readonly<Partial<Record<ZmField, string>>>;

const LINE_BYTES = ZM_FIELDS.reduce((sum, [, width]) => sum + width, 0) + ZM_FIELDS.length - 1;

/** txnType values: 01 consume, 04 refund (退货), 31 consume void (撤销: the money was not kept). */
export const ZM_TXN_TYPES = { consume: '01', refund: '04', consumeVoid: '31' } as const;

/** The largest inflated answer CanCan reads (a month of busy days is far below it). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

// ------------------------------------------------------------------ names

const compact = (day: string): string => day.replace(/-/g, '');

/** `INN<YYMMDD>88ZM_<merId>` */
export function zmFileName(day: string, merId: string): string {
  return `INN${compact(day).slice(2)}88ZM_${merId}`;
}

export function zipFileName(day: string, merId: string): string {
  return `${merId}_${compact(day)}.zip`;
}

// ------------------------------------------------------------------ writing

/** One ZM line: each field padded to its width (amounts right-aligned with zeros by the caller), single spaces between. */
export function formatZmLine(line: ZmLine): string {
  return ZM_FIELDS.map(([name, width]) => {
    const value = line[name] ?? '';
    if (Buffer.byteLength(value, 'latin1') > width || /[^\x20-\x7e]/.test(value)) throw new Error(`ZM field ${name} does not fit: ${JSON.stringify(value)}`);
    return value.padEnd(width, ' ');
  }).join(' ');
}

/** Digits of minor units, zero-padded to `width`. */
export const zmDigits = (amount: number, width: number): string => String(Math.abs(amount)).padStart(width, '0');
/** C/D and 12 digits: C when money goes to the merchant. */
export const zmSigned = (amount: number, credit: boolean): string => `${credit ? 'C' : 'D'}${zmDigits(amount, 12)}`;
/** The reserved field carrying the line's currency (numeric ISO 4217). */
export const zmReserved = (currency: CurrencyCode): string => numericCurrencyCode(currency);

/** The answer's fileContent: the day's files zipped, deflated (zlib) and base64-encoded. */
export function packFileContent(files: Readonly<Record<string, string>>): string {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(files)) entries[name] = new Uint8Array(Buffer.from(text, 'utf8'));
  return deflateSync(zipSync(entries)).toString('base64');
}

// ------------------------------------------------------------------ reading

export type Unpacked = { readonly ok: true; readonly files: ReadonlyMap<string, Buffer> } | { readonly ok: false; readonly reason: string };

export function unpackFileContent(fileContent: string): Unpacked {
  if (!/^[A-Za-z0-9+/\r\n]+={0,2}\s*$/.test(fileContent)) return { ok: false, reason: 'fileContent is not base64' };
  let zip: Buffer;
  try {
    zip = inflateSync(Buffer.from(fileContent, 'base64'), { maxOutputLength: MAX_FILE_BYTES });
  } catch {
    return { ok: false, reason: 'fileContent does not inflate (not zlib-deflated, or larger than CanCan reads)' };
  }
  try {
    let total = 0;
    const entries = unzipSync(new Uint8Array(zip), {
      filter: (file) => {
        total += file.originalSize;
        if (total > MAX_FILE_BYTES) throw new Error('too large');
        return true;
      },
    });
    return { ok: true, files: new Map(Object.entries(entries).map(([name, bytes]) => [name.split('/').pop() ?? name, Buffer.from(bytes)] as const)) };
  } catch {
    return { ok: false, reason: 'fileContent is not a readable zip' };
  }
}

export type ParsedZm = { readonly ok: true; readonly lines: readonly StatementLine[] } | { readonly ok: false; readonly reason: string };

/**
 * The ZM file's lines as statement lines; `day` (YYYY-MM-DD) places the
 * MMDDhhmmss transmission times (China time) in the right year.
 */
export function parseZmFile(content: Buffer, day: string): ParsedZm {
  const lines: StatementLine[] = [];
  const rows = content.toString('latin1').split(/\r?\n/);
  for (const [at, raw] of rows.entries()) {
    if (raw.trim() === '') continue;
    if (raw.length > LINE_BYTES) return { ok: false, reason: `ZM line ${at + 1} is ${raw.length} bytes, longer than the layout's ${LINE_BYTES}` };
    const text = raw.padEnd(LINE_BYTES, ' ');
    const fields = new Map<ZmField, string>();
    let offset = 0;
    for (const [name, width] of ZM_FIELDS) {
      fields.set(name, text.slice(offset, offset + width).trim());
      offset += width + 1;
    }
    const line = readZmLine((name) => fields.get(name) ?? '', day);
    if (typeof line === 'string') return { ok: false, reason: `ZM line ${at + 1}: ${line}` };
    if (line !== null) lines.push(line);
  }
  return { ok: true, lines };
}

function readZmLine(value: (name: ZmField) => string, day: string): StatementLine | null | string {
  const txnType = value('txnType');
  const known = Object.values(ZM_TXN_TYPES) as string[];
  if (!known.includes(txnType)) return null; // pre-authorisations and other types are not reconciled
  const reserved = value('reserved').slice(0, 3).trim();
  const currency = reserved === '' ? 'CNY' : currencyFromNumeric(reserved);
  if (currency === null) return `unknown currency code ${JSON.stringify(reserved)} in the reserved field`;
  const amount = digits(value('txnAmt'));
  if (amount === null) return `txnAmt ${JSON.stringify(value('txnAmt'))} is not digits`;
  const fee = signed(value('merFee'));
  const net = signed(value('netAmt'));
  if (fee === undefined || net === undefined) return 'merFee or netAmt is not C/D and digits';
  const orderId = value('orderId');
  const original = value('origOrderId');
  const isRefund = txnType === ZM_TXN_TYPES.refund;
  if (orderId === '') return 'no orderId';
  if (isRefund && original === '') return 'a refund without the original orderId';
  return {
    kind: isRefund ? 'refund' : 'payment',
    orderNo: isRefund ? original : txnType === ZM_TXN_TYPES.consumeVoid && original !== '' ? original : orderId,
    refundNo: isRefund ? orderId : null,
    providerTxnId: value('queryId') || null,
    amountMinor: amount,
    currency,
    feeMinor: fee,
    netMinor: net,
    providerStatus: txnType,
    settled: txnType !== ZM_TXN_TYPES.consumeVoid,
    at: transmissionTime(value('txnTime'), day),
  };
}

const digits = (text: string): number | null => (/^\d{1,16}$/.test(text) ? Number(text) : null);

/** C/D + digits → the amount (its size; the direction follows from the line's type); null when blank; undefined when malformed. */
function signed(text: string): number | null | undefined {
  if (text === '') return null;
  const match = /^[CD](\d{1,12})$/.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** MMDDhhmmss in China time → epoch ms, in the statement day's year (or the year before, for a late-December time read in January). */
function transmissionTime(text: string, day: string): number {
  const match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return 0;
  const year = Number(day.slice(0, 4));
  const [month, date, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number];
  const at = (y: number): number => Date.UTC(y, month - 1, date, hour, minute, second) - 8 * 3_600_000;
  return month > Number(day.slice(5, 7)) + 1 ? at(year - 1) : at(year);
}
