/**
 * Days of a provider's statement: YYYY-MM-DD in the statement's time zone,
 * their bounds in epoch ms, and when each is published.
 */
import { localDate, startOfLocalDay } from '../dashboard/transactions-filters.js';
import type { AnyProviderDescriptor } from '../providers/descriptor.js';

export interface Publication {
  readonly timeZone: string;
  readonly hoursAfterDay: number;
}

/**
 * A provider without a statement is reconciled from its query API: any day
 * in UTC, an hour after it ends (the day's last payments have settled).
 */
export const QUERY_PUBLICATION: Publication = { timeZone: 'UTC', hoursAfterDay: 1 };

export const publicationOf = (provider: AnyProviderDescriptor): Publication => provider.statements?.publication ?? QUERY_PUBLICATION;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `day` is a real calendar day written YYYY-MM-DD. */
export function isDay(day: string): boolean {
  const match = DAY_PATTERN.exec(day);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === day;
}

/** The day after `day`. */
export function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** The day before `day`. */
export function previousDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

/** [from, to) of the day in the time zone. */
export function dayBounds(day: string, timeZone: string): { fromMs: number; toMs: number } {
  return { fromMs: startOfLocalDay(day, timeZone), toMs: startOfLocalDay(nextDay(day), timeZone) };
}

/** When the day's statement is published. */
export function publishedAt(day: string, publication: Publication): number {
  return dayBounds(day, publication.timeZone).toMs + publication.hoursAfterDay * 3_600_000;
}

/** The day an instant falls on in the time zone. */
export const dayOf = (epochMs: number, timeZone: string): string => localDate(epochMs, timeZone);
