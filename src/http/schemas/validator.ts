/**
 * The routes' validatorCompilers. Request bodies, query strings and the
 * Idempotency-Key header are validated by their own TypeBox schemas, the
 * objects the OpenAPI document publishes (validate.ts, list-query.ts,
 * params.ts, idempotency.ts: rules.ts), which refuse with the messages
 * clients rely on. Any other part (path parameters, `Prefer`) is checked
 * against its route schema alone, its refusal worded from ajv's and logged.
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
}

export interface RouteRules {
  readonly parts?: Partial<Record<HttpPart, PartRules>>;
  /** The envelope for a refusal of a part without its own validator. */
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
    const validate = rules.parts?.[part]?.validate;
    if (validate) {
      return (data: unknown) => {
        const error = validate(data);
        return error ? { error } : {};
      };
    }
    const check = compileCheck(schema, part);
    return (data: unknown) => {
      const problem = check(data);
      return problem === null ? {} : { error: rules.refuse(part, problem) };
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
