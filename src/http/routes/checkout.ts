/**
 * The hosted payment page (no authentication: the unguessable id in `q` is
 * the shopper's ticket). Wallets: the QR, a countdown and live status; cards:
 * the card form. Final charges send the browser to the merchant's callback
 * URL (or CanCan's own result page). Strict CSP, no third-party assets.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { CoreDeps } from '../../core/deps.js';
import { MAX_CARD_ATTEMPTS, payByCard } from '../../chop/card-payment.js';
import { walletAppLink } from '../../checkout/app-links.js';
import { checkoutOf } from '../../chop/checkout-data.js';
import { paymentMethod } from '../../chop/methods.js';
import { toParams } from '../../chop/params.js';
import { askProviderNow } from './chop.js';
import { waitForRow } from '../../core/waiting.js';
import { callbackUrl } from '../../chop/views.js';
import { CHECKOUT_CSS, CHECKOUT_JS } from '../../checkout/assets.js';
import { type Lang, pickLang, t } from '../../checkout/i18n.js';
import { type PageBrand, renderCheckoutPage, renderMessagePage } from '../../checkout/page.js';
import { brandStylesheet } from '../../checkout/branding.js';
import { brandingFor, logoImage, logoMeta } from '../../store/branding.js';
import { validateCardForm } from '../../providers/card/card.js';
import type { PayForm } from '../../providers/contract.js';
import type { TransactionRow } from '../../store/transactions.js';
import { findCheckoutCharge } from '../../store/chop-reads.js';
import { findMerchant } from '../../store/merchants.js';

const ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * The QR as inline SVG, drawn once per code: a page open without JavaScript
 * reloads every few seconds for up to 15 minutes. Bounded: the oldest go first.
 */
