/** The reconciliation pages' HTML: the list of days, and one provider's day. */
import type { DashContext } from './context.js';
import { moneyText } from './amounts.js';
import { type Raw, formatTime, html, page } from './html.js';
import { common } from './i18n.js';
import { providerName } from './operator-words.js';
import {
  type ClassCounts,
  type CurrencyFigures,
  type DayList,
  type ItemRow,
  type ProviderDay,
  type ProviderDayDetail,
  type RunInfo,
  DIFFERENCES_SHOWN,
  DIFFERENCE_CLASSES,
  RECON_CLASSES,
  differencesIn,
  figuresDifference,
} from './reconciliation-data.js';
import { type ReconWord, words } from './reconciliation-words.js';

export const dayPath = (day: string, provider: string): string => `/dashboard/reconciliation/${day}/${encodeURIComponent(provider)}`;

type T = (key: ReconWord, vars?: Record<string, string | number>) => string;
const wordsOf =
  (ctx: DashContext): T =>
  (key, vars) =>
    words(ctx.lang, key, vars);

/** Why the figures may differ for a merchant of the sandbox or for the operator. */
function intro(ctx: DashContext, t: T): Raw {
  const extra = ctx.isOperator ? t('operatorNote') : ctx.mode === 'test' ? t('introSandbox') : '';
  return html`<p class="muted">${t('intro')}${extra ? html` ${extra}` : ''}</p>`;
}

const stateBadge = (t: T, state: string): Raw =>
  html`<span class="badge recon-state-${state}" data-state="${state}">${t(`state_${state}` as ReconWord)}</span>`;

function resultText(t: T, day: ProviderDay): Raw {
  const n = differencesIn(day.counts);
  if (day.clean) return html`<span class="badge recon-clean" data-result="clean">${t('clean')}</span>`;
  if (n > 0) return html`<span class="badge recon-differences" data-result="differences">${n === 1 ? t('oneDifference') : t('differences', { n })}</span>`;
  return html`<span class="badge recon-pending" data-result="pending">${t('pending')}</span>`;
}

export function listView(ctx: DashContext, list: DayList, before: string | null, problem: boolean): string {
  const t = wordsOf(ctx);
  const title = sectionTitle(ctx);
  const notices = problem ? [html`<p class="notice notice-error" role="alert">${t('badBefore')}</p>`] : [];
  if (list.days.length === 0) {
    return page(ctx, {
      title,
      section: 'reconciliation',
      notices,
      body: html`${intro(ctx, t)}<p class="notice notice-info" role="status">${t('none')}</p>${before ? html`<nav class="recon-pager" aria-label="${t('days')}"><a href="/dashboard/reconciliation">${t('newestDays')}</a></nav>` : ''}`,
    });
  }
  const classHeads = RECON_CLASSES.map((c) => html`<th scope="col" class="num">${t(`class_${c}`)}</th>`);
  const rows = list.days.flatMap((day) =>
    day.providers.map(
      (p) => html`<tr data-day="${day.day}" data-provider="${p.provider}">
<td data-label="${t('day')}"><a href="${dayPath(day.day, p.provider)}">${day.day}</a></td>
<td data-label="${t('provider')}">${providerName(ctx.lang, p.provider)}</td>
<td data-label="${t('state')}">${stateBadge(t, p.state)}</td>
${ctx.isOperator ? html`<td data-label="${t('accounts')}" class="num" data-accounts>${p.runs}</td>` : ''}
${RECON_CLASSES.map((c) => html`<td data-label="${t(`class_${c}`)}" class="num" data-count="${c}">${p.counts[c]}</td>`)}
<td data-label="${t('result')}">${resultText(t, p)}</td>
</tr>`,
    ),
  );
  const pager =
    before || list.olderBefore
      ? html`<nav class="recon-pager" aria-label="${t('days')}">${before ? html`<a href="/dashboard/reconciliation">${t('newestDays')}</a>` : ''}${
          list.olderBefore ? html`<a rel="next" href="/dashboard/reconciliation?before=${list.olderBefore}">${t('olderDays')}</a>` : ''
        }</nav>`
      : '';
  return page(ctx, {
    title,
    section: 'reconciliation',
    notices,
    body: html`${intro(ctx, t)}<div class="table-wrap"><table class="stack recon-days">
<thead><tr><th scope="col">${t('day')}</th><th scope="col">${t('provider')}</th><th scope="col">${t('state')}</th>${ctx.isOperator ? html`<th scope="col" class="num">${t('accounts')}</th>` : ''}${classHeads}<th scope="col">${t('result')}</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>${pager}`,
  });
}

