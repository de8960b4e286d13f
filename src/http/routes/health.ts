/** Health of this process: /healthz (alive, and whether the database answers). */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../core/deps.js';

export function healthRoutes(deps: CoreDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', async (_request, reply) => {
      try {
        await deps.store.ping();
        return reply.send({ status: 'ok', database: deps.store.dialect });
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: deps.store.dialect });
      }
    });
  };
}