const qrSvgs = new Map<string, string>();
const QR_CACHE_SIZE = 500;
async function qrSvg(content: string): Promise<string> {
  const cached = qrSvgs.get(content);
  if (cached !== undefined) return cached;
  const svg = await QRCode.toString(content, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  if (qrSvgs.size >= QR_CACHE_SIZE) qrSvgs.delete(qrSvgs.keys().next().value as string);
  qrSvgs.set(content, svg);
  return svg;
}

function contentSecurityPolicy(formTargets: readonly string[]): string {
  const forms = ["'self'", ...new Set(formTargets)].join(' ');
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action ${forms}; frame-ancestors 'none'; base-uri 'none'`;
}

function origin(url: string | null): string[] {
  if (!url) return [];
  try {
    return [new URL(url).origin];
  } catch {
    return [];
  }
}

function sendHtml(reply: FastifyReply, status: number, html: string, formTargets: readonly string[] = []): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('Content-Security-Policy', contentSecurityPolicy(formTargets))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-store')
    .send(html);
}

export function checkoutRoutes(deps: CoreDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    /** `?lang=` (or the form's) wins, then the merchant's default language, then the browser's. */
    const langOf = (request: FastifyRequest, explicit?: string, brand?: PageBrand | null) =>
      pickLang(explicit ?? (request.query as { lang?: string }).lang ?? (brand?.branding.defaultLang || undefined), request.headers['accept-language']);

    /** The charge's merchant template (its method's, else the default), or null for CanCan's plain page. */
    async function brandOf(row: TransactionRow): Promise<PageBrand | null> {
      const branding = await brandingFor(deps.store.db, row.merchant_id, row.payment_method ?? '');
      if (!branding) return null;
      const merchant = await deps.store.db.selectFrom('merchants').select('name').where('id', '=', row.merchant_id).executeTakeFirstOrThrow();
      const logo = branding.logoId ? ((await logoMeta(deps.store.db, branding.logoId)) ?? null) : null;
      return { branding, displayName: branding.displayName || merchant.name, logo };
    }

    async function loadCharge(q: unknown): Promise<TransactionRow | undefined> {
      if (typeof q !== 'string' || !ID_PATTERN.test(q)) return undefined;
      return findCheckoutCharge(deps.store.db, q);
    }

    const notFound = (reply: FastifyReply, lang: Lang) => sendHtml(reply, 404, renderMessagePage(lang, 'notFoundTitle', 'notFound'));

    /** Where a final charge sends the browser. */
    const destination = (row: TransactionRow, lang: Lang) => callbackUrl(row) ?? `/chop/result?q=${row.ref}&lang=${lang}`;

    async function showPage(
      reply: FastifyReply,
      row: TransactionRow,
      lang: Lang,
      extra: { cardErrors?: Record<string, string>; cardValues?: { name?: string; postalCode?: string; expiry?: string }; status?: number } = {},
    ) {
      const method = row.payment_method ? paymentMethod(row.payment_method) : undefined;
      if (!method) return notFound(reply, lang);
      const merchant = await findMerchant(deps.store.db, row.merchant_id);
      if (!merchant) throw new Error(`charge ${row.ref} has no merchant ${row.merchant_id}`);
      const payForm = row.pay_form ? (JSON.parse(row.pay_form) as PayForm) : null;
      const data = checkoutOf(row);
      const brand = await brandOf(row);
      const html = renderCheckoutPage({
        lang,
        id: row.ref,
        merchantName: merchant.name,
        reference: row.reference ?? '',
        amount: row.amount ?? 0,
        currency: row.currency ?? '',
        method,
        expiresAt: row.expires_at ?? row.created_at,
        payForm,
        sandbox: row.mode === 'test' && deps.config.sandboxRoutes,
        testMode: row.mode === 'test',
        appLink: walletAppLink(method.code, row.qr_code),
        // After a declined card: the reason, and how many tries are left.
        decline: data.lastDecline === null ? null : { code: data.lastDecline, attemptsLeft: Math.max(0, MAX_CARD_ATTEMPTS - data.cardAttempts) },
        qrSvg: row.qr_code ? await qrSvg(row.qr_code) : null,
        brand,
        ...(extra.cardErrors ? { cardErrors: extra.cardErrors } : {}),
        ...(extra.cardValues ? { cardValues: extra.cardValues } : {}),
      });
      // Forms on this page post here, to the provider (redirect flows), and end at the merchant's callback URLs.
      return sendHtml(reply, extra.status ?? (extra.cardErrors ? 422 : 200), html, [
        ...origin(payForm?.action ?? null),
        ...origin(data.callbackUrlSuccess),
        ...origin(data.callbackUrlFail),
      ]);
    }

    app.get('/chop/assets/checkout.css', async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CHECKOUT_CSS),
    );
    app.get('/chop/assets/checkout.js', async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CHECKOUT_JS),
    );

    // A template's stylesheet: written from the checked colours in its name, so any name either matches the pattern or is a 404.
    app.get<{ Params: { name: string } }>('/chop/assets/brand/:name', async (request, reply) => {
      const css = brandStylesheet(request.params.name);
      if (css === null) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      return reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=31536000, immutable').send(css);
    });

    // A checked logo, by the sha256 of its bytes (so it never changes under its name).
    app.get<{ Params: { id: string } }>('/chop/assets/logo/:id', async (request, reply) => {
      const image = /^[0-9a-f]{64}$/.test(request.params.id) ? await logoImage(deps.store.db, request.params.id) : undefined;
      if (!image) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      return reply
        .type(image.type)
        .header('Cache-Control', 'public, max-age=31536000, immutable')
        .header('X-Content-Type-Options', 'nosniff')
        .header('Content-Security-Policy', "default-src 'none'")
        .send(image.bytes);
    });

    app.get<{ Querystring: { q?: string; lang?: string } }>('/chop/landing', async (request, reply) => {
      const found = await loadCharge(request.query.q);
      if (!found) return notFound(reply, langOf(request));
      const lang = langOf(request, undefined, await brandOf(found));
      // A wallet's QR is usually ready within a moment of the charge: wait briefly rather than show "preparing".
      const row = await waitForRow(deps, found, (latest) => latest.state !== 'pending' || latest.qr_code !== null || latest.step !== 'create_order', 3_000);
      if (row.state !== 'pending') return reply.redirect(destination(row, lang), 303);
      return showPage(reply, row, lang);
    });

    app.get<{ Querystring: { q?: string; lang?: string } }>('/chop/landing/status', async (request, reply) => {
      const lang = langOf(request);
      const row = await loadCharge(request.query.q);
      if (!row) return reply.code(404).send({ error: 'not_found' });
      const final = row.state !== 'pending';
      const message =
        row.state === 'succeeded' ? t(lang, 'paid') : row.close_reason === 'expired' ? t(lang, 'expired') : final ? t(lang, 'failed') : t(lang, 'waiting');
      return reply.header('Cache-Control', 'no-store').send({
        state: row.state,
        qr_ready: row.qr_code !== null,
        expires_at: row.expires_at,
        message,
        redirect: final ? destination(row, lang) : null,
      });
    });

    app.post('/chop/landing/card', async (request, reply) => {
      const params = toParams(request.body);
      const lang = langOf(request, params.lang);
      const row = await loadCharge(params.q);
      if (!row || row.payment_method !== 'cc') return notFound(reply, lang);
      if (row.state !== 'pending' || row.step !== 'await_card' || deps.clock.now() >= (row.expires_at ?? 0)) {
        return row.state !== 'pending' ? reply.redirect(destination(row, lang), 303) : showPage(reply, row, lang);
      }
      const form = validateCardForm({
        number: params.number ?? '',
        expiry: params.expiry ?? '',
        cvc: params.cvc ?? '',
        name: params.name ?? '',
        postalCode: params.postal_code ?? '',
      });
      if (!form.ok) {
        const cardErrors: Record<string, string> = {};
        for (const problem of form.problems) cardErrors[problem.field === 'postalCode' ? 'postal_code' : problem.field] = problem.message;
        // Never echo the card number or CVC back into the page.
        return showPage(reply, row, lang, {
          cardErrors,
          cardValues: { name: params.name ?? '', postalCode: params.postal_code ?? '', expiry: params.expiry ?? '' },
        });
      }
      const result = await payByCard(deps, row, form.card);
      if (result.state === 'pending' && result.step === 'await_card') {
        // Declined, and the shopper may try again: the same form, the reason on top; never the number or CVC.
        return showPage(reply, result, lang, {
          status: 402,
          cardValues: { name: params.name ?? '', postalCode: params.postal_code ?? '', expiry: params.expiry ?? '' },
        });
      }
      if (result.state === 'pending') return sendHtml(reply, 202, renderMessagePage(lang, 'title', 'waiting', { state: 'pending', brand: await brandOf(row) }));
      return reply.redirect(destination(result, lang), 303);
    });

    // Test mode only: the page's "simulate approve / decline" buttons scan the QR with the sandbox wallet.
    app.post('/chop/landing/sandbox', async (request, reply) => {
      const params = toParams(request.body);
      const lang = langOf(request, params.lang);
      const row = await loadCharge(params.q);
      // CANCAN_SANDBOX_ROUTES=off: no sandbox wallet to scan with.
      if (!row || row.mode !== 'test' || !row.qr_code || !deps.config.sandboxRoutes) return notFound(reply, lang);
      const action = params.action === 'decline' ? 'decline' : 'approve';
      // The listening address, not the public one: the server must not go out through a proxy to reach itself.
      const scan = await fetch(`${deps.simulatorUrl()}/_sandbox/wallet/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qr_code: row.qr_code, action }),
      }).catch((error: unknown) => {
        request.log.warn({ err: error }, 'sandbox wallet unreachable');
        return null;
      });
      if (scan && !scan.ok) request.log.info({ status: scan.status, body: await scan.text() }, 'sandbox wallet refused the scan');
      const latest = await askProviderNow(deps, row);
      if (latest.state !== 'pending') return reply.redirect(destination(latest, lang), 303);
      return reply.redirect(`/chop/landing?q=${row.ref}&lang=${lang}`, 303);
    });

    app.get<{ Querystring: { q?: string; lang?: string } }>('/chop/result', async (request, reply) => {
      const row = await loadCharge(request.query.q);
      if (!row) return notFound(reply, langOf(request));
      const brand = await brandOf(row);
      const lang = langOf(request, undefined, brand);
      if (row.state === 'pending') return reply.redirect(`/chop/landing?q=${row.ref}&lang=${lang}`, 303);
      const data = checkoutOf(row);
      const back = data.mobileResultUrl ?? undefined;
      const message =
        row.state === 'succeeded' ? 'paid' : row.close_reason === 'expired' ? 'expired' : row.close_reason === 'cancelled' ? 'cancelled' : 'failed';
      return sendHtml(reply, 200, renderMessagePage(lang, 'title', message, { state: row.state, brand, ...(back ? { link: back } : {}) }));
    });
  };
}
