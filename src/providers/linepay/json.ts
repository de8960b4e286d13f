/**
 * LINE Pay JSON, without losing transaction ids. LINE Pay writes
 * `transactionId` and `refundTransactionId` as bare 19-digit JSON numbers
 * (e.g. 2019049910005496810), beyond Number.MAX_SAFE_INTEGER: JSON.parse
 * would silently change them. Node 20's JSON.parse has no access to the
 * source text of a number, so the text is first rewritten: the number token
 * that is the value of one of those keys is put in quotes, then the standard
 * parser does the rest. Every other number (amounts) stays a number.
 *
 * Writing goes the other way: a `BareInteger` is written as its digits,
 * without quotes, exactly as LINE Pay does.
 */

/** Keys whose integer values are ids, kept as strings of digits. */
const ID_KEYS: ReadonlySet<string> = new Set(['transactionId', 'refundTransactionId']);

export class LinePayJsonError extends Error {
  override readonly name = 'LinePayJsonError';
}

/** Parses LINE Pay JSON; ids under ID_KEYS come back as strings. Throws LinePayJsonError on malformed text. */
export function parseLinePayJson(text: string): unknown {
  try {
    return JSON.parse(quoteIdNumbers(text));
  } catch (error) {
    if (error instanceof LinePayJsonError) throw error;
    throw new LinePayJsonError(error instanceof Error ? error.message : 'malformed JSON');
  }
}

/**
 * The text with every number token that is the value of an ID_KEYS key put in
 * quotes. Only number tokens directly after `"key":` change; strings are
 * skipped whole (escapes included), so nothing inside them is touched, and
 * malformed input stays malformed for JSON.parse to reject.
 */
export function quoteIdNumbers(text: string): string {
  let result = '';
  let index = 0;
  let lastString: string | null = null; // raw text of the last string token
  let pendingKey: string | null = null; // the key whose value comes next, after its ':'
  let previous = ''; // the last significant character outside strings
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === '"') {
      const end = endOfString(text, index);
      lastString = text.slice(index, end);
      result += lastString;
      index = end;
      previous = '"';
      continue;
    }
    if (char === ':' && previous === '"' && lastString !== null) {
      pendingKey = decodeKey(lastString);
    } else if (isNumberStart(char) && previous === ':' && pendingKey !== null && ID_KEYS.has(pendingKey)) {
      let end = index;
      while (end < text.length && /[0-9eE+\-.]/.test(text.charAt(end))) end += 1;
      result += `"${text.slice(index, end)}"`;
      index = end;
      previous = '0';
      continue;
    }
    if (!/\s/.test(char)) previous = char;
    result += char;
    index += 1;
  }
  return result;
}

/** Index just past the string token starting at `start` (which is a '"'). */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else index += 1;
  }
  throw new LinePayJsonError('unterminated string');
}

function decodeKey(rawString: string): string {
  const decoded: unknown = JSON.parse(rawString); // handles escapes such as \u0074ransactionId
  if (typeof decoded !== 'string') throw new LinePayJsonError('malformed key');
  return decoded;
}

function isNumberStart(char: string): boolean {
  return char === '-' || (char >= '0' && char <= '9');
}

// ---------------------------------------------------------------- writing

/** An integer written as bare digits, however long (LINE Pay's transaction ids). */
export class BareInteger {
  constructor(readonly digits: string) {
    if (!/^-?(?:0|[1-9]\d*)$/.test(digits)) throw new RangeError(`not an integer: ${JSON.stringify(digits)}`);
  }
}

export type JsonWritable = null | boolean | number | string | BareInteger | readonly JsonWritable[] | { readonly [key: string]: JsonWritable | undefined };

/** JSON text like JSON.stringify (undefined object members left out), BareIntegers as bare digits. */
export function stringifyLinePayJson(value: JsonWritable): string {
  if (value instanceof BareInteger) return value.digits;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a JSON number: ${value}`);
    return JSON.stringify(value);
  }
  if (isList(value)) return `[${value.map(stringifyLinePayJson).join(',')}]`;
  const members: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${stringifyLinePayJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

function isList(value: JsonWritable): value is readonly JsonWritable[] {
  return Array.isArray(value);
}

// ---------------------------------------------------------------- reading helpers

export type JsonObject = { readonly [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringMember(object: JsonObject, key: string): string | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function numberMember(object: JsonObject, key: string): number | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function member(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
