/** The transaction detail page: attributes, actions, related transactions, event timeline, IPN deliveries and activity. */
import { checkoutOf } from '../chop/checkout-data.js';
import { paymentMethod } from '../chop/methods.js';
import type { TransactionRow } from '../store/transactions.js';
import type { DashContext } from './context.js';
import {
  ACTIONS,
  type Action,
  type DetailData,
  type NotificationWithAttempts,
  type TimelineEvent,
  amountText,
  leftToRefund,
  refusalOf,
} from './detail-data.js';
import { type Word, words } from './detail-words.js';
import { type Raw, attentionBadge, formatTime, html, notice, page, paymentBadge, stateBadge } from './html.js';
import { common } from './i18n.js';

export const detailHref = (ref: string): string => `/dashboard/transactions/${ref}`;

/** "Sale 10.00 CNY": the type and amount, as titles and links name a transaction. */
export const nameOf = (ctx: DashContext, row: TransactionRow): string =>
  `${common(ctx.lang, `type_${row.type}`)}${row.amount !== null && row.type !== 'void' ? ` ${amountText(row.amount, row.currency, ctx.lang)}` : ''}`;

const ACTION_LABEL: Record<Action, Word> = { refund: 'refund', void: 'void', cancel: 'cancelCharge', resend: 'resendIpn' };

export function renderDetail(ctx: DashContext, data: DetailData, timeZone: string, notices: readonly Raw[]): string {
  const t = (key: Word, vars?: Record<string, string | number>) => words(ctx.lang, key, vars);
  const { row } = data;
  const pending = row.state === 'pending' ? [notice('info', html`${t('stillPending')} <a href="${detailHref(row.ref)}" data-refresh>${t('refresh')}</a>`)] : [];
  const body = html`<p><a href="/dashboard/transactions">${t('backToList')}</a></p>
${actionBar(ctx, data)}
<section class="card" aria-labelledby="attrs-h"><h2 id="attrs-h">${t('attributes')}</h2>${attributes(ctx, data, timeZone)}</section>
${related(ctx, data)}
${timeline(ctx, data.events, row, timeZone)}
${row.type === 'charge' ? ipn(ctx, data.notifications, timeZone) : ''}
${activity(ctx, data, timeZone)}`;
  return page(ctx, { title: nameOf(ctx, row), section: 'transactions', body, notices: [...notices, ...pending] });
}

function actionBar(ctx: DashContext, data: DetailData): Raw | string {
  if (!ctx.canAct) return '';
  const open = ACTIONS.filter((action) => refusalOf(action, data, ctx.now) === null);
  if (open.length === 0) return '';
  const links = open.map(
    (action) =>
      html`<a class="button${action === 'void' || action === 'cancel' ? ' danger' : action === 'resend' ? ' secondary' : ''}" data-action="${action}" href="${detailHref(data.row.ref)}/${action === 'resend' ? 'resend-ipn' : action}">${words(ctx.lang, ACTION_LABEL[action])}</a>`,
  );
  return html`<nav class="actions" aria-label="${words(ctx.lang, 'actions')}">${links}</nav>`;
}

