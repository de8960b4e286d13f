/** The operator console's merchant list, its "create merchant" form, and the page that shows a new merchant's key once. */
import { type Problem, MAX_NAME_LENGTH, allGatewayCodes } from '../core/merchant-settings.js';
import type { Merchant } from '../store/merchants.js';
import { type AttentionList, attentionSection } from './attention-view.js';
import type { DashContext } from './context.js';
import { csrfField, formatTime, html, notice, page } from './html.js';
import type { MerchantSummary } from './operator-data.js';
import { fieldError, gatewayChecks, invalidAttributes, messagesFor, timeZoneSelect } from './operator-fields.js';
import { type WordKey, words } from './operator-words.js';

export interface CreateFormState {
  readonly name: string;
  readonly timezone: string;
  readonly gateways: ReadonlySet<string>;
  readonly problems: readonly Problem[];
}

/** Like the CLI: UTC and every gateway and method unless told otherwise. */
export const blankCreateForm = (): CreateFormState => ({ name: '', timezone: 'UTC', gateways: new Set(allGatewayCodes()), problems: [] });

function createForm(ctx: DashContext, form: CreateFormState) {
  const t = (key: WordKey) => words(ctx.lang, key);
  const nameErrors = messagesFor(ctx, form.problems, 'name');
  const zoneErrors = messagesFor(ctx, form.problems, 'timezone');
  const gatewayErrors = messagesFor(ctx, form.problems, 'gateways');
  return html`<section class="card" id="new-merchant" aria-labelledby="new-merchant-title">
<h2 id="new-merchant-title">${t('createTitle')}</h2>
<form method="post" action="/dashboard/merchants">
${csrfField(ctx)}
<label for="new-name">${t('fieldName')}</label>
<input type="text" id="new-name" name="name" value="${form.name}" maxlength="${MAX_NAME_LENGTH}" required autocomplete="off"${invalidAttributes('new-name', nameErrors)}>
${fieldError('new-name', nameErrors)}
<label for="new-timezone">${t('fieldTimeZone')} <span class="hint">${t('timeZoneHint')}</span></label>
${timeZoneSelect('new-timezone', form.timezone, zoneErrors)}
${gatewayChecks(ctx, 'new-gw', form.gateways)}
${fieldError('new-gateways', gatewayErrors)}
<div class="actions"><button type="submit">${t('createButton')}</button></div>
</form>
</section>`;
}

export function merchantsView(ctx: DashContext, merchants: readonly MerchantSummary[], form: CreateFormState, attention?: AttentionList): string {
  const t = (key: WordKey) => words(ctx.lang, key);
  const rows = merchants.map(
    (m) => html`<tr>
<td data-label="${t('colName')}"><a href="/dashboard/merchants/${m.id}">${m.name}</a></td>
<td data-label="${t('colId')}"><span class="mono">${m.id}</span></td>
<td data-label="${t('colTimeZone')}">${m.timezone}</td>
<td data-label="${t('colGateways')}" class="num">${m.gateways}</td>
<td data-label="${t('colCreated')}">${formatTime(m.createdAt, m.timezone)}</td>
<td data-label="${t('colToday')}" class="num">${m.today}</td>
</tr>`,
  );
  const table =
    merchants.length === 0
      ? html`<p class="muted">${t('noMerchants')}</p>`
      : html`<div class="table-wrap"><table class="stack op-table">
<thead><tr><th scope="col">${t('colName')}</th><th scope="col">${t('colId')}</th><th scope="col">${t('colTimeZone')}</th><th scope="col" class="num">${t('colGateways')}</th><th scope="col">${t('colCreated')}</th><th scope="col" class="num">${t('colToday')}</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
<p class="hint">${t('todayHint')}</p>`;
  const body = html`<p class="actions"><a class="button secondary" href="#new-merchant">${t('newMerchantLink')}</a></p>
${attention ? attentionSection(ctx, attention) : ''}
${table}
${createForm(ctx, form)}`;
  const notices = form.problems.length > 0 ? [notice('error', t('createProblems'))] : [];
  return page(ctx, { title: t('merchantsTitle'), section: 'merchants', body, notices });
}

/** The only time the new merchant's test key is shown (like `cancan merchant create`). */
export function createdView(ctx: DashContext, merchant: Merchant, apiKey: string): string {
  const t = (key: WordKey, vars?: Record<string, string>) => words(ctx.lang, key, vars);
  const body = html`<section class="card">
<dl class="attrs">
<dt>${t('merchantId')}</dt><dd class="mono">${merchant.id}</dd>
<dt>${t('colTimeZone')}</dt><dd>${merchant.timezone}</dd>
</dl>
<h2>${t('apiKeyLabel')}</h2>
<code class="op-key" data-api-key>${apiKey}</code>
<p class="hint">${t('apiKeyOnce')}</p>
</section>
<p class="actions"><a class="button" href="/dashboard/merchants/${merchant.id}">${t('openMerchant')}</a><a class="button secondary" href="/dashboard/merchants">${t('backToMerchants')}</a></p>`;
  return page(ctx, { title: t('createdTitle'), section: 'merchants', body, notices: [notice('ok', t('createdText', { name: merchant.name }))] });
}
