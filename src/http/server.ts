/** The fastify server (logging, request ids, body limit) and the API routes: POS, CHOP, hosted checkout, dashboard, health, docs. */
import Fastify, { type FastifyInstance, type FastifyRequest, type LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import type { CoreDeps } from '../core/deps.js';
import type { Config } from '../config.js';
import { ChopError } from '../chop/params.js';
import { ApiError } from '../domain/errors.js';
import { redactUrl } from '../observability/logging.js';
import { envelopeOf, errorBody, sendErrorFor, toApiError } from './errors.js';
import { posMediaTypeRefusal } from './media-type.js';
import { MAX_PARAM_LENGTH, answerClientError, frameworkErrors, refuseNul } from './hardening.js';
import { RateLimiter } from './rate-limit.js';
import { transactionRoutes } from './routes/transactions.js';
import { providerNotifyRoutes } from './routes/provider-notify.js';
import { testIpnRoutes } from './routes/test-ipns.js';
import { chopRoutes } from './routes/chop.js';
import { checkoutRoutes } from './routes/checkout.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { type Readiness, healthRoutes } from './routes/health.js';
import { registerDocs } from './docs.js';
import { REQUEST_ID_HEADER, requestIdFrom } from '../observability/request-context.js';

export const BODY_LIMIT = 64 * 1024;

/**
 * Paths whose values are secrets: never written to a log line. `*.x` matches
 * one level down (e.g. `body.password`), so the top-level names are listed too.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  ...[
    'payment_auth_key',
    'authCode',
    'auth_code',
    'api_key',
    'apiKey',
    'password',
    'cookie',
    'authorization',
    'token',
    'secret',
    'cvc',
    'number',
    'card',
    'ssl_card_number',
    'ssl_cvv2cvc2',
    'webhook_secret',
    'session',
  ].flatMap((name) => [name, `*.${name}`]),
];

export type HttpLimits = Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'>;

export function buildServer(options: { logLevel: string; logStream?: DestinationStream; limits: HttpLimits; logController?: LogController }): FastifyInstance {
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs } = options.limits;
  const server: FastifyInstance = Fastify({
    bodyLimit: BODY_LIMIT,
    // Slow clients: node answers 408 (clientErrorHandler) when the headers, or the whole request, take longer.
    http: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node checks these timeouts on this period (30 s by default): a tenth of the headers timeout, at most 1 s.
      connectionsCheckingInterval: Math.max(20, Math.min(1_000, Math.floor(headersTimeoutMs / 10))),
    },
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // A backstop for a connection that stops moving altogether; far above the longest answer (POS waits up to 30 s).
    connectionTimeout: Math.max(120_000, 2 * requestTimeoutMs),
    clientErrorHandler: (error, socket) => answerClientError(server.log, error, socket),
    frameworkErrors,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    logger: {
      level: options.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      // fastify's request serializer, with credentials in the query string redacted.
      serializers: {
        // Any object logged as `req` comes here, not only requests: nothing may be assumed present.
        req: (request: Partial<FastifyRequest>) => ({
          method: request.method,
          url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // The client's X-Request-Id when well-formed, else a fresh id; logged as reqId, answered in X-Request-Id.
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers[REQUEST_ID_HEADER]),
    // How requests are logged: fastify's two JSON lines by default, one line on a terminal (observability/terminal-log.ts).
    ...(options.logController ? { logController: options.logController } : {}),
    // While closing, a request on a kept-alive connection gets 503 (with Connection: close) rather than a route.
    return503OnClosing: true,
  });
  return server;
}

/** The API routes, on a server whose observability hooks (http/observability.ts) are already registered. */
export async function registerApi(app: FastifyInstance, deps: CoreDeps, readiness: Readiness): Promise<void> {
  await registerDocs(app, deps);
  // CHOP clients post HTML-form bodies (Citcon's examples use curl -d); the POS API reads JSON only (media-type.ts).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const refusal = posMediaTypeRefusal(request.url, request.headers['content-type']);
    if (refusal) return done(refusal, undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) if (!(key in fields)) fields[key] = value;
    done(null, fields);
  });
  // fastify's own text/plain parser, with the POS refusal in front.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const refusal = posMediaTypeRefusal(request.url, request.headers['content-type']);
    if (refusal) return done(refusal, undefined);
    done(null, typeof body === 'string' ? body : body.toString('utf8'));
  });
  // Any other type: a POS request is refused with 415 unless it is a JSON type (application/vnd.api+json, …);
  // elsewhere the body is read as JSON (the CHOP and checkout routes then refuse what is not an object).
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const refusal = posMediaTypeRefusal(request.url, request.headers['content-type']);
    if (refusal) return done(refusal, undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ApiError(400, { code: 'attribute_error', detail: 'The request body is not valid JSON', pointer: '' }), undefined);
    }
  });

  // JSON is UTF-8 by definition (RFC 8259); the blueprint's clients expect the bare media type.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.header('content-type', 'application/json');
    return payload;
  });
  // NUL is refused before anything else reads the request (hardening.ts).
  refuseNul(app);
  // Pages outside the two APIs' plugins (the hosted checkout under /chop) answer in their path's envelope too.
  app.setErrorHandler((error, request, reply) => {
    const known = error instanceof ChopError && error.status < 500 ? error : toApiError(error instanceof Error ? error : new Error(String(error)), request);
    return sendErrorFor(request, reply, known);
  });
  app.setNotFoundHandler((request, reply) => {
    const detail = `No route for ${request.method} ${request.url.split('?')[0]}`;
    if (envelopeOf(request.url) === 'chop') return sendErrorFor(request, reply, new ChopError(404, 'not_found', detail));
    return reply
      .code(404)
      .type('application/json')
      .send(errorBody(404, [{ code: 'not_found_error', detail }]));
  });

  // People who open the server's address in a browser want the dashboard.
  app.get('/', async (_request, reply) => reply.code(302).header('Location', '/dashboard').send());

  await app.register(healthRoutes(deps, readiness));

  // One limiter for both APIs: a key's requests to either take from the same bucket.
  const perKey = new RateLimiter(deps.config.rateLimitPerSecond, deps.config.rateLimitBurst);
  perKey.shareFor(app, deps);
  const perMinute = deps.config.authFailuresPerMinute;
  const limiters = { perKey, failuresPerAddress: perKey.sibling(perMinute / 60, perMinute, 'auth-failures') };
  await app.register(transactionRoutes(deps, limiters), { prefix: '/api/v2' });
  await app.register(testIpnRoutes(deps, limiters), { prefix: '/api/v2' });
  await app.register(chopRoutes(deps, limiters));
  await app.register(checkoutRoutes(deps));
  await app.register(dashboardRoutes(deps), { prefix: '/dashboard' });
  await app.register(providerNotifyRoutes(deps));
}
