import { releaseLeases } from '../jobs/queue.js';
import type { Logger } from '../core/deps.js';
import type { Store } from '../store/db.js';

/**
 * Jobs still running after the grace period: hand their leases back so
 * another worker resumes them at once. Safe even with a provider call in
 * flight: every step tolerates a second run (pay is marked sent before it is
 * sent, so the next worker queries; reverse, refund, close and order creation
 * reuse the same provider numbers), and the released holder can write nothing
 * more. The same holds when a lease expires after a crash; this only skips the wait.
 */
export async function releaseUnfinished(store: Store, owner: string, log: Logger): Promise<void> {
  try {
    const released = await releaseLeases(store.db, owner);
    log.warn({ released }, 'shutdown: released the leases of unfinished jobs; another worker resumes them');
  } catch (error) {
    log.error({ err: error }, 'shutdown: could not release job leases; they expire by themselves');
  }
}
