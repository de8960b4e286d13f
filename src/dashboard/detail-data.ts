/**
 * What the transaction detail page shows, and the rules deciding which
 * actions apply. The rules mirror the core's own checks so the page hides
 * buttons that would be refused; the core still decides.
 */
import { checkoutOf } from '../chop/checkout-data.js';
import { paymentMethod } from '../chop/methods.js';
import type { CoreDeps } from '../core/deps.js';
import { refundWindowMsOf } from '../core/refund-window.js';
import { assertNever } from '../domain/assert-never.js';
import { committedTotal, refundableAmount } from '../domain/refund-rules.js';
import { withinCancelWindow, withinRefundWindow, withinVoidWindow } from '../domain/windows.js';
import { type CurrencyCode, currencyExponent, isCurrencyCode } from '../domain/money.js';
import { gatewayProfile } from '../providers/registry.js';
import { type AttemptRow, listAttempts } from '../store/attempts.js';
import { type Merchant, findMerchant } from '../store/merchants.js';
import { type NotificationWithAttempts, notificationsOf } from '../store/chop-reads.js';
import type { TransactionRow } from '../store/transactions.js';
import { auditTrail } from './accounts.js';
import { majorDigits, moneyText } from './amounts.js';
import type { Lang } from './i18n.js';

export interface TimelineEvent {
  readonly at: number;
  readonly kind: string;
  readonly data: Record<string, unknown>;
}

export type { NotificationWithAttempts } from '../store/chop-reads.js';

/** The row and its surroundings: what the rules and the page need. */
export interface Facts {
  readonly row: TransactionRow;
  readonly merchant: Merchant;
  /** For a sale or charge: its voids, refunds and cancels, oldest first. */
  readonly children: readonly TransactionRow[];
  /** For a void, refund or cancel: its sale or charge. */
  readonly parent: TransactionRow | undefined;
}

export interface DetailData extends Facts {
  readonly events: readonly TimelineEvent[];
  readonly notifications: readonly NotificationWithAttempts[];
  readonly activity: Awaited<ReturnType<typeof auditTrail>>;
}

const isPayment = (row: TransactionRow): boolean => row.type === 'sale' || row.type === 'charge';

/** `known`: the merchant row the caller already holds (the user's own), so it is not read again. */
export async function loadFacts(deps: CoreDeps, row: TransactionRow, known?: Merchant | null): Promise<Facts> {
  const { db } = deps.store;
  const merchant = known?.id === row.merchant_id ? known : await findMerchant(db, row.merchant_id);
  if (!merchant) throw new Error(`transaction ${row.ref} has no merchant ${row.merchant_id}`);
  const children = isPayment(row) ? await db.selectFrom('transactions').selectAll().where('sale_seq', '=', row.seq).orderBy('seq').execute() : [];
  const parent =
    !isPayment(row) && row.sale_seq !== null
      ? await db.selectFrom('transactions').selectAll().where('seq', '=', row.sale_seq).where('merchant_id', '=', row.merchant_id).executeTakeFirst()
      : undefined;
  return { row, merchant, children, parent };
}

export async function loadDetail(deps: CoreDeps, row: TransactionRow, known?: Merchant | null): Promise<DetailData> {
  const { db } = deps.store;
  const facts = await loadFacts(deps, row, known);
  const events = (await db.selectFrom('transaction_events').selectAll().where('transaction_seq', '=', row.seq).orderBy('id').execute()).map((e) => ({
    at: Number(e.at),
    kind: e.kind,
    data: parseData(e.data),
  }));
  // Provider calls are attempts, not events: both go on one timeline, by time (stable, so events stay in order).
  const timeline = [...events, ...(await listAttempts(db, row.seq)).map(attemptEvent)].sort((a, b) => a.at - b.at);
  return {
    ...facts,
    events: timeline,
    notifications: row.type === 'charge' ? await notificationsOf(db, row.seq) : [],
    activity: await auditTrail(db, row.ref),
  };
}

/** A provider attempt as a timeline entry: what the page shows of it, provider data included (never secret). */
function attemptEvent(attempt: AttemptRow): TimelineEvent {
  return {
    at: Number(attempt.at),
    kind: 'provider_attempt',
    data: {
      provider: attempt.provider,
      call: attempt.call,
      outcome: attempt.outcome,
      code: attempt.code,
      message: attempt.message,
      httpStatus: attempt.http_status,
      latencyMs: Number(attempt.latency_ms),
      repeatCount: Number(attempt.repeat_count),
      lastAt: Number(attempt.last_at),
      request: attempt.request_summary,
      response: parseData(attempt.response_summary ?? '{}'),
      providerData: parseData(attempt.provider_data),
    },
  };
}

