/** Form pieces the operator console's pages share: field errors, the time zone select, gateway checkboxes. */
import { paymentMethod, paymentMethodCodes } from '../chop/methods.js';
import type { Problem, SettingsField } from '../core/merchant-settings.js';
import { gatewayCodes, gatewayProfile } from '../providers/registry.js';
import type { DashContext } from './context.js';
import { type Raw, html } from './html.js';
import { problemMessage, words } from './operator-words.js';

/** The form's checkbox for a gateway or method is `gw_<code>` (the body parser keeps one value per name). */
export const GATEWAY_FIELD_PREFIX = 'gw_';

/** The messages about one field, in the user's language. */
export const messagesFor = (ctx: DashContext, problems: readonly Problem[], field: SettingsField): string[] =>
  problems.filter((p) => p.field === field).map((p) => problemMessage(ctx.lang, p));

/** `aria-invalid` and the link to the message, when the field has one. */
export const invalidAttributes = (id: string, messages: readonly string[]): Raw | '' =>
  messages.length > 0 ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';

export const fieldError = (id: string, messages: readonly string[]): Raw | '' =>
  messages.length > 0 ? html`<p class="field-error" id="${id}-error">${messages.join(' ')}</p>` : '';

/** IANA names this runtime knows (UTC first); ICU lists some under older names (Asia/Calcutta). */
const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

/** A select of time zones; a current value missing from the list (an alias, or rejected input) stays selectable. */
export function timeZoneSelect(id: string, current: string, messages: readonly string[]): Raw {
  const zones = TIME_ZONES.includes(current) ? TIME_ZONES : [current, ...TIME_ZONES];
  const options = zones.map((zone) => html`<option${zone === current ? html` selected` : ''}>${zone}</option>`);
  return html`<select id="${id}" name="timezone" autocomplete="off"${invalidAttributes(id, messages)}>${options}</select>${fieldError(id, messages)}`;
}

function check(idPrefix: string, code: string, checked: ReadonlySet<string>, label: Raw): Raw {
  const id = `${idPrefix}-${code}`;
  return html`<li><input type="checkbox" id="${id}" name="${GATEWAY_FIELD_PREFIX}${code}" value="on"${checked.has(code) ? html` checked` : ''}><label for="${id}">${label}</label></li>`;
}

/**
 * Two groups of checkboxes: POS gateways (code and currencies) and hosted checkout methods (name and code).
 * `currencies`: a merchant's own list where a gateway has one (the cross-border gateways), shown instead of the default.
 */
export function gatewayChecks(
  ctx: DashContext,
  idPrefix: string,
  checked: ReadonlySet<string>,
  currencies: ReadonlyMap<string, readonly string[]> = new Map(),
): Raw {
  const t = (key: 'posGateways' | 'chopMethods') => words(ctx.lang, key);
  const pos = gatewayCodes().map((code) =>
    check(
      idPrefix,
      code,
      checked,
      html`<span class="mono">${code}</span> <span class="muted" data-currencies>${(currencies.get(code) ?? gatewayProfile(code)?.currencies ?? []).join(', ')}</span>`,
    ),
  );
  const chop = paymentMethodCodes().map((code) =>
    check(idPrefix, code, checked, html`${paymentMethod(code)?.label[ctx.lang] ?? code} <span class="muted mono">${code}</span>`),
  );
  return html`<fieldset><legend>${t('posGateways')}</legend><ul class="op-checks">${pos}</ul></fieldset>
<fieldset><legend>${t('chopMethods')}</legend><ul class="op-checks">${chop}</ul></fieldset>`;
}

/** The codes whose checkbox a form body has checked. */
export function checkedCodes(body: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(body)
    .filter((name) => name.startsWith(GATEWAY_FIELD_PREFIX) && body[name] === 'on')
    .map((name) => name.slice(GATEWAY_FIELD_PREFIX.length));
}

export const OPERATOR_CSS = `
.op-checks{list-style:none;margin:.2rem 0 .6rem;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(min(17rem,100%),1fr));gap:.3rem 1rem}
.op-checks li{display:flex;align-items:center;gap:.45rem}.op-checks label,.op-check label{display:inline;font-weight:400;margin:0}
.op-checks input,.op-check input{width:1.1rem;height:1.1rem;margin:0;flex:none}
.card fieldset{border:0;padding:0;margin:0}.card legend{font-weight:600;padding:0;margin:.6rem 0 .2rem}
.op-check{display:flex;align-items:center;gap:.45rem;margin:.9rem 0 .2rem}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
.op-key{display:block;padding:.6rem .75rem;margin:.3rem 0;background:var(--bg);border:1px dashed #8c959f;border-radius:6px;font-size:1rem;user-select:all}
.op-creds{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(20rem,100%),1fr));gap:1rem}
.op-creds form{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:0}
.op-creds h3{font-size:1rem;margin:0 0 .3rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.op-creds ul{margin:.3rem 0;padding-left:1.2rem;color:var(--bad)}
.badge-unset{background:#eaeef2;color:var(--muted)}
.op-code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}
@media (max-width:720px){table.op-table td{text-align:right;overflow-wrap:anywhere}table.op-table td::before{flex:none;text-align:left}}
`;
