/**
 * The list endpoint's query string (filter[...], page[...]), defined once:
 * LIST_QUERY is the validator (ajv, values read from text), the TypeScript
 * type, the OpenAPI parameters (src/http/schemas/pos.ts publishes it) and,
 * parameter by parameter, the messages of a refusal. Two rules sit beside it:
 * a time must be a real calendar time, a cursor must be one CanCan made.
 */
import { type TSchema, Type } from '@sinclair/typebox';
import { type ListFilters, decodeCursor } from '../../core/list-transactions.js';
import { compileText, messageFor, says } from '../../core/request-schema.js';
import { ApiError, type ErrorItem } from '../../domain/errors.js';
import { POS_TRANSACTION_TYPES, TRANSACTION_STATES, type TransactionState, type TransactionType } from '../../domain/states.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/** A parameter sent twice arrives as an array (an object from other parsers): refused as such, whatever else is wrong. */
function parameter<T extends TSchema>(name: string, schema: T, refused: string): T {
  return says(schema, { type: (value) => (typeof value === 'object' ? `${name} must be given once` : refused), default: refused });
}

const timeRefused = (name: string) => `${name} must be an ISO 8601 time such as 2024-01-31T00:00:00Z`;
// The pattern is what a schema can say; the time itself is read by timeOf below.
const time = (name: string, description: string) =>
  Type.Optional(
    parameter(
      name,
      Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}', description: `${description} An ISO 8601 time such as 2024-01-31T00:00:00Z.` }),
      timeRefused(name),
    ),
  );
const text = (name: string, description?: string) =>
  Type.Optional(parameter(name, Type.String(description ? { description } : {}), `${name} must be given once`));

// Parameters in the order their problems are reported.
export const LIST_QUERY = Type.Object({
  'filter[type]': Type.Optional(
    parameter(
      'filter[type]',
      Type.Unsafe<TransactionType>({ type: 'string', enum: [...POS_TRANSACTION_TYPES], description: 'Only transactions of this kind.' }),
      `filter[type] must be one of ${POS_TRANSACTION_TYPES.join(', ')}`,
    ),
  ),
  'filter[state]': Type.Optional(
    parameter(
      'filter[state]',
      Type.Unsafe<TransactionState>({
        type: 'string',
        enum: [...TRANSACTION_STATES],
        description: 'Only transactions in this state.',
        examples: ['succeeded'],
      }),
      `filter[state] must be one of ${TRANSACTION_STATES.join(', ')}`,
    ),
  ),
  'page[size]': Type.Optional(
    parameter(
      'page[size]',
      Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'How many transactions a page holds.' }),
      `page[size] must be an integer from 1 to ${MAX_PAGE_SIZE}`,
    ),
  ),
  'page[after]': text('page[after]', 'A cursor from `links.next`.'),
  'filter[payment_gateway]': text('filter[payment_gateway]', 'Only transactions through this gateway.'),
  'filter[pos_id]': text('filter[pos_id]', 'Only transactions from this POS (`pos_id`).'),
  'filter[created_at][gte]': time('filter[created_at][gte]', 'Created at or after.'),
  'filter[created_at][lt]': time('filter[created_at][lt]', 'Created before.'),
});
type ListParameter = keyof typeof LIST_QUERY.properties;
const PARAMETERS = Object.keys(LIST_QUERY.properties) as ListParameter[];

const checkListQuery = compileText(LIST_QUERY);

/** The parameters as the list reads them: an empty one (`filter[state]=`) is absent. */
export function presentQuery(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== ''));
}

/** A time the pattern let through, in ms; null when it is no real time (Date.parse rolls 2024-02-30 over to March: refused instead). */
function timeOf(value: string): number | null {
  const ms = Date.parse(value);
  const date = value.slice(0, 10);
  const realDate = !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
  return realDate && !Number.isNaN(ms) ? ms : null;
}

export function parseListQuery(raw: Record<string, unknown>): ListFilters {
  const { value: query, refusals } = checkListQuery(presentQuery(raw));
  const refused = new Map<string, string>(refusals.map((refusal) => [refusal.pointer.slice(1), messageFor(refusal)]));
  const accepted = <P extends ListParameter>(name: P) => (refused.has(name) ? undefined : query[name]);

  const gte = accepted('filter[created_at][gte]');
  const lt = accepted('filter[created_at][lt]');
  const after = accepted('page[after]');
  const filters: ListFilters = {
    type: accepted('filter[type]') ?? null,
    state: accepted('filter[state]') ?? null,
    gateway: accepted('filter[payment_gateway]') ?? null,
    posId: accepted('filter[pos_id]') ?? null,
    createdGte: gte === undefined ? null : timeOf(gte),
    createdLt: lt === undefined ? null : timeOf(lt),
    size: accepted('page[size]') ?? DEFAULT_PAGE_SIZE,
    after: after ?? null,
  };
  // The rules beside the schema, for what it accepted.
  if (gte !== undefined && filters.createdGte === null) refused.set('filter[created_at][gte]', timeRefused('filter[created_at][gte]'));
  if (lt !== undefined && filters.createdLt === null) refused.set('filter[created_at][lt]', timeRefused('filter[created_at][lt]'));
  if (after !== undefined && decodeCursor(after) === null) refused.set('page[after]', 'page[after] is not a cursor from links.next');

  const errors = PARAMETERS.flatMap((name): ErrorItem[] => {
    const detail = refused.get(name);
    return detail === undefined ? [] : [{ code: 'attribute_error', detail, parameter: name }];
  });
  if (errors.length > 0) throw new ApiError(400, errors);
  return filters;
}
