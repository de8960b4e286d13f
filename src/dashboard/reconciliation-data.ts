/**
 * What the reconciliation pages read (tables of migration 0016, written by
 * src/reconcile/). A run is one provider account's day: live, a merchant's
 * own account; test, the shared sandbox (merchant_id null), whose items are
 * attributed to merchants by the order they matched. A merchant therefore
 * sees every item of its own runs and only its own items of sandbox runs;
 * operators see everything. Figures are summed from the visible items, so a
 * merchant never sees another merchant's amounts in a shared sandbox run.
 */
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { joinSum, sumParts, toBigInt } from './amounts.js';
import type { Scope } from './modes.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database>;
type Eb = ExpressionBuilder<Database & { r: Database['reconciliation_runs']; i: Database['reconciliation_items'] }, 'r' | 'i'>;

export const RECON_CLASSES = ['matched', 'missing_in_cancan', 'missing_at_provider', 'amount_mismatch', 'status_mismatch', 'fee_only'] as const;
export type ReconClass = (typeof RECON_CLASSES)[number];
/** Every class but `matched`, worst first (a payment CanCan never saw is the worst). */
export const DIFFERENCE_CLASSES = RECON_CLASSES.filter((c) => c !== 'matched');

export const RUN_STATES = ['due', 'running', 'done', 'not_ready', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];
/** Several accounts' runs of a day shown as one: the state that needs a look first. */
const STATE_ORDER: readonly RunState[] = ['failed', 'not_ready', 'running', 'due', 'done'];

export type ClassCounts = Record<ReconClass, number>;

const zeroCounts = (): ClassCounts => ({ matched: 0, missing_in_cancan: 0, missing_at_provider: 0, amount_mismatch: 0, status_mismatch: 0, fee_only: 0 });
const isClass = (value: string): value is ReconClass => (RECON_CLASSES as readonly string[]).includes(value);
const isState = (value: string): value is RunState => (RUN_STATES as readonly string[]).includes(value);

export const differencesIn = (counts: ClassCounts): number => DIFFERENCE_CLASSES.reduce((sum, c) => sum + counts[c], 0);

/** The runs this user may see: their mode; a merchant's own account's runs and the sandbox's. */
function visibleRuns(eb: Eb, scope: Scope) {
  const mode = eb('r.mode', '=', scope.mode);
  return scope.merchantId === null ? mode : eb.and([mode, eb.or([eb('r.merchant_id', '=', scope.merchantId), eb('r.merchant_id', 'is', null)])]);
}

/** The items this user may see (with `r` joined): all of their own account's, only theirs of the sandbox's. */
function visibleItems(eb: Eb, scope: Scope) {
  const mode = eb('r.mode', '=', scope.mode);
  if (scope.merchantId === null) return mode;
  return eb.and([
    mode,
    eb.or([eb('r.merchant_id', '=', scope.merchantId), eb.and([eb('r.merchant_id', 'is', null), eb('i.merchant_id', '=', scope.merchantId)])]),
  ]);
}

/**
 * Which runs a query covers, by their days (and provider) rather than by id:
 * a day of an operator's live view has a run per merchant, too many ids for
 * one statement's parameters.
 */
export type RunSet = { readonly days: readonly string[] } | { readonly day: string; readonly provider: string; readonly sandboxOnly?: boolean };

function runsIn(eb: Eb, set: RunSet) {
  if ('days' in set) return eb('r.day', 'in', [...set.days]);
  const of = [eb('r.day', '=', set.day), eb('r.provider', '=', set.provider)];
  return eb.and(set.sandboxOnly ? [...of, eb('r.merchant_id', 'is', null)] : of);
}

const runsOf = (db: Db) => db.selectFrom('reconciliation_runs as r');
const itemsOf = (db: Db) => db.selectFrom('reconciliation_items as i').innerJoin('reconciliation_runs as r', 'r.id', 'i.run_id');

export interface ProviderDay {
  readonly provider: string;
  readonly state: RunState;
  /** How many accounts' runs (operators in live mode: one per merchant). */
  readonly runs: number;
  readonly counts: ClassCounts;
  /** Every run done and no difference among the visible items. */
  readonly clean: boolean;
}

