/**
 * The "Checkout branding" page: the template form beside a preview of every
 * page state (framed sample pages from this origin), at phone and desktop
 * widths, in the preview language chosen.
 */
import { type Branding, type BrandingField, CORNER_STYLES, formatFooterLinks } from '../checkout/branding.js';
import type { FieldProblem } from '../core/checkout-branding.js';
import { paymentMethod, paymentMethodCodes } from '../chop/methods.js';
import { PREVIEW_STATES, brandingWords } from './branding-words.js';
import type { DashContext } from './context.js';
import { type Raw, csrfField, html, notice, page } from './html.js';
import type { Lang } from './i18n.js';

/** The form's values as text (a stored template, or what was posted). */
export type BrandingForm = Record<Exclude<BrandingField, 'logo' | 'method'>, string>;

export function formOf(b: Branding): BrandingForm {
  return {
    display_name: b.displayName,
    brand_color: b.brandColor,
    button_text_color: b.buttonTextColor,
    accent_color: b.accentColor,
    background_color: b.backgroundColor,
    background_text_color: b.backgroundTextColor,
    corners: b.corners,
    header_line: b.headerLine,
    footer_links: formatFooterLinks(b.footerLinks),
    support_email: b.supportEmail,
    support_phone: b.supportPhone,
    default_lang: b.defaultLang,
  };
}

export const FORM_FIELDS = Object.keys(
  formOf({
    displayName: '',
    logoId: null,
    brandColor: '',
    buttonTextColor: '',
    accentColor: '',
    backgroundColor: '',
    backgroundTextColor: '',
    corners: 'rounded',
    headerLine: '',
    footerLinks: [],
    supportEmail: '',
    supportPhone: '',
    defaultLang: '',
  }),
) as (keyof BrandingForm)[];

export interface BrandingPageState {
  readonly merchantName: string;
  /** `/dashboard/branding`, or an operator's `/dashboard/merchants/<id>/branding`. */
  readonly basePath: string;
  readonly method: string;
  readonly ownScopes: readonly string[];
  readonly form: BrandingForm;
  readonly logo: { readonly id: string } | null;
  readonly problems: readonly FieldProblem[];
  readonly done?: 'saved' | 'removed';
  /** The preview shows form values not yet saved. */
  readonly draft: boolean;
  readonly previewLang: Lang;
}

export const BRANDING_CSS = `
.branding{display:grid;grid-template-columns:minmax(0,26rem) minmax(0,1fr);gap:1.5rem;align-items:start}
.branding-preview h2{margin-top:0}
.preview-grid{display:flex;flex-wrap:wrap;gap:1rem}
.preview-item{margin:0;max-width:100%}.preview-item figcaption{font-size:.9rem;color:var(--muted);margin-bottom:.25rem}
.frame-phone{width:375px;max-width:100%;height:667px;border:1px solid var(--line);border-radius:8px;background:#fff}
.frame-desktop-box{width:512px;max-width:100%;height:360px;overflow:hidden;border:1px solid var(--line);border-radius:8px}
.frame-desktop{width:1024px;height:720px;border:0;transform:scale(.5);transform-origin:0 0;background:#fff}
.logo-now{max-height:3rem;max-width:10rem;display:block;margin:.3rem 0}
.preview-langs{display:flex;gap:1rem;margin:.25rem 0 1rem}
@media (max-width:1100px){.branding{grid-template-columns:minmax(0,1fr)}}
`;

const FRAME_STATE_DEFAULT = 'wallet';

function field(ctx: DashContext, state: BrandingPageState, name: keyof BrandingForm, input: Raw): Raw {
  const t = (key: Parameters<typeof brandingWords>[1], vars?: Record<string, string | number>) => brandingWords(ctx.lang, key, vars);
  const messages = state.problems.filter((p) => p.field === name).map((p) => p.message);
  const id = `branding-${name}`;
  const hintKey = `${name}Hint` as Parameters<typeof brandingWords>[1];
  const hint = ['display_name', 'footer_links'].includes(name) ? html` <span class="hint">${t(hintKey)}</span>` : '';
  return html`<label for="${id}">${t(name)}${hint}</label>${input}${messages.length > 0 ? html`<p class="field-error" id="${id}-error">${messages.join(' ')}</p>` : ''}`;
}

