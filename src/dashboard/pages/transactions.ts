/**
 * Dashboard: the transactions list (POS and hosted checkout in one table,
 * newest first, filtered by a plain GET form and paged by cursor) and its
 * CSV export with the same filters. Readable by every role; operators see
 * every merchant and may pick one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TRANSACTION_STATES, TRANSACTION_TYPES } from '../../domain/states.js';
import type { TransactionRow } from '../../store/transactions.js';
import type { DashContext } from '../context.js';
import { moneyText } from '../amounts.js';
import { type Raw, attentionBadge, formatTime, html, page, paymentBadge } from '../html.js';
import { type Lang, common, dictionary } from '../i18n.js';
import type { DashKit, DashboardModule } from '../kit.js';
import { encodeCursor } from '../../core/list-transactions.js';
import { csvStream } from '../transactions-csv.js';
import {
  DEFAULT_PAGE_SIZE,
  type Field,
  type FilterField,
  type ParsedFilters,
  type Problem,
  gatewayChoices,
  hasFilters,
  localDate,
  parseFilters,
  queryString,
} from '../transactions-filters.js';
import { allTransactions, transactionPage } from '../transactions-query.js';

const words = dictionary({
  en: {
    search: 'Search',
    searchHint: 'The start of a CanCan id, POS transaction id or checkout reference, or an amount such as 15.00',
    merchant: 'Merchant',
    type: 'Type',
    anyType: 'All types',
    state: 'State',
    anyState: 'All states',
    gateway: 'Gateway / method',
    anyGateway: 'All gateways and methods',
    posGateways: 'POS gateways',
    chopMethods: 'Checkout payment methods',
    from: 'From',
    to: 'To',
    dateHint: 'Days in {zone}',
    pos_id: 'POS id',
    mch_level_1: 'Merchant level 1',
    mch_level_2: 'Merchant level 2',
    mch_level_3: 'Merchant level 3',
    posFilters: 'POS attributes',
    size: 'Page size',
    after: 'Page',
    filter: 'Filter',
    clear: 'Clear filters',
    exportCsv: 'Export CSV',
    time: 'Time',
    id: 'ID',
    channel: 'Channel',
    amount: 'Amount',
    channel_pos: 'POS',
    channel_chop: 'Checkout',
    timesIn: 'Times are shown in {zone}.',
    noMatch: 'No transactions match these filters.',
    noneYet: 'No transactions yet. Sales from your POS and checkout charges will appear here.',
    pages: 'Pages',
    nextPage: 'Next page',
    firstPage: 'First page',
    invalid: 'Some filters are not valid. Correct them to see transactions:',
    problem_badChoice: 'Choose one of the listed values.',
    problem_badDate: 'Enter a date as YYYY-MM-DD.',
    problem_fromAfterTo: 'The start date is after the end date.',
    problem_tooLong: 'At most 255 characters.',
    problem_badSize: 'A whole number from 1 to 200.',
    problem_badCursor: 'This page link is not valid; start again from the first page.',
    problem_repeated: 'Give this filter only once.',
  },
  zh: {
    search: '搜索',
    searchHint: 'CanCan 编号、POS 交易编号或收银台商户订单号的开头，或金额（如 15.00）',
    merchant: '商户',
    type: '类型',
    anyType: '全部类型',
    state: '状态',
    anyState: '全部状态',
    gateway: '支付网关 / 方式',
    anyGateway: '全部网关和支付方式',
    posGateways: 'POS 支付网关',
    chopMethods: '收银台支付方式',
    from: '起始日期',
    to: '结束日期',
    dateHint: '{zone} 时区',
    pos_id: 'POS 编号',
    mch_level_1: '商户层级 1',
    mch_level_2: '商户层级 2',
    mch_level_3: '商户层级 3',
    posFilters: 'POS 属性',
    size: '每页条数',
    after: '页码',
    filter: '筛选',
    clear: '清除筛选',
    exportCsv: '导出 CSV',
    time: '时间',
    id: '编号',
    channel: '渠道',
    amount: '金额',
    channel_pos: 'POS',
    channel_chop: '在线收银台',
    timesIn: '时间按 {zone} 时区显示。',
    noMatch: '没有符合筛选条件的交易。',
    noneYet: '暂无交易。POS 消费和收银台收款会显示在这里。',
    pages: '分页',
    nextPage: '下一页',
    firstPage: '第一页',
    invalid: '部分筛选条件无效，请修改后再查看交易：',
    problem_badChoice: '请从列表中选择。',
    problem_badDate: '请按 YYYY-MM-DD 格式输入日期。',
    problem_fromAfterTo: '起始日期晚于结束日期。',
    problem_tooLong: '最多 255 个字符。',
    problem_badSize: '请输入 1 到 200 之间的整数。',
    problem_badCursor: '分页链接无效，请从第一页开始。',
    problem_repeated: '此筛选条件只能填写一次。',
  },
});

type Word = Parameters<typeof words>[1];

interface Listing {
  readonly parsed: ParsedFilters;
  readonly timeZone: string;
  /** Operators: every merchant, for the filter and the Merchant column. */
  readonly merchants: readonly { id: string; name: string }[] | null;
}

