/**
 * What the WeChat Pay simulator remembers about a Native (merchant-presented
 * QR) order beyond the ledger's common columns. The ledger keeps provider
 * specifics opaque, so this lives as JSON in the order's `behaviour` column,
 * written once when unifiedorder creates the order.
 */
import { randomInt } from 'node:crypto';
import { testValue } from '../../simulators/test-values.js';
import type { SimOrder } from '../../simulators/ledger.js';

export interface NativeOrderMemo {
  readonly tradeType: 'NATIVE';
  readonly codeUrl: string;
  readonly prepayId: string;
  /** Epoch ms from which the code can no longer be paid. */
  readonly expiresAt: number;
  /** Test value 59: the payment succeeds, every refund of it is refused. */
  readonly refundsRefused: boolean;
  /** Where WeChat sends the payment result notification, and for which merchant it signs it (null: none). */
  readonly notify: NotifyTarget | null;
}

export interface NotifyTarget {
  readonly url: string;
  readonly mchId: string;
  readonly subMchId: string | null;
}

/** "code_url is valid for up to 2 hours" (WeChat Native development guide). */
export const CODE_URL_VALIDITY_MS = 2 * 3_600_000;

export function newNativeMemo(amount: number, codeUrl: string, prepayId: string, expiresAt: number, notify: NotifyTarget | null = null): NativeOrderMemo {
  return { tradeType: 'NATIVE', codeUrl, prepayId, expiresAt, refundsRefused: testValue(amount) === 59, notify };
}

export function encodeNativeMemo(memo: NativeOrderMemo): string {
  return JSON.stringify(memo);
}

/** The memo of a Native order; null for micropay orders (whose `behaviour` is a plain test-value word). */
export function nativeMemoOf(order: SimOrder): NativeOrderMemo | null {
  const text = order.behaviour;
  if (text === null || !text.startsWith('{')) return null;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) return null;
  const member = (name: keyof NativeOrderMemo): unknown => Object.getOwnPropertyDescriptor(parsed, name)?.value;
  const [tradeType, codeUrl, prepayId, expiresAt, refundsRefused] = [
    member('tradeType'),
    member('codeUrl'),
    member('prepayId'),
    member('expiresAt'),
    member('refundsRefused'),
  ];
  if (
    tradeType !== 'NATIVE' ||
    typeof codeUrl !== 'string' ||
    typeof prepayId !== 'string' ||
    typeof expiresAt !== 'number' ||
    typeof refundsRefused !== 'boolean'
  ) {
    throw new Error(`corrupt simulator memo for wechatpay/${order.orderNo}`);
  }
  return { tradeType, codeUrl, prepayId, expiresAt, refundsRefused, notify: notifyTargetOf(member('notify')) };
}

/** Memos written before notifications existed have none. */
function notifyTargetOf(value: unknown): NotifyTarget | null {
  if (typeof value !== 'object' || value === null) return null;
  const member = (name: keyof NotifyTarget): unknown => Object.getOwnPropertyDescriptor(value, name)?.value;
  const [url, mchId, subMchId] = [member('url'), member('mchId'), member('subMchId')];
  if (typeof url !== 'string' || typeof mchId !== 'string' || (subMchId !== null && typeof subMchId !== 'string')) return null;
  return { url, mchId, subMchId };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomBase62(length: number): string {
  return Array.from({ length }, () => BASE62.charAt(randomInt(BASE62.length))).join('');
}

/** Like WeChat's own: `weixin://wxpay/bizpayurl?pr=NwY5Mz9` (Native payment guide). */
export function newCodeUrl(): string {
  return `weixin://wxpay/bizpayurl?pr=${randomBase62(7)}`;
}

/** Like `wx201410272009395522657a690389285100`: "wx", a timestamp, random hex. */
export function newPrepayId(chinaTime: string): string {
  const hex = Array.from({ length: 20 }, () => randomInt(16).toString(16)).join('');
  return `wx${chinaTime}${hex}`;
}
