/** Request ids, request metrics and the /metrics endpoint (to be written). */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../core/deps.js';

export async function registerObservability(_app: FastifyInstance, _deps: CoreDeps): Promise<void> {}
