/**
 * `cancan reconcile --date YYYY-MM-DD`: reconciles a day now (a re-run
 * replaces the day's earlier items) and prints, per provider account, the
 * figures per currency and every difference.
 *
 * Exit codes: 0 every account clean; 3 differences found; 4 no differences
 * seen, but an account could not be reconciled (statement not published yet,
 * or its fetch failed: the worker retries it); 1 errors and 2 usage errors as
 * every command.
 *
 * Test mode reconciles the shared sandbox account of each provider against
 * the simulators: CANCAN_SIMULATOR_URL when set, else simulators started in
 * this process on the data directory's simulator ledger.
 */
import { parseArgs } from 'node:util';
import { openMigratedStore } from '../app.js';
import { type Config, loadConfig, loadMasterKey } from '../config.js';
import { type KeyMode, SecretBox } from '../domain/secrets.js';
import { isCurrencyCode, money, toMajorUnitString } from '../domain/money.js';
import { createAdapterSource } from '../providers/adapters.js';
import { providerCatalog } from '../providers/catalog.js';
import { isDay, publicationOf, publishedAt } from '../reconcile/days.js';
import type { MatchItem } from '../reconcile/match.js';
import { type RunResult, reconcileRun } from '../reconcile/run.js';
import { RUN_LEASE_MS } from '../reconcile/schedule.js';
import { systemClock } from '../domain/clock.js';
import { randomHex } from '../domain/ids.js';
import { type SimulatorServer, startSimulatorServer } from '../simulators/server.js';
import type { Store } from '../store/db.js';
import { type RunAccount, claimRunNow, ensureRun } from '../store/reconciliation.js';
import { UsageError, flagsOf } from './usage.js';

export const RECONCILE_EXIT = { clean: 0, differences: 3, incomplete: 4 } as const;

const OPTIONS = {
  date: { type: 'string' },
  provider: { type: 'string' },
  mode: { type: 'string' },
  merchant: { type: 'string' },
  json: { type: 'boolean' },
} as const;

interface Request {
  readonly day: string;
  readonly providers: readonly string[];
  readonly mode: KeyMode;
  readonly merchantId: string | null;
  readonly json: boolean;
}

function parseRequest(args: string[]): Request {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/^Unknown option '([^']+)'.*$/s, 'unknown option $1') : String(error));
  }
  const { values, positionals } = parsed;
  // The synopsis is the list of flags (usage.ts); this keeps the two in step.
  const stray = Object.keys(values).find((flag) => !flagsOf('reconcile').has(flag));
  if (stray !== undefined) throw new UsageError(`reconcile takes no --${stray}`);
  if (positionals.length > 0) throw new UsageError(`reconcile takes no arguments, got ${positionals.join(' ')}`);
  const day = values.date;
  if (day === undefined) throw new UsageError('--date is required, e.g. --date 2024-05-13 (the day in the provider statement time zone)');
  if (!isDay(day)) throw new UsageError(`--date must be a day written YYYY-MM-DD, got ${day}`);
  const mode = values.mode ?? 'test';
  if (mode !== 'test' && mode !== 'live') throw new UsageError(`--mode must be test or live, got ${mode}`);
  const names = providerCatalog().providers.map((p) => p.name);
  if (values.provider !== undefined && !names.includes(values.provider))
    throw new UsageError(`--provider must be one of ${names.join(', ')}, got ${values.provider}`);
  if (values.merchant !== undefined && mode === 'test') {
    throw new UsageError('--merchant is for --mode live: test mode reconciles the one shared sandbox account of each provider');
  }
  return { day, providers: values.provider === undefined ? names : [values.provider], mode, merchantId: values.merchant ?? null, json: values.json === true };
}

/** The accounts to reconcile: the sandbox account per provider, or each merchant's live account. */
async function accountsOf(store: Store, request: Request): Promise<RunAccount[]> {
  const { day, mode } = request;
  if (mode === 'test') return request.providers.map((provider) => ({ provider, mode, merchantId: null, day }));
  let query = store.db
    .selectFrom('provider_credentials')
    .select(['merchant_id', 'provider'])
    .where('provider', 'in', [...request.providers]);
  if (request.merchantId !== null) query = query.where('merchant_id', '=', request.merchantId);
  const rows = await query.orderBy('provider').orderBy('merchant_id').execute();
  if (rows.length === 0) {
    const who = request.merchantId === null ? 'no merchant has' : `merchant ${request.merchantId} has no`;
    throw new Error(`${who} live credentials for ${request.providers.join(', ')}: nothing to reconcile in live mode`);
  }
  return rows.map((row) => ({ provider: row.provider, mode, merchantId: row.merchant_id, day }));
}

interface Outcome {
  readonly account: RunAccount;
  readonly result: RunResult;
}

export async function reconcileCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ output: string; exitCode: number }> {
  const request = parseRequest(args);
  const config = loadConfig(env);
  const store = await openMigratedStore(config);
  let simulators: SimulatorServer | null = null;
  try {
    const accounts = await accountsOf(store, request);
    if (request.mode === 'test' && !config.simulatorUrl) {
      if (!config.simulators) throw new Error('test mode reconciles against the simulators: set CANCAN_SIMULATOR_URL, or leave CANCAN_SIMULATORS on');
      simulators = await startSimulatorServer({ ...config, port: 0, host: '127.0.0.1', logLevel: 'silent' });
    }
    const simulatorUrl = config.simulatorUrl ?? simulators?.url ?? '';
    const outcomes = await runAll(config, store, accounts, simulatorUrl);
    return { output: request.json ? asJson(outcomes) : asText(outcomes), exitCode: exitCodeOf(outcomes) };
  } finally {
    await simulators?.close();
    await store.close();
  }
}

