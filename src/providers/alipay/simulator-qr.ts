/**
 * What the Alipay simulator remembers about a precreated (merchant-presented
 * QR) order beyond the ledger's common columns. The ledger keeps provider
 * specifics opaque, so this lives as JSON in the order's `behaviour` column,
 * written once when alipay.trade.precreate creates the order.
 */
import { randomInt } from 'node:crypto';
import { testValue } from '../../simulators/test-values.js';
import type { SimOrder } from '../../simulators/ledger.js';
import { CHINA_OFFSET_MS, parseBeijingTimestamp } from '../china-time.js';

export interface PrecreateMemo {
  readonly flow: 'precreate';
  readonly qrCode: string;
  /** Epoch ms from which the code can no longer be paid. */
  readonly expiresAt: number;
  /** Test value 59: the payment succeeds, every refund of it is refused. */
  readonly refundsRefused: boolean;
  /** Where Alipay sends the trade's asynchronous notifications, and for which app (null: none). */
  readonly notify: NotifyTarget | null;
}

export interface NotifyTarget {
  readonly url: string;
  readonly appId: string;
}

/** "The QR code is valid for at most 2 hours, whatever the timeout" (alipay.trade.precreate, timeout_express). */
const QR_CODE_VALIDITY_MS = 2 * 3_600_000;
/** timeout_express default for face-to-face payments: 3h. */
const DEFAULT_TIMEOUT_MS = 3 * 3_600_000;
const MAX_TIMEOUT_MS = 15 * 24 * 3_600_000;
const TIMEOUT_UNITS_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 24 * 3_600_000 };

export function newPrecreateMemo(amount: number, qrCode: string, expiresAt: number, notify: NotifyTarget | null = null): PrecreateMemo {
  return { flow: 'precreate', qrCode, expiresAt, refundsRefused: testValue(amount) === 59, notify };
}

export function encodePrecreateMemo(memo: PrecreateMemo): string {
  return JSON.stringify(memo);
}

/** The memo of a precreated order; null for bar-code orders (whose `behaviour` is a plain test-value word). */
export function precreateMemoOf(order: SimOrder): PrecreateMemo | null {
  const text = order.behaviour;
  if (text === null || !text.startsWith('{')) return null;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) return null;
  const member = (name: keyof PrecreateMemo): unknown => Object.getOwnPropertyDescriptor(parsed, name)?.value;
  const [flow, qrCode, expiresAt, refundsRefused] = [member('flow'), member('qrCode'), member('expiresAt'), member('refundsRefused')];
  if (flow !== 'precreate' || typeof qrCode !== 'string' || typeof expiresAt !== 'number' || typeof refundsRefused !== 'boolean') {
    throw new Error(`corrupt simulator memo for alipay/${order.orderNo}`);
  }
  return { flow, qrCode, expiresAt, refundsRefused, notify: notifyTargetOf(member('notify')) };
}

/** Memos written before notifications existed have none. */
function notifyTargetOf(value: unknown): NotifyTarget | null {
  if (typeof value !== 'object' || value === null) return null;
  const member = (name: keyof NotifyTarget): unknown => Object.getOwnPropertyDescriptor(value, name)?.value;
  const [url, appId] = [member('url'), member('appId')];
  return typeof url === 'string' && typeof appId === 'string' ? { url, appId } : null;
}

/** Like Alipay's own: `https://qr.alipay.com/bax03431ljhokirwl38f00a7`. */
export function newQrCode(): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `https://qr.alipay.com/bax0${Array.from({ length: 21 }, () => chars.charAt(randomInt(chars.length))).join('')}`;
}

/**
 * When a precreated order stops being payable: `time_expire` (absolute,
 * yyyy-MM-dd HH:mm:ss China time) wins over `timeout_express` (1m–15d, or 1c
 * for "end of today"), default 3h; never later than the code's 2 h. The
 * sandbox counts from precreate and accepts any future time, so tests can
 * shrink windows. Null when the value is malformed or already past.
 */
export function precreateExpiry(timeExpire: string | undefined, timeoutExpress: string | undefined, now: number): number | null {
  let requested = now + DEFAULT_TIMEOUT_MS;
  if (timeExpire !== undefined && timeExpire !== '') {
    const at = parseBeijingTimestamp(timeExpire);
    if (at === null || at <= now) return null;
    requested = at;
  } else if (timeoutExpress !== undefined && timeoutExpress !== '') {
    const relative = relativeTimeoutMs(timeoutExpress, now);
    if (relative === null) return null;
    requested = now + relative;
  }
  return Math.min(requested, now + QR_CODE_VALIDITY_MS);
}

function relativeTimeoutMs(text: string, now: number): number | null {
  if (text === '1c') {
    // until midnight, China time
    const dayMs = 24 * 3_600_000;
    return dayMs - ((now + CHINA_OFFSET_MS) % dayMs);
  }
  const match = /^([1-9]\d*)([mhd])$/.exec(text);
  if (match === null) return null;
  const unitMs = TIMEOUT_UNITS_MS[match[2] ?? ''];
  if (unitMs === undefined) return null;
  const ms = Number(match[1]) * unitMs;
  return ms <= MAX_TIMEOUT_MS ? ms : null;
}
