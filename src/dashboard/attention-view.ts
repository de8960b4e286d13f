/**
 * The operator console's list of transactions that need attention: pending,
 * their outcome unknown past their retry deadline (jobs/attention.ts). CanCan
 * keeps asking the provider slowly; an operator checks them with the provider.
 */
import type { Kysely } from 'kysely';
import type { KeyMode } from '../domain/secrets.js';
import type { Database } from '../store/schema.js';
import type { DashContext } from './context.js';
import { type Raw, formatTime, html } from './html.js';
import { common, dictionary } from './i18n.js';

/** The list shows the oldest marks first, this many at most; the count covers them all. */
export const ATTENTION_LIST_LIMIT = 50;

export interface AttentionEntry {
  readonly ref: string;
  readonly merchantName: string;
  readonly type: string;
  readonly gateway: string | null;
  readonly step: string;
  readonly since: number;
}

export interface AttentionList {
  readonly count: number;
  readonly entries: readonly AttentionEntry[];
}

export async function listNeedingAttention(db: Kysely<Database>, mode: KeyMode): Promise<AttentionList> {
  const marked = db.selectFrom('transactions').where('mode', '=', mode).where('state', '=', 'pending').where('needs_attention_since', 'is not', null);
  const count = await marked.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await marked
    .innerJoin('merchants', 'merchants.id', 'transactions.merchant_id')
    .select([
      'transactions.ref',
      'transactions.type',
      'transactions.gateway',
      'transactions.payment_method',
      'transactions.step',
      'transactions.needs_attention_since',
      'merchants.name',
    ])
    .orderBy('transactions.needs_attention_since')
    .orderBy('transactions.seq')
    .limit(ATTENTION_LIST_LIMIT)
    .execute();
  return {
    count: Number(count.n),
    entries: rows.map((row) => ({
      ref: row.ref,
      merchantName: row.name,
      type: row.type,
      gateway: row.gateway ?? row.payment_method,
      step: row.step,
      since: Number(row.needs_attention_since),
    })),
  };
}

const words = dictionary({
  en: {
    title: 'Needs attention ({count})',
    none: 'No transaction needs attention.',
    hint: 'The provider has not said how these ended for longer than CanCan waits. CanCan keeps asking about each one hourly; check them with the provider.',
    since: 'Since',
    transaction: 'Transaction',
    merchant: 'Merchant',
    type: 'Type',
    gateway: 'Gateway or method',
    step: 'Waiting on',
  },
  zh: {
    title: '需要处理（{count}）',
    none: '没有需要处理的交易。',
    hint: '支付机构超过等待时限仍未告知这些交易的结果。CanCan 会每小时继续查询；请向支付机构核实。',
    since: '开始时间',
    transaction: '交易',
    merchant: '商户',
    type: '类型',
    gateway: '网关或支付方式',
    step: '等待步骤',
  },
});

export function attentionSection(ctx: DashContext, list: AttentionList): Raw {
  const t = (key: Parameters<typeof words>[1], vars?: Record<string, number>) => words(ctx.lang, key, vars);
  const rows = list.entries.map(
    (entry) => html`<tr data-attention-ref="${entry.ref}">
<td data-label="${t('since')}">${formatTime(entry.since, 'UTC')} UTC</td>
<td data-label="${t('transaction')}"><a class="mono" href="/dashboard/transactions/${entry.ref}">${entry.ref}</a></td>
<td data-label="${t('merchant')}">${entry.merchantName}</td>
<td data-label="${t('type')}">${isKnownType(entry.type) ? common(ctx.lang, `type_${entry.type}`) : entry.type}</td>
<td data-label="${t('gateway')}"><span class="mono">${entry.gateway ?? '—'}</span></td>
<td data-label="${t('step')}"><code>${entry.step}</code></td>
</tr>`,
  );
  const table =
    list.count === 0
      ? html`<p class="muted">${t('none')}</p>`
      : html`<p class="hint">${t('hint')}</p><div class="table-wrap"><table class="stack op-table">
<thead><tr><th scope="col">${t('since')}</th><th scope="col">${t('transaction')}</th><th scope="col">${t('merchant')}</th><th scope="col">${t('type')}</th><th scope="col">${t('gateway')}</th><th scope="col">${t('step')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
  return html`<section class="card" id="needs-attention" aria-labelledby="needs-attention-title" data-needs-attention-count="${list.count}">
<h2 id="needs-attention-title">${t('title', { count: list.count })}</h2>
${table}
</section>`;
}

function isKnownType(type: string): type is 'sale' | 'void' | 'refund' | 'charge' | 'cancel' {
  return ['sale', 'void', 'refund', 'charge', 'cancel'].includes(type);
}
