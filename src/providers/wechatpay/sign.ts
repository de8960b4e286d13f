/**
 * WeChat Pay merchant API v2 signatures (docs/providers.md, "WeChat Pay: signatures"):
 * every non-empty field except `sign`, sorted by name in ASCII order, joined
 * as `k=v` with `&` using the raw (unescaped) values, then `&key=<API key>`.
 * The digest is MD5 of that string, or HMAC-SHA256 keyed by the API key when
 * `sign_type=HMAC-SHA256`; either way as uppercase hex. Responses are
 * verified the same way over every field received.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WireFields } from './xml.js';

export type WeChatSignType = 'MD5' | 'HMAC-SHA256';

/** `sign_type` field → sign type; an absent field means MD5 (the documented default). */
export function parseSignType(value: string | undefined): WeChatSignType | null {
  if (value === undefined || value === '' || value === 'MD5') return 'MD5';
  if (value === 'HMAC-SHA256') return 'HMAC-SHA256';
  return null;
}

/** The string that gets digested, without the trailing `&key=...`. */
export function canonicalString(fields: WireFields): string {
  return (
    Object.keys(fields)
      .filter((name) => name !== 'sign' && fields[name] !== undefined && fields[name] !== '')
      // Plain code-unit comparison: WeChat sorts by ASCII, not by locale.
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => `${name}=${fields[name] ?? ''}`)
      .join('&')
  );
}

export function signFields(fields: WireFields, apiKey: string, signType: WeChatSignType): string {
  const message = `${canonicalString(fields)}&key=${apiKey}`;
  const digest =
    signType === 'MD5' ? createHash('md5').update(message, 'utf8').digest('hex') : createHmac('sha256', apiKey).update(message, 'utf8').digest('hex');
  return digest.toUpperCase();
}

/** Whether `fields.sign` is the signature of the other fields (constant-time comparison). */
export function verifyFields(fields: WireFields, apiKey: string, signType: WeChatSignType): boolean {
  const received = fields['sign'];
  if (received === undefined || received === '') return false;
  const expected = Buffer.from(signFields(fields, apiKey, signType), 'utf8');
  // Uppercase hex is the documented form; accept lowercase the same way some SDKs do.
  const actual = Buffer.from(received.toUpperCase(), 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A copy of `fields` with `sign` set to their signature (any previous `sign` replaced). */
export function withSignature(fields: WireFields, apiKey: string, signType: WeChatSignType): Record<string, string> {
  const unsigned: Record<string, string> = { ...fields };
  delete unsigned['sign'];
  return { ...unsigned, sign: signFields(unsigned, apiKey, signType) };
}
