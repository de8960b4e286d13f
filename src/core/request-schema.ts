/**
 * Request shapes are TypeBox schemas: one object per shape is the validator
 * (compiled by ajv), the TypeScript type (Static), the OpenAPI schema (/docs)
 * and, through `says`, the messages a refusal gives. This file turns ajv's
 * errors into those messages, one per field, in the order the schema lists
 * its fields (the order clients have always seen).
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type Options } from 'ajv';

/** What a refusal of one field says; `value` is the field's value (undefined when missing). */
export type Message = string | ((value: unknown, error: ErrorObject) => string);

/**
 * A field's messages by ajv keyword (`required`, `type`, `maxLength`, …); `default` answers any other.
 * `M` is what an API says (the CHOP APIs pair each message with a code).
 */
export interface Messages<M = Message> {
  readonly default: M;
  readonly [keyword: string]: M | undefined;
}

// A symbol: invisible to ajv's strict mode and to the OpenAPI document (JSON); enumerable, so TypeBox's copies (Type.Optional) keep it.
const MESSAGES = Symbol('cancan.request-schema.messages');

/** Attaches the messages a refusal of this field gives; returns the same schema. */
export function says<T extends TSchema, M = Message>(schema: T, messages: Messages<NoInfer<M>>): T {
  Object.defineProperty(schema, MESSAGES, { value: messages, enumerable: true });
  return schema;
}

/** What a refused field's schema says for the keyword that refused it (`default` for any other); undefined when it carries no messages. */
export function saidFor<M = Message>(refusal: FieldRefusal): M | undefined {
  const schema = refusal.schema;
  const messages = typeof schema === 'object' && schema !== null ? (schema as { [MESSAGES]?: Messages<M> })[MESSAGES] : undefined;
  return messages ? (messages[refusal.keyword] ?? messages.default) : undefined;
}

/** One refused field: its JSON pointer, the ajv keyword and the schema of the field. */
export interface FieldRefusal {
  readonly pointer: string;
  readonly keyword: string;
  readonly value: unknown;
  readonly schema: unknown;
  readonly error: ErrorObject;
}

const escape = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/** The value at a JSON pointer of `data` (undefined when absent). */
function valueAt(data: unknown, pointer: string): unknown {
  let value = data;
  for (const step of pointer.split('/').slice(1)) {
    const name = step.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/** The pointers of a schema's fields, depth first, in the order the schema lists them. */
function fieldOrder(schema: TSchema, prefix = '', order: string[] = []): string[] {
  order.push(prefix);
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  for (const [name, property] of Object.entries(properties)) fieldOrder(property, `${prefix}/${escape(name)}`, order);
  return order;
}

// allErrors: every problem of a request at once. verbose: each error names the schema object it comes from (its messages).
// No coercion (but of query strings, on a copy), defaults or removal: the data is checked as the route will read it, never changed.
// unicode:false counts string length in UTF-16 units, as JavaScript's `.length` does.
const OPTIONS: Options = {
  strict: true,
  allowUnionTypes: true,
  allErrors: true,
  verbose: true,
  unicode: false,
  useDefaults: false,
  removeAdditional: false,
  coerceTypes: false,
};
/** ajv's console logger, without its notice that `unicode` is deprecated (still honoured by ajv 8). */
const logger = {
  log: console.log,
  warn: (...args: unknown[]) => (String(args[0]).includes('option unicode') ? undefined : console.warn(...args)),
  error: console.error,
};
const ajv = new Ajv({ ...OPTIONS, logger });
/** Query strings are text: "25" is an integer page size. Coercion writes into the value, so it runs on a copy (compileText). */
const textAjv = new Ajv({ ...OPTIONS, coerceTypes: true, logger });

/** A compiled request shape: the refused fields of a value, one per field, in the schema's order (empty when it fits). */
export type Check = (data: unknown) => FieldRefusal[];

export function compileRequest(schema: TSchema): Check {
  return compileWith(ajv, schema);
}

/** A compiled query string: the value read as the schema's types (a copy; numbers from text), and its refusals. */
export type TextCheck<T> = (data: unknown) => { readonly value: T; readonly refusals: FieldRefusal[] };

/**
 * Compiles the shape of a query string, whose values are text (a list of
 * texts for a parameter sent twice): each is read as its schema's type
 * (`"25"` → 25) before it is checked.
 */
export function compileText<S extends TSchema>(schema: S): TextCheck<Static<S>> {
  const check = compileWith(textAjv, schema, nonFinite);
  return (data) => {
    const value = structuredClone(data);
    return { value, refusals: check(value) };
  };
}

/**
 * ajv reads "Infinity" and "1e400" as numbers when it coerces, then skips the
 * range rules for them: they are refused by `type`, as ajv refuses a
 * non-finite number it did not coerce.
 */
function nonFinite(schema: TSchema, data: unknown): ErrorObject[] {
  if (typeof data !== 'object' || data === null) return [];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  return Object.entries(properties).flatMap(([name, property]): ErrorObject[] => {
    const value = (data as Record<string, unknown>)[name];
    if (typeof value !== 'number' || Number.isFinite(value)) return [];
    const type: unknown = property.type;
    return [
      {
        instancePath: `/${escape(name)}`,
        schemaPath: '#/type',
        keyword: 'type',
        params: { type },
        message: `must be ${String(type)}`,
        parentSchema: property,
        data: value,
      },
    ];
  });
}

/** `more` finds errors ajv does not (with the data as ajv left it). */
function compileWith(compiler: Ajv, schema: TSchema, more: (schema: TSchema, data: unknown) => ErrorObject[] = () => []): Check {
  const validate = compiler.compile(schema);
  const order = fieldOrder(schema);
  const rank = (pointer: string) => {
    const index = order.indexOf(pointer);
    return index === -1 ? order.length : index;
  };
  return (data) => {
    const errors = [...(validate(data) ? [] : (validate.errors ?? [])), ...more(schema, data)];
    if (errors.length === 0) return [];
    const byField = new Map<string, FieldRefusal>();
    for (const error of errors) {
      const missing = (error.params as { missingProperty?: unknown }).missingProperty;
      const pointer = typeof missing === 'string' ? `${error.instancePath}/${escape(missing)}` : error.instancePath;
      // A missing field's messages are on the field's schema; any other error's on the schema that refused.
      const fieldSchema =
        typeof missing === 'string' ? (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties?.[missing] : error.parentSchema;
      // The first error of a field speaks for it (ajv checks `type` before the type's own rules).
      if (!byField.has(pointer)) byField.set(pointer, { pointer, keyword: error.keyword, value: valueAt(data, pointer), schema: fieldSchema, error });
    }
    return [...byField.values()].sort((a, b) => rank(a.pointer) - rank(b.pointer));
  };
}

/** The message a field's schema gives for a refusal; ajv's own wording when the schema carries none. */
export function messageFor(refusal: FieldRefusal): string {
  const message = saidFor<Message>(refusal);
  if (typeof message === 'function') return message(refusal.value, refusal.error);
  if (typeof message === 'string') return message;
  return `${refusal.pointer.split('/').pop() || 'the request'} ${refusal.error.message ?? 'is not valid'}`;
}