const sectionTitle = (ctx: DashContext): string => common(ctx.lang, 'reconciliation');

function accountName(ctx: DashContext, t: T, merchantId: string | null, names: ReadonlyMap<string, string>): string {
  if (merchantId === null) return t('sandbox');
  if (!ctx.isOperator) return t('ownAccount');
  const name = names.get(merchantId);
  return name ? `${name} (${merchantId})` : merchantId;
}

function runsTable(ctx: DashContext, t: T, runs: readonly RunInfo[], names: ReadonlyMap<string, string>): Raw {
  const totals = (run: RunInfo) => (run.totalsMatch === null ? t('totalsUnknown') : run.totalsMatch ? t('totalsMatch') : t('totalsDiffer'));
  const rows = runs.map(
    (run) => html`<tr data-run="${run.id}">
<td data-label="${t('account')}">${accountName(ctx, t, run.merchantId, names)}</td>
<td data-label="${t('state')}">${stateBadge(t, run.state)}</td>
<td data-label="${t('source')}">${run.source === 'statement' || run.source === 'query' ? t(`source_${run.source}`) : '—'}</td>
<td data-label="${t('finished')}">${formatTime(run.finishedAt, ctx.timeZone)}</td>
<td data-label="${t('totals')}" data-totals="${run.totalsMatch === null ? 'unknown' : run.totalsMatch ? 'match' : 'differ'}">${totals(run)}</td>
${ctx.isOperator ? html`<td data-label="${t('attempts')}" class="num">${run.attempts}</td><td data-label="${t('lastError')}">${run.lastError ?? '—'}</td>` : ''}
</tr>`,
  );
  return html`<h2>${t('runsTitle')}</h2><div class="table-wrap"><table class="stack recon-runs">
<thead><tr><th scope="col">${t('account')}</th><th scope="col">${t('state')}</th><th scope="col">${t('source')}</th><th scope="col">${t('finished')}</th><th scope="col">${t('totals')}</th>${
    ctx.isOperator ? html`<th scope="col" class="num">${t('attempts')}</th><th scope="col">${t('lastError')}</th>` : ''
  }</tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function classList(t: T, counts: ClassCounts): Raw {
  return html`<h2>${t('classesTitle')}</h2><dl class="attrs recon-classes">${RECON_CLASSES.map(
    (c) => html`<dt>${t(`class_${c}`)}</dt><dd data-class-count="${c}">${counts[c]}</dd>`,
  )}</dl>`;
}

function figuresTable(ctx: DashContext, t: T, figures: readonly CurrencyFigures[]): Raw {
  if (figures.length === 0) return html`<h2>${t('figuresTitle')}</h2><p class="muted">${t('noFigures')}</p>`;
  const money = (amount: bigint, currency: string) => moneyText(amount, currency, ctx.lang);
  const columns: readonly [ReconWord, (f: CurrencyFigures) => bigint, string][] = [
    ['providerPayments', (f) => f.providerPayments, 'provider_payments'],
    ['providerRefunds', (f) => f.providerRefunds, 'provider_refunds'],
    ['fees', (f) => f.fees, 'fees'],
    ['net', (f) => f.net, 'net'],
    ['cancanPayments', (f) => f.cancanPayments, 'cancan_payments'],
    ['cancanRefunds', (f) => f.cancanRefunds, 'cancan_refunds'],
    ['difference', figuresDifference, 'difference'],
  ];
  const rows = figures.map(
    (f) => html`<tr data-currency="${f.currency}">
<th scope="row" data-label="${t('currency')}">${f.currency}</th>
${columns.map(([word, value, name]) => html`<td data-label="${t(word)}" class="num${name === 'difference' && value(f) !== 0n ? ' recon-off' : ''}" data-figure="${name}">${money(value(f), f.currency)}</td>`)}
</tr>`,
  );
  return html`<h2>${t('figuresTitle')}</h2><p class="muted">${t('figuresHint')}</p><div class="table-wrap"><table class="stack recon-figures">
<thead><tr><th scope="col">${t('currency')}</th>${columns.map(([word]) => html`<th scope="col" class="num">${t(word)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

const maybeMoney = (ctx: DashContext, amount: number | null, currency: string): string => (amount === null ? '—' : moneyText(amount, currency, ctx.lang));

function differencesTable(ctx: DashContext, t: T, detail: ProviderDayDetail, names: ReadonlyMap<string, string>): Raw {
  if (detail.differences.length === 0)
    return html`<h2>${t('differencesTitle')}</h2><p class="notice notice-ok" role="status" data-clean>${t('noDifferences')}</p>`;
  const known = (c: string): c is (typeof DIFFERENCE_CLASSES)[number] => (DIFFERENCE_CLASSES as readonly string[]).includes(c);
  const merchantCell = (item: ItemRow) =>
    ctx.isOperator
      ? html`<td data-label="${t('merchant')}">${item.merchantId === null ? t('nobody') : (names.get(item.merchantId) ?? item.merchantId)}</td>`
      : '';
  const orderCell = (item: ItemRow) =>
    item.transactionRef
      ? html`<a class="mono" href="/dashboard/transactions/${item.transactionRef}" data-transaction="${item.transactionRef}">${item.orderNo}</a>`
      : html`<span class="mono">${item.orderNo}</span>`;
  const rows = detail.differences.map(
    (item) => html`<tr data-item="${item.id}" data-class="${item.class}">
<td data-label="${t('class')}"><span class="badge recon-class-${item.class}">${known(item.class) ? t(`class_${item.class}`) : item.class}</span></td>
<td data-label="${t('kind')}">${item.kind === 'payment' || item.kind === 'refund' ? t(`kind_${item.kind}`) : item.kind}</td>
${merchantCell(item)}
<td data-label="${t('orderNo')}">${orderCell(item)}</td>
<td data-label="${t('refundNo')}"><span class="mono">${item.refundNo ?? '—'}</span></td>
<td data-label="${t('providerAmount')}" class="num" data-field="provider_amount">${maybeMoney(ctx, item.providerAmount, item.currency)}</td>
<td data-label="${t('cancanAmount')}" class="num" data-field="cancan_amount">${maybeMoney(ctx, item.cancanAmount, item.currency)}</td>
<td data-label="${t('fee')}" class="num" data-field="fee">${maybeMoney(ctx, item.fee, item.currency)}</td>
<td data-label="${t('providerStatus')}">${item.providerStatus ?? '—'}</td>
<td data-label="${t('cancanState')}">${item.cancanState ?? '—'}</td>
<td data-label="${t('detail')}">${item.detail ?? ''}</td>
</tr>`,
  );
  return html`<h2>${t('differencesTitle')}</h2>${
    detail.moreDifferences ? html`<p class="notice notice-info" role="status">${t('moreDifferences', { n: DIFFERENCES_SHOWN })}</p>` : ''
  }<div class="table-wrap"><table class="stack recon-differences-table">
<thead><tr><th scope="col">${t('class')}</th><th scope="col">${t('kind')}</th>${ctx.isOperator ? html`<th scope="col">${t('merchant')}</th>` : ''}<th scope="col">${t('orderNo')}</th><th scope="col">${t('refundNo')}</th><th scope="col" class="num">${t('providerAmount')}</th><th scope="col" class="num">${t('cancanAmount')}</th><th scope="col" class="num">${t('fee')}</th><th scope="col">${t('providerStatus')}</th><th scope="col">${t('cancanState')}</th><th scope="col">${t('detail')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

export function dayView(ctx: DashContext, day: string, provider: string, detail: ProviderDayDetail, names: ReadonlyMap<string, string>): string {
  const t = wordsOf(ctx);
  return page(ctx, {
    title: t('title', { section: sectionTitle(ctx), provider: providerName(ctx.lang, provider), day }),
    section: 'reconciliation',
    body: html`<p><a href="/dashboard/reconciliation">← ${t('back')}</a></p>
<div class="actions"><a class="button secondary" href="${dayPath(day, provider)}/items.csv" download data-csv>${t('downloadCsv')}</a></div>
${runsTable(ctx, t, detail.runs, names)}
${classList(t, detail.counts)}
${figuresTable(ctx, t, detail.figures)}
${differencesTable(ctx, t, detail, names)}`,
  });
}

export const RECONCILIATION_CSS = `
.recon-clean,.recon-state-done{background:var(--ok-bg);color:var(--ok)}
.recon-differences,.recon-state-failed,.recon-class-missing_in_cancan{background:var(--bad-bg);color:var(--bad)}
.recon-pending,.recon-state-due,.recon-state-running,.recon-state-not_ready,.recon-class-missing_at_provider,.recon-class-amount_mismatch,.recon-class-status_mismatch,.recon-class-fee_only{background:var(--wait-bg);color:var(--wait)}
td.recon-off{color:var(--bad);font-weight:600}
.recon-pager{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:1rem 0}
`;
