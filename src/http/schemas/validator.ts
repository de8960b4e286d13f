/**
 * The routes' validatorCompilers. A request body is validated by its own
 * TypeBox schema, the object the OpenAPI document publishes (validate.ts,
 * params.ts): the schema refuses with the messages clients rely on. Query
 * strings and headers are checked against their JSON Schema; a refusal is
 * worded by the route's parser (list-query.ts, routes/chop.ts,
 * idempotency.ts: rules.ts). Only when the parser would accept what the
 * schema refuses (a drift the agreement tests rule out) is the error worded
 * from ajv's, and logged.
 */
import { Ajv, type AnySchema, type ErrorObject, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { CHOP_SCHEMAS } from './chop.js';
import { POS_SCHEMAS } from './pos.js';

export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

export interface PartRules {
  /**
   * The part's own validator, compiled from the schema the route publishes (src/core/validate.ts):
   * its refusal, or null when the part fits. When given, it alone decides.
   */
  readonly validate?: (data: unknown) => Error | null;
  /** Turns the raw part into what the schema describes (CHOP: trimmed form fields); may throw the route's own error. */
  readonly prepare?: (data: unknown) => unknown;
  /** The route's own refusal of the raw part, or null when it accepts it. */
  readonly explain?: (data: unknown) => Error | null;
}

export interface RouteRules {
  readonly parts?: Partial<Record<HttpPart, PartRules>>;
  /** The envelope for a refusal only the schema makes. */
  readonly refuse: (part: HttpPart, error: ErrorObject) => Error;
}

/** ajv's console logger, without its notice that `unicode` is deprecated (still honoured by ajv 8; the agreement tests would notice otherwise). */
const logger = {
  log: console.log,
  warn: (...args: unknown[]) => (String(args[0]).includes('option unicode') ? undefined : console.warn(...args)),
  error: console.error,
};
// No coercion, defaults or removal: the data is checked as the route will read it, never changed.
// unicode:false counts string length in UTF-16 units, as the parsers' `.length` does.
const OPTIONS: Options = { strict: true, allowUnionTypes: true, unicode: false, allErrors: false, useDefaults: false, removeAdditional: false, logger };
/** Bodies are checked as sent: the string "100" is not an integer amount. */
const bodyAjv = new Ajv({ ...OPTIONS, coerceTypes: false });
/** Query strings, path parameters and headers are text: "25" is an integer page size (checked on a copy). */
const textAjv = new Ajv({ ...OPTIONS, coerceTypes: true });
for (const ajv of [bodyAjv, textAjv]) {
  for (const schema of [...POS_SCHEMAS, ...CHOP_SCHEMAS]) ajv.addSchema(schema);
}

/** Compiles `schema` for a request part: the first ajv error of a value, or null when it fits. */
export function compileCheck(schema: AnySchema, part: HttpPart): (data: unknown) => ErrorObject | null {
  const body = part === 'body';
  const validate = (body ? bodyAjv : textAjv).compile(schema);
  return (data) => {
    // Coercion writes into the value: the text parts are checked on a copy.
    if (validate(body ? data : structuredClone(data))) return null;
    return validate.errors?.[0] ?? { keyword: 'unknown', instancePath: '', schemaPath: '', params: {}, message: 'is not valid' };
  };
}

/** A fastify validatorCompiler (route option) that checks every request part against its schema. */
export function routeValidator(rules: RouteRules): FastifySchemaCompiler<AnySchema> {
  return ({ schema, httpPart }) => {
    const part = (httpPart ?? 'body') as HttpPart;
    const { prepare, explain, validate } = rules.parts?.[part] ?? {};
    if (validate) {
      return (data: unknown) => {
        const error = validate(data);
        return error ? { error } : {};
      };
    }
    const check = compileCheck(schema, part);
    return (data: unknown) => {
      let prepared: unknown;
      try {
        prepared = prepare ? prepare(data) : data;
      } catch (error) {
        if (error instanceof Error) return { error };
        throw error;
      }
      const problem = check(prepared);
      if (problem === null) return {};
      return { error: explain?.(data) ?? rules.refuse(part, problem) };
    };
  };
}

/** Where an ajv error points, as a parameter name (`amount`, `filter[state]`). */
export function parameterOf(error: ErrorObject): string {
  const missing = (error.params as { missingProperty?: unknown }).missingProperty;
  if (typeof missing === 'string') return missing;
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((step) => step.replace(/~1/g, '/').replace(/~0/g, '~'));
  return path.join('.') || 'the request';
}

/** Serializes answers as before the schemas existed: response schemas document, they do not filter. */
export const plainJson = () => (data: unknown) => JSON.stringify(data);
