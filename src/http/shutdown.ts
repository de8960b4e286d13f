/** Graceful HTTP shutdown that does not wait out keep-alive timeouts. */
import type { FastifyInstance } from 'fastify';

/** Counts requests being handled, so shutdown knows when nothing is left to finish. */
export function trackActiveRequests(server: FastifyInstance): () => number {
  let active = 0;
  // The response's 'close' fires exactly once, whether it finished or the client went away.
  server.server.on('request', (_request, response) => {
    active += 1;
    response.once('close', () => (active -= 1));
  });
  return () => active;
}

/**
 * Stops accepting, lets in-flight requests finish (up to the grace period),
 * then closes the remaining keep-alive connections at once instead of waiting
 * out their timeout.
 */
export async function closeGracefully(server: FastifyInstance, activeRequests: () => number, graceMs: number): Promise<void> {
  const started = Date.now();
  const sweep = setInterval(() => {
    if (activeRequests() <= 0 || Date.now() - started > graceMs) server.server.closeAllConnections();
  }, 25);
  try {
    await server.close();
  } finally {
    clearInterval(sweep);
  }
}
