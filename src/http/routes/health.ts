/**
 * Health of this process, for orchestrators and load balancers:
 * - /healthz: alive (200 whenever the process runs; no database query).
 * - /readyz: fit for traffic: 200 only when the database answers, the
 *   migrations are current and, in worker roles, the worker loop runs;
 *   otherwise 503 naming the failed checks. At most one small query.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../config.js';
import type { CoreDeps } from '../../core/deps.js';

/** What /readyz asks the composition root (app.ts) about this process. */
export interface Readiness {
  readonly role: Role;
  /** Shutting down: take no new traffic. */
  draining(): boolean;
  /** The migrations ran (or were found current) in this process. */
  migrated(): boolean;
  /** One small query; false when the database does not answer (at once, without a query, when it is known to be down). */
  checkDatabase(): Promise<boolean>;
  /** Whether the worker loop runs; null in a role without one. */
  workerRunning(): boolean | null;
}

type CheckState = 'ok' | 'failed' | 'pending' | 'stopped';

export function healthRoutes(deps: CoreDeps, state: Readiness) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', async (_request, reply) =>
      reply.header('cache-control', 'no-store').send({ status: 'ok', role: state.role, database: deps.store.dialect }),
    );

    app.get('/readyz', async (_request, reply) => {
      const checks: Record<string, CheckState> = {};
      if (state.draining()) checks.shutdown = 'pending';
      checks.migrations = state.migrated() ? 'ok' : 'pending';
      // No query while shutting down: the answer is 503 anyway.
      checks.database = checks.shutdown ? 'pending' : (await state.checkDatabase()) ? 'ok' : 'failed';
      const worker = state.workerRunning();
      // The worker starts once the migrations ran; after that, not running means it stopped.
      if (worker !== null) checks.worker = worker ? 'ok' : checks.migrations === 'ok' && !checks.shutdown ? 'stopped' : 'pending';
      const failed = Object.keys(checks).filter((name) => checks[name] !== 'ok');
      const body = {
        status: failed.length === 0 ? 'ready' : 'unavailable',
        role: state.role,
        database: deps.store.dialect,
        checks,
        ...(failed.length ? { failed } : {}),
      };
      return reply
        .code(failed.length === 0 ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(body);
    });
  };
}
