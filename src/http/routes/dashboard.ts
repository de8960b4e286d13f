/**
 * The merchant dashboard and operator console under /dashboard: sign-in and
 * sessions here, pages in src/dashboard/pages. Server-rendered HTML that
 * works without JavaScript, under a CSP that allows nothing but this origin's
 * stylesheet and forms.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../../core/deps.js';
import { ApiError } from '../../domain/errors.js';
import { endSession, loadSession, signIn, startSession, SESSION_MAX_MS } from '../../dashboard/accounts.js';
import { BASE_CSS } from '../../dashboard/assets.js';
import type { DashContext } from '../../dashboard/context.js';
import { bareDocument, html, notice, page } from '../../dashboard/html.js';
import { type Lang, common, pickLang } from '../../dashboard/i18n.js';
import { type Access, type DashKit, type DashboardModule, type PageHandler, REF_PATTERN } from '../../dashboard/kit.js';
import { MODE_COOKIE, afterSwitch, defaultMode, isMode } from '../../dashboard/modes.js';
import { DASHBOARD_PAGES } from '../../dashboard/pages/index.js';
import { findMerchant } from '../../store/merchants.js';
import { findVisibleTransaction } from '../../store/chop-reads.js';
import { UPLOAD_BODY_LIMIT, boundaryOf, parseMultipart } from '../../dashboard/multipart.js';

const SESSION_COOKIE = 'cancan_session';
const SIGN_IN_COOKIE = 'cancan_sign_in';
const LANG_COOKIE = 'cancan_lang';
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name && !(name in cookies)) {
      try {
        cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        // A cookie we did not write; ignore it.
      }
    }
  }
  return cookies;
}

const sameToken = (a: unknown, b: string): boolean => typeof a === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The page a request shows, for links back to it (the language switch). A
 * form post's own path may have no GET route: its answer links to the page
 * the form was on (same-origin Referer), else the overview.
 */
function pagePath(request: FastifyRequest): string {
  if (request.method === 'GET') return request.url;
  try {
    const referer = new URL(request.headers.referer ?? '');
    return referer.host === request.headers.host ? safeNext(`${referer.pathname}${referer.search}`) : '/dashboard';
  } catch {
    return '/dashboard';
  }
}

