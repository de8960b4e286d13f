/**
 * The dashboard's transaction actions, through the same core operations as
 * the APIs: POS voids and refunds via createTransaction, CHOP refunds and
 * cancels via requestRefund / requestCancel, IPN re-sends via resendIpn.
 * Each records who did it in the audit log inside the core operation's own
 * database transaction: a void, refund or cancel on the payment and on the
 * new transaction, an IPN re-send on the charge.
 */
import { resendIpn } from '../chop/ipn.js';
import { CANCEL_MESSAGES, REFUND_REFUSALS, requestCancel, requestRefund } from '../chop/refunds.js';
import { createTransaction } from '../core/create-transaction.js';
import type { CoreDeps } from '../core/deps.js';
import { waitUntilFinal } from '../core/waiting.js';
import { assertNever } from '../domain/assert-never.js';
import { ApiError } from '../domain/errors.js';
import { randomHex } from '../domain/ids.js';
import { currencyExponent, fromMajorUnitString } from '../domain/money.js';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { TransactionRow } from '../store/transactions.js';
import { audit } from './accounts.js';
import type { DashContext } from './context.js';
import { type Action, type Facts, amountText, currencyOf, leftToRefund, loadFacts, major, partialAllowed } from './detail-data.js';
import { words } from './detail-words.js';
import { common } from './i18n.js';

/** How long an action waits for the new transaction to finish before redirecting (the page shows "Refresh" if it did not). */
const SETTLE_MS = 2_500;
const MAX_TEXT = 255;
/**
 * Ids the dashboard gives its voids and refunds; the confirmation form
 * carries one so a double submit is a replay. POS: the client id; CHOP: its
 * hex part becomes the refund's own id.
 */
const DASH_ID = /^dash-(void|refund)-([0-9a-f]{32})$/;

export const newClientId = (type: 'void' | 'refund'): string => `dash-${type}-${randomHex(16)}`;

/** The void or refund an earlier post of the same confirmation form made, if any (a double click answers it instead of checking again). */
export async function earlierSubmission(deps: CoreDeps, facts: Facts, clientId: string | undefined): Promise<TransactionRow | undefined> {
  const match = DASH_ID.exec(clientId ?? '');
  if (!match) return undefined;
  const query = deps.store.db.selectFrom('transactions').selectAll().where('merchant_id', '=', facts.row.merchant_id).where('sale_seq', '=', facts.row.seq);
  return (facts.row.channel === 'pos' ? query.where('client_id', '=', match[0]) : query.where('ref', '=', match[2] ?? '')).executeTakeFirst();
}

export type AmountCheck = { readonly ok: true; readonly amount: number } | { readonly ok: false; readonly message: string };

/** The typed refund amount (major units) → minor units, or why not. */
export function checkRefundAmount(ctx: DashContext, facts: Facts, typed: string): AmountCheck {
  const t = (key: Parameters<typeof words>[1], vars?: Record<string, string | number>) => ({ ok: false as const, message: words(ctx.lang, key, vars) });
  const { row } = facts;
  const currency = currencyOf(row);
  if (!currency) return t('not_notApplicable');
  const text = typed.trim();
  let amount: number;
  try {
    amount = fromMajorUnitString(text, currency).amount;
  } catch {
    if (/^-\d/.test(text)) return t('amountNotPositive');
    return t('amountMalformed', { example: major(1234, currency), decimals: currencyExponent(currency) });
  }
  if (amount <= 0) return t('amountNotPositive');
  if (!partialAllowed(row) && amount !== row.amount) return t('amountNotFull', { full: amountText(row.amount, currency, ctx.lang) });
  const left = leftToRefund(facts);
  if (BigInt(amount) > left) return t('amountTooMuch', { left: amountText(left, currency, ctx.lang) });
  return { ok: true, amount };
}

export interface ActionInput {
  readonly amount?: number;
  readonly reason?: string;
  /** The id the confirmation form carried (see DASH_ID): a POS void's or refund's client id, a CHOP refund's ref. */
  readonly clientId?: string;
}

export type ActionOutcome = { readonly ok: true; readonly location: string } | { readonly ok: false; readonly message: string };

export async function performAction(deps: CoreDeps, ctx: DashContext, facts: Facts, action: Action, input: ActionInput): Promise<ActionOutcome> {
  switch (action) {
    case 'void':
    case 'refund':
      return facts.row.channel === 'pos' ? posAction(deps, ctx, facts, action, input) : chopRefund(deps, ctx, facts, input);
    case 'cancel':
      return chopCancel(deps, ctx, facts, input);
    case 'resend':
      return resend(deps, ctx, facts);
    default:
      return assertNever(action);
  }
}

const note = (ctx: DashContext, verb: string, reason: string | undefined): string =>
  (reason?.trim() || `${verb} from the dashboard by ${ctx.user.email}`).slice(0, MAX_TEXT);

/** Two entries, written by the core operation's transaction: on the payment (what was asked, and the new transaction) and on the new one (who created it). */
const recordCreated =
  (deps: CoreDeps, ctx: DashContext, payment: TransactionRow, action: string) =>
  async (trx: Transaction<Database>, created: TransactionRow): Promise<void> => {
    const now = deps.clock.now();
    const entry = { userId: ctx.user.id, merchantId: payment.merchant_id, action };
    await audit(trx, { ...entry, target: payment.ref, detail: { amount: created.amount, currency: created.currency, new: created.ref } }, now);
    await audit(trx, { ...entry, target: created.ref, detail: { amount: created.amount, currency: created.currency, of: payment.ref } }, now);
  };