function invalid(state: BrandingPageState, name: string): Raw | '' {
  return state.problems.some((p) => p.field === name) ? html` aria-invalid="true" aria-describedby="branding-${name}-error"` : '';
}

function textInput(ctx: DashContext, state: BrandingPageState, name: keyof BrandingForm, attrs: Raw | '' = ''): Raw {
  return field(
    ctx,
    state,
    name,
    html`<input type="text" id="branding-${name}" name="${name}" value="${state.form[name]}" autocomplete="off"${attrs}${invalid(state, name)}>`,
  );
}

function select(ctx: DashContext, state: BrandingPageState, name: 'corners' | 'default_lang', options: readonly [string, string][]): Raw {
  const opts = options.map(([value, label]) => html`<option value="${value}"${value === state.form[name] ? html` selected` : ''}>${label}</option>`);
  return field(ctx, state, name, html`<select id="branding-${name}" name="${name}"${invalid(state, name)}>${opts}</select>`);
}

function scopeSwitch(ctx: DashContext, state: BrandingPageState): Raw {
  const t = (key: Parameters<typeof brandingWords>[1], vars?: Record<string, string | number>) => brandingWords(ctx.lang, key, vars);
  const label = (code: string) => {
    const own = state.ownScopes.includes(code);
    if (code === '') return `${t('scopeDefault')}${own ? '' : ` (${t('scopeFallback')})`}`;
    return `${paymentMethod(code)?.label[ctx.lang] ?? code} (${own ? t('scopeOwn') : t('scopeFallback')})`;
  };
  const options = ['', ...paymentMethodCodes()].map(
    (code) => html`<option value="${code}"${code === state.method ? html` selected` : ''}>${label(code)}</option>`,
  );
  return html`<form method="get" action="${state.basePath}" class="actions">
<label for="branding-scope">${t('scope')}</label><select id="branding-scope" name="method">${options}</select><button type="submit" class="secondary">${t('switchScope')}</button></form>`;
}

function templateForm(ctx: DashContext, state: BrandingPageState): Raw {
  const t = (key: Parameters<typeof brandingWords>[1], vars?: Record<string, string | number>) => brandingWords(ctx.lang, key, vars);
  const colour = (name: keyof BrandingForm) => textInput(ctx, state, name, html` maxlength="7" pattern="#[0-9a-fA-F]{6}" class="mono"`);
  const logoMessages = state.problems.filter((p) => p.field === 'logo').map((p) => p.message);
  const logo = html`<label for="branding-logo">${t('logo')} <span class="hint">${t('logoHint')}</span></label>
${
  state.logo
    ? html`<img class="logo-now" src="/chop/assets/logo/${state.logo.id}" alt="${t('logo')}" data-logo-now>
<div class="op-check"><input type="checkbox" id="branding-remove-logo" name="remove_logo" value="on"><label for="branding-remove-logo">${t('removeLogo')}</label></div>`
    : html`<p class="muted">${t('noLogo')}</p>`
}
<input type="file" id="branding-logo" name="logo" accept="image/png,image/jpeg"${logoMessages.length > 0 ? html` aria-invalid="true" aria-describedby="branding-logo-error"` : ''}>
${logoMessages.length > 0 ? html`<p class="field-error" id="branding-logo-error">${logoMessages.join(' ')}</p>` : ''}`;
  const links = state.problems.some((p) => p.field === 'footer_links');
  const disabled = ctx.canAct ? '' : html` disabled`;
  return html`<form method="post" action="${state.basePath}" enctype="multipart/form-data" class="card" data-branding-form>
${csrfField(ctx)}<input type="hidden" name="method" value="${state.method}">
<fieldset${disabled}>
${textInput(ctx, state, 'display_name', html` maxlength="60"`)}
${logo}
<p class="hint">${t('colourHint')}</p>
${colour('brand_color')}${colour('button_text_color')}${colour('accent_color')}${colour('background_color')}${colour('background_text_color')}
${select(
  ctx,
  state,
  'corners',
  CORNER_STYLES.map((c) => [c, t(`corner_${c}`)] as [string, string]),
)}
${textInput(ctx, state, 'header_line', html` maxlength="120"`)}
${field(ctx, state, 'footer_links', html`<textarea id="branding-footer_links" name="footer_links" rows="3"${links ? html` aria-invalid="true" aria-describedby="branding-footer_links-error"` : ''}>${state.form.footer_links}</textarea>`)}
${textInput(ctx, state, 'support_email', html` maxlength="100"`)}
${textInput(ctx, state, 'support_phone', html` maxlength="30"`)}
${select(ctx, state, 'default_lang', [
  ['', t('lang_browser')],
  ['en', t('lang_en')],
  ['zh', t('lang_zh')],
])}
<div class="actions"><button type="submit" data-save>${t('save')}</button>
<button type="submit" class="secondary" formaction="${state.basePath}/draft" data-preview-draft>${t('preview')}</button></div>
</fieldset>
</form>
${ctx.canAct && state.ownScopes.includes(state.method) ? html`<form method="post" action="${state.basePath}/remove" class="actions">${csrfField(ctx)}<input type="hidden" name="method" value="${state.method}"><button type="submit" class="danger" data-remove-template>${t('removeTemplate')}</button></form>` : ''}`;
}

