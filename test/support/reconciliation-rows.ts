/**
 * Reconciliation runs with the items and summary a test states, written
 * through the engine's own store functions (src/store/reconciliation.ts): the
 * dashboard only reads them, and each test says exactly what was found.
 */
import type { Kysely } from 'kysely';
import type { CurrencyFigures, RunSummary } from '../../src/reconcile/summary.js';
import { type NewReconciliationItem, claimRunNow, ensureRun, failRun, finishRun, rescheduleRun } from '../../src/store/reconciliation.js';
import type { Database, ReconciliationClass, ReconciliationRunState, ReconciliationSource } from '../../src/store/schema.js';

export interface RunRow {
  readonly provider: string;
  readonly mode: 'test' | 'live';
  readonly merchantId: string | null;
  readonly day: string;
  readonly state: ReconciliationRunState;
  readonly source?: ReconciliationSource;
  readonly summary?: RunSummary;
  readonly attempts?: number;
  readonly lastError?: string;
}

export const ZERO_COUNTS: Record<ReconciliationClass, number> = {
  matched: 0,
  missing_in_cancan: 0,
  missing_at_provider: 0,
  amount_mismatch: 0,
  status_mismatch: 0,
  fee_only: 0,
};

/** Creates the run of an account's day and brings it to `state` (done: with its items, in the given order); answers its id. */
export async function insertRun(db: Kysely<Database>, run: RunRow, items: readonly NewReconciliationItem[] = []): Promise<number> {
  const now = Date.now();
  const created = await ensureRun(db, { provider: run.provider, mode: run.mode, merchantId: run.merchantId, day: run.day }, now, now);
  if (run.state === 'due') return created.id;
  const claimed = await claimRunNow(db, created.id, 'dashboard-test', now, 60_000);
  if (!claimed) throw new Error(`run ${created.id} could not be claimed`);
  if (run.state === 'done') {
    const summary = run.summary ?? summaryOf([], {});
    await finishRun(db, claimed, { source: run.source ?? 'statement', summary: JSON.stringify(summary), items }, now);
  } else if (run.state === 'failed') {
    await failRun(db, claimed, run.lastError ?? 'failed', run.attempts ?? 1, now);
  } else if (run.state === 'not_ready') {
    await rescheduleRun(
      db,
      claimed,
      { state: 'not_ready', runAt: now + 3_600_000, error: run.lastError ?? 'not published yet', attempts: run.attempts ?? 1 },
      now,
    );
  }
  return created.id;
}

/** A summary as src/reconcile/summary.ts writes it (the statement printed no totals unless `totals_agree` says). */
export function summaryOf(
  currencies: readonly (Pick<CurrencyFigures, 'currency' | 'provider' | 'cancan' | 'totals_agree'> & { readonly printed?: CurrencyFigures['printed'] })[],
  counts: Partial<Record<ReconciliationClass, number>>,
): RunSummary {
  const totalsAgree = currencies.some((c) => c.totals_agree === false) ? false : currencies.some((c) => c.totals_agree === true) ? true : null;
  const allCounts = { ...ZERO_COUNTS, ...counts };
  return {
    source: 'statement',
    counts: allCounts,
    currencies: currencies.map((c) => ({ printed: null, ...c })),
    totals_agree: totalsAgree,
    clean: Object.entries(allCounts).every(([name, n]) => name === 'matched' || n === 0) && totalsAgree !== false,
    empty: false,
    note: null,
  };
}
