/**
 * How each API answers a request part its schema refuses: with the refusal of
 * the parser the route has always used (its messages, its envelope), so
 * clients see the same errors as before the schemas. The routes' validatorCompilers.
 */
import { ChopError, type Params, toParams } from '../../chop/params.js';
import type { Logger } from '../../core/deps.js';
import { validateTransactionRequest } from '../../core/validate.js';
import { ApiError } from '../../domain/errors.js';
import { parseIdempotencyKey } from '../idempotency.js';
import { parseListQuery, presentQuery } from '../routes/list-query.js';
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

/** The POS request parts: validate.ts's schemas for bodies (amounts held to maxAmountMajor), list-query.ts for the list's query string. */
const posParts = (maxAmountMajor?: number): Partial<Record<HttpPart, PartRules>> => ({
  body: {
    validate: (body) => {
      const validated = validateTransactionRequest(body ?? undefined, maxAmountMajor);
      return validated.ok ? null : new ApiError(400, validated.errors);
    },
  },
  querystring: {
    prepare: (query) => presentQuery(query as Record<string, unknown>),
    explain: (query) => refusalOf(ApiError, () => parseListQuery(query as Record<string, unknown>)),
  },
});

/** The POS routes' validatorCompiler: the blueprint's envelope. */
export function posValidator(log: Logger, maxAmountMajor?: number) {
  return routeValidator({
    parts: posParts(maxAmountMajor),
    refuse: (part, error) => {
      log.warn({ part, keyword: error.keyword, path: error.instancePath }, 'refused by the schema alone: the validator and the schema disagree');
      const where = part === 'body' ? { pointer: error.instancePath } : { parameter: parameterOf(error) };
      return new ApiError(400, { code: 'attribute_error', detail: `${parameterOf(error)} ${error.message ?? 'is not valid'}`, ...where });
    },
  });
}

/** The parsers of a CHOP route's body (params.ts) and query string. */
export interface ChopParsers {
  readonly body?: (params: Params) => unknown;
  readonly query?: (query: Record<string, unknown>) => unknown;
}

/** The parts of a CHOP route: bodies by their parser; query strings and headers against their schema, refused with the parser's words. */
export function chopParts({ body, query }: ChopParsers): Partial<Record<HttpPart, PartRules>> {
  return {
    // The body parsers validate with the request schemas /docs publishes (params.ts): they alone decide.
    ...(body ? { body: { validate: (data: unknown) => refusalOf(ChopError, () => body(toParams(data))) } } : {}),
    ...(query ? { querystring: { explain: (data: unknown) => refusalOf(ChopError, () => query(data as Record<string, unknown>)) } } : {}),
    // Only the routes whose schema has headers (the Idempotency-Key) check them.
    headers: { explain: (data: unknown) => refusalOf(ChopError, () => parseIdempotencyKey(data as Record<string, unknown>)) },
  };
}

/** A CHOP route's validatorCompiler: `{"result":"fail","error","code"}`. */
export function chopValidator(log: Logger, parsers: ChopParsers) {
  return routeValidator({
    parts: chopParts(parsers),
    refuse: (part, error) => {
      log.warn({ part, keyword: error.keyword, path: error.instancePath }, 'refused by the schema alone: the parser and the schema disagree');
      return new ChopError(400, 'invalid_parameter', `${parameterOf(error)} ${error.message ?? 'is not valid'}`);
    },
  });
}