async function readFilters(kit: DashKit, ctx: DashContext, request: FastifyRequest): Promise<Listing> {
  const merchants = ctx.isOperator ? await kit.deps.store.db.selectFrom('merchants').select(['id', 'name']).orderBy('name').orderBy('id').execute() : null;
  // Operators see many merchants at once: their days and times are UTC (ctx.timeZone).
  const { timeZone } = ctx;
  const parsed = parseFilters(request.query as Record<string, unknown>, { timeZone, merchantIds: merchants?.map((m) => m.id) ?? null });
  return { parsed, timeZone, merchants };
}

const problemList = (parsed: ParsedFilters): [Field, Problem][] => Object.entries(parsed.problems) as [Field, Problem][];
const fieldLabel = (field: Field): Word => (field === 'q' ? 'search' : field);

/** Paging parameters that stay on links (the size only when it is not the default). */
const sizeParam = (parsed: ParsedFilters): Record<string, string> => (parsed.size === DEFAULT_PAGE_SIZE ? {} : { size: String(parsed.size) });

function filterForm(ctx: DashContext, listing: Listing): Raw {
  const t = (key: Word, vars?: Record<string, string>) => words(ctx.lang, key, vars);
  const { values, problems } = listing.parsed;
  const invalid = (name: FilterField): Raw | string => (problems[name] ? html` aria-invalid="true" aria-describedby="tx-error-${name}"` : '');
  const fieldError = (name: FilterField): Raw | string =>
    problems[name] ? html`<p class="field-error" id="tx-error-${name}">${t(`problem_${problems[name]}`)}</p>` : '';
  const option = (value: string, label: string, current: string) => html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
  const select = (
    name: FilterField,
    label: string,
    anyLabel: string,
    options: Raw[],
  ) => html`<div${name === 'gateway' || name === 'merchant' ? html` class="tx-span2"` : ''}>
<label for="tx-${name}">${label}</label>
<select id="tx-${name}" name="${name}"${invalid(name)}>${option('', anyLabel, values[name])}${options}</select>${fieldError(name)}
</div>`;
  const input = (
    name: FilterField,
    type: 'text' | 'date' | 'search',
    label: string,
    extra: Raw | string = '',
  ) => html`<div${name === 'q' ? html` class="tx-wide"` : ''}>
<label for="tx-${name}">${label}${extra}</label>
<input id="tx-${name}" name="${name}" type="${type}" value="${values[name]}"${type === 'date' ? html` placeholder="YYYY-MM-DD"` : ''}${invalid(name)}>${fieldError(name)}
</div>`;
  const gateways = gatewayChoices();
  const posAttributes = ['pos_id', 'mch_level_1', 'mch_level_2', 'mch_level_3'] as const;
  const openDetails = posAttributes.some((name) => values[name] !== '' || problems[name]);
  const dateHint = html` <span class="hint">${t('dateHint', { zone: listing.timeZone })}</span>`;
  return html`<form method="get" action="/dashboard/transactions" class="card tx-filters">
<div class="tx-grid">
${input('q', 'search', t('search'), html` <span class="hint">${t('searchHint')}</span>`)}
${
  listing.merchants
    ? select(
        'merchant',
        t('merchant'),
        common(ctx.lang, 'allMerchants'),
        listing.merchants.map((m) => option(m.id, `${m.name} (${m.id})`, values.merchant)),
      )
    : ''
}
${select(
  'type',
  t('type'),
  t('anyType'),
  TRANSACTION_TYPES.map((type) => option(type, common(ctx.lang, `type_${type}`), values.type)),
)}
${select(
  'state',
  t('state'),
  t('anyState'),
  TRANSACTION_STATES.map((state) => option(state, common(ctx.lang, `state_${state}`), values.state)),
)}
${select('gateway', t('gateway'), t('anyGateway'), [
  html`<optgroup label="${t('posGateways')}">${gateways.pos.map((code) => option(code, code, values.gateway))}</optgroup>`,
  html`<optgroup label="${t('chopMethods')}">${gateways.chop.map((code) => option(code, code, values.gateway))}</optgroup>`,
])}
${input('from', 'date', t('from'), dateHint)}
${input('to', 'date', t('to'), dateHint)}
</div>
<details${openDetails ? html` open` : ''}>
<summary>${t('posFilters')}</summary>
<div class="tx-grid">${posAttributes.map((name) => input(name, 'text', t(name)))}</div>
</details>
${listing.parsed.size === DEFAULT_PAGE_SIZE ? '' : html`<input type="hidden" name="size" value="${String(listing.parsed.size)}">`}
<div class="actions">
<button type="submit">${t('filter')}</button>
${hasFilters(values) ? html`<a class="button secondary" href="/dashboard/transactions">${t('clear')}</a>` : ''}
${problemList(listing.parsed).length === 0 ? html`<a class="button secondary" href="/dashboard/transactions.csv${queryString(values)}" download>${t('exportCsv')}</a>` : ''}
</div>
</form>`;
}

