/**
 * Dashboard: the overview. Today and the last 30 days for the user's
 * merchant (operators: every merchant together, in UTC): payments and
 * reversals per currency, the success rate, the CHOP open balance, and
 * server-drawn SVG charts, each with its figures in a table too.
 */
import { barChart, columnChart } from '../charts.js';
import type { DashContext } from '../context.js';
import { approx, moneyText } from '../amounts.js';
import { type Raw, formatTime, html, page } from '../html.js';
import { type Lang, common } from '../i18n.js';
import type { DashboardModule } from '../kit.js';
import { type OverviewFigures, type PeriodFigures, type Tally, DAYS, MAX_CURRENCY_CHARTS, STATES, overviewFigures } from '../overview-data.js';
import { type OverviewWord, words } from '../overview-words.js';

const STATE_FILLS = { succeeded: '#1a7f37', failed: '#cf222e', pending: '#9a6700' } as const;

/** Exact sums of any size; negative open balances exist (refunds above today's charges). */
const amountText = (lang: Lang, amount: bigint, currency: string): string => moneyText(amount, currency, lang);

const percent = (rate: number | null): string => (rate === null ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`);

interface View {
  readonly ctx: DashContext;
  readonly figures: OverviewFigures;
  readonly w: (key: OverviewWord, vars?: Record<string, string | number>) => string;
  /** YYYY-MM-DD of a local midnight. */
  readonly date: (ms: number) => string;
}

function listLink(params: Record<string, string>): string {
  return `/dashboard/transactions?${new URLSearchParams(params).toString()}`;
}

function volumes(lang: Lang, tally: Tally | undefined): Raw {
  const entries = [...(tally?.volume ?? new Map<string, bigint>())].sort(([a], [b]) => a.localeCompare(b));
  return html`<span class="ov-vols">${entries.map(([currency, amount]) => html`<span>${amountText(lang, amount, currency)}</span>`)}</span>`;
}

function periodCard(view: View, period: PeriodFigures, name: 'today' | 'month'): Raw {
  const { w, ctx } = view;
  const title = w(name);
  const currencies = [...new Set([...period.succeeded.keys(), ...period.reversals.keys()])].sort();
  const count = (state: 'succeeded' | 'failed' | 'pending') => period.byState.get(state)?.count ?? 0;
  const rows = currencies.map((currency) => {
    const reversal = period.reversals.get(currency) ?? { refund: 0n, void: 0n, cancel: 0n };
    const cells: [OverviewWord, string][] = [
      ['payments', String(period.succeeded.get(currency)?.count ?? 0)],
      ['volume', amountText(view.ctx.lang, period.succeeded.get(currency)?.volume.get(currency) ?? 0n, currency)],
      ['refunded', amountText(view.ctx.lang, reversal.refund, currency)],
      ['voided', amountText(view.ctx.lang, reversal.void, currency)],
      ['cancelled', amountText(view.ctx.lang, reversal.cancel, currency)],
    ];
    return html`<tr data-currency="${currency}"><td class="ov-key" data-label="${w('currency')}">${currency}</td>${cells.map(([key, text]) => html`<td class="num" data-label="${w(key)}" data-${key}>${text}</td>`)}</tr>`;
  });
  const table =
    currencies.length === 0
      ? html`<p class="muted">${w('noPayments')}</p>`
      : html`<div class="table-wrap"><table class="stack">
<caption class="sr-only">${w('periodTable', { period: title })}</caption>
<thead><tr><th scope="col">${w('currency')}</th>${(['payments', 'volume', 'refunded', 'voided', 'cancelled'] as const).map((k) => html`<th scope="col" class="num">${w(k)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></div>`;
  return html`<section class="card ov-period" data-period="${name}" aria-labelledby="ov-${name}">
<h2 id="ov-${name}">${title} <span class="muted ov-since">${w('since', { date: view.date(period.since) })}</span></h2>
<dl class="ov-stats">
<div class="ov-rate"><dt>${w('successRate')}</dt><dd data-success-rate>${percent(period.successRate)}</dd></div>
${(['succeeded', 'failed', 'pending'] as const).map((state) => html`<div><dt>${common(ctx.lang, `state_${state}`)}</dt><dd data-count="${state}">${count(state)}</dd></div>`)}
</dl>
<p class="hint">${w('successRateHint')}</p>
${table}
</section>`;
}

function openBalanceCard(view: View): Raw | null {
  const balances = view.figures.openBalances;
  if (balances === null) return null;
  const { w } = view;
  const body =
    balances.length === 0
      ? html`<p class="muted">${w('noOpenBalance')}</p>`
      : html`<dl class="attrs" data-open-balance>${balances.map(
          (b) => html`<dt>${b.currency}</dt><dd class="num" data-currency="${b.currency}">${amountText(view.ctx.lang, b.amount, b.currency)}</dd>`,
        )}</dl>`;
  return html`<section class="card" aria-labelledby="ov-balance"><h2 id="ov-balance">${w('openBalance')}</h2><p class="hint">${w('openBalanceHint')}</p>${body}</section>`;
}

function dailyCharts(view: View): Raw {
  const { w, figures } = view;
  const starts = figures.dayStarts;
  const first = view.date(starts[0] ?? 0);
  const last = view.date(starts[starts.length - 1] ?? 0);
  const charts = figures.daily.map((series, i) => {
    const days = series.amounts.map((amount, day) => ({ date: view.date(starts[day] ?? 0), amount }));
    const active = days.filter((d) => d.amount > 0n);
    const total = series.amounts.reduce((sum, a) => sum + a, 0n);
    const desc = w('dailyDesc', {
      from: first,
      to: last,
      total: amountText(view.ctx.lang, total, series.currency),
      count: series.count,
      days: `${w('daysWith', { list: active.map((d) => `${d.date} ${amountText(view.ctx.lang, d.amount, series.currency)}`).join('; ') })} ${w('otherDaysZero')}`,
    });
    const ticks = [0, Math.floor((DAYS - 1) / 2), DAYS - 1].map((index) => ({ index, text: (days[index]?.date ?? '').slice(5) }));
    const chart = columnChart({
      id: `ov-daily-${i}`,
      title: w('dailyTitle', { currency: series.currency }),
      desc,
      ticks,
      maxText: w('maxLabel', {
        amount: amountText(
          view.ctx.lang,
          series.amounts.reduce((max, a) => (a > max ? a : max), 0n),
          series.currency,
        ),
      }),
      // Bar heights are proportions: a float is enough there; every figure shown is exact.
      bars: days.map((d) => ({ label: d.date, value: approx(d.amount), text: amountText(view.ctx.lang, d.amount, series.currency) })),
    });
    return html`<figure class="card ov-chart" data-daily="${series.currency}">
<figcaption><h3>${series.currency}</h3></figcaption>
${chart}
<details><summary>${w('showData')}</summary><div class="table-wrap"><table>
<thead><tr><th scope="col">${w('date')}</th><th scope="col" class="num">${w('volume')}</th></tr></thead>
<tbody>${days.map((d) => html`<tr><td>${d.date}</td><td class="num">${amountText(view.ctx.lang, d.amount, series.currency)}</td></tr>`)}</tbody>
</table></div></details>
</figure>`;
  });
  const more =
    new Set(figures.month.succeeded.keys()).size > MAX_CURRENCY_CHARTS ? html`<p class="hint">${w('moreCurrencies', { n: MAX_CURRENCY_CHARTS })}</p>` : '';
  return html`<section aria-labelledby="ov-daily"><h2 id="ov-daily">${w('daily')}</h2>
${charts.length === 0 ? html`<p class="muted">${w('noDaily')}</p>` : html`<div class="ov-grid">${charts}</div>${more}`}
</section>`;
}

/** A figure linking to the transactions it counts (the period is spelled out for screen readers). */
function countLink(view: View, count: number, params: Record<string, string>, what: string, period: PeriodFigures, periodName: 'today' | 'month'): Raw {
  if (count === 0) return html`0`;
  return html`<a href="${listLink({ ...params, from: view.date(period.since) })}">${count}<span class="sr-only"> — ${view.w('listOf', { what, period: view.w(periodName) })}</span></a>`;
}

function breakdown(view: View, kind: 'gateway' | 'state'): Raw {
  const { w, ctx, figures } = view;
  const keys: string[] =
    kind === 'state'
      ? [...STATES]
      : [...new Set([...figures.month.byGateway.keys()])].sort(
          (a, b) => (figures.month.byGateway.get(b)?.count ?? 0) - (figures.month.byGateway.get(a)?.count ?? 0) || a.localeCompare(b),
        );
  const tallyOf = (period: PeriodFigures, key: string) => (kind === 'state' ? period.byState.get(key as 'succeeded') : period.byGateway.get(key));
  const labelOf = (key: string) => (kind === 'state' ? common(ctx.lang, `state_${key as 'succeeded'}`) : key);
  const paramsOf = (key: string): Record<string, string> => (kind === 'state' ? { state: key } : { gateway: key, state: 'succeeded' });
  const heading = kind === 'state' ? w('byState') : w('byGateway');
  if (keys.length === 0 || (kind === 'state' && keys.every((k) => (tallyOf(figures.month, k)?.count ?? 0) === 0))) {
    return html`<section class="card" aria-labelledby="ov-by-${kind}"><h2 id="ov-by-${kind}">${heading}</h2><p class="muted">${w('noActivity')}</p></section>`;
  }
  const bars = keys.map((key) => ({
    label: labelOf(key),
    value: tallyOf(figures.month, key)?.count ?? 0,
    text: String(tallyOf(figures.month, key)?.count ?? 0),
    ...(kind === 'state' ? { fill: STATE_FILLS[key as keyof typeof STATE_FILLS] } : {}),
  }));
  const chart = barChart({
    id: `ov-${kind}-chart`,
    title: kind === 'state' ? w('stateTitle') : w('gatewayTitle'),
    desc: w('chartDesc', { list: bars.map((b) => `${b.label}: ${b.text}`).join('; ') }),
    bars,
  });
  const column = kind === 'state' ? w('state') : w('gateway');
  const rows = keys.map((key) => {
    const label = labelOf(key);
    const cell = (period: PeriodFigures, name: 'today' | 'month') => {
      const tally = tallyOf(period, key);
      return html`<td data-label="${w(name)}" data-period="${name}"><span class="ov-cell"><span data-count>${countLink(view, tally?.count ?? 0, paramsOf(key), label, period, name)}</span>${volumes(ctx.lang, tally)}</span></td>`;
    };
    return html`<tr data-${kind}="${key}"><td class="ov-key${kind === 'gateway' ? ' mono' : ''}" data-label="${column}">${label}</td>${cell(figures.today, 'today')}${cell(figures.month, 'month')}</tr>`;
  });
  return html`<section class="card ov-breakdown" aria-labelledby="ov-by-${kind}"><h2 id="ov-by-${kind}">${heading}</h2>
<p class="hint">${kind === 'state' ? w('stateHint') : w('gatewayHint')}</p>
${chart}
<div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">${column}</th><th scope="col">${w('today')}</th><th scope="col">${w('month')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</section>`;
}

function render(ctx: DashContext, figures: OverviewFigures): string {
  const view: View = {
    ctx,
    figures,
    w: (key, vars) => words(ctx.lang, key, vars),
    date: (ms) => formatTime(ms, figures.timeZone).slice(0, 10),
  };
  const note = ctx.isOperator
    ? html`<p class="notice notice-info" data-operator-note>${view.w('operatorNote')}</p>`
    : html`<p class="muted">${view.w('zoneNote', { zone: figures.timeZone })}</p>`;
  const body = html`${note}
<div class="ov-grid ov-periods">${periodCard(view, figures.today, 'today')}${periodCard(view, figures.month, 'month')}</div>
${openBalanceCard(view)}
${dailyCharts(view)}
<div class="ov-grid">${breakdown(view, 'gateway')}${breakdown(view, 'state')}</div>`;
  return page(ctx, { title: common(ctx.lang, 'overview'), section: 'overview', body });
}

export const overviewPage: DashboardModule = {
  register(kit) {
    kit.get('/', async (ctx) => render(ctx, await overviewFigures(kit.deps.store.db, ctx.merchant, ctx.mode, ctx.timeZone, ctx.now)));
  },
  css: `
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.ov-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:1rem;margin-bottom:1rem;align-items:start}
.ov-periods{grid-template-columns:repeat(auto-fit,minmax(min(100%,34rem),1fr))}
.ov-period table{font-size:.875rem}.ov-period th,.ov-period td{padding:.4rem .45rem}
.ov-grid>.card,.ov-grid>figure{margin:0;min-width:0}
.ov-grid .card>h2{margin-top:0}.ov-since{font-size:.85rem;font-weight:400}
dl.ov-stats{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:.5rem;margin:0 0 .5rem}
.ov-stats div{border:1px solid var(--line);border-radius:6px;padding:.4rem .6rem}.ov-stats dt{color:var(--muted);font-size:.85rem}
.ov-stats dd{margin:0;font-size:1.25rem;font-weight:600;font-variant-numeric:tabular-nums}.ov-rate dd{color:var(--accent)}
.ov-key{font-weight:600}td.num{white-space:nowrap}
.ov-chart h3{margin:0 0 .4rem;font-size:1rem}
svg.chart{display:block;width:100%;height:auto;max-width:40rem;margin:.25rem 0 .75rem}
.ov-vols span{display:block;white-space:nowrap}.ov-cell{display:flex;flex-direction:column;align-items:flex-end}
.ov-breakdown td[data-period]{text-align:right}
details{margin:.25rem 0}summary{cursor:pointer;color:var(--accent);font-weight:600}
@media (max-width:480px){dl.ov-stats{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:720px){table.stack td.ov-key{display:block;padding-top:.3rem}table.stack td.ov-key::before{content:none}}
`,
};
