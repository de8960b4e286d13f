/**
 * The overview's figures, aggregated in SQL (GROUP BY) over bounded time
 * ranges. Days are local days in the merchant's time zone (UTC for
 * operators): their boundaries are computed here with `startOfDay`, so DST
 * changes give 23- or 25-hour days, and SQL only compares epoch times.
 * Amounts are never added across currencies, and are exact bigint sums
 * (see amounts.ts): no stored amount can make the page fail. Only the
 * shown mode is counted.
 */
import { type Kysely, sql } from 'kysely';
import { startOfDay } from '../chop/time.js';
import type { KeyMode } from '../domain/secrets.js';
import { OPEN_BALANCE, openBalance } from '../domain/refund-rules.js';
import type { TransactionState } from '../domain/states.js';
import type { Merchant } from '../store/merchants.js';
import type { Database } from '../store/schema.js';
import { joinSum, sumParts } from './amounts.js';
import type { Scope } from './modes.js';

type Db = Kysely<Database>;

export const DAYS = 30;
export const MAX_CURRENCY_CHARTS = 3;
export type ReversalType = 'refund' | 'void' | 'cancel';
export const REVERSAL_TYPES: readonly ReversalType[] = ['refund', 'void', 'cancel'];
export const STATES: readonly TransactionState[] = ['succeeded', 'failed', 'pending'];

/** Amounts per currency (minor units). */
export type Volumes = Map<string, bigint>;

export interface Tally {
  count: number;
  readonly volume: Volumes;
}

/** Sales and charges created in a period, and the refunds, voids and cancels that succeeded. */
export interface PeriodFigures {
  readonly since: number;
  /** Succeeded payments per POS gateway or CHOP method. */
  readonly byGateway: Map<string, Tally>;
  readonly byState: Map<TransactionState, Tally>;
  /** Succeeded payments per currency. */
  readonly succeeded: Map<string, Tally>;
  readonly reversals: Map<string, Record<ReversalType, bigint>>;
  /** succeeded / (succeeded + failed); null when nothing has finished. */
  readonly successRate: number | null;
}

export interface DailyVolume {
  readonly currency: string;
  readonly count: number;
  /** One amount per day, oldest first. */
  readonly amounts: bigint[];
}

export interface OverviewFigures {
  readonly timeZone: string;
  /** Local midnight of each of the last DAYS days, oldest first; the last is today. */
  readonly dayStarts: number[];
  readonly today: PeriodFigures;
  readonly month: PeriodFigures;
  /** The busiest currencies (most payments), at most MAX_CURRENCY_CHARTS. */
  readonly daily: DailyVolume[];
  /** Merchants only: today's CHOP open balance per currency. */
  readonly openBalances: { currency: string; amount: bigint }[] | null;
}

/** Local midnights of the last `days` days in `zone`, oldest first, today last (DST-aware). */
export function dayStarts(zone: string, now: number, days = DAYS): number[] {
  const starts = [startOfDay(zone, now)];
  while (starts.length < days) starts.unshift(startOfDay(zone, (starts[0] ?? now) - 1));
  return starts;
}

const tally = (): Tally => ({ count: 0, volume: new Map() });
function add(map: Map<string, Tally>, key: string, count: number, currency: string | null, amount: bigint): void {
  const entry = map.get(key) ?? tally();
  entry.count += count;
  if (currency !== null) entry.volume.set(currency, (entry.volume.get(currency) ?? 0n) + amount);
  map.set(key, entry);
}

async function periodFigures(db: Db, scope: Scope, since: number): Promise<PeriodFigures> {
  const { merchantId, mode } = scope;
  let payments = db
    .selectFrom('transactions')
    .select(['gateway', 'payment_method', 'state', 'currency'])
    .select((eb) => [eb.fn.countAll<number>().as('n'), ...sumParts(eb.ref('amount'), 'volume')])
    .where('mode', '=', mode)
    .where('type', 'in', ['sale', 'charge'])
    .where('created_at', '>=', since)
    .groupBy(['gateway', 'payment_method', 'state', 'currency']);
  if (merchantId !== null) payments = payments.where('merchant_id', '=', merchantId);

  // A void has no amount of its own: it reverses its whole sale.
  let reversals = db
    .selectFrom('transactions as t')
    .leftJoin('transactions as s', 's.seq', 't.sale_seq')
    .select(['t.type', 't.currency'])
    .select((eb) => sumParts(eb.fn.coalesce('t.amount', 's.amount'), 'volume'))
    .where('t.mode', '=', mode)
    .where('t.type', 'in', [...REVERSAL_TYPES])
    .where('t.state', '=', 'succeeded')
    .where('t.created_at', '>=', since)
    .groupBy(['t.type', 't.currency']);
  if (merchantId !== null) reversals = reversals.where('t.merchant_id', '=', merchantId);

  const byGateway = new Map<string, Tally>();
  const byState = new Map<TransactionState, Tally>();
  const succeeded = new Map<string, Tally>();
  for (const row of await payments.execute()) {
    const count = Number(row.n);
    const volume = joinSum(row.volume_hi, row.volume_lo);
    add(byState, row.state, count, row.currency, volume);
    if (row.state !== 'succeeded') continue;
    add(byGateway, row.gateway ?? row.payment_method ?? '—', count, row.currency, volume);
    if (row.currency !== null) add(succeeded, row.currency, count, row.currency, volume);
  }
  const reversalsByCurrency = new Map<string, Record<ReversalType, bigint>>();
  for (const row of await reversals.execute()) {
    if (row.currency === null) continue;
    const entry = reversalsByCurrency.get(row.currency) ?? { refund: 0n, void: 0n, cancel: 0n };
    entry[row.type as ReversalType] += joinSum(row.volume_hi, row.volume_lo);
    reversalsByCurrency.set(row.currency, entry);
  }
  const ok = byState.get('succeeded')?.count ?? 0;
  const failed = byState.get('failed')?.count ?? 0;
  return { since, byGateway, byState, succeeded, reversals: reversalsByCurrency, successRate: ok + failed === 0 ? null : ok / (ok + failed) };
}

