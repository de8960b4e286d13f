/**
 * Statement days: `YYYY-MM-DD` in a provider's statement time zone, for the
 * statement sources and the simulators that print statements. The providers
 * CanCan statements come from keep a fixed UTC offset (China, Singapore: +8;
 * the card acquirer's batches here: UTC), so a day is a plain offset window.
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Epoch ms of the day's start and end ([start, end)), or null when `day` is not a real date. */
export function statementDayBounds(day: string, utcOffsetHours: number): { start: number; end: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (match === null) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const midnightUtc = Date.UTC(year, month - 1, date);
  const check = new Date(midnightUtc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return null;
  const start = midnightUtc - utcOffsetHours * HOUR_MS;
  return { start, end: start + DAY_MS };
}

/** The statement day (YYYY-MM-DD at the offset) an instant falls in. */
export function statementDayOf(epochMs: number, utcOffsetHours: number): string {
  return new Date(epochMs + utcOffsetHours * HOUR_MS).toISOString().slice(0, 10);
}

/** Whether the day's statement is out: `hoursAfterDay` hours after the day ended. */
export function isPublished(day: { end: number }, hoursAfterDay: number, nowMs: number): boolean {
  return nowMs >= day.end + hoursAfterDay * HOUR_MS;
}

/** The sandbox fee every simulated statement prints: 0.6 % of the gross, rounded half up to minor units. */
export function sandboxFee(amountMinor: number): number {
  return Math.floor((amountMinor * 6 + 500) / 1000);
}
