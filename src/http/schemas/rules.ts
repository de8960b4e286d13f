/**
 * How each API checks a request part: bodies, query strings and the
 * Idempotency-Key header by the parser built on their TypeBox schema (the one
 * /docs publishes), refused in the API's envelope with the parser's messages.
 * The routes' validatorCompilers.
 */
import { ChopError, type Params, toParams } from '../../chop/params.js';
import type { Logger } from '../../core/deps.js';
import { validateTransactionRequest } from '../../core/validate.js';
import { ApiError } from '../../domain/errors.js';
import { parseIdempotencyKey } from '../idempotency.js';
import { parseListQuery } from '../routes/list-query.js';
import { type HttpPart, type PartRules, parameterOf, routeValidator } from './validator.js';

/** Runs a parser for its refusal: the error of the expected kind, or null when it accepts. */
function refusalOf<E extends Error>(kind: new (...args: never[]) => E, parse: () => unknown): E | null {
  try {
    parse();
    return null;
  } catch (error) {
    if (error instanceof kind) return error;
    throw error;
  }
}

/** The POS request parts: validate.ts's schemas for bodies (amounts held to maxAmountMajor), list-query.ts's for the list's query string. */
const posParts = (maxAmountMajor?: number): Partial<Record<HttpPart, PartRules>> => ({
  body: {
    validate: (body) => {
      const validated = validateTransactionRequest(body ?? undefined, maxAmountMajor);
      return validated.ok ? null : new ApiError(400, validated.errors);
    },
  },
  querystring: { validate: (query) => refusalOf(ApiError, () => parseListQuery(query as Record<string, unknown>)) },
});

/** The POS routes' validatorCompiler: the blueprint's envelope. */
export function posValidator(log: Logger, maxAmountMajor?: number) {
  return routeValidator({
    parts: posParts(maxAmountMajor),
    refuse: (part, error) => {
      log.warn({ part, keyword: error.keyword, path: error.instancePath }, 'refused by the schema alone: a request part without its own validator');
      const where = part === 'body' ? { pointer: error.instancePath } : { parameter: parameterOf(error) };
      return new ApiError(400, { code: 'attribute_error', detail: `${parameterOf(error)} ${error.message ?? 'is not valid'}`, ...where });
    },
  });
}

/** The parsers of a CHOP route's body and query string (params.ts). */
export interface ChopParsers {
  readonly body?: (params: Params) => unknown;
  readonly query?: (query: Record<string, unknown>) => unknown;
}

/** The parts of a CHOP route, each checked by its parser alone (built on the schema /docs publishes). */
export function chopParts({ body, query }: ChopParsers): Partial<Record<HttpPart, PartRules>> {
  return {
    ...(body ? { body: { validate: (data: unknown) => refusalOf(ChopError, () => body(toParams(data))) } } : {}),
    ...(query ? { querystring: { validate: (data: unknown) => refusalOf(ChopError, () => query(data as Record<string, unknown>)) } } : {}),
    // Only the routes whose schema has headers (the Idempotency-Key) check them.
    headers: { validate: (data: unknown) => refusalOf(ChopError, () => parseIdempotencyKey(data as Record<string, unknown>)) },
  };
}

/** A CHOP route's validatorCompiler: `{"result":"fail","error","code"}`. */
export function chopValidator(log: Logger, parsers: ChopParsers) {
  return routeValidator({
    parts: chopParts(parsers),
    refuse: (part, error) => {
      log.warn({ part, keyword: error.keyword, path: error.instancePath }, 'refused by the schema alone: a request part without its own parser');
      return new ChopError(400, 'invalid_parameter', `${parameterOf(error)} ${error.message ?? 'is not valid'}`);
    },
  });
}
