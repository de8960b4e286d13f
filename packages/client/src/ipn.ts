/**
 * Checks that an IPN came from CanCan. Two signatures come with each one:
 * the form's `sign` (the seed's MD5 with the API key that made the charge,
 * kept for Citcon clients) and the `CanCan-Signature` header (HMAC-SHA256 of
 * `<t>.<raw body>` keyed by the merchant's webhook secret, with a timestamp
 * against replays). Prefer the header.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'CanCan-Signature';

/** The form's fields from the raw body (`application/x-www-form-urlencoded`). */
export function parseIpn(rawBody: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody));
}

/** The seed's `sign`: MD5 over the fields named in `fields` plus `fields`, sorted by name, `name=value&` each, then `token=<api key>`. */
export function computeSign(fields: Readonly<Record<string, string>>, apiKey: string): string {
  const named = (fields.fields ?? '').split(',').filter(Boolean);
  const names = [...new Set([...named, 'fields'])].sort();
  const flat = names.map((name) => `${name}=${fields[name] ?? ''}&`).join('');
  return createHash('md5').update(`${flat}token=${apiKey}`, 'utf8').digest('hex');
}

/** True when the IPN's `sign` matches its fields for this API key. Only the fields named in `fields` are covered. */
export function verifySign(fields: Readonly<Record<string, string>>, apiKey: string): boolean {
  return typeof fields.sign === 'string' && equalText(fields.sign.toLowerCase(), computeSign(fields, apiKey));
}

export interface SignatureCheck {
  /** The raw body exactly as received (before any parsing). */
  readonly rawBody: string;
  /** The `CanCan-Signature` header. */
  readonly header: string | null | undefined;
  /** The merchant's webhook secret (`whsec_…`, on the dashboard's developers page). */
  readonly secret: string;
  /** How old a signature may be, in seconds (default 300). */
  readonly toleranceSeconds?: number;
  /** Now, in Unix seconds (default: the clock). */
  readonly now?: number;
}

/** True when `CanCan-Signature` is `t=<seconds>,v1=<hex>` with a matching HMAC and a `t` within the tolerance. */
export function verifySignature(check: SignatureCheck): boolean {
  const parts = new Map((check.header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = parts.get('t');
  if (!t || !/^\d+$/.test(t)) return false;
  const now = check.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(t)) > (check.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', check.secret).update(`${t}.${check.rawBody}`, 'utf8').digest('hex');
  // Several v1 values may come while a secret is being rolled: any may match.
  const given = (check.header ?? '').split(',').flatMap((part) => (part.trim().startsWith('v1=') ? [part.trim().slice(3)] : []));
  return given.some((mac) => equalText(mac, expected));
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