export interface DayRow {
  readonly day: string;
  readonly providers: readonly ProviderDay[];
}

export interface DayList {
  readonly days: readonly DayRow[];
  /** When older days follow: the `before` value that shows them. */
  readonly olderBefore: string | null;
}

export const DAYS_PER_PAGE = 31;

/** The newest `limit` days with a run (before `before`, a YYYY-MM-DD day), each with its providers. */
export async function listDays(db: Db, scope: Scope, before: string | null, limit = DAYS_PER_PAGE): Promise<DayList> {
  const dayRows = await runsOf(db)
    .select('r.day')
    .where((eb) => (before === null ? visibleRuns(eb, scope) : eb.and([visibleRuns(eb, scope), eb('r.day', '<', before)])))
    .groupBy('r.day')
    .orderBy('r.day', 'desc')
    .limit(limit + 1)
    .execute();
  const days = dayRows.slice(0, limit).map((row) => row.day);
  if (days.length === 0) return { days: [], olderBefore: null };
  const runs = await runsOf(db)
    .select(['r.id', 'r.day', 'r.provider', 'r.state'])
    .where((eb) => eb.and([visibleRuns(eb, scope), eb('r.day', 'in', days)]))
    .execute();
  const counts = await classCounts(db, scope, { days });
  const byDay = new Map<string, Map<string, { states: RunState[]; counts: ClassCounts }>>();
  for (const run of runs) {
    const providers = byDay.get(run.day) ?? new Map<string, { states: RunState[]; counts: ClassCounts }>();
    byDay.set(run.day, providers);
    const entry = providers.get(run.provider) ?? { states: [], counts: zeroCounts() };
    providers.set(run.provider, entry);
    entry.states.push(isState(run.state) ? run.state : 'failed');
    const own = counts.get(Number(run.id));
    if (own) for (const c of RECON_CLASSES) entry.counts[c] += own[c];
  }
  return {
    days: days.map((day) => ({
      day,
      providers: [...(byDay.get(day) ?? new Map<string, { states: RunState[]; counts: ClassCounts }>())]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([provider, entry]) => providerDay(provider, entry.states, entry.counts)),
    })),
    olderBefore: dayRows.length > limit ? (days.at(-1) ?? null) : null,
  };
}

function providerDay(provider: string, states: readonly RunState[], counts: ClassCounts): ProviderDay {
  const state = STATE_ORDER.find((s) => states.includes(s)) ?? 'done';
  return { provider, state, runs: states.length, counts, clean: state === 'done' && differencesIn(counts) === 0 };
}