function attributes(ctx: DashContext, data: DetailData, timeZone: string): Raw {
  const t = (key: Word) => words(ctx.lang, key);
  const { row, parent } = data;
  const method = row.payment_method ? paymentMethod(row.payment_method) : undefined;
  const item = (label: string, value: Raw | string | null | undefined, attr = '') =>
    value === null || value === undefined || value === '' ? '' : html`<dt>${label}</dt><dd${attr ? html` data-attr="${attr}"` : ''}>${value}</dd>`;
  const isPayment = row.type === 'sale' || row.type === 'charge';
  const parentLabel = row.channel === 'chop' ? t('chargeLink') : t('saleLink');
  const failure = row.failure_code ? html`<code>${row.failure_code}</code>${row.failure_detail ? html` — ${row.failure_detail}` : ''}` : null;
  // A charge is claimed by a cancel, a sale by a void.
  const claimed = row.channel === 'chop' ? row.cancelled === 1 : row.voided === 1;
  // A paid charge's cancel is a refund: its badge already says "Refunded".
  const saidByBadge = row.channel === 'chop' && row.state === 'succeeded';
  const flags = claimed && !saidByBadge ? t(row.channel === 'chop' ? 'cancelledYes' : 'voidedYes') : '';
  return html`<dl class="attrs">
${item(t('type'), common(ctx.lang, `type_${row.type}`), 'type')}
${item(t('channel'), t(row.channel === 'chop' ? 'channel_chop' : 'channel_pos'), 'channel')}
${item(t('state'), html`${paymentBadge(ctx.lang, row)}${attentionBadge(ctx.lang, row)}${flags ? html` <span class="muted">${flags}</span>` : ''}`, 'state')}
${item(t('failure'), failure, 'failure')}
${ctx.isOperator ? item(common(ctx.lang, 'merchant'), data.merchant.name, 'merchant') : ''}
${row.channel === 'chop' ? item(t('method'), method ? method.label[ctx.lang] : row.payment_method, 'method') : item(t('gateway'), row.gateway, 'gateway')}
${item(t('amount'), amountText(row.amount, row.currency, ctx.lang), 'amount')}
${isPayment ? item(t('refunded'), amountText(row.refunded_amount, row.currency, ctx.lang), 'refunded') : ''}
${isPayment && row.state === 'succeeded' ? item(t('left'), amountText(leftToRefund(data), row.currency, ctx.lang), 'left') : ''}
${item(t('cancanId'), html`<span class="mono">${row.ref}</span>`, 'ref')}
${row.channel === 'pos' ? item(t('posId'), html`<span class="mono">${row.client_id}</span>`, 'client-id') : item(t('chopReference'), row.reference, 'reference')}
${
  parent
    ? item(
        parentLabel,
        html`<a href="${detailHref(parent.ref)}" data-parent>${nameOf(ctx, parent)}</a> <span class="mono muted">${parent.channel === 'pos' ? parent.client_id : parent.ref}</span>`,
        'parent',
      )
    : !isPayment
      ? item(parentLabel, row.sale_client_id, 'parent')
      : ''
}
${item(t('posTerminal'), row.pos_id)}
${item(t('level1'), row.mch_level_1)}
${item(t('level2'), row.mch_level_2)}
${item(t('level3'), row.mch_level_3)}
${item(t('description'), row.description, 'description')}
${row.close_reason ? item(t('closeReason'), t(`close_${row.close_reason}`)) : ''}
${row.type === 'charge' ? item(t('ipnUrl'), checkoutOf(row).ipnUrl) : ''}
${item(t('mode'), common(ctx.lang, `mode_${row.mode}`), 'mode')}
${item(t('created'), formatTime(row.created_at, timeZone), 'created')}
${item(t('finalized'), formatTime(row.finalized_at, timeZone), 'finalized')}
</dl>`;
}

