/**
 * Reconciliation runs and items written straight into the tables of migration
 * 0016, for the dashboard's tests: the pages only read them, and each test
 * states exactly what the reconciliation found.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

type Run = Database['reconciliation_runs'];
type Item = Database['reconciliation_items'];

export interface RunRow {
  readonly provider: string;
  readonly mode: 'test' | 'live';
  readonly merchantId: string | null;
  readonly day: string;
  readonly state: Run['state'];
  readonly source?: Run['source'];
  readonly summary?: unknown;
  readonly finishedAt?: number | null;
  readonly attempts?: number;
  readonly lastError?: string | null;
}

export type ItemRow = Pick<Item, 'class' | 'kind' | 'order_no' | 'currency'> &
  Partial<Omit<Item, 'id' | 'run_id' | 'class' | 'kind' | 'order_no' | 'currency'>>;

/** Inserts a run and its items (in the given order); answers the run's id. */
export async function insertRun(db: Kysely<Database>, run: RunRow, items: readonly ItemRow[] = []): Promise<number> {
  const now = Date.now();
  const { id } = await db
    .insertInto('reconciliation_runs')
    .values({
      provider: run.provider,
      mode: run.mode,
      merchant_id: run.merchantId,
      day: run.day,
      state: run.state,
      source: run.source ?? (run.state === 'done' ? 'statement' : null),
      run_at: now,
      lease_owner: null,
      lease_until: null,
      attempts: run.attempts ?? (run.state === 'due' ? 0 : 1),
      last_error: run.lastError ?? null,
      summary: run.summary === undefined ? null : JSON.stringify(run.summary),
      created_at: now,
      updated_at: now,
      finished_at: run.finishedAt ?? (run.state === 'done' ? now : null),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const item of items) {
    await db
      .insertInto('reconciliation_items')
      .values({
        run_id: Number(id),
        merchant_id: null,
        transaction_seq: null,
        refund_no: null,
        provider_amount: null,
        cancan_amount: null,
        fee: null,
        net: null,
        provider_status: null,
        cancan_state: null,
        detail: null,
        ...item,
      })
      .execute();
  }
  return Number(id);
}

/** A summary as src/reconcile/summary.ts writes it, for one or more currencies. */
export function summaryOf(
  currencies: readonly {
    currency: string;
    provider: { payments: number; refunds: number; fees: number; net: number; lines: number };
    cancan: { payments: number; refunds: number };
    totals_agree: boolean | null;
  }[],
  counts: Record<string, number>,
): unknown {
  const totalsAgree = currencies.some((c) => c.totals_agree === false) ? false : currencies.every((c) => c.totals_agree === true) ? true : null;
  return {
    source: 'statement',
    counts,
    currencies: currencies.map((c) => ({ ...c, printed: null })),
    totals_agree: totalsAgree,
    clean: false,
    empty: false,
    note: null,
  };
}
