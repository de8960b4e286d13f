/**
 * Serving /metrics: on the public server (http/observability.ts) or, when
 * CANCAN_METRICS_PORT is set, on a small server of its own so the public port
 * never shows it. CANCAN_METRICS_TOKEN, when set, is required as a bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { listeningUrl } from '../http/address.js';
import type { CoreDeps } from '../core/deps.js';

export const METRICS_PATH = '/metrics';

type MetricsDeps = Pick<CoreDeps, 'config' | 'metrics' | 'store' | 'clock' | 'log'>;

export interface MetricsAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Whether the Authorization header carries the token (always, when no token is configured). */
export function metricsAuthorized(token: string | null, authorization: string | undefined): boolean {
  if (token === null) return true;
  const presented = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  // Digests have one length, so the comparison takes the same time whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return presented !== '' && timingSafeEqual(digest(presented), digest(token));
}

/** The answer to GET /metrics. */
export async function answerMetrics(deps: MetricsDeps, authorization: string | undefined): Promise<MetricsAnswer> {
  if (!metricsAuthorized(deps.config.metricsToken, authorization)) {
    return { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' }, body: 'unauthorized\n' };
  }
  const { contentType, body } = await deps.metrics.exposition();
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the metrics-only server on config.metricsPort (on config.host), or
 * answers null when no metrics port is configured (/metrics is then on the
 * public server). Works for every role, including a worker without the API.
 */
export async function startMetricsServer(deps: MetricsDeps): Promise<MetricsServer | null> {
  const { metricsPort, host } = deps.config;
  if (metricsPort === null) return null;
  deps.metrics.watchQueue(deps.store.db, () => deps.clock.now());
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs } = deps.config;
  const server: Server = createServer(
    { requestTimeout: requestTimeoutMs, headersTimeout: headersTimeoutMs, keepAliveTimeout: keepAliveTimeoutMs },
    (request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      answerMetrics(deps, request.headers.authorization).then(
        (answer) => response.writeHead(answer.status, answer.headers).end(request.method === 'HEAD' ? undefined : answer.body),
        (error: unknown) => {
          deps.log.error({ err: error }, 'metrics scrape failed');
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
        },
      );
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(metricsPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: listeningUrl(server, host),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
