/**
 * Alipay Open Platform RSA2 signatures (docs/providers.md, "Alipay"; Alipay's
 * "签名" / "验签" guides).
 *
 * Requests: every parameter except `sign` (so `sign_type` IS signed), empty
 * values dropped, sorted by name in ASCII order, joined as `k=v` with `&`
 * using the raw (unencoded) values; SHA256withRSA with the app private key;
 * base64.
 *
 * Responses: `{"<method with . → _>_response": {...}, "sign": "..."}`; the
 * signature covers the exact bytes of the inner value as they appear in the
 * body, so it is cut out of the raw text, never re-serialised.
 */
import { createSign, createVerify } from 'node:crypto';

/** Form parameters of one gateway call (values as sent, before URL encoding). */
export type AlipayParams = Readonly<Record<string, string | undefined>>;

/** Top-level string fields of a response's inner object. */
export type AlipayFields = Readonly<Record<string, string>>;

const ALGORITHM = 'RSA-SHA256'; // sign_type=RSA2

/** The string that gets signed: `k=v&...`, sorted, without `sign` and empty values. */
export function signingString(params: AlipayParams): string {
  return (
    Object.keys(params)
      .filter((name) => name !== 'sign' && params[name] !== undefined && params[name] !== '')
      // Plain code-unit comparison: Alipay sorts by ASCII, not by locale.
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => `${name}=${params[name] ?? ''}`)
      .join('&')
  );
}

/** SHA256withRSA over the UTF-8 bytes of `content`, base64. */
export function signText(content: string, privateKeyPem: string): string {
  return createSign(ALGORITHM).update(content, 'utf8').sign(privateKeyPem, 'base64');
}

/** Whether `signature` (base64) signs `content`; malformed keys or signatures are simply `false`. */
export function verifyText(content: string, signature: string, publicKeyPem: string): boolean {
  if (signature === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify(ALGORITHM).update(content, 'utf8').verify(publicKeyPem, signature, 'base64');
  } catch {
    return false;
  }
}

/** A copy of `params` with `sign` set (any previous `sign` replaced) and empty values left out. */
export function signParams(params: AlipayParams, appPrivateKeyPem: string): Record<string, string> {
  const signed: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (name !== 'sign' && value !== undefined && value !== '') signed[name] = value;
  }
  signed['sign'] = signText(signingString(signed), appPrivateKeyPem);
  return signed;
}

/** Whether `params.sign` is the app's signature of the other parameters. */
export function verifyParams(params: AlipayParams, appPublicKeyPem: string): boolean {
  const signature = params['sign'];
  return signature !== undefined && verifyText(signingString(params), signature, appPublicKeyPem);
}

/** `alipay.trade.pay` → `alipay_trade_pay_response`. */
export function responseKeyFor(method: string): string {
  return `${method.split('.').join('_')}_response`;
}

export const ERROR_RESPONSE_KEY = 'error_response';

/**
 * A signed response body, written the way Alipay writes it: the inner object
 * first, then `sign` over exactly the `innerJson` text.
 */
export function signedResponseBody(responseKey: string, innerJson: string, platformPrivateKeyPem: string): string {
  return `{${JSON.stringify(responseKey)}:${innerJson},"sign":${JSON.stringify(signText(innerJson, platformPrivateKeyPem))}}`;
}

export type OpenedResponse =
  | { readonly ok: true; readonly responseKey: string; readonly fields: AlipayFields }
  /**
   * `unsigned`: the fields of an answer that came without `sign` (untrusted; only its refusal code may be read),
   * under `unsignedKey` (`error_response` or the method's key).
   */
  | { readonly ok: false; readonly reason: string; readonly unsigned?: AlipayFields; readonly unsignedKey?: string };

/**
 * Reads a gateway answer to `method`: finds `<method>_response` (or
 * `error_response`), checks `sign` over its raw text with the Alipay public
 * key, and returns the inner object's string fields. Unsigned answers are
 * refused too: nothing in them can be trusted.
 */
