/**
 * The transactions list's filters: read from the query string (the GET form,
 * the CSV link, the next-page link all carry the same names), checked, and
 * turned back into a query string. Problems are reported per field, never
 * silently ignored.
 */
import { paymentMethodCodes } from '../chop/methods.js';
import { decodeCursor } from '../core/list-transactions.js';
import { TRANSACTION_STATES, TRANSACTION_TYPES, type TransactionState, type TransactionType } from '../domain/states.js';
import { gatewayCodes } from '../providers/registry.js';

/** Every query parameter the list and the export understand (besides `lang`). */
export const FILTER_FIELDS = ['q', 'merchant', 'type', 'state', 'gateway', 'from', 'to', 'pos_id', 'mch_level_1', 'mch_level_2', 'mch_level_3'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type Field = FilterField | 'size' | 'after';

export type Problem = 'badChoice' | 'badDate' | 'fromAfterTo' | 'tooLong' | 'badSize' | 'badCursor' | 'repeated';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** POS texts are at most 255 characters; the search box holds an id, a reference or an amount. */
const MAX_TEXT = 255;

export interface TransactionFilters {
  /** Operators only: one merchant (owners and staff are always scoped to their own). */
  readonly merchant: string | null;
  readonly type: TransactionType | null;
  readonly state: TransactionState | null;
  readonly gateway: string | null;
  /** created_at >= createdGte and < createdLt (epoch ms). */
  readonly createdGte: number | null;
  readonly createdLt: number | null;
  readonly posId: string | null;
  readonly mchLevel1: string | null;
  readonly mchLevel2: string | null;
  readonly mchLevel3: string | null;
  /** The search box: a prefix of an id or reference, or an amount (transactions-search.ts). */
  readonly q: string | null;
}

export interface ParsedFilters {
  /** The values as typed (for refilling the form and building links); '' when absent. */
  readonly values: Readonly<Record<FilterField, string>>;
  readonly filters: TransactionFilters;
  readonly size: number;
  /** Seq of the last row of the previous page, or null on the first page. */
  readonly afterSeq: number | null;
  /** The raw cursor, as given. */
  readonly after: string;
  readonly problems: Readonly<Partial<Record<Field, Problem>>>;
}

/** POS gateway codes and CHOP payment method codes, the choices of the gateway filter. */
export const gatewayChoices = (): { pos: string[]; chop: string[] } => ({ pos: gatewayCodes(), chop: paymentMethodCodes() });

const oneOf = <T extends string>(allowed: readonly T[], value: string): value is T => (allowed as readonly string[]).includes(value);

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written YYYY-MM-DD (no 2024-02-30). */
export function isCalendarDate(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1970 && year < 9999 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The wall-clock time in `timeZone` at an instant, read as if it were UTC. */
function wallClock(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/** Epoch ms of the first instant of a calendar day (YYYY-MM-DD) in an IANA time zone. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const midnight = Date.UTC(year, month - 1, day);
  // Subtract the zone's offset; a second round corrects it when the offset changes in between (DST).
  let instant = midnight - (wallClock(midnight, timeZone) - midnight);
  instant = midnight - (wallClock(instant, timeZone) - instant);
  // Where clocks jump over midnight the day starts later: at the jump.
  const shown = wallClock(instant, timeZone);
  if (shown < midnight) instant += midnight - shown;
  return instant;
}

/** YYYY-MM-DD of an instant in a time zone. */
export function localDate(ms: number, timeZone: string): string {
  return new Date(wallClock(ms, timeZone)).toISOString().slice(0, 10);
}

/**
 * Reads the filters from a query string. `merchantIds` lists the merchants an
 * operator may pick (null: the user has one merchant and the parameter is
 * ignored); dates are days in `timeZone`.
 */
export function parseFilters(query: Readonly<Record<string, unknown>>, options: { timeZone: string; merchantIds: readonly string[] | null }): ParsedFilters {
  const problems: Partial<Record<Field, Problem>> = {};
  const read = (name: Field): string => {
    const value = query[name];
    if (value === undefined) return '';
    if (typeof value !== 'string') {
      problems[name] = 'repeated';
      return '';
    }
    return value.trim();
  };
  const values = Object.fromEntries(FILTER_FIELDS.map((name) => [name, read(name)])) as Record<FilterField, string>;
  // Only operators choose a merchant; for everyone else the parameter means nothing.
  if (options.merchantIds === null) {
    values.merchant = '';
    delete problems.merchant;
  }
  const text = (name: FilterField): string | null => {
    const value = values[name];
    if (value === '') return null;
    if (value.length > MAX_TEXT) {
      problems[name] = 'tooLong';
      return null;
    }
    return value;
  };
  const choice = <T extends string>(name: FilterField, allowed: readonly T[]): T | null => {
    const value = values[name];
    if (value === '') return null;
    if (oneOf(allowed, value)) return value;
    problems[name] = 'badChoice';
    return null;
  };
  const day = (name: 'from' | 'to'): number | null => {
    const value = values[name];
    if (value === '') return null;
    if (isCalendarDate(value)) return startOfLocalDay(value, options.timeZone);
    problems[name] = 'badDate';
    return null;
  };

  const from = day('from');
  const to = day('to');
  if (from !== null && to !== null && from > to) problems.from = 'fromAfterTo';
  const choices = gatewayChoices();
  const filters: TransactionFilters = {
    merchant: options.merchantIds === null ? null : choice('merchant', options.merchantIds),
    type: choice('type', TRANSACTION_TYPES),
    state: choice('state', TRANSACTION_STATES),
    gateway: choice('gateway', [...choices.pos, ...choices.chop]),
    createdGte: from,
    // `to` is inclusive: everything before the next day starts.
    createdLt: to === null ? null : startOfLocalDay(nextDay(values.to), options.timeZone),
    posId: text('pos_id'),
    mchLevel1: text('mch_level_1'),
    mchLevel2: text('mch_level_2'),
    mchLevel3: text('mch_level_3'),
    q: text('q'),
  };

  const sizeText = read('size');
  let size = DEFAULT_PAGE_SIZE;
  if (sizeText !== '') {
    size = /^\d{1,3}$/.test(sizeText) ? Number(sizeText) : 0;
    if (size < 1 || size > MAX_PAGE_SIZE) {
      problems.size = 'badSize';
      size = DEFAULT_PAGE_SIZE;
    }
  }
  const after = read('after');
  const afterSeq = after === '' ? null : decodeCursor(after);
  if (after !== '' && afterSeq === null) problems.after = 'badCursor';
  return { values, filters, size, afterSeq, after, problems };
}

function nextDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
}

/** Whether any filter (not paging) is set. */
export const hasFilters = (values: Readonly<Record<FilterField, string>>): boolean => FILTER_FIELDS.some((name) => values[name] !== '');

/** `?a=b&…` of the non-empty filters plus extras (e.g. the cursor); '' when there is nothing. */
export function queryString(values: Readonly<Record<FilterField, string>>, extra: Readonly<Record<string, string>> = {}): string {
  const params = new URLSearchParams();
  for (const name of FILTER_FIELDS) if (values[name] !== '') params.set(name, values[name]);
  for (const [name, value] of Object.entries(extra)) if (value !== '') params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
