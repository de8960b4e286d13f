/**
 * The action pages: the refund form and its review, and the confirmation of
 * a void, a cancel or an IPN re-send. Plain forms: they work without
 * JavaScript, and the browser checks the amount's range before submitting.
 */
import { checkoutOf } from '../chop/checkout-data.js';
import type { DashContext } from './context.js';
import { type Action, type Facts, amountText, currencyOf, leftToRefund, major, partialAllowed, stepOf } from './detail-data.js';
import { detailHref, nameOf } from './detail-view.js';
import { type Word, words } from './detail-words.js';
import { type Raw, csrfField, html, notice, page } from './html.js';
import { common } from './i18n.js';

export const actionPath = (ref: string, action: Action): string => `${detailHref(ref)}/${action === 'resend' ? 'resend-ipn' : action}`;

const TITLES: Record<Action, Word> = { refund: 'refundTitle', void: 'voidTitle', cancel: 'cancelTitle', resend: 'resendTitle' };

function actionPage(ctx: DashContext, facts: Facts, action: Action, body: Raw, notices: readonly Raw[] = []): string {
  const { row } = facts;
  const t = (key: Word) => words(ctx.lang, key);
  const isPayment = row.type === 'sale' || row.type === 'charge';
  const summary = html`<dl class="attrs card">
<dt>${t('cancanId')}</dt><dd class="mono">${row.ref}</dd>
${row.channel === 'pos' ? html`<dt>${t('posId')}</dt><dd class="mono">${row.client_id}</dd>` : row.reference ? html`<dt>${t('chopReference')}</dt><dd>${row.reference}</dd>` : ''}
<dt>${t('amount')}</dt><dd>${amountText(row.amount, row.currency, ctx.lang)}</dd>
${isPayment && row.state === 'succeeded' ? html`<dt>${t('left')}</dt><dd data-left>${amountText(leftToRefund(facts), row.currency, ctx.lang)}</dd>` : ''}
</dl>`;
  return page(ctx, {
    title: words(ctx.lang, TITLES[action], { what: nameOf(ctx, row) }),
    section: 'transactions',
    notices,
    body: html`<p><a href="${detailHref(row.ref)}">${t('backToTransaction')}</a></p>${summary}${body}`,
  });
}

/** An action that does not apply (any more): the reason, and the way back. */
export const refusedPage = (ctx: DashContext, facts: Facts, action: Action, message: string): string =>
  actionPage(ctx, facts, action, html``, [notice('error', message)]);

export interface RefundFormState {
  readonly amount: string;
  readonly reason: string;
  readonly error?: string;
  /** A refusal from the core, shown above the form. */
  readonly refusal?: string;
}

export function refundForm(ctx: DashContext, facts: Facts, state: RefundFormState): string {
  const t = (key: Word, vars?: Record<string, string | number>) => words(ctx.lang, key, vars);
  const { row } = facts;
  const currency = currencyOf(row);
  if (!currency) return refusedPage(ctx, facts, 'refund', t('not_notApplicable'));
  const left = leftToRefund(facts);
  const partial = partialAllowed(row);
  // Full-only gateways: the amount is fixed to the whole sale.
  const range = partial
    ? html`min="${stepOf(currency)}" max="${major(left, currency)}"`
    : html`min="${major(row.amount ?? 0, currency)}" max="${major(row.amount ?? 0, currency)}" readonly`;
  const body = html`<form method="post" action="${actionPath(row.ref, 'refund')}" class="card" data-refund-form>
${csrfField(ctx)}
<label for="amount">${t('refundAmount', { currency })}</label>
<input id="amount" name="amount" type="number" inputmode="decimal" step="${stepOf(currency)}" ${range} required value="${state.amount}"
 aria-describedby="amount-hint${state.error ? ' amount-error' : ''}"${state.error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="amount-hint">${t('refundAmountHint', { left: amountText(left, currency, ctx.lang), partial: t(partial ? 'partialOk' : 'fullOnly') })}</p>
${state.error ? html`<p class="field-error" id="amount-error">${state.error}</p>` : ''}
<label for="reason">${t('reason')} <span class="hint">${t('reasonHint')}</span></label>
<input id="reason" name="reason" type="text" maxlength="255" value="${state.reason}">
<div class="actions"><button type="submit">${t('review')}</button><a href="${detailHref(row.ref)}">${common(ctx.lang, 'cancel')}</a></div>
</form>`;
  return actionPage(ctx, facts, 'refund', body, state.refusal ? [notice('error', state.refusal)] : []);
}

/** The second step: what will happen, and the button that does it. */
export function refundReview(ctx: DashContext, facts: Facts, amount: number, reason: string, clientId: string): string {
  const t = (key: Word, vars?: Record<string, string | number>) => words(ctx.lang, key, vars);
  const { row } = facts;
  const typed = major(amount, row.currency);
  const back = `${actionPath(row.ref, 'refund')}?${new URLSearchParams({ amount: typed, reason }).toString()}`;
  const body = html`<form method="post" action="${actionPath(row.ref, 'refund')}" class="card" data-confirm="refund">
${csrfField(ctx)}
<input type="hidden" name="amount" value="${typed}"><input type="hidden" name="reason" value="${reason}">
<input type="hidden" name="id" value="${clientId}"><input type="hidden" name="confirm" value="yes">
<p class="confirm-amount" data-confirm-amount>${amountText(amount, row.currency, ctx.lang)}</p>
<p>${t('reviewText', { amount: amountText(amount, row.currency, ctx.lang), what: nameOf(ctx, row) })}</p>
${reason ? html`<p><span class="muted">${t('reasonLabel')}:</span> ${reason}</p>` : ''}
<div class="actions"><button type="submit" class="danger">${t('confirmRefund')}</button><a href="${back}">${t('changeAmount')}</a>
<a href="${detailHref(row.ref)}">${common(ctx.lang, 'cancel')}</a></div>
</form>`;
  return actionPage(ctx, facts, 'refund', body);
}

/** Void, cancel and re-send: one question, one button. */
export function confirmPage(ctx: DashContext, facts: Facts, action: Exclude<Action, 'refund'>, clientId: string | null, refusal?: string): string {
  const t = (key: Word, vars?: Record<string, string | number>) => words(ctx.lang, key, vars);
  const { row } = facts;
  const what = nameOf(ctx, row);
  const amount = amountText(row.amount, row.currency, ctx.lang);
  const question =
    action === 'void'
      ? t('voidText', { what, amount })
      : action === 'cancel'
        ? t('cancelText', { what, amount })
        : t('resendText', { url: checkoutOf(row).ipnUrl ?? '' });
  const button = t(action === 'void' ? 'confirmVoid' : action === 'cancel' ? 'confirmCancel' : 'confirmResend');
  const body = html`<form method="post" action="${actionPath(row.ref, action)}" class="card" data-confirm="${action}">
${csrfField(ctx)}
${clientId ? html`<input type="hidden" name="id" value="${clientId}">` : ''}<input type="hidden" name="confirm" value="yes">
<p>${question}</p>
<div class="actions"><button type="submit"${action === 'resend' ? '' : html` class="danger"`}>${button}</button><a href="${detailHref(row.ref)}">${common(ctx.lang, 'cancel')}</a></div>
</form>`;
  return actionPage(ctx, facts, action, body, refusal ? [notice('error', refusal)] : []);
}
