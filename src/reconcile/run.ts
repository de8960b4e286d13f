/**
 * One reconciliation run: fetch the provider account's statement of the day
 * (its descriptor's `statements`, called with `contextFor`'s endpoint and
 * credentials), or build it from the query API where the provider publishes
 * none; match it against CanCan's books; store the items and the summary in
 * one transaction, replacing an earlier run's. A statement not published yet
 * makes the run `not_ready` (due again later); a failed fetch is retried with
 * backoff a bounded number of times, then the run is `failed` with its reason.
 */
import type { CoreDeps } from '../core/deps.js';
import { providerCatalog } from '../providers/catalog.js';
import type { Statement, StatementFetch } from '../providers/statements.js';
import { providerDataOf } from '../store/attempts.js';
import { type ReconciliationRun, failRun, finishRun, rescheduleRun } from '../store/reconciliation.js';
import type { ReconciliationSource } from '../store/schema.js';
import { inProviderNumbers, loadBooks } from './books.js';
import { dayBounds, publicationOf, publishedAt } from './days.js';
import { dayRateCheck } from './fees.js';
import { type Books, type MatchItem, matchStatement } from './match.js';
import { fetchByQuery } from './query-source.js';
import { type RunSummary, summarise } from './summary.js';

export type ReconcileDeps = Pick<CoreDeps, 'store' | 'adapters' | 'clock' | 'log'>;

/** A failed fetch is tried this many times in all, then the run is failed. */
export const MAX_RUN_ATTEMPTS = 6;
/** The wait after the first failure; it doubles after each next one, up to an hour. */
export const FIRST_RETRY_MS = 5 * 60_000;
const MAX_RETRY_MS = 3_600_000;
/** A statement not published yet is asked for again after this long... */
export const NOT_READY_RETRY_MS = 30 * 60_000;
/** ...until this long after its publication time; then the run is failed. */
export const NOT_READY_GIVE_UP_MS = 3 * 86_400_000;

export type RunResult =
  | { readonly state: 'done'; readonly summary: RunSummary; readonly items: readonly MatchItem[] }
  | { readonly state: 'not_ready' | 'due' | 'failed'; readonly error: string; readonly runAt: number | null };

const EMPTY: Statement = { lines: [], totals: [] };

/** Runs a claimed run (its lease held) to its next state. */
export async function reconcileRun(deps: ReconcileDeps, run: ReconciliationRun): Promise<RunResult> {
  const provider = providerCatalog().provider(run.provider);
  if (!provider) return fail(deps, run, `provider ${run.provider} is not in the provider list`);
  const publication = publicationOf(provider);
  const { fromMs, toMs } = dayBounds(run.day, publication.timeZone);
  const scope = { provider: run.provider, mode: run.mode, merchantId: run.merchant_id, fromMs, toMs };
  // A statement the live provider publishes only where CanCan cannot fetch it (Antom's SFTP): live days come from the query API.
  const statements = provider.statements?.sandboxOnly && run.mode === 'live' ? undefined : provider.statements;
  const source: ReconciliationSource = statements ? 'statement' : 'query';

  let fetched: StatementFetch;
  let books: Books | null = null;
  try {
    if (statements) {
      const context = await deps.adapters.contextFor(run.provider, run.mode, run.merchant_id ?? '');
      fetched =
        context === null ? { kind: 'failed', reason: `no live ${run.provider} credentials for ${run.merchant_id}` } : await statements.fetch(context, run.day);
    } else {
      books = await loadBooks(deps.store.db, scope, { orderNos: [], refundNos: [] });
      fetched = await fetchByQuery(
        { adapters: deps.adapters, providerData: (seqs) => providerDataOf(deps.store.db, seqs), now: () => deps.clock.now() },
        run.mode,
        books,
      );
    }
  } catch (error) {
    fetched = { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }

  switch (fetched.kind) {
    case 'not_ready':
      return notReady(deps, run, fetched.reason, publishedAt(run.day, publication));
    case 'failed':
      return retryLater(deps, run, fetched.reason);
    case 'empty':
    case 'statement': {
      const statement = fetched.kind === 'empty' ? EMPTY : fetched.statement;
      books ??= await loadBooks(deps.store.db, scope, {
        orderNos: statement.lines.map((line) => line.orderNo),
        refundNos: statement.lines.flatMap((line) => (line.refundNo === null ? [] : [line.refundNo])),
      });
      if (statements?.providerNumber) books = inProviderNumbers(books, statements.providerNumber);
      const items = matchStatement(statement, books, dayRateCheck(statement));
      const summary = summarise(source, statement, books, items, fetched.kind === 'empty');
      await finishRun(deps.store.db, run, { source, summary: JSON.stringify(summary), items: items.map(toRow) }, deps.clock.now());
      // A day with differences is a warning: the operator's log alerting hears of it (besides the metric and the stored run).
      const fields = { provider: run.provider, mode: run.mode, merchant: run.merchant_id, day: run.day, counts: summary.counts, clean: summary.clean };
      if (summary.clean) deps.log.info(fields, 'reconciliation: clean');
      else deps.log.warn(fields, 'reconciliation: differences found');
      return { state: 'done', summary, items };
    }
  }
}

async function notReady(deps: ReconcileDeps, run: ReconciliationRun, reason: string, publishedAtMs: number): Promise<RunResult> {
  const now = deps.clock.now();
  if (now - publishedAtMs > NOT_READY_GIVE_UP_MS) return fail(deps, run, `statement still not published: ${reason}`);
  const runAt = Math.max(now + NOT_READY_RETRY_MS, publishedAtMs);
  await rescheduleRun(deps.store.db, run, { state: 'not_ready', runAt, error: reason, attempts: run.attempts }, now);
  return { state: 'not_ready', error: reason, runAt };
}

async function retryLater(deps: ReconcileDeps, run: ReconciliationRun, reason: string): Promise<RunResult> {
  const attempts = run.attempts + 1;
  if (attempts >= MAX_RUN_ATTEMPTS) return fail(deps, run, reason, attempts);
  const now = deps.clock.now();
  const runAt = now + Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
  await rescheduleRun(deps.store.db, run, { state: 'due', runAt, error: reason, attempts }, now);
  deps.log.warn(
    { provider: run.provider, mode: run.mode, merchant: run.merchant_id, day: run.day, attempts, reason },
    'reconciliation: fetch failed; retrying later',
  );
  return { state: 'due', error: reason, runAt };
}

async function fail(deps: ReconcileDeps, run: ReconciliationRun, reason: string, attempts = run.attempts + 1): Promise<RunResult> {
  await failRun(deps.store.db, run, reason, attempts, deps.clock.now());
  deps.log.error({ provider: run.provider, mode: run.mode, merchant: run.merchant_id, day: run.day, attempts, reason }, 'reconciliation: run failed');
  return { state: 'failed', error: reason, runAt: null };
}

function toRow(item: MatchItem) {
  return {
    class: item.class,
    kind: item.kind,
    merchant_id: item.merchantId,
    transaction_seq: item.transactionSeq,
    order_no: item.orderNo,
    refund_no: item.refundNo,
    currency: item.currency,
    provider_amount: item.providerAmount,
    cancan_amount: item.cancanAmount,
    fee: item.fee,
    net: item.net,
    provider_status: item.providerStatus,
    cancan_state: item.cancanState,
    detail: item.detail,
  };
}