function parseData(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { value: text };
  }
}

// ─── Money ──────────────────────────────────────────────────────────────────

export const currencyOf = (row: TransactionRow): CurrencyCode | null => (row.currency && isCurrencyCode(row.currency) ? row.currency : null);

/** Minor units as `12.34` in the row's currency (plain digits if the currency is unknown); any stored size. */
export function major(amount: number | bigint, currency: string | null): string {
  return majorDigits(amount, currency ?? '');
}

/** For people, in the page's language (`$12.34`, `¥1,500`); a row without a currency shows grouped digits. */
export const amountText = (amount: number | bigint | null, currency: string | null, lang: Lang): string =>
  amount === null ? '—' : moneyText(amount, currency ?? '', lang).trim();

/** The input's `step`: one smallest unit of the currency (0.01, 0.001 or 1). */
export function stepOf(currency: CurrencyCode): string {
  const exponent = currencyExponent(currency);
  return exponent === 0 ? '1' : `0.${'0'.repeat(exponent - 1)}1`;
}

/** What is left to refund on the payment, by the same rule as the APIs' refund checks. */
export const leftToRefund = (facts: Facts): bigint => refundableAmount(facts.row.amount, committedTotal(facts.children));

/** POS gateways say whether they refund partially; CHOP methods all do. */
export const partialAllowed = (row: TransactionRow): boolean =>
  row.channel === 'chop' || (row.gateway !== null && gatewayProfile(row.gateway)?.partialRefunds === true);

// ─── Which actions apply ────────────────────────────────────────────────────

export const ACTIONS = ['refund', 'void', 'cancel', 'resend'] as const;
export type Action = (typeof ACTIONS)[number];

export type Refusal =
  | 'notApplicable'
  | 'voided'
  | 'failedSale'
  | 'voidWindow'
  | 'hasRefunds'
  | 'notSucceeded'
  | 'refundWindow'
  | 'nothingLeft'
  | 'notCancellable'
  | 'cancelWindow'
  | 'notFinal'
  | 'noIpnUrl'
  | 'gatewayGone';

/** Why `action` cannot apply to the row now, or null when it can. */
export function refusalOf(action: Action, facts: Facts, now: number): Refusal | null {
  const { row, merchant } = facts;
  const pos = row.channel === 'pos' && row.type === 'sale';
  const chop = row.channel === 'chop' && row.type === 'charge';
  // A sale is claimed by a void, a charge by a cancel.
  const claimed = chop ? row.cancelled === 1 || row.cancel_seq !== null || row.close_reason === 'cancelled' : row.voided === 1 || row.void_seq !== null;
  switch (action) {
    case 'void':
      if (!pos) return 'notApplicable';
      if (claimed) return 'voided';
      if (row.state === 'failed') return 'failedSale';
      if (!withinVoidWindow(row, Number(merchant.void_window_ms), now)) return 'voidWindow';
      if (row.state === 'succeeded' && committedTotal(facts.children) > 0n) return 'hasRefunds';
      return null;
    case 'refund': {
      if (!pos && !chop) return 'notApplicable';
      if (row.state !== 'succeeded') return 'notSucceeded';
      if (claimed) return 'voided';
      const windowMs = refundWindowMsOf(row);
      if (windowMs === undefined) return 'gatewayGone';
      if (!withinRefundWindow(row, windowMs, now)) return 'refundWindow';
      if (leftToRefund(facts) <= 0n) return 'nothingLeft';
      return null;
    }
    case 'cancel':
      if (!chop) return 'notApplicable';
      if (!paymentMethod(row.payment_method ?? '')?.cancellable) return 'notCancellable';
      if (claimed) return 'voided';
      if (!withinCancelWindow(row, Number(merchant.cancel_window_ms), now)) return 'cancelWindow';
      if (row.state === 'failed') return 'failedSale';
      if (row.state === 'succeeded' && leftToRefund(facts) <= 0n) return 'nothingLeft';
      return null;
    case 'resend':
      if (!chop) return 'notApplicable';
      if (row.state === 'pending') return 'notFinal';
      if (!checkoutOf(row).ipnUrl) return 'noIpnUrl';
      return null;
    default:
      return assertNever(action);
  }
}
