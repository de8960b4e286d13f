/**
 * Bearer-token authentication for the POS and CHOP APIs ("Bearer " prefix
 * optional, as some clients omit it), and their rate limits: per API key, and
 * per client address for failed authentications.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../core/deps.js';
import { API_KEY_QUERY_PARAMS } from '../observability/logging.js';
import type { Caller } from '../core/create-transaction.js';
import { ApiError } from '../domain/errors.js';
import type { RateLimiter } from './rate-limit.js';

/** The merchant and mode of the API key a request presented, and the key's id (its rate-limit bucket). */
export type KeyCaller = Caller & { readonly keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `admitCaller` before validation. */
    caller?: KeyCaller;
  }
}

function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token.length > 0 ? token : null;
}

async function authenticateRequest(deps: CoreDeps, request: FastifyRequest): Promise<KeyCaller> {
  const query = request.query as Record<string, unknown> | undefined;
  // Refused, as URLs end up in logs and proxies' histories.
  const inQuery = API_KEY_QUERY_PARAMS.find((name) => query?.[name] !== undefined);
  if (inQuery) {
    throw new ApiError(401, {
      code: 'authentication_error',
      detail: `Never send an API key in the URL (${inQuery}=): send it in the Authorization header: \`Authorization: Bearer <key>\``,
      parameter: inQuery,
    });
  }
  const token = presentedToken(request);
  if (!token) throw new ApiError(401, { code: 'authentication_error', detail: 'Send your API key in the Authorization header: `Authorization: Bearer <key>`' });
  // One shared read of the change counter: a key revoked before this request arrived is refused, in every process.
  await deps.lookups.refresh();
  const found = await deps.lookups.authenticate(deps.secrets, token);
  if (!found) throw new ApiError(401, { code: 'authentication_error', detail: 'The API key is not valid or has been revoked' });
  await deps.lookups.touch(found, deps.clock.now());
  return { merchant: found.merchant, mode: found.key.mode, keyId: found.key.id };
}

/** The two limits of the API routes: per API key, and failed authentications per client address. */
export interface AuthLimiters {
  readonly perKey: RateLimiter;
  readonly failuresPerAddress: RateLimiter;
}

/**
 * The API routes' preValidation hook: without a valid key a request is a 401
 * whatever its body, then it takes a token from the key's bucket (a bad body
 * counts against the limit); over the limit, a 429 with Retry-After. A
 * failed authentication takes a token from the client address's bucket:
 * once empty, failures from that address answer 429 instead of 401 (a valid
 * key from it still works: the limit is on failures). Errors are ApiErrors;
 * each API's error handler renders them in its envelope.
 */
export function admitCaller(deps: CoreDeps, limiters: AuthLimiters) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let caller: KeyCaller;
    try {
      caller = await authenticateRequest(deps, request);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      const wait = await limiters.failuresPerAddress.acquire(request.ip, deps.clock.now());
      if (wait === 0) throw error;
      reply.header('Retry-After', String(wait));
      throw new ApiError(429, { code: 'rate_limit_error', detail: `Too many failed authentications from this address; retry after ${wait} s` });
    }
    const retryAfter = await limiters.perKey.acquire(caller.keyId, deps.clock.now());
    if (retryAfter > 0) {
      reply.header('Retry-After', String(retryAfter));
      throw new ApiError(429, { code: 'rate_limit_error', detail: `Too many requests for this API key; retry after ${retryAfter} s` });
    }
    request.caller = caller;
  };
}