function related(ctx: DashContext, data: DetailData): Raw | string {
  const t = (key: Word) => words(ctx.lang, key);
  const { row, children, parent } = data;
  if (row.type !== 'sale' && row.type !== 'charge') {
    if (!parent) return '';
    return html`<section aria-labelledby="related-h"><h2 id="related-h">${t('related')}</h2>
<p>${t('relatedSale')} <a href="${detailHref(parent.ref)}">${nameOf(ctx, parent)}</a> ${paymentBadge(ctx.lang, parent)}</p></section>`;
  }
  const rows = children.map(
    (child) => html`<tr data-related="${child.ref}">
<td data-label="${t('type')}"><a href="${detailHref(child.ref)}">${common(ctx.lang, `type_${child.type}`)}</a></td>
<td data-label="${t('state')}">${stateBadge(ctx.lang, child.state)}</td>
<td data-label="${t('amount')}" class="num">${amountText(child.amount, child.currency, ctx.lang)}</td>
<td data-label="${t('cancanId')}" class="mono">${child.channel === 'pos' ? child.client_id : child.ref}</td></tr>`,
  );
  return html`<section aria-labelledby="related-h"><h2 id="related-h">${t('related')}</h2>
${
  children.length === 0
    ? html`<p class="muted">${t('noRelated')}</p>`
    : html`<div class="table-wrap"><table class="stack">
<thead><tr><th>${t('type')}</th><th>${t('state')}</th><th class="num">${t('amount')}</th><th>${t('cancanId')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}</section>`;
}

const stateName = (ctx: DashContext, state: unknown): string =>
  state === 'pending' || state === 'succeeded' || state === 'failed' ? common(ctx.lang, `state_${state}`) : text(state);

const text = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/** One line saying what an event was; the full data follows in a <details>. */
function summary(ctx: DashContext, event: TimelineEvent, row: TransactionRow, timeZone: string): Raw {
  const t = (key: Word, vars?: Record<string, string | number>) => words(ctx.lang, key, vars);
  const d = event.data;
  switch (event.kind) {
    case 'created': {
      const amount = typeof d.amount === 'number' ? amountText(d.amount, typeof d.currency === 'string' ? d.currency : row.currency, ctx.lang) : null;
      const facts = [common(ctx.lang, `type_${row.type}`), text(d.gateway ?? d.payment_method), amount, text(d.sale ?? d.charge), text(d.reason)].filter(
        Boolean,
      );
      return html`${facts.join(' · ')}`;
    }
    case 'state_changed':
      return html`${stateName(ctx, d.from)} → <strong>${stateName(ctx, d.to)}</strong>${d.failure_code ? html` · <code>${text(d.failure_code)}</code>` : ''}${d.failure_detail ? html` — ${text(d.failure_detail)}` : ''}`;
    case 'provider_attempt': {
      const outcome = [
        d.outcome ? t('outcome', { outcome: text(d.outcome) }) : '',
        typeof d.httpStatus === 'number' ? t('httpStatus', { status: d.httpStatus }) : t('noAnswer'),
        d.code ? t('code', { code: text(d.code) }) : '',
        typeof d.latencyMs === 'number' ? t('latency', { ms: d.latencyMs }) : '',
      ].filter(Boolean);
      const repeated =
        typeof d.repeatCount === 'number' && d.repeatCount > 1 && typeof d.lastAt === 'number'
          ? html`<br><span class="muted" data-repeated="${d.repeatCount}">${t('repeated', { count: d.repeatCount, at: formatTime(d.lastAt, timeZone) })}</span>`
          : '';
      return html`<strong>${t('providerCallSummary', { provider: text(d.provider), call: text(d.call) })}</strong> · <span data-outcome>${outcome.join(' · ')}</span>${d.message ? html` — ${text(d.message)}` : ''}${repeated}`;
    }
    case 'void_requested':
      return html`${text(d.void)}`;
    default:
      return html`${Object.entries(d)
        .map(([k, v]) => `${k}: ${text(v)}`)
        .join(' · ')}`;
  }
}

function timeline(ctx: DashContext, events: readonly TimelineEvent[], row: TransactionRow, timeZone: string): Raw {
  const t = (key: Word) => words(ctx.lang, key);
  const label = (kind: string): string => (['created', 'state_changed', 'provider_attempt', 'void_requested'].includes(kind) ? t(`ev_${kind}` as Word) : kind);
  const items = events.map(
    (event) => html`<li data-event="${event.kind}">
<time class="muted">${formatTime(event.at, timeZone)}</time> <span class="kind">${label(event.kind)}</span>
<div>${summary(ctx, event, row, timeZone)}</div>
${Object.keys(event.data).length > 0 ? html`<details><summary>${event.kind === 'provider_attempt' ? t('traceDetails') : t('eventData')}</summary><pre>${JSON.stringify(event.data, null, 2)}</pre></details>` : ''}
</li>`,
  );
  return html`<section aria-labelledby="timeline-h"><h2 id="timeline-h">${t('timeline')}</h2>
${events.length === 0 ? html`<p class="muted">${t('noEvents')}</p>` : html`<ol class="timeline">${items}</ol>`}</section>`;
}

const NOTIFY_BADGE = { pending: 'pending', delivered: 'succeeded', failed: 'failed' } as const;

function ipn(ctx: DashContext, notifications: readonly NotificationWithAttempts[], timeZone: string): Raw {
  const t = (key: Word, vars?: Record<string, string | number>) => words(ctx.lang, key, vars);
  const cards = notifications.map(({ notification: n, attempts }) => {
    const rows = attempts.map(
      (a) => html`<tr data-attempt>
<td data-label="${t('when')}">${formatTime(Number(a.at), timeZone)}</td>
<td data-label="${t('result')}">${a.http_status !== null ? t('httpStatus', { status: a.http_status }) : t('networkError', { error: a.error ?? '' })}</td>
<td data-label="${t('latencyLabel')}" class="num">${t('latency', { ms: Number(a.latency_ms) })}</td>
<td data-label="${t('response')}"><code>${a.response_excerpt ?? ''}</code></td></tr>`,
    );
    return html`<div class="card" data-notification="${n.notify_id}">
<p><strong class="notify-id">${t('notifyId', { id: n.notify_id })}</strong> <span class="badge badge-${NOTIFY_BADGE[n.status]}" data-status="${n.status}">${t(`status_${n.status}`)}</span> · <span class="muted">${formatTime(Number(n.created_at), timeZone)}</span></p>
<p class="mono muted">${n.url}</p>
${
  attempts.length === 0
    ? html`<p class="muted">${t('noAttempts')}</p>`
    : html`<div class="table-wrap"><table class="stack">
<thead><tr><th>${t('when')}</th><th>${t('result')}</th><th class="num">${t('latencyLabel')}</th><th>${t('response')}</th></tr></thead><tbody>${rows}</tbody></table></div>`
}
</div>`;
  });
  return html`<section aria-labelledby="ipn-h"><h2 id="ipn-h">${t('notifications')}</h2>
${notifications.length === 0 ? html`<p class="muted">${t('noNotifications')}</p>` : cards}</section>`;
}

function activity(ctx: DashContext, data: DetailData, timeZone: string): Raw {
  const t = (key: Word) => words(ctx.lang, key);
  const label = (action: string): string => (`audit_${action}` in AUDIT_KEYS ? t(`audit_${action}` as Word) : action);
  const detail = (d: Record<string, unknown>) => {
    const parts: (Raw | string)[] = [];
    if (typeof d.amount === 'number') parts.push(amountText(d.amount, typeof d.currency === 'string' ? d.currency : null, ctx.lang));
    for (const key of ['new', 'of'] as const) {
      const ref = d[key];
      if (typeof ref === 'string' && /^[0-9a-f]{32}$/.test(ref)) parts.push(html`<a class="mono" href="${detailHref(ref)}">${ref}</a>`);
    }
    return parts.map((p, i) => html`${i > 0 ? ' · ' : ''}${p}`);
  };
  const rows = data.activity.map(
    (entry) => html`<tr data-audit="${entry.action}">
<td data-label="${t('when')}">${formatTime(entry.at, timeZone)}</td><td data-label="${t('who')}">${entry.email}</td>
<td data-label="${t('what')}">${label(entry.action)}</td><td data-label="${t('auditDetail')}">${detail(entry.detail)}</td></tr>`,
  );
  return html`<section aria-labelledby="activity-h"><h2 id="activity-h">${t('activity')}</h2>
${
  data.activity.length === 0
    ? html`<p class="muted">${t('noActivity')}</p>`
    : html`<div class="table-wrap"><table class="stack">
<thead><tr><th>${t('when')}</th><th>${t('who')}</th><th>${t('what')}</th><th>${t('auditDetail')}</th></tr></thead><tbody>${rows}</tbody></table></div>`
}</section>`;
}

const AUDIT_KEYS = { 'audit_refund.requested': 1, 'audit_void.requested': 1, 'audit_cancel.requested': 1, 'audit_ipn.resent': 1 } as const;

export const DETAIL_CSS = `
ol.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line)}
ol.timeline li{position:relative;margin:0 0 .9rem;padding:0 0 0 1rem}
ol.timeline li::before{content:"";position:absolute;left:-6px;top:.45rem;width:10px;height:10px;border-radius:50%;background:var(--accent)}
ol.timeline .kind{font-weight:600;margin-left:.4rem}
details summary{cursor:pointer;color:var(--accent);font-size:.9rem;margin-top:.2rem}
details pre{background:#f3f4f6;border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;overflow-x:auto;font-size:.85rem;white-space:pre-wrap;word-break:break-all;margin:.3rem 0 0}
.button.danger{background:var(--bad);border-color:var(--bad);color:#fff}
.notify-id{word-break:break-all}[data-notification]>p:first-child{margin-top:0}
.confirm-amount{font-size:1.3rem;font-weight:700}
`;
