/**
 * How often a charge waiting for its shopper asks the provider. While the
 * merchant's notifications from that provider are known to arrive (one was
 * accepted within the last day), the notification brings the news and the
 * poll is only a fallback: CANCAN_NOTIFIED_POLL_MS instead of the page's
 * cadence. Evidence, not a setting: a notify URL the provider cannot reach
 * leaves polling fast.
 */
import type { CoreDeps } from '../core/deps.js';
import type { KeyMode } from '../domain/secrets.js';
import { providerCatalog } from '../providers/catalog.js';
import { notificationsArrive } from '../store/provider-notifications.js';

/** How long one accepted notification vouches that the merchant's notifications arrive. */
export const NOTIFICATIONS_PROVEN_FOR_MS = 24 * 3_600_000;

export async function waitingPollMs(
  deps: CoreDeps,
  charge: { readonly merchant_id: string; readonly mode: KeyMode },
  provider: string,
  pagePollMs: number,
): Promise<number> {
  if (!providerCatalog().provider(provider)?.notifications) return pagePollMs;
  const since = deps.clock.now() - NOTIFICATIONS_PROVEN_FOR_MS;
  const arrive = await notificationsArrive(deps.store.db, charge.merchant_id, provider, charge.mode, since);
  return arrive ? Math.max(pagePollMs, deps.config.notifiedPollMs) : pagePollMs;
}
