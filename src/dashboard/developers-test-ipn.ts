/**
 * The developers page's "send test IPN": a sample notification of a paid
 * test charge, signed exactly as real IPNs are (the seed's `sign` with the
 * merchant's newest test key as token, and `CanCan-Signature` with the
 * webhook secret), posted once through the same SSRF guard as deliveries.
 * Nothing is stored but the audit entry; the outcome says why it failed.
 */
import { SIGNATURE_HEADER, signIpn, signatureHeader, webhookSecret } from '../chop/ipn.js';
import { formatIpnTime } from '../chop/checkout-data.js';
import { postForm } from '../chop/ipn-post.js';
import { DestinationRefused, HostUnresolved, guardOf } from '../chop/url-guard.js';
import type { CoreDeps } from '../core/deps.js';
import { randomHex } from '../domain/ids.js';

const EXCERPT_BYTES = 200;

export type TestIpnOutcome =
  | { readonly kind: 'delivered'; readonly url: string; readonly status: number; readonly latencyMs: number }
  | { readonly kind: 'rejected'; readonly url: string; readonly status: number; readonly excerpt: string }
  | { readonly kind: 'unreachable'; readonly url: string; readonly error: string }
  | { readonly kind: 'refused'; readonly url: string; readonly reason: string }
  | { readonly kind: 'bad_url'; readonly url: string }
  | { readonly kind: 'no_url' }
  | { readonly kind: 'no_test_key' };

/** The ipn_url of the merchant's latest test-mode IPN: what the form offers by default. */
export async function latestTestIpnUrl(deps: CoreDeps, merchantId: string): Promise<string> {
  const row = await deps.store.db
    .selectFrom('notifications')
    .innerJoin('transactions', 'transactions.seq', 'notifications.transaction_seq')
    .select('notifications.url')
    .where('notifications.merchant_id', '=', merchantId)
    .where('transactions.mode', '=', 'test')
    .orderBy('notifications.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.url ?? '';
}

/** A paid USD 1.00 test charge's IPN, with the fields a real one has. */
function sampleFields(now: number): Record<string, string> {
  const fields: Record<string, string> = {
    id: randomHex(16),
    amount: '100',
    notify_status: 'success',
    currency: 'USD',
    time: formatIpnTime(now),
    reference: 'cancan-test-ipn',
    notify_id: randomHex(16),
    livemode: 'false',
  };
  return { ...fields, fields: Object.keys(fields).join(',') };
}

export async function sendTestIpn(deps: CoreDeps, merchantId: string, rawUrl: string): Promise<TestIpnOutcome> {
  const url = rawUrl.trim();
  if (url === '') return { kind: 'no_url' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'bad_url', url };
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username !== '' || parsed.password !== '') return { kind: 'bad_url', url };
  const key = await deps.store.db
    .selectFrom('api_keys')
    .select('key_sealed')
    .where('merchant_id', '=', merchantId)
    .where('mode', '=', 'test')
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!key) return { kind: 'no_test_key' };
  const now = deps.clock.now();
  const fields = sampleFields(now);
  const body = new URLSearchParams({ ...fields, sign: signIpn(fields, deps.secrets.decrypt(key.key_sealed)) }).toString();
  const headers = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'User-Agent': 'CanCan-IPN/1',
    [SIGNATURE_HEADER]: signatureHeader(await webhookSecret(deps, merchantId), Math.floor(now / 1000), body),
  };
  const started = Date.now();
  try {
    const answer = await postForm(url, headers, body, { ...guardOf(deps), timeoutMs: deps.config.ipnTimeoutMs, excerptBytes: EXCERPT_BYTES });
    if (answer.status >= 200 && answer.status < 300) return { kind: 'delivered', url, status: answer.status, latencyMs: Date.now() - started };
    return { kind: 'rejected', url, status: answer.status, excerpt: answer.excerpt };
  } catch (error) {
    if (error instanceof DestinationRefused) return { kind: 'refused', url, reason: error.message };
    if (error instanceof HostUnresolved) return { kind: 'unreachable', url, error: error.message };
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'unreachable', url, error: code && !message.includes(code) ? `${message} (${code})` : message };
  }
}
