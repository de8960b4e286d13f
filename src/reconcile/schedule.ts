/**
 * Daily reconciliation as stored runs. For every provider account in use a
 * run row is created per complete day, due at the provider's publication time
 * after it (creating it twice changes nothing: one row per account and day):
 * - live: one per merchant holding live credentials for the provider, every
 *   day (a statement may show a payment CanCan never recorded);
 * - test: one for the shared sandbox account, for days with test-mode
 *   transactions at the provider (a sandbox day without business has nothing
 *   to reconcile).
 * The worker process claims due runs with a lease (SKIP LOCKED on PostgreSQL)
 * and runs them one at a time.
 */
import type { CoreDeps } from '../core/deps.js';
import { randomHex } from '../domain/ids.js';
import { providerCatalog } from '../providers/catalog.js';
import type { AnyProviderDescriptor } from '../providers/descriptor.js';
import { RunLeaseLost, claimDueRuns, ensureRun } from '../store/reconciliation.js';
import { type AlertDeps, deliverAlerts } from './alerts.js';
import { dayBounds, dayOf, previousDay, publicationOf, publishedAt } from './days.js';
import { type ReconcileDeps, reconcileRun } from './run.js';

/** How many complete days back the schedule makes sure a run exists (covers a worker that was down a day). */
export const SCHEDULE_LOOKBACK_DAYS = 2;
/** A run's lease: a statement download and its matching take well under this. */
export const RUN_LEASE_MS = 15 * 60_000;

/** Whether the provider had test-mode transactions finalised within the bounds. */
async function hadTestBusiness(deps: ReconcileDeps, provider: AnyProviderDescriptor, fromMs: number, toMs: number): Promise<boolean> {
  const catalog = providerCatalog();
  const gateways = catalog.gateways.filter((g) => g.provider === provider.name).map((g) => g.code);
  const methods = catalog.methods.filter((m) => m.provider === provider.name).map((m) => m.code);
  const row = await deps.store.db
    .selectFrom('transactions')
    .select('seq')
    .where('mode', '=', 'test')
    .where('finalized_at', '>=', fromMs)
    .where('finalized_at', '<', toMs)
    .where((eb) =>
      eb.or([
        ...(gateways.length > 0 ? [eb('gateway', 'in', gateways)] : []),
        ...(methods.length > 0 ? [eb('payment_method', 'in', methods)] : []),
        eb.lit(false),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Makes sure every account in use has its run of each recent complete day; answers how many exist or were created. */
export async function scheduleRuns(deps: ReconcileDeps, now: number): Promise<number> {
  let ensured = 0;
  const credentials = await deps.store.db.selectFrom('provider_credentials').select(['merchant_id', 'provider']).orderBy('merchant_id').execute();
  for (const provider of providerCatalog().providers) {
    const publication = publicationOf(provider);
    let day = dayOf(now, publication.timeZone);
    for (let back = 0; back < SCHEDULE_LOOKBACK_DAYS; back += 1) {
      day = previousDay(day);
      const runAt = publishedAt(day, publication);
      const { fromMs, toMs } = dayBounds(day, publication.timeZone);
      if (provider.live) {
        for (const { merchant_id } of credentials.filter((c) => c.provider === provider.name)) {
          await ensureRun(deps.store.db, { provider: provider.name, mode: 'live', merchantId: merchant_id, day }, runAt, now);
          ensured += 1;
        }
      }
      if (await hadTestBusiness(deps, provider, fromMs, toMs)) {
        await ensureRun(deps.store.db, { provider: provider.name, mode: 'test', merchantId: null, day }, runAt, now);
        ensured += 1;
      }
    }
  }
  return ensured;
}

/** One pass: schedule, then run every due run (one at a time). Answers how many ran. */
export async function reconcileDue(deps: ReconcileDeps & Pick<CoreDeps, 'store'>, owner: string): Promise<number> {
  await scheduleRuns(deps, deps.clock.now());
  let ran = 0;
  for (;;) {
    const [run] = await claimDueRuns(deps.store.db, deps.store.dialect, owner, deps.clock.now(), RUN_LEASE_MS, 1);
    if (!run) return ran;
    try {
      await reconcileRun(deps, run);
    } catch (error) {
      // A lost lease means another worker took the run over: it finishes it.
      if (!(error instanceof RunLeaseLost)) throw error;
      deps.log.warn({ run: run.id }, 'reconciliation: lease lost; another worker has the run');
    }
    ran += 1;
  }
}

/** The worker's reconciliation loop: a pass every `everyMs` (CANCAN_RECONCILE_EVERY_MS). */
export class Reconciler {
  readonly id = `reconciler-${process.pid}-${randomHex(4)}`;
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> = Promise.resolve();
  private running = false;

  constructor(
    private readonly deps: ReconcileDeps & AlertDeps,
    private readonly everyMs: number,
  ) {}

  start(): void {
    if (this.running || this.everyMs <= 0) return;
    this.running = true;
    this.next();
  }

  /** Stops scheduling passes and waits for the one in progress, at most `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pass, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, graceMs))))]);
    clearTimeout(timer);
  }

  private next(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      // Differences found by this pass, or left undelivered by an earlier one, are announced after it.
      this.pass = reconcileDue(this.deps, this.id)
        .then(() => deliverAlerts(this.deps))
        .then(() => undefined)
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'reconciliation pass failed; trying again at the next'))
        .finally(() => this.next());
    }, this.everyMs);
    this.timer.unref();
  }
}
