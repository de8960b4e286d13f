/** OpenAPI 3 document of the public APIs, served at /docs and /docs/json (to be written). */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../core/deps.js';

/** Registered before the API routes, so the document sees their schemas. */
export async function registerDocs(_app: FastifyInstance, _deps: CoreDeps): Promise<void> {}
