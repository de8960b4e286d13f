/**
 * One merchant in the operator console: gateways, settings, write-only
 * provider credentials (only whether and when they were set is shown), users
 * and recent activity. Each section is its own form.
 */
import { type Problem, formatDuration } from '../core/merchant-settings.js';
import { credentialFields, liveProviderNames } from '../providers/credentials.js';
import type { DashContext } from './context.js';
import { type Raw, csrfField, formatTime, html, notice, page } from './html.js';
import { common } from './i18n.js';
import type { ActivityRow, MerchantDetail } from './operator-data.js';
import { fieldError, gatewayChecks, invalidAttributes, messagesFor, timeZoneSelect } from './operator-fields.js';
import { type WordKey, problemMessage, providerName, words } from './operator-words.js';

export interface SettingsFormState {
  readonly timezone: string;
  readonly voidWindow: string;
  readonly cancelWindow: string;
  readonly exempt: boolean;
  readonly problems: readonly Problem[];
}

export interface MerchantViewState {
  /** What the last form did (`?done=`). */
  readonly done?: Raw;
  readonly gatewayProblems?: readonly Problem[];
  /** The posted settings, when they were refused. */
  readonly settings?: SettingsFormState;
  /** The provider whose credentials were refused, and why (never the input). */
  readonly credentialsError?: { readonly provider: string; readonly problems: readonly string[] };
}

type T = (key: WordKey, vars?: Readonly<Record<string, string | number>>) => string;

function gatewaysSection(ctx: DashContext, t: T, detail: MerchantDetail): Raw {
  const id = detail.merchant.id;
  return html`<section class="card" id="gateways" aria-labelledby="gateways-title">
<h2 id="gateways-title">${t('gatewaysTitle')}</h2>
<p class="hint">${t('gatewaysHint')}</p>
<form method="post" action="/dashboard/merchants/${id}/gateways">
${csrfField(ctx)}
${gatewayChecks(ctx, 'gw', new Set(detail.gateways), detail.gatewayCurrencies)}
<div class="actions"><button type="submit">${t('saveGateways')}</button></div>
</form>
</section>`;
}

function settingsSection(ctx: DashContext, t: T, detail: MerchantDetail, posted: SettingsFormState | undefined): Raw {
  const m = detail.merchant;
  const form: SettingsFormState = posted ?? {
    timezone: m.timezone,
    voidWindow: formatDuration(m.void_window_ms),
    cancelWindow: formatDuration(m.cancel_window_ms),
    exempt: m.refund_balance_exempt === 1,
    problems: [],
  };
  const errors = {
    zone: messagesFor(ctx, form.problems, 'timezone'),
    void: messagesFor(ctx, form.problems, 'void_window'),
    cancel: messagesFor(ctx, form.problems, 'cancel_window'),
  };
  return html`<section class="card" id="settings" aria-labelledby="settings-title">
<h2 id="settings-title">${t('settingsTitle')}</h2>
<form method="post" action="/dashboard/merchants/${m.id}/settings">
${csrfField(ctx)}
<label for="settings-timezone">${t('fieldTimeZone')} <span class="hint">${t('timeZoneHint')}</span></label>
${timeZoneSelect('settings-timezone', form.timezone, errors.zone)}
<label for="settings-void-window">${t('fieldVoidWindow')} <span class="hint">${t('voidWindowHint')}</span></label>
<input type="text" id="settings-void-window" name="void_window" value="${form.voidWindow}" autocomplete="off" required${invalidAttributes('settings-void-window', errors.void)}>
${fieldError('settings-void-window', errors.void)}
<label for="settings-cancel-window">${t('fieldCancelWindow')} <span class="hint">${t('cancelWindowHint')}</span></label>
<input type="text" id="settings-cancel-window" name="cancel_window" value="${form.cancelWindow}" autocomplete="off" required${invalidAttributes('settings-cancel-window', errors.cancel)}>
${fieldError('settings-cancel-window', errors.cancel)}
<div class="op-check"><input type="checkbox" id="settings-exempt" name="refund_balance_exempt" value="on"${form.exempt ? html` checked` : ''}><label for="settings-exempt">${t('fieldExempt')}</label></div>
<div class="actions"><button type="submit">${t('saveSettings')}</button></div>
</form>
</section>`;
}

