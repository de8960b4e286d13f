/**
 * `Idempotency-Key` on the CHOP and Online API routes that move money
 * (charge, pay_qr, refund, cancel). A key belongs to the API key's merchant
 * and mode. The first request with a key claims it (a row, unique on
 * merchant, mode and key) before it runs; its answer is stored when sent and
 * every later request with the same key and parameters gets that answer
 * again, with `Idempotent-Replayed: true`.
 *
 * The effect is tied to the key before it exists: the claim chooses the id
 * the charge, refund or cancel will get (`effect_ref`), and the operation,
 * given that id, answers what was made under it instead of making another.
 * So running a key's request again can never move money twice, and that is
 * what happens when its first run ended without a stored answer: a 5xx
 * (released at once) or a crash (the claim's lease runs out). The answers
 * themselves are formed after the database transaction (refund, cancel and
 * pay_qr wait for the provider), so they cannot be written inside it.
 */
import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from 'fastify';
import { type Static, type TString, Type } from '@sinclair/typebox';
import { ChopError, type Said, firstRefusal, presentParams, toParams } from '../chop/params.js';
import { compileRequest, says } from '../core/request-schema.js';
import type { CoreDeps } from '../core/deps.js';
import { canonicalJson } from '../core/validate.js';
import { newTransactionRef } from '../domain/ids.js';
import {
  deleteKeyClaim,
  findKeyClaim,
  forgetExpiredKey,
  insertKeyClaim,
  releaseKeyClaim,
  storeKeyAnswer,
  sweepKeys,
  takeOverKeyClaim,
} from '../store/idempotency-keys.js';
import { isUniqueViolation } from '../store/transactions.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key' as const;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a key's answer is kept (and the key cannot be reused with other parameters). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;
/**
 * How long a claim holds: longer than any of these requests takes (their
 * provider wait is 10 s). A claim older than this with no answer belongs to a
 * process that died mid-request; the next request with the key runs it again
 * (safe, see above) instead of answering 409 forever.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;
/** Expired keys are deleted at most this often per process, at most SWEEP_BATCH at a time. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_BATCH = 500;
/** The answer's headers a replay repeats. */
const REPLAYED_HEADERS = ['content-type', 'x-cancan-transaction-id'];

interface Claim {
  readonly id: number;
  readonly effectRef: string;
  /** This request made the row (not a take-over of an unanswered one). */
  readonly fresh: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the idempotency preHandler when this request holds its key. */
    idempotencyClaim?: Claim;
  }
}

const keyRefused = `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, without control characters`;

/** The header of the routes that move money: its validator, its type, its refusal and its OpenAPI parameter (src/http/schemas/chop.ts). */
export const IDEMPOTENCY_HEADERS = Type.Object({
  [IDEMPOTENCY_HEADER]: Type.Optional(
    says<TString, Said>(
      Type.String({
        minLength: 1,
        maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
        pattern: '^[^\\u0000-\\u001f\\u007f]*$',
        examples: ['order-1001-refund-1'],
        description:
          'Optional; any unique string (a UUID). The same key with the same parameters (same API key mode) answers the first answer again, status and body, with `Idempotent-Replayed: true`, for 24 hours; with other parameters: `422 idempotency_key_reused`; while the first is running: `409 idempotency_key_in_progress`. Requests refused before they run (bad parameters or key, 401, 429) do not use the key; a 5xx answer is not kept (sending the key again runs the request again, without repeating its effect).',
      }),
      { default: { code: 'invalid_idempotency_key', message: keyRefused } },
    ),
  ),
});
const checkHeaders = compileRequest(IDEMPOTENCY_HEADERS);

/** The request's `Idempotency-Key`, or undefined without one; a malformed key is a 400. */
export function parseIdempotencyKey(headers: Record<string, unknown>): string | undefined {
  const refused = firstRefusal(checkHeaders(headers));
  if (refused) throw refused;
  return (headers as Static<typeof IDEMPOTENCY_HEADERS>)[IDEMPOTENCY_HEADER];
}

/** The id the operation must give what it makes (undefined without a key): pass it as the operation's `ref`. */
export function effectRef(request: FastifyRequest): string | undefined {
  return request.idempotencyClaim?.effectRef;
}