async function finish(deps: CoreDeps, ctx: DashContext, created: TransactionRow, done: string): Promise<ActionOutcome> {
  if (created.state === 'failed') {
    return {
      ok: false,
      message: words(ctx.lang, 'failedAtOnce', {
        type: common(ctx.lang, `type_${created.type}`),
        detail: created.failure_detail ?? created.failure_code ?? '',
      }),
    };
  }
  const final = await waitUntilFinal(deps, created, SETTLE_MS);
  return { ok: true, location: `/dashboard/transactions/${final.ref}?done=${done}` };
}

async function posAction(deps: CoreDeps, ctx: DashContext, facts: Facts, type: 'void' | 'refund', input: ActionInput): Promise<ActionOutcome> {
  const { row: sale, merchant } = facts;
  const id = input.clientId && DASH_ID.test(input.clientId) && input.clientId.startsWith(`dash-${type}-`) ? input.clientId : newClientId(type);
  const blank = { pos_id: null, mch_level_1: null, mch_level_2: null, mch_level_3: null } as const;
  const audited = recordCreated(deps, ctx, sale, `${type}.requested`);
  let result;
  try {
    result =
      type === 'void'
        ? await createTransaction(
            deps,
            { merchant, mode: sale.mode },
            {
              type: 'void',
              id,
              attributes: { ...blank, sale: sale.client_id, description: note(ctx, 'Voided', undefined) },
            },
            audited,
          )
        : await createTransaction(
            deps,
            { merchant, mode: sale.mode },
            {
              type: 'refund',
              id,
              attributes: { ...blank, sale: sale.client_id, amount: input.amount ?? 0, description: note(ctx, 'Refunded', input.reason) },
            },
            audited,
          );
  } catch (error) {
    // The same form posted again with other values: its id is taken.
    if (error instanceof ApiError && error.status === 409) return { ok: false, message: words(ctx.lang, 'conflict') };
    throw error;
  }
  return finish(deps, ctx, result.row, type);
}

async function chopRefund(deps: CoreDeps, ctx: DashContext, facts: Facts, input: ActionInput): Promise<ActionOutcome> {
  const { row: charge, merchant } = facts;
  const currency = currencyOf(charge);
  if (!currency) return { ok: false, message: words(ctx.lang, 'not_notApplicable') };
  const ref = DASH_ID.exec(input.clientId ?? '')?.[2];
  const decision = await requestRefund(
    deps,
    { merchant, mode: charge.mode },
    { charge: { id: charge.ref }, amount: input.amount ?? 0, currency, reason: note(ctx, 'Refunded', input.reason) },
    { ...(ref ? { ref } : {}), within: recordCreated(deps, ctx, charge, 'refund.requested') },
  );
  if (!decision) return { ok: false, message: words(ctx.lang, 'not_notApplicable') };
  if (!decision.ok) {
    const status = decision.status;
    switch (decision.code) {
      case REFUND_REFUSALS.tooMuch.code: {
        // Someone may have refunded meanwhile: say what is left now.
        const fresh = await loadFacts(deps, charge, merchant);
        return { ok: false, message: words(ctx.lang, 'amountTooMuch', { left: amountText(leftToRefund(fresh), currency, ctx.lang) }) };
      }
      case REFUND_REFUSALS.currency.code:
        return { ok: false, message: words(ctx.lang, 'chopCurrency', { status }) };
      case REFUND_REFUSALS.balance.code:
        return { ok: false, message: words(ctx.lang, 'chopBalance', { status }) };
      case REFUND_REFUSALS.window.code:
        return { ok: false, message: words(ctx.lang, 'chopWindow', { status }) };
      default:
        return { ok: false, message: words(ctx.lang, 'refusedWithReason', { status }) };
    }
  }
  return finish(deps, ctx, decision.refund, 'refund');
}

const CANCEL_REFUSALS: Readonly<Record<string, Parameters<typeof words>[1]>> = {
  [CANCEL_MESSAGES.unsupported]: 'not_notCancellable',
  [CANCEL_MESSAGES.duplicate]: 'not_voided',
  [CANCEL_MESSAGES.window]: 'not_cancelWindow',
};

async function chopCancel(deps: CoreDeps, ctx: DashContext, facts: Facts, input: ActionInput): Promise<ActionOutcome> {
  const { row: charge, merchant } = facts;
  const decision = await requestCancel(
    deps,
    { merchant, mode: charge.mode },
    { charge: { id: charge.ref }, reason: note(ctx, 'Cancelled', input.reason) },
    { within: recordCreated(deps, ctx, charge, 'cancel.requested') },
  );
  if (!decision) return { ok: false, message: words(ctx.lang, 'not_notApplicable') };
  if (!decision.ok) {
    const known = CANCEL_REFUSALS[decision.status];
    if (known) return { ok: false, message: words(ctx.lang, known) };
    if (decision.status === CANCEL_MESSAGES.balance) return { ok: false, message: words(ctx.lang, 'chopBalance', { status: decision.status }) };
    return { ok: false, message: words(ctx.lang, 'refusedWithReason', { status: decision.status }) };
  }
  return finish(deps, ctx, decision.cancel, 'cancel');
}

async function resend(deps: CoreDeps, ctx: DashContext, facts: Facts): Promise<ActionOutcome> {
  const { row: charge } = facts;
  const id = await resendIpn(deps, charge, (trx, notification) =>
    audit(trx, { userId: ctx.user.id, merchantId: charge.merchant_id, action: 'ipn.resent', target: charge.ref, detail: { notification } }, deps.clock.now()),
  );
  if (id === null) return { ok: false, message: words(ctx.lang, 'not_noIpnUrl') };
  return { ok: true, location: `/dashboard/transactions/${charge.ref}?done=ipn` };
}
