/**
 * Alipay+ / Antom AMS message signatures (Antom "Sign a request and verify
 * the signature", docs.antom.com/ac/ams/digital_signature; the official
 * global-open-sdk-python `signature_tool.py`).
 *
 * Content signed, for requests and responses alike:
 *   `<HTTP method> <API path>\n<Client-Id>.<Request-Time | Response-Time>.<body>`
 * with SHA256withRSA (PKCS#1 v1.5), base64, then URL-encoded into the header
 *   `Signature: algorithm=RSA256,keyVersion=1,signature=<urlencoded base64>`.
 * The body is the exact text sent, so signer and verifier use the raw bytes,
 * never a re-serialisation.
 */
import { createSign, createVerify } from 'node:crypto';

const ALGORITHM = 'RSA-SHA256';
const SIGNATURE_ALGORITHM = 'RSA256';
const DEFAULT_KEY_VERSION = '1';

/** `POST /ams/api/v1/payments/pay\n<clientId>.<time>.<body>` */
export function signingContent(httpMethod: string, path: string, clientId: string, time: string, body: string): string {
  return `${httpMethod} ${path}\n${clientId}.${time}.${body}`;
}

/** SHA256withRSA over the UTF-8 bytes of `content`, base64 (not yet URL-encoded). */
export function signContent(content: string, privateKeyPem: string): string {
  return createSign(ALGORITHM).update(content, 'utf8').sign(privateKeyPem, 'base64');
}

/** Whether `signature` (base64) signs `content`; malformed keys or signatures are simply `false`. */
function verifyContent(content: string, signature: string, publicKeyPem: string): boolean {
  if (signature === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify(ALGORITHM).update(content, 'utf8').verify(publicKeyPem, signature, 'base64');
  } catch {
    return false;
  }
}

/** The `Signature` header value for a base64 signature (the SDKs URL-encode it, as `quote_plus` does). */
export function signatureHeader(base64Signature: string, keyVersion: string = DEFAULT_KEY_VERSION): string {
  return `algorithm=${SIGNATURE_ALGORITHM},keyVersion=${keyVersion},signature=${encodeURIComponent(base64Signature)}`;
}

export interface ParsedSignatureHeader {
  readonly algorithm: string;
  readonly keyVersion: string;
  /** Decoded base64. */
  readonly signature: string;
}

/** Reads `algorithm=RSA256,keyVersion=1,signature=...`; null when it is not of that shape. */
export function parseSignatureHeader(header: string | null | undefined): ParsedSignatureHeader | null {
  if (header === null || header === undefined) return null;
  const marker = header.indexOf('signature=');
  if (marker < 0) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(0, marker).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  let signature: string;
  try {
    // decodeURIComponent leaves a literal '+' alone, so an unencoded base64 signature survives too.
    signature = decodeURIComponent(header.slice(marker + 'signature='.length).trim());
  } catch {
    return null;
  }
  return { algorithm: fields.get('algorithm') ?? '', keyVersion: fields.get('keyVersion') ?? '', signature };
}

/** Signs a message and returns the complete `Signature` header. */
export function signMessage(message: { httpMethod: string; path: string; clientId: string; time: string; body: string }, privateKeyPem: string): string {
  const content = signingContent(message.httpMethod, message.path, message.clientId, message.time, message.body);
  return signatureHeader(signContent(content, privateKeyPem));
}

/** Whether a `Signature` header is a valid RSA256 signature of the message. */
export function verifyMessage(
  message: { httpMethod: string; path: string; clientId: string; time: string; body: string },
  header: string | null | undefined,
  publicKeyPem: string,
): boolean {
  const parsed = parseSignatureHeader(header);
  if (parsed === null || parsed.algorithm !== SIGNATURE_ALGORITHM) return false;
  const content = signingContent(message.httpMethod, message.path, message.clientId, message.time, message.body);
  return verifyContent(content, parsed.signature, publicKeyPem);
}

/**
 * The `request-time` header: epoch milliseconds, as Antom's API overview shows
 * it (`request-time: 1685599933871`, "accurate to milliseconds") and the Java
 * SDK sends it (`System.currentTimeMillis()`).
 */
export function requestTime(epochMs: number): string {
  return String(Math.trunc(epochMs));
}

/**
 * Epoch ms of a `request-time` header: epoch milliseconds (the documented form)
 * or an ISO 8601 date-time with an offset (what the Python SDK still sends); null otherwise.
 */
export function parseRequestTime(text: string | undefined | null): number | null {
  if (typeof text === 'string' && /^\d{13}$/.test(text)) return Number(text);
  return parseIsoTime(text);
}

/**
 * ISO 8601 with an explicit offset, second precision, in UTC: `2024-05-13T09:49:20+00:00`
 * (Antom's date-time fields such as paymentExpiryTime, and the simulator's `response-time`).
 */
export function isoTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}+00:00`;
}

/** Epoch ms of an ISO 8601 date-time that carries an offset (or Z); null otherwise. */
export function parseIsoTime(text: string | undefined | null): number | null {
  if (typeof text !== 'string') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : parsed;
}