export function openSignedResponse(body: string, method: string, alipayPublicKeyPem: string): OpenedResponse {
  const members = topLevelMembers(body);
  if (members === null) return { ok: false, reason: 'unparsable answer: not a JSON object with unique names' };
  const methodKey = responseKeyFor(method);
  const methodRaw = members.get(methodKey);
  const errorRaw = members.get(ERROR_RESPONSE_KEY);
  if (methodRaw !== undefined && errorRaw !== undefined) return { ok: false, reason: `answer has both ${methodKey} and ${ERROR_RESPONSE_KEY}` };
  const responseKey = methodRaw !== undefined ? methodKey : ERROR_RESPONSE_KEY;
  const raw = methodRaw ?? errorRaw;
  if (raw === undefined) return { ok: false, reason: `answer has no ${methodKey}` };
  const signRaw = members.get('sign');
  const signature: unknown = signRaw === undefined ? undefined : JSON.parse(signRaw);
  if (typeof signature !== 'string') {
    const inner: unknown = JSON.parse(raw);
    return { ok: false, reason: 'answer is not signed', ...(isJsonObject(inner) ? { unsigned: stringFields(inner), unsignedKey: responseKey } : {}) };
  }
  if (!verifyText(raw, signature, alipayPublicKeyPem)) return { ok: false, reason: 'response signature does not verify' };
  const inner: unknown = JSON.parse(raw);
  if (!isJsonObject(inner)) return { ok: false, reason: `${responseKey} is not an object` };
  return { ok: true, responseKey, fields: stringFields(inner) };
}

function isJsonObject(value: unknown): value is { readonly [name: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The string-valued members of a JSON object (Alipay sends its scalar fields as strings). */
function stringFields(value: { readonly [name: string]: unknown }): AlipayFields {
  const fields: Record<string, string> = {};
  for (const [name, member] of Object.entries(value)) {
    if (typeof member === 'string') fields[name] = member;
  }
  return fields;
}

// ---------------------------------------------------------------- raw member extraction

/**
 * The members of the top-level JSON object in `text`, each value as its exact
 * raw text (whitespace inside kept, none around it). Null when `text` is not
 * valid JSON, not an object, or names a member twice (which copy would the
 * signature cover?). Names are compared decoded, so `"\u0073ign"` is `sign`.
 */
export function topLevelMembers(text: string): ReadonlyMap<string, string> | null {
  try {
    // Validated first, so the scanner below can trust the syntax.
    return isJsonObject(JSON.parse(text)) ? scanMembers(text) : null;
  } catch {
    return null;
  }
}

function scanMembers(text: string): ReadonlyMap<string, string> | null {
  const members = new Map<string, string>();
  let at = skipWhitespace(text, 0) + 1; // past '{'
  at = skipWhitespace(text, at);
  if (text[at] === '}') return members;
  for (;;) {
    const nameEnd = skipString(text, at);
    const name: unknown = JSON.parse(text.slice(at, nameEnd));
    if (typeof name !== 'string' || members.has(name)) return null;
    at = skipWhitespace(text, nameEnd) + 1; // past ':'
    const valueStart = skipWhitespace(text, at);
    const valueEnd = skipValue(text, valueStart);
    members.set(name, text.slice(valueStart, valueEnd));
    at = skipWhitespace(text, valueEnd);
    if (text[at] === '}') return members;
    at = skipWhitespace(text, at + 1); // past ','
  }
}

/** The raw text of one top-level member's value, or null. */
export function rawMember(text: string, name: string): string | null {
  return topLevelMembers(text)?.get(name) ?? null;
}

function skipWhitespace(text: string, at: number): number {
  let position = at;
  while (position < text.length && ' \t\n\r'.includes(text.charAt(position))) position += 1;
  return position;
}

/** `at` is on the opening quote; returns the index just past the closing one (escapes skipped whole). */
function skipString(text: string, at: number): number {
  let position = at + 1;
  while (position < text.length) {
    const char = text[position];
    if (char === '\\') position += 2;
    else if (char === '"') return position + 1;
    else position += 1;
  }
  throw new SyntaxError('unterminated string');
}

/** Index just past the JSON value starting at `at`. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return skipString(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    let position = at;
    while (position < text.length) {
      const char = text[position];
      if (char === '"') {
        position = skipString(text, position);
        continue;
      }
      if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') depth -= 1;
      position += 1;
      if (depth === 0) return position;
    }
    throw new SyntaxError('unterminated container');
  }
  let position = at; // number, true, false, null
  while (position < text.length && !',}] \t\n\r'.includes(text.charAt(position))) position += 1;
  return position;
}