function errorNotice(ctx: DashContext, parsed: ParsedFilters): Raw {
  const t = (key: Word) => words(ctx.lang, key);
  return html`<div class="notice notice-error tx-errors" role="alert">
<p>${t('invalid')}</p>
<ul>${problemList(parsed).map(([field, problem]) => html`<li><strong>${t(fieldLabel(field))}</strong>: ${t(`problem_${problem}`)}</li>`)}</ul>
</div>`;
}

function amountText(lang: Lang, row: TransactionRow): string {
  if (row.amount === null || row.currency === null) return '—';
  return moneyText(row.amount, row.currency, lang);
}

function table(ctx: DashContext, listing: Listing, rows: readonly TransactionRow[]): Raw {
  const t = (key: Word) => words(ctx.lang, key);
  const names = new Map((listing.merchants ?? []).map((m) => [m.id, m.name]));
  const merchantColumn = listing.merchants !== null;
  const body = rows.map((row) => {
    // POS rows are known by the POS's id, checkout rows by the merchant's reference.
    const shownId = row.channel === 'chop' ? row.reference || row.ref : row.client_id;
    return html`<tr data-ref="${row.ref}">
<td data-label="${t('time')}">${formatTime(Number(row.created_at), listing.timeZone)}</td>
<td data-label="${t('id')}"><a class="mono" href="/dashboard/transactions/${row.ref}">${shownId}</a></td>
${merchantColumn ? html`<td data-label="${t('merchant')}">${names.get(row.merchant_id) ?? row.merchant_id}</td>` : ''}
<td data-label="${t('type')}">${common(ctx.lang, `type_${row.type}`)}</td>
<td data-label="${t('channel')}">${t(`channel_${row.channel}`)}</td>
<td data-label="${t('gateway')}"><span class="mono">${row.gateway ?? row.payment_method ?? '—'}</span></td>
<td data-label="${t('amount')}" class="num">${amountText(ctx.lang, row)}</td>
<td data-label="${t('state')}">${paymentBadge(ctx.lang, row)}${attentionBadge(ctx.lang, row)}</td>
<td data-label="${t('pos_id')}">${row.pos_id ?? '—'}</td>
</tr>`;
  });
  return html`<div class="table-wrap"><table class="stack tx-table">
<thead><tr><th scope="col">${t('time')}</th><th scope="col">${t('id')}</th>${merchantColumn ? html`<th scope="col">${t('merchant')}</th>` : ''}<th scope="col">${t('type')}</th><th scope="col">${t('channel')}</th><th scope="col">${t('gateway')}</th><th scope="col" class="num">${t('amount')}</th><th scope="col">${t('state')}</th><th scope="col">${t('pos_id')}</th></tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}

function pager(ctx: DashContext, parsed: ParsedFilters, nextAfter: number | null): Raw | string {
  const t = (key: Word) => words(ctx.lang, key);
  if (parsed.afterSeq === null && nextAfter === null) return '';
  const first = parsed.afterSeq === null ? '' : html`<a href="/dashboard/transactions${queryString(parsed.values, sizeParam(parsed))}">${t('firstPage')}</a>`;
  const next =
    nextAfter === null
      ? ''
      : html`<a rel="next" href="/dashboard/transactions${queryString(parsed.values, { ...sizeParam(parsed), after: encodeCursor(nextAfter) })}">${t('nextPage')}</a>`;
  return html`<nav class="tx-pager" aria-label="${t('pages')}">${first}${next}</nav>`;
}

async function listPage(kit: DashKit, ctx: DashContext, request: FastifyRequest, reply: FastifyReply): Promise<string | FastifyReply> {
  const listing = await readFilters(kit, ctx, request);
  const { parsed } = listing;
  const title = common(ctx.lang, 'transactions');
  if (problemList(parsed).length > 0) {
    return kit.sendHtml(reply, page(ctx, { title, section: 'transactions', notices: [errorNotice(ctx, parsed)], body: filterForm(ctx, listing) }), 400);
  }
  const { rows, nextAfter } = await transactionPage(kit.deps.store, ctx, parsed.filters, parsed.afterSeq, parsed.size);
  const t = (key: Word, vars?: Record<string, string>) => words(ctx.lang, key, vars);
  const results =
    rows.length === 0
      ? html`<p class="notice notice-info" role="status">${hasFilters(parsed.values) || parsed.afterSeq !== null ? t('noMatch') : t('noneYet')}</p>`
      : html`<p class="muted tx-zone">${t('timesIn', { zone: listing.timeZone })}</p>${table(ctx, listing, rows)}`;
  return page(ctx, { title, section: 'transactions', body: html`${filterForm(ctx, listing)}${results}${pager(ctx, parsed, nextAfter)}` });
}

async function exportCsv(kit: DashKit, ctx: DashContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const listing = await readFilters(kit, ctx, request);
  const { parsed } = listing;
  const problems = problemList(parsed);
  if (problems.length > 0) {
    const lines = problems.map(([field, problem]) => `${words(ctx.lang, fieldLabel(field))}: ${words(ctx.lang, `problem_${problem}`)}`);
    return reply
      .code(400)
      .type('text/plain; charset=utf-8')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store')
      .send(`${words(ctx.lang, 'invalid')}\n${lines.join('\n')}\n`);
  }
  const filename = `cancan-transactions-${ctx.mode}-${localDate(ctx.now, listing.timeZone)}.csv`;
  return reply
    .code(200)
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="${filename}"`)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Cache-Control', 'no-store')
    .send(csvStream(allTransactions(kit.deps.store, ctx, parsed.filters)));
}

export const transactionsPage: DashboardModule = {
  register(kit) {
    kit.get('/transactions', (ctx, request, reply) => listPage(kit, ctx, request, reply));
    kit.get('/transactions.csv', (ctx, request, reply) => exportCsv(kit, ctx, request, reply));
  },
  css: `
.tx-filters .tx-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:0 1rem;align-items:end}
.tx-filters .tx-wide{grid-column:1/-1}.tx-filters .tx-span2{grid-column:span 2}
@media (max-width:360px){.tx-filters .tx-span2{grid-column:auto}}
.tx-filters input,.tx-filters select{max-width:none}
.tx-filters details{margin-top:.75rem}.tx-filters summary{cursor:pointer;font-weight:600;color:var(--accent)}
.tx-errors p{margin:0}.tx-errors ul{margin:.3rem 0 0;padding-left:1.2rem}
.tx-zone{margin:.25rem 0 .5rem;font-size:.9rem}
.tx-table td a{font-weight:600}
.tx-pager{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:1rem 0}
`,
};
