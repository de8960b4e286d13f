/**
 * The dashboard's page shell and small rendering helpers. Every value that
 * reaches HTML goes through `escapeHtml` (or `html` below); pages use classes
 * from the stylesheet, never inline styles or scripts (the CSP forbids both).
 */
import { escapeHtml } from '../checkout/page.js';
import type { TransactionState } from '../domain/states.js';
import type { DashContext } from './context.js';
import { type Lang, common } from './i18n.js';

// Amounts: amounts.ts moneyText (exact for any stored size).
export { escapeHtml };

/** Template tag: interpolated values are escaped unless wrapped in `raw()`. Arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Raw(out);
}

export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const raw = (value: string): Raw => new Raw(value);

function render(value: unknown): string {
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** The hidden field every form posting to the dashboard carries. */
export const csrfField = (ctx: DashContext): Raw => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;

/** `2026-11-21 14:03:05` in the given IANA time zone. */
export function formatTime(ms: number | null, timeZone: string): string {
  if (ms === null) return '—';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

export const stateBadge = (lang: Lang, state: TransactionState): Raw => html`<span class="badge badge-${state}">${common(lang, `state_${state}`)}</span>`;

/**
 * A payment's badge as the merchant sees what happened: a succeeded sale or
 * charge whose refunds (a cancel of a paid charge is one) add up to its amount
 * reads "Refunded", one refunded in part "Partly refunded"; anything else its state.
 */
export function paymentBadge(
  lang: Lang,
  row: { readonly type: string; readonly state: TransactionState; readonly amount: number | null; readonly refunded_amount: number | bigint },
): Raw {
  const isPayment = row.type === 'sale' || row.type === 'charge';
  const refunded = BigInt(row.refunded_amount);
  if (!isPayment || row.state !== 'succeeded' || row.amount === null || refunded <= 0n) return stateBadge(lang, row.state);
  const word = refunded >= BigInt(row.amount) ? 'refunded' : 'partlyRefunded';
  return html`<span class="badge badge-${word}" data-state="${word}">${common(lang, `state_${word}`)}</span>`;
}

/**
 * Beside the state of a pending transaction whose outcome stayed unknown past
 * its retry deadline (jobs/attention.ts): CanCan still asks, slowly, and an
 * operator should look at it with the provider.
 */
export const attentionBadge = (lang: Lang, row: { readonly state: TransactionState; readonly needs_attention_since: number | null }): Raw | '' =>
  row.state === 'pending' && row.needs_attention_since !== null
    ? html` <span class="badge badge-attention" data-needs-attention="true" title="${common(lang, 'needsAttentionHint')}">${common(lang, 'needsAttention')}</span>`
    : '';

export type NoticeKind = 'ok' | 'error' | 'info';
export const notice = (kind: NoticeKind, text: string | Raw): Raw =>
  html`<p class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;

/** Link to the same page in the other language. */
export function languageHref(path: string, lang: Lang): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set('lang', lang === 'en' ? 'zh' : 'en');
  return `${url.pathname}${url.search}`;
}

export type Section = 'overview' | 'transactions' | 'developers' | 'branding' | 'merchants' | 'reconciliation';

function document(lang: Lang, title: string, body: Raw | string): string {
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · CanCan</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
</head>
${body}
</html>`;
}

/**
 * The mode toggle: one form, a button per mode (the shown one pressed), so it
 * works without JavaScript; it comes back to the page it was on.
 */
function modeToggle(ctx: DashContext): Raw {
  const t = (key: Parameters<typeof common>[1]) => common(ctx.lang, key);
  const button = (mode: 'test' | 'live') =>
    html`<button type="submit" name="mode" value="${mode}" class="mode-${mode}" aria-pressed="${mode === ctx.mode ? 'true' : 'false'}">${t(`mode_${mode}`)}</button>`;
  return html`<form method="post" action="/dashboard/mode" class="mode-toggle" role="group" aria-label="${t('modeToggle')}" data-mode="${ctx.mode}">${csrfField(ctx)}
<input type="hidden" name="next" value="${ctx.path}">${button('test')}${button('live')}</form>`;
}

/** A signed-in page: navigation for the user's role, the mode toggle and test-mode banner, the user, sign-out, language. */
export function page(ctx: DashContext, options: { title: string; section: Section | null; body: Raw | string; notices?: readonly Raw[] }): string {
  const t = (key: Parameters<typeof common>[1]) => common(ctx.lang, key);
  const sections: Section[] = ctx.isOperator
    ? ['overview', 'transactions', 'reconciliation', 'merchants']
    : ['overview', 'transactions', 'reconciliation', 'developers', 'branding'];
  const nav = sections.map(
    (s) => html`<li><a href="/dashboard${s === 'overview' ? '' : `/${s}`}"${s === options.section ? raw(' aria-current="page"') : ''}>${t(s)}</a></li>`,
  );
  return document(
    ctx.lang,
    options.title,
    html`<body>
<a class="skip" href="#main">${t('skip')}</a>
<header class="top">
<a class="brand" href="/dashboard">CanCan</a>
<nav aria-label="${t('product')}"><ul>${nav}</ul></nav>
${modeToggle(ctx)}
<div class="who">
<span class="user">${ctx.user.email} · ${t(`role_${ctx.user.role}`)}${ctx.merchant ? ` · ${ctx.merchant.name}` : ''}</span>
<a class="lang" href="${languageHref(ctx.path, ctx.lang)}" lang="${ctx.lang === 'en' ? 'zh' : 'en'}">${t('language')}</a>
<form method="post" action="/dashboard/sign-out">${csrfField(ctx)}<button class="link" type="submit">${t('signOut')}</button></form>
</div>
</header>
${ctx.mode === 'test' ? html`<p class="test-banner" data-test-banner><strong>${t('testBanner')}</strong> ${t('testBannerHint')}</p>` : ''}
<main id="main">
<h1>${options.title}</h1>
${options.notices ?? []}
${raw(String(options.body))}
</main>
</body>`,
  );
}

/** Pages without a session: sign-in, and errors met before signing in. */
export function bareDocument(lang: Lang, title: string, body: Raw | string, path: string): string {
  return document(
    lang,
    title,
    html`<body class="bare">
<main id="main" class="narrow">
<div class="bare-head"><span class="brand">CanCan</span><a class="lang" href="${languageHref(path, lang)}" lang="${lang === 'en' ? 'zh' : 'en'}">${common(lang, 'language')}</a></div>
<h1>${title}</h1>
${raw(String(body))}
</main>
</body>`,
  );
}