/** The query a preview frame needs: scope, state, language and (for a draft) the form's values. */
function frameHref(state: BrandingPageState, sample: string, lang: Lang): string {
  const query = new URLSearchParams({ method: state.method, state: sample, page_lang: lang });
  if (state.draft) for (const name of FORM_FIELDS) query.set(name, state.form[name]);
  return `${state.basePath}/preview?${query.toString()}`;
}

function preview(ctx: DashContext, state: BrandingPageState): Raw {
  const t = (key: Parameters<typeof brandingWords>[1], vars?: Record<string, string | number>) => brandingWords(ctx.lang, key, vars);
  const langLink = (lang: Lang) => {
    const query = new URLSearchParams({ method: state.method, preview_lang: lang });
    if (state.draft) {
      query.set('draft', '1');
      for (const name of FORM_FIELDS) query.set(name, state.form[name]);
    }
    return html`<a href="${state.basePath}?${query.toString()}"${lang === state.previewLang ? html` aria-current="true"` : ''}>${t(`lang_${lang}`)}</a>`;
  };
  const items = PREVIEW_STATES.map((sample) => {
    const name = t(`state_${sample}`);
    return html`<figure class="preview-item" data-preview-state="${sample}"><figcaption>${t('frameTitle', { state: name, width: t('phone') })}</figcaption>
<iframe class="frame-phone" src="${frameHref(state, sample, state.previewLang)}" title="${t('frameTitle', { state: name, width: t('phone') })}"${sample === FRAME_STATE_DEFAULT ? '' : html` loading="lazy"`} data-frame="phone"></iframe></figure>
<figure class="preview-item"><figcaption>${t('frameTitle', { state: name, width: t('desktop') })}</figcaption>
<div class="frame-desktop-box"><iframe class="frame-desktop" src="${frameHref(state, sample, state.previewLang)}" title="${t('frameTitle', { state: name, width: t('desktop') })}" loading="lazy" data-frame="desktop"></iframe></div></figure>`;
  });
  return html`<section class="branding-preview" aria-labelledby="preview-title"><h2 id="preview-title">${t('previewTitle')}</h2>
<div class="preview-langs">${t('previewLang')}: ${langLink('en')} ${langLink('zh')}</div>
<div class="preview-grid">${items}</div></section>`;
}

export function brandingPage(ctx: DashContext, state: BrandingPageState, isOperatorView: boolean): string {
  const t = (key: Parameters<typeof brandingWords>[1], vars?: Record<string, string | number>) => brandingWords(ctx.lang, key, vars);
  const notices: Raw[] = [];
  if (state.done) notices.push(notice('ok', t(state.done)));
  if (state.problems.length > 0) notices.push(notice('error', t('refused', { count: state.problems.length })));
  else if (state.draft) notices.push(notice('info', t('draft')));
  if (!ctx.canAct) notices.push(notice('info', t('readOnly')));
  const body = html`<p>${t('intro')}</p>
${scopeSwitch(ctx, state)}
<div class="branding"><div>${templateForm(ctx, state)}</div>${preview(ctx, state)}</div>`;
  return page(ctx, {
    title: isOperatorView ? t('titleFor', { merchant: state.merchantName }) : t('title'),
    section: isOperatorView ? 'merchants' : 'branding',
    body,
    notices,
  });
}
