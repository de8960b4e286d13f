/** Holding an answer until a transaction row reaches a condition (final, has its QR, changed…), or time is up. */
import type { TransactionRow } from '../store/transactions.js';
import { findBySeq } from '../store/transactions.js';
import type { CoreDeps } from './deps.js';

export async function waitForRow(deps: CoreDeps, row: TransactionRow, done: (latest: TransactionRow) => boolean, ms: number): Promise<TransactionRow> {
  const deadline = deps.clock.now() + ms;
  let latest = row;
  while (!done(latest)) {
    const remaining = deadline - deps.clock.now();
    if (remaining <= 0) break;
    // Woken at once in this process; the 250 ms cap covers a worker in another process.
    await deps.notifier.waitForChange(latest.seq, Math.min(remaining, 250));
    latest = (await findBySeq(deps.store.db, latest.seq)) ?? latest;
  }
  return latest;
}

export const waitUntilFinal = (deps: CoreDeps, row: TransactionRow, ms: number): Promise<TransactionRow> =>
  waitForRow(deps, row, (latest) => latest.state !== 'pending', ms);
