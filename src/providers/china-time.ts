/**
 * China Standard Time (UTC+8, no daylight saving), in the two formats the
 * Chinese providers use: `yyyyMMddHHmmss` (WeChat Pay `time_expire`, UnionPay
 * `txnTime` / `payTimeout`) and `yyyy-MM-dd HH:mm:ss` (Alipay `timestamp`,
 * `time_expire`). Seconds are truncated.
 */
/** China Standard Time: UTC+8 all year (no daylight saving). */
export const CHINA_UTC_OFFSET_HOURS = 8;
export const CHINA_OFFSET_MS = CHINA_UTC_OFFSET_HOURS * 3_600_000;

/** `yyyy-MM-ddTHH:mm:ss` of an instant, shifted to China time. */
function chinaIso(epochMs: number): string {
  return new Date(epochMs + CHINA_OFFSET_MS).toISOString().slice(0, 19); // 2024-05-13T09:49:20
}

/** The six numbers of a matched date-time → epoch ms, or null when they name no real time (2024-02-30, 25:00, …). */
function fromParts(match: RegExpExecArray | null, format: (epochMs: number) => string, text: string): number | null {
  if (match === null) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number);
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second) - CHINA_OFFSET_MS;
  return format(epochMs) === text ? epochMs : null;
}

/** yyyyMMddHHmmss in China time. */
export function chinaTime(epochMs: number): string {
  return chinaIso(epochMs).replace(/\D/g, '');
}

/** yyyyMMddHHmmss in China time → epoch ms, or null if it is not a real time. */
export function parseChinaTime(text: string): number | null {
  return fromParts(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text), chinaTime, text);
}

/** `yyyy-MM-dd HH:mm:ss` in China time. */
export function beijingTimestamp(epochMs: number): string {
  return chinaIso(epochMs).replace('T', ' ');
}

/** `yyyy-MM-dd HH:mm:ss` in China time → epoch ms, or null if it is not a real time. */
export function parseBeijingTimestamp(text: string): number | null {
  return fromParts(/^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text), beijingTimestamp, text);
}
