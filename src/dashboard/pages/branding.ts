/**
 * Dashboard: "Checkout branding". Merchant users at /dashboard/branding
 * (owners change, staff read); operators for any merchant at
 * /dashboard/merchants/<id>/branding. Checks and storage are shared with the
 * CLI (core/checkout-branding.ts); a refused change stores nothing. The
 * preview frames are sample pages from this origin, so this page (only) lets
 * same-origin frames in.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type BrandingField, type BrandingInput, brandingProblemText, checkBranding } from '../../checkout/branding.js';
import type { PageBrand } from '../../checkout/page.js';
import { type SampleState, renderSamplePage } from '../../checkout/preview.js';
import { type FieldProblem, changeBranding, editableBranding, isBrandingScope, removeBranding } from '../../core/checkout-branding.js';
import { DEFAULT_SCOPE, brandedScopes, logoMeta } from '../../store/branding.js';
import { findMerchant } from '../../store/merchants.js';
import { BRANDING_CSS, type BrandingForm, FORM_FIELDS, brandingPage, formOf } from '../branding-view.js';
import { PREVIEW_STATES, brandingWords } from '../branding-words.js';
import type { DashContext } from '../context.js';
import { type DashKit, type DashboardModule, textField } from '../kit.js';
import { uploadedFile } from '../multipart.js';

/** The dashboard's CSP plus same-origin frames (the preview). */
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** The payment page's own CSP, framed by this origin only, its forms inert. */
const PREVIEW_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'";

interface Target {
  readonly merchantId: string;
  readonly merchantName: string;
  readonly basePath: string;
  readonly operatorView: boolean;
}

const inputOf = (source: unknown): BrandingInput => {
  const value = (name: keyof BrandingForm) => textField(source, name);
  return {
    displayName: value('display_name'),
    brandColor: value('brand_color'),
    buttonTextColor: value('button_text_color'),
    accentColor: value('accent_color'),
    backgroundColor: value('background_color'),
    backgroundTextColor: value('background_text_color'),
    corners: value('corners'),
    headerLine: value('header_line'),
    footerLinks: value('footer_links'),
    supportEmail: value('support_email'),
    supportPhone: value('support_phone'),
    defaultLang: value('default_lang'),
  };
};

const formFromSource = (source: unknown): BrandingForm => Object.fromEntries(FORM_FIELDS.map((name) => [name, textField(source, name)])) as BrandingForm;

