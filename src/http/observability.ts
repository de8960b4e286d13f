/**
 * Request ids, request metrics and, unless CANCAN_METRICS_PORT moves it to a
 * server of its own, the /metrics endpoint. Registered on the root instance
 * before any route, so the hooks apply to every route.
 */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../core/deps.js';
import { UNMATCHED_ROUTE } from '../observability/metrics.js';
import { METRICS_PATH, answerMetrics } from '../observability/metrics-server.js';
import { REQUEST_ID_HEADER, runWithRequestId } from '../observability/request-context.js';

export async function registerObservability(app: FastifyInstance, deps: CoreDeps): Promise<void> {
  // request.id comes from buildServer's genReqId: the client's X-Request-Id if well-formed, else a fresh one.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Bound after body parsing (which runs outside the request's async context), so handlers and what they call see the id.
  app.addHook('preHandler', (request, _reply, done) => runWithRequestId(request.id, done));
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern (/api/v2/transactions/:id), never the raw URL.
    deps.metrics.observeHttp(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  if (deps.config.metricsPort !== null) return;
  deps.metrics.watchQueue(deps.store.db, () => deps.clock.now());
  // Registered before the API docs, so it stays out of the OpenAPI document.
  app.get(METRICS_PATH, async (request, reply) => {
    const answer = await answerMetrics(deps, request.headers.authorization);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