/** Visible items per run and class. */
async function classCounts(db: Db, scope: Scope, set: RunSet): Promise<Map<number, ClassCounts>> {
  const out = new Map<number, ClassCounts>();
  const rows = await itemsOf(db)
    .select(['i.run_id', 'i.class', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where((eb) => eb.and([visibleItems(eb, scope), runsIn(eb, set)]))
    .groupBy(['i.run_id', 'i.class'])
    .execute();
  for (const row of rows) {
    const counts = out.get(Number(row.run_id)) ?? zeroCounts();
    out.set(Number(row.run_id), counts);
    if (isClass(row.class)) counts[row.class] += Number(row.n);
  }
  return out;
}

export interface RunInfo {
  readonly id: number;
  /** The account: a merchant's (live), or null for the shared sandbox (test). */
  readonly merchantId: string | null;
  readonly state: RunState;
  readonly source: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly finishedAt: number | null;
  /** From the run's summary: whether the statement's totals equal the sum of its lines (null: not stated). */
  readonly totalsMatch: boolean | null;
}

export interface CurrencyFigures {
  readonly currency: string;
  readonly providerPayments: bigint;
  readonly providerRefunds: bigint;
  readonly fees: bigint;
  readonly net: bigint;
  readonly cancanPayments: bigint;
  readonly cancanRefunds: bigint;
}

/** Provider payments − refunds against CanCan's payments − refunds: zero on a day that adds up. */
export const figuresDifference = (f: CurrencyFigures): bigint => f.providerPayments - f.providerRefunds - (f.cancanPayments - f.cancanRefunds);

export interface ItemRow {
  readonly id: number;
  readonly runId: number;
  readonly class: string;
  readonly kind: string;
  /** The merchant the item is attributed to (the run's, else the item's own), null when nobody's. */
  readonly merchantId: string | null;
  readonly orderNo: string;
  readonly refundNo: string | null;
  readonly currency: string;
  readonly providerAmount: number | null;
  readonly cancanAmount: number | null;
  readonly fee: number | null;
  readonly net: number | null;
  readonly providerStatus: string | null;
  readonly cancanState: string | null;
  readonly detail: string | null;
  /** The CanCan transaction's ref when the user may open it, for the link. */
  readonly transactionRef: string | null;
}

export interface ProviderDayDetail {
  readonly runs: readonly RunInfo[];
  readonly counts: ClassCounts;
  readonly figures: readonly CurrencyFigures[];
  /** Differences, worst class first, at most `limit`. */
  readonly differences: readonly ItemRow[];
  readonly moreDifferences: boolean;
}

export const DIFFERENCES_SHOWN = 500;

/** The page of one day and provider; null when the user may see no run of it. */
export async function providerDayDetail(db: Db, scope: Scope, day: string, provider: string, limit = DIFFERENCES_SHOWN): Promise<ProviderDayDetail | null> {
  const runRows = await runsOf(db)
    .select(['r.id', 'r.merchant_id', 'r.state', 'r.source', 'r.attempts', 'r.last_error', 'r.finished_at', 'r.summary'])
    .where((eb) => eb.and([visibleRuns(eb, scope), eb('r.day', '=', day), eb('r.provider', '=', provider)]))
    .orderBy('r.merchant_id')
    .orderBy('r.id')
    .execute();
  if (runRows.length === 0) return null;
  const set = { day, provider };
  const perRun = await classCounts(db, scope, set);
  const counts = zeroCounts();
  for (const own of perRun.values()) for (const c of RECON_CLASSES) counts[c] += own[c];
  const rows = await itemQuery(db, scope, set)
    .where('i.class', '!=', 'matched')
    .orderBy(classRank, 'asc')
    .orderBy('i.id', 'asc')
    .limit(limit + 1)
    .execute();
  return {
    runs: runRows.map((run) => ({
      id: Number(run.id),
      merchantId: run.merchant_id,
      state: isState(run.state) ? run.state : 'failed',
      source: run.source,
      attempts: Number(run.attempts),
      lastError: run.last_error,
      finishedAt: run.finished_at === null ? null : Number(run.finished_at),
      totalsMatch: totalsMatchOf(run.summary),
    })),
    counts,
    figures: await currencyFigures(
      db,
      scope,
      set,
      runRows.map((run) => ({ merchantId: run.merchant_id, summary: run.summary })),
    ),
    differences: rows.slice(0, limit).map((row) => itemRow(row, scope)),
    moreDifferences: rows.length > limit,
  };
}

const classRank = sql<number>`case i.class ${sql.join(
  DIFFERENCE_CLASSES.map((c, rank) => sql`when ${sql.lit(c)} then ${sql.lit(rank)}`),
  sql` `,
)} else ${sql.lit(DIFFERENCE_CLASSES.length)} end`;

function itemQuery(db: Db, scope: Scope, set: RunSet) {
  return itemsOf(db)
    .leftJoin('transactions as t', 't.seq', 'i.transaction_seq')
    .select([
      'i.id',
      'i.run_id',
      'i.class',
      'i.kind',
      'i.merchant_id',
      'r.merchant_id as run_merchant_id',
      'i.order_no',
      'i.refund_no',
      'i.currency',
      'i.provider_amount',
      'i.cancan_amount',
      'i.fee',
      'i.net',
      'i.provider_status',
      'i.cancan_state',
      'i.detail',
      't.ref as transaction_ref',
      't.merchant_id as transaction_merchant_id',
      't.mode as transaction_mode',
    ])
    .where((eb) => eb.and([visibleItems(eb, scope), runsIn(eb, set)]));
}

type ItemQueryRow = Awaited<ReturnType<ReturnType<typeof itemQuery>['execute']>>[number];

const amount = (value: number | string | null): number | null => (value === null ? null : Number(value));

function itemRow(row: ItemQueryRow, scope: Scope): ItemRow {
  // A link only to a transaction the user may open (the detail page would answer 404 otherwise).
  const linkable =
    row.transaction_ref !== null && row.transaction_mode === scope.mode && (scope.merchantId === null || row.transaction_merchant_id === scope.merchantId);
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    class: row.class,
    kind: row.kind,
    merchantId: row.run_merchant_id ?? row.merchant_id,
    orderNo: row.order_no,
    refundNo: row.refund_no,
    currency: row.currency,
    providerAmount: amount(row.provider_amount),
    cancanAmount: amount(row.cancan_amount),
    fee: amount(row.fee),
    net: amount(row.net),
    providerStatus: row.provider_status,
    cancanState: row.cancan_state,
    detail: row.detail,
    transactionRef: linkable ? row.transaction_ref : null,
  };
}

/**
 * Per currency: the provider's settled lines and CanCan's succeeded payments
 * and refunds of the day. A run the user sees whole (operators; a merchant's
 * own account) gives its summary's figures, as the reconciliation computed
 * them; of the shared sandbox a merchant sees only its own items, so those
 * figures are summed from the items: lines the provider settled (a status
 * difference where CanCan has the payment succeeded is a line that did not
 * settle) and CanCan's succeeded transactions among them.
 */
async function currencyFigures(
  db: Db,
  scope: Scope,
  target: { readonly day: string; readonly provider: string },
  runs: readonly { merchantId: string | null; summary: string | null }[],
): Promise<CurrencyFigures[]> {
  const byCurrency = new Map<string, { -readonly [K in keyof CurrencyFigures]: CurrencyFigures[K] }>();
  const of = (currency: string) => {
    let f = byCurrency.get(currency);
    if (!f) {
      f = { currency, providerPayments: 0n, providerRefunds: 0n, fees: 0n, net: 0n, cancanPayments: 0n, cancanRefunds: 0n };
      byCurrency.set(currency, f);
    }
    return f;
  };
  const whole = (run: { merchantId: string | null }) => scope.merchantId === null || run.merchantId === scope.merchantId;
  for (const run of runs.filter(whole)) {
    for (const figures of summaryFigures(run.summary)) {
      const f = of(figures.currency);
      for (const key of ['providerPayments', 'providerRefunds', 'fees', 'net', 'cancanPayments', 'cancanRefunds'] as const) f[key] += figures[key];
    }
  }
  // Only a merchant has runs it does not see whole: the sandbox's.
  if (runs.some((run) => !whole(run))) {
    for (const figures of await itemFigures(db, scope, { ...target, sandboxOnly: true })) {
      const f = of(figures.currency);
      for (const key of ['providerPayments', 'providerRefunds', 'fees', 'net', 'cancanPayments', 'cancanRefunds'] as const) f[key] += figures[key];
    }
  }
  return [...byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

/** A summary's figures per currency (src/reconcile/summary.ts); none when absent or unreadable. */
export function summaryFigures(summary: string | null): CurrencyFigures[] {
  const parsed = parseSummary(summary);
  const currencies = parsed?.currencies;
  if (!Array.isArray(currencies)) return [];
  const field = (value: unknown, name: string): bigint => toBigInt((value as Record<string, unknown> | null | undefined)?.[name]);
  return currencies.flatMap((entry: unknown): CurrencyFigures[] => {
    const record = entry as Record<string, unknown> | null;
    if (typeof record?.currency !== 'string') return [];
    return [
      {
        currency: record.currency,
        providerPayments: field(record.provider, 'payments'),
        providerRefunds: field(record.provider, 'refunds'),
        fees: field(record.provider, 'fees'),
        net: field(record.provider, 'net'),
        cancanPayments: field(record.cancan, 'payments'),
        cancanRefunds: field(record.cancan, 'refunds'),
      },
    ];
  });
}

function parseSummary(summary: string | null): Record<string, unknown> | null {
  if (summary === null) return null;
  try {
    const parsed: unknown = JSON.parse(summary);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Figures from a merchant's own items of shared runs (see currencyFigures). */
async function itemFigures(db: Db, scope: Scope, set: RunSet): Promise<CurrencyFigures[]> {
  const settled = sql<boolean>`not (i.class = 'status_mismatch' and i.cancan_state = 'succeeded')`;
  const whenSettled = (column: 'provider_amount' | 'fee' | 'net') => sql<number | null>`case when ${settled} then i.${sql.ref(column)} end`;
  const rows = await itemsOf(db)
    .select((eb) => [
      'i.currency',
      'i.kind',
      ...sumParts(whenSettled('provider_amount'), 'provider'),
      ...sumParts(whenSettled('fee'), 'fee'),
      ...sumParts(whenSettled('net'), 'net'),
      ...sumParts(sql<number | null>`case when i.cancan_state = 'succeeded' then i.cancan_amount end`, 'cancan'),
      eb.fn.count<number | string>(sql`case when ${settled} and i.provider_amount is not null and i.net is null then 1 end`).as('without_net'),
    ])
    .where((eb) => eb.and([visibleItems(eb, scope), runsIn(eb, set)]))
    .groupBy(['i.currency', 'i.kind'])
    .execute();
  const out = new Map<string, CurrencyFigures & { allNet: boolean; lineNet: bigint }>();
  for (const row of rows) {
    const f = out.get(row.currency) ?? {
      currency: row.currency,
      providerPayments: 0n,
      providerRefunds: 0n,
      fees: 0n,
      net: 0n,
      cancanPayments: 0n,
      cancanRefunds: 0n,
      allNet: true,
      lineNet: 0n,
    };
    const provider = joinSum(row.provider_hi, row.provider_lo);
    const cancan = joinSum(row.cancan_hi, row.cancan_lo);
    const net = joinSum(row.net_hi, row.net_lo);
    const refund = row.kind === 'refund';
    out.set(row.currency, {
      ...f,
      providerPayments: f.providerPayments + (refund ? 0n : provider),
      providerRefunds: f.providerRefunds + (refund ? provider : 0n),
      cancanPayments: f.cancanPayments + (refund ? 0n : cancan),
      cancanRefunds: f.cancanRefunds + (refund ? cancan : 0n),
      fees: f.fees + joinSum(row.fee_hi, row.fee_lo),
      // A refund's net is money back to the shopper: it comes off the day's net.
      lineNet: f.lineNet + (refund ? -net : net),
      allNet: f.allNet && Number(row.without_net) === 0,
    });
  }
  return [...out.values()].map(({ allNet, lineNet, ...f }) => ({ ...f, net: allNet ? lineNet : f.providerPayments - f.providerRefunds - f.fees }));
}

/** Whether this user may see a run of the day and provider (none: the page does not exist for them). */
export async function providerDayExists(db: Db, scope: Scope, day: string, provider: string): Promise<boolean> {
  const row = await runsOf(db)
    .select('r.id')
    .where((eb) => eb.and([visibleRuns(eb, scope), runsIn(eb, { day, provider })]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every visible item of the day and provider, oldest first, `batchSize` at a time (the CSV). */
export async function* providerDayItems(db: Db, scope: Scope, day: string, provider: string, batchSize = 1000): AsyncGenerator<ItemRow> {
  let afterId = 0;
  for (;;) {
    const batch = await itemQuery(db, scope, { day, provider }).where('i.id', '>', afterId).orderBy('i.id', 'asc').limit(batchSize).execute();
    for (const row of batch) yield itemRow(row, scope);
    const last = batch.at(-1);
    if (batch.length < batchSize || !last) return;
    afterId = Number(last.id);
  }
}

/** Whether the run's statement totals equal the sum of its lines, as its summary says (null: nothing printed, or no summary). */
export function totalsMatchOf(summary: string | null): boolean | null {
  const agree = parseSummary(summary)?.totals_agree;
  return typeof agree === 'boolean' ? agree : null;
}