function register(kit: DashKit): void {
  const { db } = kit.deps.store;

  const sendPage = (reply: FastifyReply, body: string, status = 200) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', PAGE_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'same-origin')
      .header('Cache-Control', 'no-store')
      .send(body);

  const fieldName = (lang: DashContext['lang']) => (field: BrandingField) => brandingWords(lang, field);

  /** Whose template this request is about: the user's merchant, or (operators) the one in the path. */
  async function targetOf(ctx: DashContext, request: FastifyRequest): Promise<Target | null> {
    const id = textField(request.params, 'id');
    if (id === '') {
      if (ctx.merchantId === null || ctx.merchant === null) return null;
      return { merchantId: ctx.merchantId, merchantName: ctx.merchant.name, basePath: '/dashboard/branding', operatorView: false };
    }
    if (!ctx.isOperator) return null;
    const merchant = await findMerchant(db, id);
    return merchant
      ? {
          merchantId: merchant.id,
          merchantName: merchant.name,
          basePath: `/dashboard/merchants/${encodeURIComponent(merchant.id)}/branding`,
          operatorView: true,
        }
      : null;
  }

  const scopeOf = (source: unknown): string | null => {
    const method = textField(source, 'method');
    return isBrandingScope(method) ? method : null;
  };

  /**
   * The page: the stored template, or a refused post's values (`posted`), or
   * unsaved values to preview (`draftSource`: the "preview" button's post, or
   * a preview-language link that carries them in its query).
   */
  async function show(
    ctx: DashContext,
    request: FastifyRequest,
    reply: FastifyReply,
    posted?: { form: BrandingForm; method: string; problems: readonly FieldProblem[] },
    draftSource?: unknown,
  ) {
    const target = await targetOf(ctx, request);
    if (!target) return kit.notFound(ctx, reply);
    const query = request.query;
    const source = draftSource ?? (textField(query, 'draft') === '1' ? query : null);
    const method = posted?.method ?? scopeOf(source ?? query) ?? DEFAULT_SCOPE;
    const current = await editableBranding(db, target.merchantId, method);
    let form = posted?.form ?? formOf(current);
    let problems = posted?.problems ?? [];
    const draft = !posted && source !== null;
    if (draft) {
      form = formFromSource(source);
      const checked = checkBranding(current, inputOf(source));
      if (!checked.ok) problems = checked.problems.map((p) => ({ field: p.field, message: brandingProblemText(p, brandingWords(ctx.lang, p.field)) }));
    }
    const done = textField(query, 'done');
    const previewLang = textField(query, 'preview_lang') === 'zh' || (textField(query, 'preview_lang') === '' && ctx.lang === 'zh') ? 'zh' : 'en';
    const html = brandingPage(
      ctx,
      {
        merchantName: target.merchantName,
        basePath: target.basePath,
        method,
        ownScopes: await brandedScopes(db, target.merchantId),
        form,
        logo: current.logoId ? { id: current.logoId } : null,
        problems,
        draft: draft && problems.length === 0,
        previewLang,
        ...(done === 'saved' || done === 'removed' ? { done } : {}),
      },
      target.operatorView,
    );
    return sendPage(reply, html, posted || (draft && problems.length > 0) ? 422 : 200);
  }

  async function save(ctx: DashContext, request: FastifyRequest, reply: FastifyReply) {
    const target = await targetOf(ctx, request);
    if (!target) return kit.notFound(ctx, reply);
    const method = scopeOf(request.body);
    if (method === null) return kit.notFound(ctx, reply);
    const upload = uploadedFile(request.body, 'logo');
    const logo = upload ? upload.bytes : textField(request.body, 'remove_logo') === 'on' ? ('remove' as const) : undefined;
    const result = await changeBranding(
      db,
      {
        merchantId: target.merchantId,
        method,
        input: inputOf(request.body),
        actor: ctx.user.id,
        now: ctx.now,
        ...(logo === undefined ? {} : { logo }),
      },
      fieldName(ctx.lang),
    );
    if (!result.ok) return show(ctx, request, reply, { form: formFromSource(request.body), method, problems: result.problems });
    return kit.seeOther(reply, `${target.basePath}?method=${encodeURIComponent(method)}&done=saved`);
  }

  async function remove(ctx: DashContext, request: FastifyRequest, reply: FastifyReply) {
    const target = await targetOf(ctx, request);
    const method = scopeOf(request.body);
    if (!target || method === null) return kit.notFound(ctx, reply);
    await removeBranding(db, { merchantId: target.merchantId, method, actor: ctx.user.id, now: ctx.now });
    return kit.seeOther(reply, `${target.basePath}?method=${encodeURIComponent(method)}&done=removed`);
  }

  /** One sample page in a frame: the saved template, or the draft in the query when it passes every check. */
  async function previewFrame(ctx: DashContext, request: FastifyRequest, reply: FastifyReply) {
    const target = await targetOf(ctx, request);
    const query = request.query;
    const state = textField(query, 'state') as SampleState;
    const method = scopeOf(query);
    if (!target || method === null || !(PREVIEW_STATES as readonly string[]).includes(state)) return kit.notFound(ctx, reply);
    const current = await editableBranding(db, target.merchantId, method);
    const draft = FORM_FIELDS.some((name) => textField(query, name) !== '') ? checkBranding(current, inputOf(query)) : null;
    const branding = draft?.ok ? draft.value : current;
    const logo = branding.logoId ? ((await logoMeta(db, branding.logoId)) ?? null) : null;
    const brand: PageBrand = { branding, displayName: branding.displayName || target.merchantName, logo };
    const lang = textField(query, 'page_lang') === 'zh' ? 'zh' : 'en';
    const html = await renderSamplePage(state, lang, brand, target.merchantName, ctx.now);
    return reply
      .code(200)
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', PREVIEW_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'SAMEORIGIN')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-store')
      .send(html);
  }

  for (const base of ['/branding', '/merchants/:id/branding']) {
    kit.get(base, async (ctx, request, reply) => show(ctx, request, reply));
    kit.post(base, save);
    kit.post(`${base}/remove`, remove);
    // Previewing changes nothing, so staff may do it too.
    kit.post(`${base}/draft`, async (ctx, request, reply) => show(ctx, request, reply, undefined, request.body), { readOnly: true });
    kit.get(`${base}/preview`, previewFrame);
  }
}

export const brandingPageModule: DashboardModule = { register, css: BRANDING_CSS };