/** Route options adding the claim (preHandler: after authentication and validation) and the recording of the answer (onSend). */
export function idempotent(deps: CoreDeps): { preHandler: preHandlerHookHandler; onSend: onSendHookHandler<unknown> } {
  const db = () => deps.store.db;
  let lastSweep = 0;

  const sweep = async (now: number): Promise<void> => {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    await sweepKeys(db(), now - IDEMPOTENCY_RETENTION_MS, SWEEP_BATCH);
  };

  const claim = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const key = parseIdempotencyKey(request.headers);
    if (key === undefined) return undefined;
    const caller = request.caller;
    if (!caller) throw new Error('idempotent route without authentication');
    const now = deps.clock.now();
    await sweep(now);
    const endpoint = request.routeOptions.url ?? request.url;
    const fingerprint = deps.secrets.digest(
      canonicalJson({
        endpoint,
        body: presentParams(toParams(request.body)),
        query: presentParams(toParams(request.query)),
      }),
    );
    const scope = { merchant_id: caller.merchant.id, mode: caller.mode, key };
    // An expired key is forgotten: it may start over with any parameters.
    await forgetExpiredKey(db(), scope, now - IDEMPOTENCY_RETENTION_MS);
    try {
      const effect = newTransactionRef();
      const id = await insertKeyClaim(db(), scope, { endpoint, fingerprint, effectRef: effect }, now);
      request.idempotencyClaim = { id, effectRef: effect, fresh: true };
      return undefined;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }

    const existing = await findKeyClaim(db(), scope);
    if (existing && existing.fingerprint !== fingerprint) {
      throw new ChopError(
        422,
        'idempotency_key_reused',
        `This Idempotency-Key was used with other parameters (${existing.endpoint}); use a new key for a new request`,
      );
    }
    if (existing && existing.status_code !== null) {
      const headers = JSON.parse(existing.response_headers ?? '{}') as Record<string, string>;
      const body = existing.response_encoding === 'base64' ? Buffer.from(existing.response_body ?? '', 'base64') : (existing.response_body ?? '');
      return reply.code(existing.status_code).headers(headers).header('Idempotent-Replayed', 'true').send(body);
    }
    // Unanswered: take it over only if no live request holds it (the update is the race's referee).
    const taken = existing !== undefined && (await takeOverKeyClaim(db(), Number(existing.id), now, now - IDEMPOTENCY_LEASE_MS));
    if (!existing || !taken) {
      reply.header('Retry-After', '1');
      throw new ChopError(
        409,
        'idempotency_key_in_progress',
        'A request with this Idempotency-Key is in progress; send it again when that one has been answered',
      );
    }
    request.idempotencyClaim = { id: Number(existing.id), effectRef: existing.effect_ref, fresh: false };
    return undefined;
  };

  const record = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const held = request.idempotencyClaim;
    if (!held) return payload;
    request.idempotencyClaim = undefined;
    const now = deps.clock.now();
    try {
      if (reply.statusCode === 400 && held.fresh) {
        // Bad parameters, refused before anything was done: the key is not used (it may come again with corrected ones).
        await deleteKeyClaim(db(), held.id);
        return payload;
      }
      if (reply.statusCode >= 500 || reply.statusCode === 400) {
        // Not kept: the next request with the key runs again (under the same effect id) for a real answer.
        await releaseKeyClaim(db(), held.id, now);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      const binary = Buffer.isBuffer(payload);
      const body = binary ? payload.toString('base64') : typeof payload === 'string' ? payload : '';
      await storeKeyAnswer(db(), held.id, { statusCode: reply.statusCode, headers, body, encoding: binary ? 'base64' : 'utf8' }, now);
    } catch (error) {
      // The answer still goes out; the claim's lease runs out and a retry runs again, safely.
      request.log.error({ err: error }, 'could not store the answer of an Idempotency-Key');
    }
    return payload;
  };

  // The casts name Fastify's async hook signatures; without them no-misused-promises reads the hooks as sync ones.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return { preHandler: claim as preHandlerHookHandler, onSend: record as onSendHookHandler<unknown> };
}
