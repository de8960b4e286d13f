/** Server-rendered HTML of the hosted payment page and its message pages. Every value is escaped. */
import type { PayForm } from '../providers/contract.js';
import type { PaymentMethod } from '../chop/methods.js';
import { type Branding, brandStylesheetHref } from './branding.js';
import { type Lang, type TextKey, t } from './i18n.js';
import { formatMoney } from './money-format.js';
import { declineText } from './decline-words.js';

/** A merchant's template as a page shows it; null or absent: CanCan's plain page. */
export interface PageBrand {
  readonly branding: Branding;
  /** The template's display name, else the merchant's name. */
  readonly displayName: string;
  readonly logo: { readonly id: string; readonly width: number; readonly height: number } | null;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/** The amount as the shopper reads it in the page's language: `$15.00`, `¥1,500`. */
export function formatAmount(amount: number, currency: string, lang: Lang): string {
  return formatMoney(amount, currency, lang);
}

function layout(lang: Lang, title: string, body: string, options: { refreshSeconds?: number; langHref?: string; brand?: PageBrand | null } = {}): string {
  const refresh = options.refreshSeconds ? `<noscript><meta http-equiv="refresh" content="${options.refreshSeconds}"></noscript>` : '';
  const other = lang === 'en' ? 'zh' : 'en';
  const langLink = options.langHref
    ? `<a class="lang" href="${escapeHtml(`${options.langHref}&lang=${other}`)}" lang="${other}">${t(lang, 'language')}</a>`
    : '';
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
${refresh}
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/chop/assets/checkout.css">
${options.brand ? `<link rel="stylesheet" href="${brandStylesheetHref(options.brand.branding)}">\n` : ''}</head>
<body${options.brand ? ' class="branded"' : ''}>
<main>
${options.brand ? brandHeader(options.brand, title, langLink) : `<header><h1>${escapeHtml(title)}</h1>${langLink}</header>`}
${body}
${options.brand ? brandFooter(lang, options.brand) : `<footer>${t(lang, 'poweredBy')}</footer>`}
</main>
<script src="/chop/assets/checkout.js"></script>
</body>
</html>`;
}

/** The merchant's logo (served by CanCan), name and header line; the title stays for screen readers and tabs. */
function brandHeader(brand: PageBrand, title: string, langLink: string): string {
  const logo = brand.logo
    ? `<img class="logo" src="/chop/assets/logo/${brand.logo.id}" alt="${escapeHtml(brand.displayName)}" width="${brand.logo.width}" height="${brand.logo.height}" data-brand-logo>`
    : '';
  const line = brand.branding.headerLine ? `<p class="brand-line" data-brand-line>${escapeHtml(brand.branding.headerLine)}</p>` : '';
  return `<header class="brand-head" data-brand="${escapeHtml(brand.displayName)}">${logo}<h1>${escapeHtml(title)}</h1>${langLink}</header>
${line}`;
}

/** The merchant's links and support contact, then CanCan's own line (always shown). */
function brandFooter(lang: Lang, brand: PageBrand): string {
  const { footerLinks, supportEmail, supportPhone } = brand.branding;
  const links =
    footerLinks.length > 0
      ? `<nav aria-label="${escapeHtml(brand.displayName)}"><ul>${footerLinks.map((l) => `<li><a href="${escapeHtml(l.url)}" rel="noopener noreferrer">${escapeHtml(l.label)}</a></li>`).join('')}</ul></nav>`
      : '';
  const contacts = [
    supportEmail ? `<a href="mailto:${escapeHtml(supportEmail)}">${escapeHtml(supportEmail)}</a>` : '',
    supportPhone ? `<a href="tel:${escapeHtml(supportPhone.replace(/[^0-9+]/g, ''))}">${escapeHtml(supportPhone)}</a>` : '',
  ].filter((c) => c !== '');
  const support = contacts.length > 0 ? `<p data-brand-support>${t(lang, 'support')} ${contacts.join(' · ')}</p>` : '';
  return `<footer class="brand-foot">${links}${support}<p class="cancan">${t(lang, 'poweredBy')}</p></footer>`;
}

export interface CheckoutView {
  readonly lang: Lang;
  readonly id: string;
  readonly merchantName: string;
  readonly reference: string;
  readonly amount: number;
  readonly currency: string;
  readonly method: PaymentMethod;
  readonly expiresAt: number;
  /** Inline SVG of the QR (wallets), once the provider order exists. */
  readonly qrSvg: string | null;
  readonly payForm: PayForm | null;
  /** Test mode: offer the simulated-customer buttons. */
  readonly sandbox: boolean;
  /** Card form problems, by field. */
  readonly cardErrors?: Readonly<Record<string, string>>;
  readonly cardValues?: { readonly name?: string; readonly postalCode?: string; readonly expiry?: string };
  readonly brand?: PageBrand | null;
  /** A test-mode charge: the page says so, and the card form lists the simulator's test cards. */
  readonly testMode?: boolean;
  /** The last card attempt was declined and the shopper may try again. */
  readonly decline?: { readonly code: string; readonly attemptsLeft: number } | null;
  /** Wallets: the address that opens the wallet's app with this order (app-links.ts), if it has one. */
  readonly appLink?: string | null;
}

/** The card simulator's documented test values (docs/providers.md, "Simulator test values"). */
const TEST_CARDS: readonly { readonly number: string; readonly outcome: 'testApprove' | 'testDecline' | 'testFunds' }[] = [
  { number: '4111 1111 1111 1111', outcome: 'testApprove' },
  { number: '5555 5555 5555 4444', outcome: 'testApprove' },
  { number: '4000 0000 0000 0002', outcome: 'testDecline' },
  { number: '4000 0000 0000 9995', outcome: 'testFunds' },
];

function testCardsNote(view: CheckoutView): string {
  if (!view.testMode) return '';
  const items = TEST_CARDS.map(
    (card) => `<li><code data-test-card="${card.number.replace(/ /g, '')}">${card.number}</code> ${t(view.lang, card.outcome)}</li>`,
  ).join('');
  return `<section class="card sandbox" data-test-mode aria-label="${t(view.lang, 'testMode')}">
<h2>${t(view.lang, 'testMode')}</h2>
<p>${t(view.lang, 'testCards')}</p>
<ul class="test-cards">${items}</ul>
<p class="muted">${t(view.lang, 'testCvc')}</p>
</section>`;
}

function declineNotice(view: CheckoutView): string {
  if (!view.decline) return '';
  const left = view.decline.attemptsLeft;
  const tries = left <= 1 ? t(view.lang, 'lastTry') : t(view.lang, 'triesLeft', { count: String(left) });
  return `<div class="error decline" role="alert" data-decline="${escapeHtml(view.decline.code)}"><p><strong>${t(view.lang, 'declinedTitle')}</strong></p><p data-decline-reason>${escapeHtml(declineText(view.lang, view.decline.code))}</p><p class="muted">${escapeHtml(tries)}</p></div>`;
}

function summary(view: CheckoutView): string {
  return `<section class="card" aria-label="${t(view.lang, 'amount')}">
<div class="muted">${escapeHtml(view.brand?.displayName ?? view.merchantName)}</div>
<div class="amount" data-amount>${escapeHtml(formatAmount(view.amount, view.currency, view.lang))}</div>
<div class="muted">${t(view.lang, 'reference')}: ${escapeHtml(view.reference)}</div>
</section>`;
}

function countdown(view: CheckoutView): string {
  // Without the script the page shows the deadline; the script turns it into a live mm:ss.
  return `<p class="countdown muted">${t(view.lang, 'expiresIn')} <span data-countdown>${escapeHtml(t(view.lang, 'until', { time: `${new Date(view.expiresAt).toISOString().slice(11, 19)} UTC` }))}</span></p>`;
}

function sandboxButtons(view: CheckoutView): string {
  if (!view.sandbox || view.method.flow === 'card') return '';
  const button = (action: 'approve' | 'decline', label: TextKey, cls = '') =>
    `<form method="post" action="/chop/landing/sandbox"><input type="hidden" name="q" value="${escapeHtml(view.id)}"><input type="hidden" name="action" value="${action}"><input type="hidden" name="lang" value="${view.lang}"><button type="submit" class="${cls}" data-sandbox="${action}">${t(view.lang, label)}</button></form>`;
  return `<section class="card sandbox" aria-label="${t(view.lang, 'sandbox')}"><h2>${t(view.lang, 'sandbox')}</h2>${button('approve', 'approve')}${button('decline', 'decline', 'secondary')}</section>`;
}

/** Shown on narrow screens only (checkout.css): a phone cannot scan its own screen. */
function appLinkButton(view: CheckoutView): string {
  if (!view.appLink) return '';
  const label = view.method.label[view.lang];
  return `<p class="app-link"><span class="muted">${escapeHtml(t(view.lang, 'openAppHint', { method: label }))}</span><a class="button" href="${escapeHtml(view.appLink)}" rel="noopener noreferrer" data-open-app>${escapeHtml(t(view.lang, 'openApp', { method: label }))}</a></p>`;
}

function walletBody(view: CheckoutView): string {
  const label = view.method.label[view.lang];
  if (!view.qrSvg) {
    return `<section class="card"><p class="status" data-status data-state="pending" role="status" aria-live="polite">${t(view.lang, 'preparing')}</p><p class="muted">${t(view.lang, 'noScript')}</p></section>`;
  }
  const redirect = view.payForm
    ? `<form method="post" action="${escapeHtml(view.payForm.action)}">${Object.entries(view.payForm.fields)
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
        .join('')}<button type="submit" data-pay-redirect>${escapeHtml(t(view.lang, 'continueTo', { method: label }))}</button></form>`
    : '';
  const scanWith = escapeHtml(t(view.lang, 'scanWith', { method: label }));
  return `<section class="card">
<p>${scanWith}</p>
<div class="qr" data-qr role="img" aria-label="${scanWith}">${view.qrSvg}</div>
${countdown(view)}
<p class="status" data-status data-state="pending" role="status" aria-live="polite">${t(view.lang, 'waiting')}</p>
${redirect}${appLinkButton(view)}
</section>
${sandboxButtons(view)}`;
}

function field(view: CheckoutView, name: string, label: TextKey, attributes: string, value = ''): string {
  const error = view.cardErrors?.[name];
  const id = `card-${name}`;
  return `<label for="${id}">${t(view.lang, label)}</label>
<input id="${id}" name="${name}" ${attributes} value="${escapeHtml(value)}"${error ? ` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
${error ? `<p class="error" id="${id}-error">${escapeHtml(error)}</p>` : ''}`;
}

function cardBody(view: CheckoutView): string {
  const values = view.cardValues ?? {};
  const errors = view.cardErrors && Object.keys(view.cardErrors).length > 0 ? `<p class="error" role="alert">${t(view.lang, 'fixErrors')}</p>` : '';
  return `<section class="card">
${errors}${view.cardErrors ? '' : declineNotice(view)}
<form method="post" action="/chop/landing/card" autocomplete="on" novalidate>
<input type="hidden" name="q" value="${escapeHtml(view.id)}">
<input type="hidden" name="lang" value="${view.lang}">
${field(view, 'number', 'cardNumber', 'inputmode="numeric" autocomplete="cc-number" required maxlength="23"')}
<div class="row"><div>${field(view, 'expiry', 'expiry', 'inputmode="numeric" autocomplete="cc-exp" placeholder="MM/YY" required maxlength="7"', values.expiry)}</div>
<div>${field(view, 'cvc', 'cvc', 'inputmode="numeric" autocomplete="cc-csc" required maxlength="4"')}</div></div>
${field(view, 'name', 'name', 'autocomplete="cc-name" required maxlength="100"', values.name)}
${field(view, 'postal_code', 'postalCode', 'autocomplete="postal-code" maxlength="16"', values.postalCode)}
<button type="submit" data-pay-card>${escapeHtml(t(view.lang, 'payNow', { amount: formatAmount(view.amount, view.currency, view.lang) }))}</button>
</form>
${countdown(view)}
</section>
${testCardsNote(view)}`;
}

export function renderCheckoutPage(view: CheckoutView): string {
  const body = `<div data-q="${escapeHtml(view.id)}" data-expires-at="${view.expiresAt}" data-poll="${view.method.flow === 'card' ? 'no' : 'yes'}"></div>
${summary(view)}
${view.method.flow === 'card' ? cardBody(view) : walletBody(view)}`;
  return layout(view.lang, `${t(view.lang, 'pay')} · ${view.brand?.displayName ?? view.merchantName}`, body, {
    brand: view.brand ?? null,
    langHref: `/chop/landing?q=${encodeURIComponent(view.id)}`,
    ...(view.method.flow === 'card' ? {} : { refreshSeconds: 5 }),
  });
}

export function renderMessagePage(
  lang: Lang,
  title: TextKey,
  message: TextKey,
  options: { detail?: string; link?: string; state?: string; brand?: PageBrand | null } = {},
): string {
  const link = options.link ? `<a class="button" href="${escapeHtml(options.link)}">${t(lang, 'backToShop')}</a>` : '';
  const detail = options.detail ? `<p class="muted">${escapeHtml(options.detail)}</p>` : '';
  const heading = options.brand ? `${t(lang, title)} · ${options.brand.displayName}` : t(lang, title);
  return layout(
    lang,
    heading,
    `<section class="card"><p class="status" data-state="${escapeHtml(options.state ?? '')}" role="status">${t(lang, message)}</p>${detail}${link}</section>`,
    { brand: options.brand ?? null },
  );
}
