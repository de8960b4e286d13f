/**
 * The webhook for a day with differences: when CANCAN_RECONCILE_WEBHOOK_URL
 * is set, every finished run that is not clean is announced there once, as
 * a JSON POST signed like the IPN's `CanCan-Signature` header (HMAC-SHA256 of
 * `<unix seconds>.<body>` with CANCAN_RECONCILE_WEBHOOK_SECRET). Until the
 * endpoint answers 2xx it is tried again, a minute after the first failure
 * and doubling up to an hour, ALERT_MAX_ATTEMPTS times in all; then the run's
 * alert is `given_up` and logged. State lives on the run row, so a restart
 * or another worker carries on; each attempt is claimed by bumping the
 * attempt count first, so two workers never send the same attempt.
 */
import { SIGNATURE_HEADER, signatureHeader } from '../chop/ipn.js';
import type { CoreDeps } from '../core/deps.js';
import type { RunSummary } from './summary.js';

export const ALERT_MAX_ATTEMPTS = 12;
const FIRST_ALERT_RETRY_MS = 60_000;
const MAX_ALERT_RETRY_MS = 3_600_000;
const ALERT_TIMEOUT_MS = 10_000;
/** Runs older than this are not announced any more (a webhook configured later does not replay history). */
const ALERT_WINDOW_MS = 7 * 86_400_000;

export type AlertDeps = Pick<CoreDeps, 'store' | 'clock' | 'log'> & { readonly config: Pick<CoreDeps['config'], 'reconcileWebhook' | 'publicUrl'> };

/** What the webhook receives. */
export interface DifferencesAlert {
  readonly type: 'reconciliation.differences';
  readonly provider: string;
  readonly mode: string;
  /** The live merchant whose account it is; null for the shared sandbox account. */
  readonly merchant_id: string | null;
  readonly day: string;
  readonly counts: RunSummary['counts'];
  readonly totals_agree: boolean | null;
  /** The day's page in the dashboard, when CANCAN_PUBLIC_URL is set. */
  readonly url: string | null;
}

export const alertRetryMs = (attempts: number): number => Math.min(FIRST_ALERT_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_ALERT_RETRY_MS);

/** Announces the finished runs with differences that are due; answers how many were delivered. */
export async function deliverAlerts(deps: AlertDeps): Promise<number> {
  const webhook = deps.config.reconcileWebhook;
  if (webhook === null) return 0;
  const { db } = deps.store;
  const now = deps.clock.now();
  const pending = await db
    .selectFrom('reconciliation_runs')
    .select(['id', 'provider', 'mode', 'merchant_id', 'day', 'summary', 'alert_attempts', 'alert_next_at'])
    .where('state', '=', 'done')
    .where('alert_state', 'is', null)
    .where('finished_at', '>=', now - ALERT_WINDOW_MS)
    .orderBy('id')
    .execute();
  let delivered = 0;
  for (const run of pending) {
    if (run.alert_next_at !== null && run.alert_next_at > now) continue;
    const summary = JSON.parse(run.summary ?? 'null') as RunSummary | null;
    if (summary === null || summary.clean) {
      await db.updateTable('reconciliation_runs').set({ alert_state: 'none' }).where('id', '=', run.id).where('alert_state', 'is', null).execute();
      continue;
    }
    // The attempt is this worker's only if the count is still what it read.
    const attempt = run.alert_attempts + 1;
    const claimed = await db
      .updateTable('reconciliation_runs')
      .set({ alert_attempts: attempt, alert_next_at: now + alertRetryMs(attempt) })
      .where('id', '=', run.id)
      .where('alert_state', 'is', null)
      .where('alert_attempts', '=', run.alert_attempts)
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) continue;
    const alert: DifferencesAlert = {
      type: 'reconciliation.differences',
      provider: run.provider,
      mode: run.mode,
      merchant_id: run.merchant_id,
      day: run.day,
      counts: summary.counts,
      totals_agree: summary.totals_agree,
      url: deps.config.publicUrl === null ? null : `${deps.config.publicUrl}/dashboard/reconciliation/${run.day}/${run.provider}`,
    };
    const error = await post(webhook, JSON.stringify(alert), now);
    if (error === null) {
      await db.updateTable('reconciliation_runs').set({ alert_state: 'sent', alert_error: null, alert_next_at: null }).where('id', '=', run.id).execute();
      delivered += 1;
      continue;
    }
    const givenUp = attempt >= ALERT_MAX_ATTEMPTS;
    await db
      .updateTable('reconciliation_runs')
      .set({ alert_error: error, ...(givenUp ? { alert_state: 'given_up' as const, alert_next_at: null } : {}) })
      .where('id', '=', run.id)
      .execute();
    const fields = { run: run.id, provider: run.provider, day: run.day, attempt, error };
    if (givenUp) deps.log.error(fields, 'reconciliation webhook: given up; the differences stay on the dashboard');
    else deps.log.warn(fields, 'reconciliation webhook: not delivered; trying again');
  }
  return delivered;
}

/** POSTs the alert; null when the endpoint answered 2xx, else why not. */
async function post(webhook: { url: string; secret: string }, body: string, now: number): Promise<string | null> {
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(webhook.secret, Math.floor(now / 1000), body) },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