function credentialsSection(ctx: DashContext, t: T, detail: MerchantDetail, error: MerchantViewState['credentialsError']): Raw {
  const zone = detail.merchant.timezone;
  const forms = liveProviderNames().map((provider) => {
    const name = providerName(ctx.lang, provider);
    const setAt = detail.credentialsSetAt.get(provider);
    const status =
      setAt === undefined
        ? html`<span class="badge badge-unset" data-credentials-status="unset">${t('credentialsNotSet')}</span>`
        : html`<span class="badge badge-succeeded" data-credentials-status="set">${t('credentialsSetOn', { date: formatTime(setAt, zone) })}</span>`;
    const problems = error?.provider === provider ? error.problems : [];
    const id = `credentials-${provider}`;
    // The textarea is always rendered empty: stored or refused, a secret never comes back.
    return html`<form method="post" action="/dashboard/merchants/${detail.merchant.id}/credentials/${provider}" id="${id}-form">
${csrfField(ctx)}
<h3>${name} ${status}</h3>
${problems.length > 0 ? html`<div role="alert" id="${id}-error"><p class="field-error">${t('credentialsProblems', { provider: name })}</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<label for="${id}">${t('credentialsLabel', { provider: name })}</label>
<textarea id="${id}" name="credentials" rows="6" autocomplete="off" spellcheck="false" autocapitalize="off" required${problems.length > 0 ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}></textarea>
<p class="hint">${t('credentialsFields', { fields: credentialFields(provider).join(', ') })}</p>
<div class="actions"><button type="submit">${t('storeCredentials', { provider: name })}</button></div>
</form>`;
  });
  return html`<section class="card" id="credentials" aria-labelledby="credentials-title">
<h2 id="credentials-title">${t('credentialsTitle')}</h2>
<p class="hint">${t('credentialsHint')}</p>
<div class="op-creds">${forms}</div>
</section>`;
}

function usersSection(ctx: DashContext, t: T, detail: MerchantDetail): Raw {
  const zone = detail.merchant.timezone;
  const rows = detail.users.map(
    (u) => html`<tr>
<td data-label="${t('colEmail')}">${u.email}</td>
<td data-label="${t('colRole')}">${common(ctx.lang, `role_${u.role}`)}</td>
<td data-label="${t('colLastSignIn')}">${u.lastSignInAt === null ? t('never') : formatTime(u.lastSignInAt, zone)}</td>
</tr>`,
  );
  return html`<section class="card" id="users" aria-labelledby="users-title">
<h2 id="users-title">${t('usersTitle')}</h2>
${
  rows.length === 0
    ? html`<p class="muted">${t('noUsers')}</p>`
    : html`<div class="table-wrap"><table class="stack op-table">
<thead><tr><th scope="col">${t('colEmail')}</th><th scope="col">${t('colRole')}</th><th scope="col">${t('colLastSignIn')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
</section>`;
}

/** `added: a, b; removed: —` or `timezone: UTC → Asia/Bangkok` from an audit entry's detail. */
export function describeDetail(detail: Readonly<Record<string, unknown>>): string {
  const value = (v: unknown): string => {
    if (Array.isArray(v)) return v.length > 0 ? v.map(String).join(', ') : '—';
    if (typeof v === 'object' && v !== null && 'from' in v && 'to' in v) return `${value(v.from)} → ${value(v.to)}`;
    return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  };
  return Object.entries(detail)
    .map(([key, v]) => `${key}: ${value(v)}`)
    .join('; ');
}

function activitySection(t: T, detail: MerchantDetail): Raw {
  const zone = detail.merchant.timezone;
  const rows = detail.activity.map(
    (a: ActivityRow) => html`<tr>
<td data-label="${t('colWhen')}">${formatTime(a.at, zone)}</td>
<td data-label="${t('colUser')}">${a.email ?? t('deletedUser')}</td>
<td data-label="${t('colAction')}"><code class="op-code">${a.action}</code></td>
<td data-label="${t('colDetail')}">${describeDetail(a.detail)}</td>
</tr>`,
  );
  return html`<section class="card" id="activity" aria-labelledby="activity-title">
<h2 id="activity-title">${t('activityTitle')}</h2>
${
  rows.length === 0
    ? html`<p class="muted">${t('noActivity')}</p>`
    : html`<div class="table-wrap"><table class="stack op-table">
<thead><tr><th scope="col">${t('colWhen')}</th><th scope="col">${t('colUser')}</th><th scope="col">${t('colAction')}</th><th scope="col">${t('colDetail')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
</section>`;
}

export function merchantView(ctx: DashContext, detail: MerchantDetail, state: MerchantViewState = {}): string {
  const t: T = (key, vars) => words(ctx.lang, key, vars);
  const m = detail.merchant;
  const body = html`<section class="card">
<dl class="attrs">
<dt>${t('merchantId')}</dt><dd class="mono">${m.id}</dd>
<dt>${t('colCreated')}</dt><dd>${formatTime(m.created_at, m.timezone)}</dd>
</dl>
<p class="hint">${t('timesIn', { zone: m.timezone })}</p>
<p class="actions"><a class="button secondary" href="/dashboard/transactions?merchant=${encodeURIComponent(m.id)}">${t('viewTransactions')}</a><a class="button secondary" href="/dashboard/merchants/${encodeURIComponent(m.id)}/branding" data-branding-link>${common(ctx.lang, 'branding')}</a><a href="/dashboard/merchants">${t('backToMerchants')}</a></p>
</section>
${gatewaysSection(ctx, t, detail)}
${settingsSection(ctx, t, detail, state.settings)}
${credentialsSection(ctx, t, detail, state.credentialsError)}
${usersSection(ctx, t, detail)}
${activitySection(t, detail)}`;
  return page(ctx, { title: m.name, section: 'merchants', body, notices: [state.done, refusedNotice(ctx, t, state)].filter((n): n is Raw => n !== undefined) });
}

/** At the top of a refused form's page: what was not saved, linking to the form that says why. */
function refusedNotice(ctx: DashContext, t: T, state: MerchantViewState): Raw | undefined {
  if (state.gatewayProblems?.length) {
    return notice('error', html`<a href="#gateways">${t('gatewaysProblems')}</a> ${state.gatewayProblems.map((p) => problemMessage(ctx.lang, p)).join(' ')}`);
  }
  if (state.settings?.problems.length) return notice('error', html`<a href="#settings">${t('settingsProblems')}</a>`);
  if (state.credentialsError) {
    const provider = state.credentialsError.provider;
    return notice('error', html`<a href="#credentials-${provider}-form">${t('credentialsRefused', { provider: providerName(ctx.lang, provider) })}</a>`);
  }
  return undefined;
}