async function runAll(config: Config, store: Store, accounts: readonly RunAccount[], simulatorUrl: string): Promise<Outcome[]> {
  const secrets = new SecretBox(loadMasterKey(config));
  const adapters = createAdapterSource({ config, store, secrets, simulatorUrl: () => simulatorUrl });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const deps = { store, adapters, clock: systemClock, log: quiet };
  const owner = `cli-${process.pid}-${randomHex(4)}`;
  const outcomes: Outcome[] = [];
  for (const account of accounts) {
    const provider = providerCatalog().provider(account.provider);
    if (!provider) continue;
    const now = systemClock.now();
    const stored = await ensureRun(store.db, account, publishedAt(account.day, publicationOf(provider)), now);
    const run = await claimRunNow(store.db, stored.id, owner, now, RUN_LEASE_MS);
    if (run === null) throw new Error(`${describe(account)} is being reconciled by a worker right now: try again in a moment`);
    outcomes.push({ account, result: await reconcileRun(deps, run) });
  }
  return outcomes;
}

function exitCodeOf(outcomes: readonly Outcome[]): number {
  if (outcomes.some(({ result }) => result.state === 'done' && !result.summary.clean)) return RECONCILE_EXIT.differences;
  if (outcomes.some(({ result }) => result.state !== 'done')) return RECONCILE_EXIT.incomplete;
  return RECONCILE_EXIT.clean;
}

const describe = (account: RunAccount): string =>
  `${account.provider} ${account.mode} ${account.day} (${account.merchantId === null ? 'sandbox account' : `merchant ${account.merchantId}`})`;

/** Minor units as the currency writes them (2.50 USD); a currency CanCan does not know stays in minor units. */
function amount(minor: number | null, currency: string): string {
  if (minor === null) return '-';
  if (!isCurrencyCode(currency) || minor < 0) return String(minor);
  return toMajorUnitString(money(minor, currency));
}

function asText(outcomes: readonly Outcome[]): string {
  const lines: string[] = [];
  for (const { account, result } of outcomes) {
    if (result.state !== 'done') {
      const when = result.runAt === null ? '' : `; tried again from ${new Date(result.runAt).toISOString()}`;
      const what = result.state === 'not_ready' ? 'statement not published yet' : result.state === 'failed' ? 'failed' : 'fetch failed';
      lines.push(`${describe(account)}: ${what}: ${result.error}${when}`);
      continue;
    }
    const { summary, items } = result;
    const differences = items.filter((item) => item.class !== 'matched');
    const verdict = summary.clean ? 'clean' : `${differences.length} difference${differences.length === 1 ? '' : 's'}`;
    const counts = Object.entries(summary.counts)
      .filter(([, count]) => count > 0)
      .map(([cls, count]) => `${cls} ${count}`)
      .join(', ');
    lines.push(`${describe(account)}: ${verdict}${summary.empty ? ' (no statement for the day)' : ''}${counts ? ` [${counts}]` : ''}`);
    for (const c of summary.currencies) {
      const totals = c.totals_agree === null ? 'no printed totals' : c.totals_agree ? 'printed totals agree' : 'printed totals DIFFER from the lines';
      lines.push(
        `  ${c.currency}  provider: payments ${amount(c.provider.payments, c.currency)}, refunds ${amount(c.provider.refunds, c.currency)}, fees ${amount(c.provider.fees, c.currency)}, net ${amount(c.provider.net, c.currency)} (${c.provider.lines} lines, ${totals})`,
      );
      lines.push(
        `  ${' '.repeat(c.currency.length)}  CanCan:   payments ${amount(c.cancan.payments, c.currency)}, refunds ${amount(c.cancan.refunds, c.currency)}`,
      );
    }
    for (const item of differences) lines.push(`  ${differenceLine(item)}`);
    if (summary.note) lines.push(`  note: ${summary.note}`);
  }
  return lines.join('\n');
}

function differenceLine(item: MatchItem): string {
  const number = item.kind === 'refund' ? `refund ${item.refundNo ?? '-'} of order ${item.orderNo}` : `payment ${item.orderNo}`;
  const amounts = `provider ${amount(item.providerAmount, item.currency)} ${item.currency}, CanCan ${amount(item.cancanAmount, item.currency)}`;
  const fee = item.class === 'fee_only' ? `, fee ${amount(item.fee, item.currency)}` : '';
  const merchant = item.merchantId === null ? '' : `, merchant ${item.merchantId}`;
  return `${item.class}: ${number} (${amounts}${fee}${merchant})${item.detail ? `: ${item.detail}` : ''}`;
}

function asJson(outcomes: readonly Outcome[]): string {
  return JSON.stringify({
    runs: outcomes.map(({ account, result }) => ({
      provider: account.provider,
      mode: account.mode,
      merchant_id: account.merchantId,
      day: account.day,
      state: result.state,
      ...(result.state === 'done'
        ? { summary: result.summary, differences: result.items.filter((item) => item.class !== 'matched').map(itemJson) }
        : { error: result.error, run_at: result.runAt === null ? null : new Date(result.runAt).toISOString() }),
    })),
    exit_code: exitCodeOf(outcomes),
  });
}

function itemJson(item: MatchItem) {
  return {
    class: item.class,
    kind: item.kind,
    merchant_id: item.merchantId,
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