/**
 * Only paths inside the dashboard may be a sign-in's destination (no open
 * redirect), in printable ASCII: it becomes a Location header, which must not
 * carry a control character (CR, LF) or anything beyond Latin-1 (U+2028).
 */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/dashboard(?:[/?#][\x21-\x7e]*)?$/.test(next) && !next.includes('\\') ? next : '/dashboard';
}

/**
 * A Location value node will send: a `next` may carry any text, and a header
 * holds printable ASCII only, so everything else is percent-encoded (text
 * that cannot be encoded, a lone surrogate, is dropped).
 */
export function locationHeader(location: string): string {
  return location.replace(/[^\x21-\x7e]+/gu, (run) => {
    try {
      return encodeURIComponent(run);
    } catch {
      return '';
    }
  });
}

/** Register with `{ prefix: '/dashboard' }`: routes, the 404 page and the error page are scoped to it. */
export function dashboardRoutes(deps: CoreDeps, modules: readonly DashboardModule[] = DASHBOARD_PAGES) {
  const stylesheet = [BASE_CSS, ...modules.map((m) => m.css ?? '')].join('\n');

  return async (app: FastifyInstance): Promise<void> => {
    const secure = (request: FastifyRequest) => request.protocol === 'https' || (deps.config.publicUrl ?? '').startsWith('https:');
    /** Without `maxAgeSeconds`, a cookie for the browser session only. */
    const cookie = (request: FastifyRequest, name: string, value: string, maxAgeSeconds?: number) =>
      `${name}=${encodeURIComponent(value)}; Path=/dashboard; HttpOnly; SameSite=Lax${maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`}${secure(request) ? '; Secure' : ''}`;

    function langOf(request: FastifyRequest, reply: FastifyReply): Lang {
      const query = (request.query as { lang?: unknown }).lang;
      if (query === 'en' || query === 'zh') {
        reply.header('Set-Cookie', cookie(request, LANG_COOKIE, query, 365 * 86_400));
        return query;
      }
      return pickLang(parseCookies(request.headers.cookie)[LANG_COOKIE], request.headers['accept-language']);
    }

    const sendHtml = (reply: FastifyReply, body: string, status = 200): FastifyReply =>
      reply
        .code(status)
        .type('text/html; charset=utf-8')
        .header('Content-Security-Policy', CSP)
        .header('X-Content-Type-Options', 'nosniff')
        .header('X-Frame-Options', 'DENY')
        .header('Referrer-Policy', 'same-origin')
        .header('Cache-Control', 'no-store')
        .send(body);

    const seeOther = (reply: FastifyReply, location: string) =>
      reply.code(303).header('Location', locationHeader(location)).header('Cache-Control', 'no-store').send();

    const errorPage = (ctx: DashContext, reply: FastifyReply, status: number, title: 'notFound' | 'forbidden', text: 'notFoundText' | 'forbiddenText') =>
      sendHtml(
        reply,
        page(ctx, {
          title: common(ctx.lang, title),
          section: null,
          body: html`<p>${common(ctx.lang, text)}</p><p><a href="/dashboard">${common(ctx.lang, 'back')}</a></p>`,
        }),
        status,
      );

    /** The signed-in user's context, or null after answering (redirect to sign-in). */
    async function contextOf(request: FastifyRequest, reply: FastifyReply): Promise<DashContext | null> {
      const lang = langOf(request, reply);
      const presented = parseCookies(request.headers.cookie)[SESSION_COOKIE];
      const now = deps.clock.now();
      const session = await loadSession(deps.store.db, presented, now);
      if (!session) {
        // Keep where the user wanted to go (GET only: a form post cannot be replayed safely).
        const next = request.method === 'GET' ? request.url : '/dashboard';
        const query = new URLSearchParams({ next });
        if (presented) query.set('expired', '1');
        seeOther(reply, `/dashboard/sign-in?${query.toString()}`);
        return null;
      }
      const { user } = session;
      // Read once here: pages take its name, time zone and windows from the context.
      const merchant = user.merchant_id === null ? null : await findMerchant(deps.store.db, user.merchant_id);
      // Cannot happen (a foreign key); refuse rather than fall back to an operator's unscoped view.
      if (merchant === undefined) throw new Error(`user ${user.id} has no merchant ${user.merchant_id}`);
      const chosen = parseCookies(request.headers.cookie)[MODE_COOKIE];
      const mode = isMode(chosen) ? chosen : await defaultMode(deps.store.db, user.merchant_id);
      // The default holds for this browser session: a first live payment does not switch the page under the user.
      if (!isMode(chosen)) reply.header('Set-Cookie', cookie(request, MODE_COOKIE, mode));
      return {
        user,
        session,
        csrfToken: session.csrfToken,
        lang,
        now,
        merchantId: user.merchant_id,
        merchant,
        timeZone: merchant?.timezone ?? 'UTC',
        isOperator: user.role === 'operator',
        canAct: user.role !== 'staff',
        mode,
        path: pagePath(request),
      };
    }

    function guard(handler: PageHandler, access: Access, isPost: boolean) {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const ctx = await contextOf(request, reply);
        if (!ctx) return reply;
        if (access.operatorOnly && !ctx.isOperator) return errorPage(ctx, reply, 404, 'notFound', 'notFoundText');
        if (isPost) {
          const body = (request.body ?? {}) as Record<string, unknown>;
          const origin = request.headers.origin;
          if (!sameToken(body._csrf, ctx.csrfToken) || (origin !== undefined && origin !== `${request.protocol}://${request.headers.host}`)) {
            return sendHtml(reply, page(ctx, { title: common(ctx.lang, 'forbidden'), section: null, body: notice('error', common(ctx.lang, 'badForm')) }), 403);
          }
          if (!access.readOnly && !ctx.canAct) return errorPage(ctx, reply, 403, 'forbidden', 'forbiddenText');
        }
        const answer = await handler(ctx, request, reply);
        // A handler that answered itself returns the reply, which `await` turns into undefined (it is thenable).
        return typeof answer === 'string' ? sendHtml(reply, answer) : reply;
      };
    }

    const kit: DashKit = {
      deps,
      get: (path, handler, access = {}) => app.get(path, guard(handler, access, false)),
      post: (path, handler, access = {}) => app.post(path, guard(handler, access, true)),
      sendHtml,
      seeOther,
      notFound: (ctx, reply) => errorPage(ctx, reply, 404, 'notFound', 'notFoundText'),
      forbidden: (ctx, reply) => errorPage(ctx, reply, 403, 'forbidden', 'forbiddenText'),
      async visibleTransaction(ctx, ref) {
        if (!REF_PATTERN.test(ref)) return undefined;
        // The other mode's transaction is as absent as another merchant's.
        return findVisibleTransaction(deps.store.db, ref, ctx.mode, ctx.merchantId);
      },
    };

    app.get('/assets/dashboard.css', async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').header('X-Content-Type-Options', 'nosniff').send(stylesheet),
    );

    function signInPage(request: FastifyRequest, reply: FastifyReply, lang: Lang, status: number, message: ReturnType<typeof notice> | null, email = '') {
      const token = randomBytes(18).toString('base64url');
      reply.header('Set-Cookie', cookie(request, SIGN_IN_COOKIE, token, 3600));
      const next = safeNext((request.query as { next?: unknown }).next ?? (request.body as { next?: unknown } | undefined)?.next);
      const t = (key: Parameters<typeof common>[1]) => common(lang, key);
      const body = html`${message}
<form method="post" action="/dashboard/sign-in" class="card">
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="next" value="${next}">
<label for="email">${t('email')}</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${email}"${email ? '' : html` autofocus`}>
<label for="password">${t('password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${email ? html` autofocus` : ''}>
<div class="actions"><button type="submit">${t('signIn')}</button></div>
</form>`;
      return sendHtml(reply, bareDocument(lang, t('signInTitle'), body, request.url), status);
    }

    app.get('/sign-in', async (request, reply) => {
      const lang = langOf(request, reply);
      const query = request.query as { expired?: string; signed_out?: string };
      const message = query.expired ? notice('info', common(lang, 'sessionExpired')) : query.signed_out ? notice('ok', common(lang, 'signedOut')) : null;
      return signInPage(request, reply, lang, 200, message);
    });

    app.post('/sign-in', async (request, reply) => {
      const lang = langOf(request, reply);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const expected = parseCookies(request.headers.cookie)[SIGN_IN_COOKIE];
      if (!expected || !sameToken(body._csrf, expected)) return signInPage(request, reply, lang, 403, notice('error', common(lang, 'badForm')));
      const email = typeof body.email === 'string' ? body.email.slice(0, 320) : '';
      const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
      const now = deps.clock.now();
      const result = await signIn(deps.store.db, { email, password, ip: request.ip, now });
      if (!result.ok) {
        if (result.reason === 'throttled') {
          const minutes = Math.ceil(result.retryAfterMs / 60_000);
          reply.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
          deps.log.warn({ ip: request.ip }, 'dashboard sign-in throttled');
          return signInPage(request, reply, lang, 429, notice('error', common(lang, 'throttled', { minutes })), email);
        }
        deps.log.warn({ ip: request.ip }, 'dashboard sign-in failed');
        return signInPage(request, reply, lang, 401, notice('error', common(lang, 'wrongCredentials')), email);
      }
      // Checked before the session exists: a destination that cannot be a header must not leave a session without its cookie.
      const next = safeNext(body.next);
      const secret = await startSession(deps.store.db, result.user, now);
      deps.log.info({ user: result.user.id }, 'dashboard sign-in');
      // Each sign-in starts in its user's default mode (the browser may have shown another user's).
      reply.header('Set-Cookie', [
        cookie(request, SESSION_COOKIE, secret, SESSION_MAX_MS / 1000),
        cookie(request, SIGN_IN_COOKIE, '', 0),
        cookie(request, MODE_COOKIE, '', 0),
      ]);
      return seeOther(reply, next);
    });

    app.post(
      '/sign-out',
      guard(
        async (ctx, request, reply) => {
          await endSession(deps.store.db, ctx.session.idDigest);
          reply.header('Set-Cookie', cookie(request, SESSION_COOKIE, '', 0));
          return seeOther(reply, '/dashboard/sign-in?signed_out=1');
        },
        { readOnly: true },
        true,
      ),
    );

    // The mode toggle: a view preference, so staff may switch too (readOnly); it changes no data.
    app.post(
      '/mode',
      guard(
        async (ctx, request, reply) => {
          const body = (request.body ?? {}) as Record<string, unknown>;
          if (!isMode(body.mode))
            return sendHtml(reply, page(ctx, { title: common(ctx.lang, 'forbidden'), section: null, body: notice('error', common(ctx.lang, 'badForm')) }), 400);
          reply.header('Set-Cookie', cookie(request, MODE_COOKIE, body.mode, 365 * 86_400));
          return seeOther(reply, afterSwitch(safeNext(body.next)));
        },
        { readOnly: true },
        true,
      ),
    );

    // File uploads (the checkout logo), for this prefix only.
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT }, (request, body, done) => {
      const boundary = boundaryOf(request.headers['content-type']);
      const fields = boundary && Buffer.isBuffer(body) ? parseMultipart(body, boundary) : null;
      if (fields) done(null, fields);
      else done(Object.assign(new Error('malformed multipart body'), { statusCode: 400 }), undefined);
    });

    for (const module of modules) module.register(kit);

    app.setErrorHandler((error, request, reply) => {
      const lang = pickLang(parseCookies(request.headers.cookie)[LANG_COOKIE], request.headers['accept-language']);
      // The client's mistake (a body that is not a form, too large, a NUL): a 4xx page, nothing to log as an error.
      const status = error instanceof ApiError ? error.status : (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        request.log.info({ status, reason: error instanceof Error ? error.message : String(error) }, 'dashboard request refused');
        return sendHtml(
          reply,
          bareDocument(
            lang,
            common(lang, 'error'),
            html`<p>${common(lang, 'badForm')}</p><p><a href="/dashboard">${common(lang, 'back')}</a></p>`,
            '/dashboard',
          ),
          status,
        );
      }
      request.log.error({ err: error }, 'dashboard request failed');
      return sendHtml(
        reply,
        bareDocument(
          lang,
          common(lang, 'error'),
          html`<p>${common(lang, 'errorText')}</p><p><a href="/dashboard">${common(lang, 'back')}</a></p>`,
          '/dashboard',
        ),
        500,
      );
    });
    app.setNotFoundHandler(async (request, reply) => {
      const ctx = await contextOf(request, reply);
      if (!ctx) return reply;
      return errorPage(ctx, reply, 404, 'notFound', 'notFoundText');
    });
  };
}
