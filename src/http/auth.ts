/** Bearer-token authentication for the POS API ("Bearer " prefix optional, as some clients omit it). */
import type { FastifyRequest } from 'fastify';
import type { CoreDeps } from '../core/deps.js';
import type { Caller } from '../core/create-transaction.js';
import { ApiError } from '../domain/errors.js';
import { authenticate, touchApiKey } from '../store/merchants.js';

export function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token.length > 0 ? token : null;
}

export async function authenticateRequest(deps: CoreDeps, request: FastifyRequest): Promise<Caller & { keyId: string }> {
  const token = presentedToken(request);
  if (!token) throw new ApiError(401, { code: 'authentication_error', detail: 'Send your API key in the Authorization header: `Authorization: Bearer <key>`' });
  const found = await authenticate(deps.store.db, deps.secrets, token);
  if (!found) throw new ApiError(401, { code: 'authentication_error', detail: 'The API key is not valid or has been revoked' });
  await touchApiKey(deps.store.db, found.key, deps.clock.now());
  return { merchant: found.merchant, mode: found.key.mode, keyId: found.key.id };
}
