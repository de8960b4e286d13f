/**
 * The developers page's HTML: API keys, the webhook signing secret, curl
 * examples, and the two confirmation pages. A new key or secret is rendered
 * only into the answer of the POST that produced it (never into a URL).
 */
import { SIGNATURE_HEADER } from '../chop/ipn.js';
import type { KeyMode } from '../domain/secrets.js';
import type { ApiKeyRow } from '../store/merchants.js';
import type { DashContext } from './context.js';
import type { TestIpnOutcome } from './developers-test-ipn.js';
import { type Raw, csrfField, formatTime, html, notice, page } from './html.js';
import { type DevelopersWord, words } from './developers-words.js';
import { common } from './i18n.js';

export interface DevelopersState {
  readonly keys: readonly ApiKeyRow[];
  readonly timeZone: string;
  readonly publicUrl: string;
  /** Only in the answer to the create POST. */
  readonly newKey?: { readonly apiKey: string; readonly mode: KeyMode };
  /** Only in the answer to reveal or rotate. */
  readonly secret?: { readonly value: string; readonly rotated: boolean };
  readonly modeError?: boolean;
  /** The test IPN form's URL, and the outcome after sending. */
  readonly testIpn?: { readonly url: string; readonly outcome?: TestIpnOutcome };
  readonly notices?: readonly Raw[];
}

type W = (key: DevelopersWord, vars?: Record<string, string | number>) => string;
const wordsOf =
  (ctx: DashContext): W =>
  (key, vars) =>
    words(ctx.lang, key, vars);

function keysSection(ctx: DashContext, state: DevelopersState, w: W): Raw {
  const when = (ms: number | null) => (ms === null ? w('never') : formatTime(ms, state.timeZone));
  const rows = state.keys.map(
    (key) => html`<tr data-key="${key.id}">
<td data-label="${w('key')}"><code>${key.prefix}…</code></td>
<td data-label="${w('mode')}">${common(ctx.lang, `mode_${key.mode}`)}</td>
<td data-label="${w('created')}">${when(key.created_at)}</td>
<td data-label="${w('lastUsed')}">${when(key.last_used_at)}</td>
<td data-label="${w('status')}" data-status="${key.revoked_at === null ? 'active' : 'revoked'}">${
      key.revoked_at === null
        ? html`<span class="badge badge-succeeded">${w('active')}</span>`
        : html`<span class="badge badge-failed">${w('revokedAt', { time: formatTime(key.revoked_at, state.timeZone) })}</span>`
    }</td>
${
  ctx.canAct
    ? html`<td data-label="${w('actions')}">${
        key.revoked_at === null
          ? html`<a class="button secondary" href="/dashboard/developers/keys/${key.id}/revoke" aria-label="${w('revokeLabel', { prefix: key.prefix })}">${w('revoke')}</a>`
          : ''
      }</td>`
    : ''
}
</tr>`,
  );
  const table =
    state.keys.length === 0
      ? html`<p class="muted">${w('noKeys')}</p>`
      : html`<div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">${w('key')}</th><th scope="col">${w('mode')}</th><th scope="col">${w('created')}</th><th scope="col">${w('lastUsed')}</th><th scope="col">${w('status')}</th>${ctx.canAct ? html`<th scope="col">${w('actions')}</th>` : ''}</tr></thead>
<tbody>${rows}</tbody></table></div>`;
  const form = ctx.canAct
    ? html`<form method="post" action="/dashboard/developers/keys" class="card dev-create" aria-labelledby="dev-create-title">
<h3 id="dev-create-title">${w('createTitle')}</h3>
${csrfField(ctx)}
<label for="key-mode">${w('mode')} <span class="hint">${w('modeHint')}</span></label>
<select id="key-mode" name="mode"${state.modeError ? html` aria-invalid="true" aria-describedby="key-mode-error"` : ''}>
<option value="test">${common(ctx.lang, 'mode_test')}</option><option value="live">${common(ctx.lang, 'mode_live')}</option>
</select>
${state.modeError ? html`<p class="field-error" id="key-mode-error">${w('badMode')}</p>` : ''}
<div class="actions"><button type="submit">${w('createKey')}</button></div>
</form>`
    : html`<p class="hint" data-read-only>${w('readOnly')}</p>`;
  return html`<section aria-labelledby="dev-keys"><h2 id="dev-keys">${w('keys')}</h2>
<p class="hint">${w('keysHint')} ${w('timesIn', { zone: state.timeZone })}</p>
${table}
${form}
</section>`;
}