/** Succeeded payments per local day and currency, bucketed in SQL by the precomputed day boundaries. */
async function dailyVolumes(db: Db, { merchantId, mode }: Scope, starts: readonly number[]): Promise<DailyVolume[]> {
  // Newest boundary first: the first that matches is the row's day.
  const whens = starts
    .map((start, day) => ({ start, day }))
    .reverse()
    .map(({ start, day }) => sql`when created_at >= ${start} then ${sql.lit(day)}`);
  const day = sql<number>`case ${sql.join(whens, sql` `)} end`;
  let rows = db
    .selectFrom('transactions')
    .select([day.as('day'), 'currency', 'amount'])
    .where('mode', '=', mode)
    .where('type', 'in', ['sale', 'charge'])
    .where('state', '=', 'succeeded')
    .where('created_at', '>=', starts[0] ?? 0)
    .where('currency', 'is not', null);
  if (merchantId !== null) rows = rows.where('merchant_id', '=', merchantId);
  const grouped = await db
    .selectFrom(rows.as('d'))
    .select(['d.day', 'd.currency'])
    .select((eb) => [eb.fn.countAll<number>().as('n'), ...sumParts(eb.ref('d.amount'), 'volume')])
    .groupBy(['d.day', 'd.currency'])
    .execute();
  const byCurrency = new Map<string, DailyVolume>();
  for (const row of grouped) {
    const currency = row.currency ?? '';
    const entry = byCurrency.get(currency) ?? { currency, count: 0, amounts: starts.map(() => 0n) };
    const index = Number(row.day);
    entry.amounts[index] = (entry.amounts[index] ?? 0n) + joinSum(row.volume_hi, row.volume_lo);
    byCurrency.set(currency, { ...entry, count: entry.count + Number(row.n) });
  }
  return [...byCurrency.values()].sort((a, b) => b.count - a.count || a.currency.localeCompare(b.currency)).slice(0, MAX_CURRENCY_CHARTS);
}

/**
 * Today's CHOP open balance per currency, as the refund check counts it
 * (domain/refund-rules.ts): in the shown mode, summed exactly.
 */
async function openBalances(db: Db, merchant: Merchant, mode: KeyMode, since: number): Promise<{ currency: string; amount: bigint }[]> {
  const sums = async (part: (typeof OPEN_BALANCE)[keyof typeof OPEN_BALANCE]) =>
    new Map(
      (
        await db
          .selectFrom('transactions')
          .select('currency')
          .select((eb) => sumParts(eb.ref('amount'), 'total'))
          .where('merchant_id', '=', merchant.id)
          .where('mode', '=', mode)
          .where('channel', '=', 'chop')
          .where('currency', 'is not', null)
          .where('type', 'in', [...part.types])
          .where('state', 'in', [...part.states])
          .where(part.since, '>=', since)
          .groupBy('currency')
          .execute()
      ).map((row) => [row.currency ?? '', joinSum(row.total_hi, row.total_lo)] as const),
    );
  // Every currency with CHOP activity today is listed, at 0 when nothing is open.
  const active = await db
    .selectFrom('transactions')
    .select('currency')
    .distinct()
    .where('merchant_id', '=', merchant.id)
    .where('mode', '=', mode)
    .where('channel', '=', 'chop')
    .where('currency', 'is not', null)
    .where((eb) => eb.or([eb('created_at', '>=', since), eb('finalized_at', '>=', since)]))
    .execute();
  const credits = await sums(OPEN_BALANCE.credits);
  const debits = await sums(OPEN_BALANCE.debits);
  const currencies = new Set([...active.flatMap((row) => (row.currency ? [row.currency] : [])), ...credits.keys(), ...debits.keys()]);
  return [...currencies]
    .filter((currency) => currency !== '')
    .sort((a, b) => a.localeCompare(b))
    .map((currency) => ({ currency, amount: openBalance({ credits: credits.get(currency) ?? 0n, debits: debits.get(currency) ?? 0n }) }));
}

/** `merchant`: the one to count, or null for every merchant together (operators); `mode`: the one shown. */
export async function overviewFigures(db: Db, merchant: Merchant | null, mode: KeyMode, timeZone: string, now: number): Promise<OverviewFigures> {
  const scope: Scope = { merchantId: merchant?.id ?? null, mode };
  const starts = dayStarts(timeZone, now);
  const todayStart = starts[starts.length - 1] ?? now;
  return {
    timeZone,
    dayStarts: starts,
    today: await periodFigures(db, scope, todayStart),
    month: await periodFigures(db, scope, starts[0] ?? now),
    daily: await dailyVolumes(db, scope, starts),
    openBalances: merchant === null ? null : await openBalances(db, merchant, mode, todayStart),
  };
}
