/**
 * Dashboard: one transaction (/dashboard/transactions/:ref) and its actions.
 * Every action has a confirmation step that works without JavaScript: a GET
 * page with the form or question, then a POST with `confirm=yes` that goes
 * through the same core operation as the API. Another merchant's transaction
 * is a 404 everywhere; staff see no actions, and the kit refuses their POSTs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ActionOutcome, checkRefundAmount, earlierSubmission, newClientId, performAction } from '../actions.js';
import type { DashContext } from '../context.js';
import { ACTIONS, type Action, type Facts, leftToRefund, loadDetail, loadFacts, major, refusalOf } from '../detail-data.js';
import { confirmPage, refundForm, refundReview, refusedPage } from '../detail-forms.js';
import { DETAIL_CSS, renderDetail } from '../detail-view.js';
import { type Word, words } from '../detail-words.js';
import { notice } from '../html.js';
import { type DashKit, type DashboardModule, textField } from '../kit.js';

const DONE: Readonly<Record<string, Word>> = { refund: 'done_refund', void: 'done_void', cancel: 'done_cancel', ipn: 'done_ipn' };
const MAX_REASON = 255;

export const detailPage: DashboardModule = {
  css: DETAIL_CSS,
  register(kit) {
    kit.get('/transactions/:ref', async (ctx, request, reply) => {
      const row = await kit.visibleTransaction(ctx, textField(request.params, 'ref'));
      if (!row) return kit.notFound(ctx, reply);
      const done = DONE[textField(request.query, 'done')];
      const data = await loadDetail(kit.deps, row, ctx.merchant);
      // The transaction's merchant's zone (operators see any merchant's transaction).
      return renderDetail(ctx, data, data.merchant.timezone, done ? [notice('ok', words(ctx.lang, done))] : []);
    });
    for (const action of ACTIONS) registerAction(kit, action);
  },
};

function refusalText(ctx: DashContext, facts: Facts, action: Action): string | null {
  const refusal = refusalOf(action, facts, ctx.now);
  return refusal ? words(ctx.lang, `not_${refusal}`, { minutes: Math.round(Number(facts.merchant.void_window_ms) / 60_000) }) : null;
}

function registerAction(kit: DashKit, action: Action): void {
  const path = `/transactions/:ref/${action === 'resend' ? 'resend-ipn' : action}`;

  /**
   * The transaction's facts if this user may act on it now; otherwise null,
   * the answer having been sent. Never the reply itself: a reply is thenable,
   * so an async function returning it hands its caller `undefined`.
   */
  async function prepare(ctx: DashContext, request: FastifyRequest, reply: FastifyReply): Promise<Facts | null> {
    const row = await kit.visibleTransaction(ctx, textField(request.params, 'ref'));
    if (!row) {
      kit.notFound(ctx, reply);
      return null;
    }
    if (!ctx.canAct) {
      kit.forbidden(ctx, reply);
      return null;
    }
    const facts = await loadFacts(kit.deps, row, ctx.merchant);
    const refused = refusalText(ctx, facts, action);
    if (!refused) return facts;
    kit.sendHtml(reply, refusedPage(ctx, facts, action, refused), 409);
    return null;
  }

  kit.get(path, async (ctx, request, reply) => {
    const facts = await prepare(ctx, request, reply);
    if (!facts) return reply;
    if (action !== 'refund') return confirmPage(ctx, facts, action, action === 'void' ? newClientId('void') : null);
    // "Change the amount" from the review comes back with the values in the query.
    const typed = textField(request.query, 'amount');
    return refundForm(ctx, facts, {
      amount: typed || major(leftToRefund(facts), facts.row.currency),
      reason: textField(request.query, 'reason').slice(0, MAX_REASON),
    });
  });

  kit.post(path, async (ctx, request, reply) => {
    const facts = await prepare(ctx, request, reply);
    if (!facts) return reply;
    const body = request.body;
    const confirmed = textField(body, 'confirm') === 'yes';
    const clientId = textField(body, 'id') || undefined;
    const answer = (outcome: ActionOutcome, orElse: (message: string) => FastifyReply | Promise<FastifyReply>) =>
      outcome.ok ? kit.seeOther(reply, outcome.location) : orElse(outcome.message);
    const earlier = confirmed ? await earlierSubmission(kit.deps, facts, clientId) : undefined;
    if (earlier) return kit.seeOther(reply, `/dashboard/transactions/${earlier.ref}?done=${action}`);

    if (action !== 'refund') {
      if (!confirmed) return confirmPage(ctx, facts, action, action === 'void' ? newClientId('void') : null);
      const outcome = await performAction(kit.deps, ctx, facts, action, { ...(clientId ? { clientId } : {}) });
      return answer(outcome, (message) => kit.sendHtml(reply, confirmPage(ctx, facts, action, action === 'void' ? newClientId('void') : null, message), 409));
    }

    const typed = textField(body, 'amount').slice(0, 40);
    const reason = textField(body, 'reason').trim().slice(0, MAX_REASON);
    const checked = checkRefundAmount(ctx, facts, typed);
    if (!checked.ok) return kit.sendHtml(reply, refundForm(ctx, facts, { amount: typed, reason, error: checked.message }), 422);
    if (!confirmed) return refundReview(ctx, facts, checked.amount, reason, newClientId('refund'));
    const outcome = await performAction(kit.deps, ctx, facts, 'refund', { amount: checked.amount, reason, ...(clientId ? { clientId } : {}) });
    return answer(outcome, async (message) => {
      // Show the form as it stands now (what is left may have changed), keeping what was typed.
      const fresh = await loadFacts(kit.deps, (await kit.visibleTransaction(ctx, facts.row.ref)) ?? facts.row, facts.merchant);
      return kit.sendHtml(reply, refundForm(ctx, fresh, { amount: typed, reason, refusal: message }), 422);
    });
  });
}
