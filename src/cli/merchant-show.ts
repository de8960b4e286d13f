/** `cancan merchant show`: one merchant as the operator needs to see it; never a secret. */
import type { Store } from '../store/db.js';
import { enabledGateways, findMerchant } from '../store/merchants.js';
import { isoTime } from './times.js';
import { UsageError } from './usage.js';

export async function showMerchant(store: Store, merchantId: string | undefined, json: boolean): Promise<string> {
  if (merchantId === undefined || merchantId.trim() === '') throw new UsageError('--merchant is required', 'merchant show');
  const m = await findMerchant(store.db, merchantId);
  if (!m) throw new Error(`no merchant ${merchantId} (cancan merchant list shows them)`);
  const keys = await store.db.selectFrom('api_keys').select(['mode', 'revoked_at']).where('merchant_id', '=', m.id).execute();
  const users = await store.db.selectFrom('users').select(['email', 'role']).where('merchant_id', '=', m.id).orderBy('created_at').execute();
  const credentials = await store.db.selectFrom('provider_credentials').select('provider').where('merchant_id', '=', m.id).orderBy('provider').execute();
  const active = (mode: string) => keys.filter((k) => k.mode === mode && k.revoked_at === null).length;
  const shown = {
    id: m.id,
    name: m.name,
    timezone: m.timezone,
    created_at: isoTime(m.created_at),
    gateways: await enabledGateways(store.db, m.id),
    void_window_ms: Number(m.void_window_ms),
    cancel_window_ms: Number(m.cancel_window_ms),
    refund_balance_exempt: Number(m.refund_balance_exempt) === 1,
    api_keys: { test_active: active('test'), live_active: active('live'), revoked: keys.filter((k) => k.revoked_at !== null).length },
    users: users.map((u) => ({ email: u.email, role: u.role })),
    live_credentials: credentials.map((c) => c.provider),
  };
  if (json) return JSON.stringify({ merchant: shown });
  return [
    `${shown.id}  ${shown.name}`,
    `  created: ${shown.created_at}`,
    `  time zone: ${shown.timezone}`,
    `  gateways: ${shown.gateways.join(', ') || '(none)'}`,
    `  void window: ${shown.void_window_ms / 60_000} min, cancel window: ${shown.cancel_window_ms / 3_600_000} h, refund balance exemption: ${shown.refund_balance_exempt ? 'on' : 'off'}`,
    `  API keys: ${shown.api_keys.test_active} test, ${shown.api_keys.live_active} live active; ${shown.api_keys.revoked} revoked (cancan key list --merchant ${shown.id})`,
    `  users: ${shown.users.map((u) => `${u.email} (${u.role})`).join(', ') || '(none)'}`,
    `  live credentials: ${shown.live_credentials.join(', ') || '(none)'}`,
  ].join('\n');
}
