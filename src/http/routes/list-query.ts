/** Parses and checks the list endpoint's query parameters (filter[...], page[...]). */
import { type ListFilters, decodeCursor } from '../../core/list-transactions.js';
import { ApiError, type ErrorItem } from '../../domain/errors.js';
import { POS_TRANSACTION_TYPES, TRANSACTION_STATES, type TransactionState, type TransactionType } from '../../domain/states.js';

// Also the limits of the query's JSON Schema (src/http/schemas/pos.ts).
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

function oneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** The parameters as the parser reads them: an empty one (`filter[state]=`) is absent. */
export function presentQuery(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== ''));
}

export function parseListQuery(raw: Record<string, unknown>): ListFilters {
  const query = presentQuery(raw);
  const errors: ErrorItem[] = [];
  const text = (name: string): string | null => {
    const value = query[name];
    if (value === undefined) return null;
    if (typeof value !== 'string') {
      errors.push({ code: 'attribute_error', detail: `${name} must be given once`, parameter: name });
      return null;
    }
    return value;
  };
  const time = (name: string): number | null => {
    const value = text(name);
    if (value === null) return null;
    const ms = Date.parse(value);
    const date = /^(\d{4}-\d{2}-\d{2})/.exec(value)?.[1];
    // Date.parse rolls 2024-02-30 over to March; an impossible calendar date is refused instead.
    const realDate = date !== undefined && !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
    if (!realDate || Number.isNaN(ms)) {
      errors.push({ code: 'attribute_error', detail: `${name} must be an ISO 8601 time such as 2024-01-31T00:00:00Z`, parameter: name });
      return null;
    }
    return ms;
  };

  const typeText = text('filter[type]');
  let type: TransactionType | null = null;
  if (typeText !== null) {
    if (oneOf(POS_TRANSACTION_TYPES, typeText)) type = typeText;
    else errors.push({ code: 'attribute_error', detail: `filter[type] must be one of ${POS_TRANSACTION_TYPES.join(', ')}`, parameter: 'filter[type]' });
  }
  const stateText = text('filter[state]');
  let state: TransactionState | null = null;
  if (stateText !== null) {
    if (oneOf(TRANSACTION_STATES, stateText)) state = stateText;
    else errors.push({ code: 'attribute_error', detail: `filter[state] must be one of ${TRANSACTION_STATES.join(', ')}`, parameter: 'filter[state]' });
  }
  const sizeText = text('page[size]');
  let size = DEFAULT_PAGE_SIZE;
  if (sizeText !== null) {
    size = Number(sizeText);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      errors.push({ code: 'attribute_error', detail: `page[size] must be an integer from 1 to ${MAX_PAGE_SIZE}`, parameter: 'page[size]' });
    }
  }
  const after = text('page[after]');
  if (after !== null && decodeCursor(after) === null) {
    errors.push({ code: 'attribute_error', detail: 'page[after] is not a cursor from links.next', parameter: 'page[after]' });
  }
  const filters: ListFilters = {
    type,
    state,
    gateway: text('filter[payment_gateway]'),
    posId: text('filter[pos_id]'),
    createdGte: time('filter[created_at][gte]'),
    createdLt: time('filter[created_at][lt]'),
    size,
    after,
  };
  if (errors.length > 0) throw new ApiError(400, errors);
  return filters;
}
