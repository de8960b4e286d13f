/**
 * UnionPay online payments (acp, protocol version 5.1.0) signatures and
 * message format.
 *
 * signMethod=01, version 5.1.0 (UnionPay's acp SDK, `SDKUtil.sign` /
 * `SDKUtil.validate` and `coverMap2String`): every field except `signature`
 * (so `signMethod`, `certId`, `signPubKeyCert` are all signed), sorted by name
 * (Java TreeMap: plain code-unit order), joined as `k=v` with `&` using raw
 * values; SHA-256 of that string as a lowercase hex string; SHA256withRSA over
 * the UTF-8 bytes of the hex string with the sender's private key; base64.
 * The SDK drops blank fields before signing a request (`filterBlank`), and
 * verifies answers over every field it received.
 *
 * Synchronous answers (backTransReq.do, queryTrans.do) are a raw, not
 * URL-encoded `k=v&k=v` string (`SDKUtil.convertResultStringToMap` /
 * `parseQString`, which keeps `&` inside `{...}` or `[...]` as part of the value).
 */
import { createHash, createSign, createVerify } from 'node:crypto';

/** The fields of one acp message (request, answer or notification). */
export type UnionPayFields = Readonly<Record<string, string>>;

const ALGORITHM = 'RSA-SHA256';

/** `k=v&...` sorted by name, every field but `signature`, raw values. */
export function signingString(fields: UnionPayFields): string {
  return Object.keys(fields)
    .filter((name) => name !== 'signature')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) // code-unit order, like Java's TreeMap<String, String>
    .map((name) => `${name}=${fields[name] ?? ''}`)
    .join('&');
}

/** Lowercase hex SHA-256 of the UTF-8 text (the SDK's `sha256X16`). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The base64 signature of `fields` (signMethod 01). */
export function signatureOf(fields: UnionPayFields, privateKeyPem: string): string {
  return createSign(ALGORITHM)
    .update(sha256Hex(signingString(fields)), 'utf8')
    .sign(privateKeyPem, 'base64');
}

/** A copy of `fields` without blank values, with `signature` set (any previous one replaced). */
export function signFields(fields: Readonly<Record<string, string | undefined>>, privateKeyPem: string): Record<string, string> {
  const signed: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'signature' && value !== undefined && value.trim() !== '') signed[name] = value;
  }
  signed['signature'] = signatureOf(signed, privateKeyPem);
  return signed;
}

/**
 * Whether `fields.signature` signs the other fields with the key whose public
 * half (PEM public key, or the X.509 certificate UnionPay sends as
 * `signPubKeyCert`) is given. Malformed keys or signatures are `false`.
 */
export function verifyFields(fields: UnionPayFields, publicKeyPem: string): boolean {
  const signature = fields['signature'];
  if (signature === undefined || signature === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  if (fields['signMethod'] !== '01') return false; // the only method this module speaks: never let an answer pick another
  try {
    return createVerify(ALGORITHM)
      .update(sha256Hex(signingString(fields)), 'utf8')
      .verify(publicKeyPem, signature, 'base64');
  } catch {
    return false;
  }
}

/** Writes an answer the way the gateway does: raw `k=v&k=v`, no URL encoding. */
export function formatAnswer(fields: UnionPayFields): string {
  return Object.entries(fields)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/**
 * Reads a raw `k=v&k=v` answer like the SDK's `parseQString`: the name runs to
 * the first `=`, the value to the next `&` outside `{...}` / `[...]`. Null
 * when the text is empty, a name is empty, or a name appears twice (which
 * copy would the signature cover?).
 */
export function parseAnswer(text: string): Record<string, string> | null {
  const body = text.trim();
  if (body === '') return null;
  const fields: Record<string, string> = {};
  let closer: string | null = null;
  let start = 0;
  const take = (end: number): boolean => {
    const pair = body.slice(start, end);
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    if (name === '' || Object.hasOwn(fields, name)) return false;
    fields[name] = equals < 0 ? '' : pair.slice(equals + 1);
    return true;
  };
  let inValue = false;
  for (let at = 0; at < body.length; at += 1) {
    const char = body[at];
    if (!inValue) {
      if (char === '=') inValue = true;
      else if (char === '&') return null; // a name without a value, then more
      continue;
    }
    if (closer !== null) {
      if (char === closer) closer = null;
      continue;
    }
    if (char === '{') closer = '}';
    else if (char === '[') closer = ']';
    else if (char === '&') {
      if (!take(at)) return null;
      start = at + 1;
      inValue = false;
    }
  }
  return take(body.length) ? fields : null;
}

/** Form fields from an `application/x-www-form-urlencoded` body; null when a name appears twice. */
export function parseForm(body: string): Record<string, string> | null {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, name)) return null;
    fields[name] = value;
  }
  return fields;
}