function newKeyCard(ctx: DashContext, state: DevelopersState, w: W): Raw {
  if (!state.newKey) return html``;
  return html`<section class="card dev-secret" aria-labelledby="dev-new-key" data-new-key>
<h2 id="dev-new-key">${w('newKeyTitle')}</h2>
<p class="notice notice-info" role="alert">${w('newKeyWarning')}</p>
<p class="dev-label" id="new-key-label">${w('newKeyLabel', { mode: common(ctx.lang, `mode_${state.newKey.mode}`) })}</p>
<p><code class="dev-secret-value" id="new-key" data-secret>${state.newKey.apiKey}</code></p>
</section>`;
}

function webhookSection(ctx: DashContext, state: DevelopersState, w: W): Raw {
  const shown = state.secret;
  const value = shown
    ? html`<p><code class="dev-secret-value" id="webhook-secret" data-webhook-secret>${shown.value}</code></p>
<p class="${shown.rotated ? 'notice notice-info' : 'hint'}">${shown.rotated ? w('rotatedNote') : w('revealedNote')}</p>`
    : html`<p id="webhook-secret" class="mono" data-webhook-secret-hidden>whsec_•••••••••••• <span class="muted">(${w('hidden')})</span></p>`;
  const controls = ctx.canAct
    ? html`<div class="actions">
${shown ? '' : html`<form method="post" action="/dashboard/developers/webhook-secret/reveal">${csrfField(ctx)}<button type="submit" class="secondary">${w('reveal')}</button></form>`}
<a class="button secondary" href="/dashboard/developers/webhook-secret/rotate">${w('rotate')}</a>
</div>`
    : '';
  return html`<section class="card" aria-labelledby="dev-webhook"><h2 id="dev-webhook">${w('webhook')}</h2>
<p>${w('webhookIntro')}</p>
<p><code>${SIGNATURE_HEADER}: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</code></p>
<p>${w('verify')}</p>
<p class="dev-label">${w('secretLabel')}</p>
${value}
${controls}
</section>`;
}

function testIpnNotice(outcome: TestIpnOutcome, w: W): Raw {
  switch (outcome.kind) {
    case 'delivered':
      return notice('ok', w('ipn_delivered', { url: outcome.url, status: outcome.status, ms: outcome.latencyMs }));
    case 'rejected':
      return notice('error', w('ipn_rejected', { url: outcome.url, status: outcome.status, excerpt: outcome.excerpt.slice(0, 200) || '—' }));
    case 'unreachable':
      return notice('error', w('ipn_unreachable', { url: outcome.url, error: outcome.error }));
    case 'refused':
      return notice('error', w('ipn_refused', { url: outcome.url, reason: outcome.reason }));
    case 'bad_url':
      return notice('error', w('ipn_bad_url', { url: outcome.url }));
    case 'no_url':
      return notice('error', w('ipn_no_url'));
    case 'no_test_key':
      return notice('error', w('ipn_no_test_key'));
  }
}

function testIpnSection(ctx: DashContext, state: DevelopersState, w: W): Raw {
  const test = state.testIpn ?? { url: '' };
  const listen = w('testIpnListen', { command: '\u0000' }).split('\u0000');
  const listenLine = html`<p class="hint">${listen[0] ?? ''}<code>cancan listen --forward-to http://localhost:3000/ipn</code>${listen[1] ?? ''}</p>`;
  const failed = test.outcome !== undefined && test.outcome.kind !== 'delivered';
  const form =
    ctx.mode !== 'test'
      ? html`<p class="hint" data-test-ipn-live>${w('testIpnLiveMode')}</p>`
      : ctx.canAct
        ? html`<form method="post" action="/dashboard/developers/test-ipn" class="dev-test-ipn">
${csrfField(ctx)}
<label for="test-ipn-url">${w('testIpnUrl')} <span class="hint">${w('testIpnUrlHint')}</span></label>
<input id="test-ipn-url" name="url" type="url" inputmode="url" value="${test.url}" placeholder="https://shop.example/ipn"${failed ? html` aria-describedby="test-ipn-result"` : ''}>
<div class="actions"><button type="submit">${w('sendTestIpn')}</button></div>
</form>`
        : html`<p class="hint" data-test-ipn-read-only>${w('testIpnReadOnly')}</p>`;
  return html`<section class="card" aria-labelledby="dev-test-ipn" data-test-ipn><h2 id="dev-test-ipn">${w('testIpn')}</h2>
<p>${w('testIpnIntro')}</p>
${test.outcome ? html`<div id="test-ipn-result" data-test-ipn-result="${test.outcome.kind}">${testIpnNotice(test.outcome, w)}</div>` : ''}
${form}
${listenLine}
</section>`;
}

