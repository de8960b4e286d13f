/**
 * LINE Pay request authentication (docs/providers.md, "LINE Pay"; LINE Pay
 * Offline API documents, "Prerequisites" and "Request header"). LINE Pay
 * answers are not signed: only requests carry credentials. The API version
 * decides the scheme (version.ts):
 *
 * - v2: `X-LINE-ChannelId` and `X-LINE-ChannelSecret` (the secret itself, over TLS).
 * - v4: `X-LINE-ChannelId`, `X-LINE-Authorization-Nonce` (a UUID)
 *   and `X-LINE-Authorization` = base64(HMAC-SHA256(key = channel secret,
 *   message = channel secret + API path + (request body for POST | query
 *   string without "?" for GET; "" when there is none) + nonce)).
 *
 * Both take `X-LINE-MerchantDeviceProfileId` and `X-LINE-MerchantDeviceType`
 * (documented as a pair) when the merchant's credentials name a device.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { LinePayCredentials } from './adapter.js';
import type { LinePayApiVersion } from './version.js';

export const HEADER_CHANNEL_ID = 'X-LINE-ChannelId';
export const HEADER_CHANNEL_SECRET = 'X-LINE-ChannelSecret';
export const HEADER_NONCE = 'X-LINE-Authorization-Nonce';
export const HEADER_AUTHORIZATION = 'X-LINE-Authorization';
export const HEADER_DEVICE_PROFILE_ID = 'X-LINE-MerchantDeviceProfileId';
export const HEADER_DEVICE_TYPE = 'X-LINE-MerchantDeviceType';

/**
 * The v4 signature. `payload` is the exact JSON text sent as the body of a
 * POST, or the query string (without "?") of a GET; "" when there is none.
 */
export function signV4(channelSecret: string, apiPath: string, payload: string, nonce: string): string {
  return createHmac('sha256', channelSecret).update(`${channelSecret}${apiPath}${payload}${nonce}`, 'utf8').digest('base64');
}

/**
 * The authentication (and device) headers of one request, in the scheme of the
 * credentials' API version. A fresh random UUID nonce is used unless one is given (tests).
 */
export function authHeaders(credentials: LinePayCredentials, apiPath: string, payload: string, nonce: string = randomUUID()): Record<string, string> {
  return { ...credentialHeaders(credentials, apiPath, payload, nonce), ...deviceHeaders(credentials) };
}

/** The device headers, sent only as the documented pair. */
export function deviceHeaders(credentials: LinePayCredentials): Record<string, string> {
  const { merchantDeviceProfileId: profileId, merchantDeviceType: type } = credentials;
  return profileId !== undefined && type !== undefined ? { [HEADER_DEVICE_PROFILE_ID]: profileId, [HEADER_DEVICE_TYPE]: type } : {};
}

function credentialHeaders(credentials: LinePayCredentials, apiPath: string, payload: string, nonce: string): Record<string, string> {
  switch (credentials.authScheme) {
    case 'v2':
      return { [HEADER_CHANNEL_ID]: credentials.channelId, [HEADER_CHANNEL_SECRET]: credentials.channelSecret };
    case 'v4':
      return {
        [HEADER_CHANNEL_ID]: credentials.channelId,
        [HEADER_NONCE]: nonce,
        [HEADER_AUTHORIZATION]: signV4(credentials.channelSecret, apiPath, payload, nonce),
      };
    default: {
      const unreachable: never = credentials.authScheme;
      throw new Error(`unknown LINE Pay auth scheme ${String(unreachable)}`);
    }
  }
}

/** Received request headers, as HTTP servers give them (names in lowercase). */
export type ReceivedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type AuthCheck =
  { readonly ok: true; readonly channel: LinePayCredentials; readonly scheme: LinePayApiVersion } | { readonly ok: false; readonly reason: string };

/**
 * What the simulator does with a request's headers: find the channel, then
 * accept the scheme of the path's API version and only that one: a v4
 * signature on /v4 paths, the channel secret on /v2 paths. A request that
 * mixes them (a signature on a v2 path, a secret on a v4 path) is refused.
 * Comparisons are constant-time.
 */
export function verifyRequest(
  headers: ReceivedHeaders,
  channels: readonly LinePayCredentials[],
  apiPath: string,
  payload: string,
  version: LinePayApiVersion,
): AuthCheck {
  const channelId = single(headers, HEADER_CHANNEL_ID);
  if (channelId === undefined) return { ok: false, reason: `${HEADER_CHANNEL_ID} is missing` };
  const channel = channels.find((candidate) => candidate.channelId === channelId);
  if (channel === undefined) return { ok: false, reason: 'unknown channel' };

  const signature = single(headers, HEADER_AUTHORIZATION);
  const nonce = single(headers, HEADER_NONCE);
  const secret = single(headers, HEADER_CHANNEL_SECRET);
  if (version === 'v2' && (signature !== undefined || nonce !== undefined)) return { ok: false, reason: `${version} takes no v4 signature headers` };
  if (version === 'v4' && secret !== undefined) return { ok: false, reason: `${version} takes no ${HEADER_CHANNEL_SECRET}` };
  if (version === 'v4') {
    // LINE Pay asks for a UUID v1/v4 or a timestamp: any 1–36 printable characters here.
    if (nonce === undefined || !/^[\x21-\x7e]{1,36}$/.test(nonce)) return { ok: false, reason: `${HEADER_NONCE} is missing or invalid` };
    if (signature === undefined) return { ok: false, reason: `${HEADER_AUTHORIZATION} is missing` };
    const expected = signV4(channel.channelSecret, apiPath, payload, nonce);
    return constantTimeEqual(signature, expected) ? { ok: true, channel, scheme: 'v4' } : { ok: false, reason: 'signature does not verify' };
  }
  if (secret === undefined) return { ok: false, reason: 'no credentials' };
  return constantTimeEqual(secret, channel.channelSecret) ? { ok: true, channel, scheme: 'v2' } : { ok: false, reason: 'channel secret does not match' };
}

/** Equal strings, compared in time that does not depend on where they differ. */
export function constantTimeEqual(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time the same either way.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}

function single(headers: ReceivedHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined || typeof value === 'string') return value === '' ? undefined : value;
  return value.length === 1 ? value[0] : undefined;
}