function examplesSection(state: DevelopersState, w: W): Raw {
  const testKey = state.keys.find((k) => k.mode === 'test' && k.revoked_at === null);
  const base = state.publicUrl.replace(/\/+$/, '');
  const keyLine = `KEY='${testKey ? testKey.prefix : 'sk_test_'}…'   # ${w('pasteKey')}`;
  const pos = `${keyLine}
curl -s -X POST ${base}/api/v2/transactions \\
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -H 'Prefer: wait=10' \\
  -d '{"data":{"id":"sale-1001","type":"sale","attributes":{
        "payment_gateway":"wechatpay_cn_domestic","payment_auth_key":"134567890123456789",
        "amount":1000,"currency":"CNY","description":"Noodles","pos_id":"POS1"}}}'`;
  const chop = `${keyLine}
curl -s ${base}/chop/chop -H "Authorization: Bearer $KEY" \\
  -d payment_method=wechatpay -d amount=999 -d currency=USD -d reference=order-1001 \\
  -d callback_url_success=https://shop.example/thanks -d callback_url_fail=https://shop.example/sorry \\
  -d ipn_url=https://shop.example/ipn`;
  return html`<section aria-labelledby="dev-examples"><h2 id="dev-examples">${w('examples')}</h2>
<p class="hint">${testKey ? w('examplesIntro', { prefix: testKey.prefix }) : w('examplesNoKey')}</p>
<h3>${w('posExample')}</h3>
<pre class="dev-code" data-example="pos"><code>${pos}</code></pre>
<h3>${w('chopExample')}</h3>
<pre class="dev-code" data-example="chop"><code>${chop}</code></pre>
</section>`;
}

export function developersHtml(ctx: DashContext, state: DevelopersState): string {
  const w = wordsOf(ctx);
  const body = html`<p class="muted">${w('intro')}</p>
${newKeyCard(ctx, state, w)}
${keysSection(ctx, state, w)}
${webhookSection(ctx, state, w)}
${testIpnSection(ctx, state, w)}
${examplesSection(state, w)}`;
  return page(ctx, { title: common(ctx.lang, 'developers'), section: 'developers', body, notices: state.notices ?? [] });
}

export const revokedNotice = (ctx: DashContext, prefix: string): Raw => notice('ok', wordsOf(ctx)('revoked', { prefix }));

/** A confirmation step: what will happen, a form that does it, and a way back. */
function confirmPage(ctx: DashContext, title: string, text: string, action: string, button: string, fields: Raw = html``): string {
  const body = html`<div class="card">
<p>${text}</p>
<form method="post" action="${action}" class="actions">${csrfField(ctx)}${fields}
<button type="submit" class="danger">${button}</button>
<a href="/dashboard/developers">${common(ctx.lang, 'cancel')}</a>
</form>
</div>`;
  return page(ctx, { title, section: 'developers', body });
}

export function revokeConfirmHtml(ctx: DashContext, key: ApiKeyRow): string {
  const w = wordsOf(ctx);
  return confirmPage(
    ctx,
    w('revokeTitle'),
    w('revokeText', { mode: common(ctx.lang, `mode_${key.mode}`), prefix: key.prefix }),
    `/dashboard/developers/keys/${key.id}/revoke`,
    w('revokeConfirm'),
  );
}

export function rotateConfirmHtml(ctx: DashContext): string {
  const w = wordsOf(ctx);
  return confirmPage(
    ctx,
    w('rotateTitle'),
    w('rotateText'),
    '/dashboard/developers/webhook-secret/rotate',
    w('rotateConfirm'),
    html`<input type="hidden" name="confirm" value="yes">`,
  );
}

export const DEVELOPERS_CSS = `
.dev-code{background:#0d1b2a;color:#e6edf3;padding:.75rem 1rem;border-radius:8px;overflow-x:auto;max-width:100%;font-size:.85rem;line-height:1.5}
.dev-code code{word-break:normal;white-space:pre}
code.dev-secret-value{display:inline-block;max-width:100%;padding:.45rem .6rem;background:#f6f8fa;border:1px solid var(--line);border-radius:6px;user-select:all;font-size:1rem}
.dev-create{margin-top:1rem}.dev-create h3{margin-top:0}
.dev-label{font-weight:600;margin:.6rem 0 .2rem}
.dev-test-ipn input{width:100%;max-width:36rem}
#test-ipn-result .notice{overflow-wrap:anywhere}
`;
