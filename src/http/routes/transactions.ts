/** The POS API (CANCAN v2): /api/v2/transactions. Thin: parse, call core, render. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createTransaction } from '../../core/create-transaction.js';
import type { CoreDeps } from '../../core/deps.js';
import { type ListFilters, listTransactions } from '../../core/list-transactions.js';
import { validateTransactionRequest } from '../../core/validate.js';
import { waitUntilFinal } from '../../core/waiting.js';
import { ApiError } from '../../domain/errors.js';
import { findPosTransaction } from '../../store/transactions.js';
import { type AuthLimiters, type KeyCaller, admitCaller } from '../auth.js';
import { renderTransaction } from '../resources.js';
import { CREATE_TRANSACTION_ROUTE, GET_TRANSACTION_ROUTE, LIST_TRANSACTIONS_ROUTE, POS_SCHEMAS } from '../schemas/pos.js';
import { posValidator } from '../schemas/rules.js';
import { plainJson } from '../schemas/validator.js';
import { parseListQuery } from './list-query.js';

const MAX_WAIT_SECONDS = 30;

/** `Prefer: wait=N` (RFC 7240), capped at 30 seconds; null when absent. */
export function preferredWait(header: string | string[] | undefined): number | null {
  const text = Array.isArray(header) ? header.join(',') : header;
  const match = text ? /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(text) : null;
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : null;
}

export function transactionRoutes(deps: CoreDeps, limiters: AuthLimiters) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const schema of POS_SCHEMAS) app.addSchema(schema);
    const checked = { validatorCompiler: posValidator(deps.log, deps.config.maxAmountMajor), serializerCompiler: plainJson };
    app.addHook('preValidation', admitCaller(deps, limiters));

    app.post('/transactions', { schema: CREATE_TRANSACTION_ROUTE, ...checked }, async (request, reply) => {
      const caller = callerOf(request);
      const validated = validateTransactionRequest(request.body, deps.config.maxAmountMajor);
      if (!validated.ok) throw new ApiError(400, validated.errors);
      const { row, replayed } = await createTransaction(deps, caller, validated.request);
      const wait = preferredWait(request.headers.prefer);
      const latest = wait === null ? row : await waitUntilFinal(deps, row, wait * 1000);
      if (wait !== null) reply.header('Preference-Applied', `wait=${wait}`);
      if (replayed) reply.header('Idempotent-Replayed', 'true');
      return send(reply, replayed ? 200 : 201, { data: renderTransaction(latest) });
    });

    app.get<{ Params: { id: string } }>('/transactions/:id', { schema: GET_TRANSACTION_ROUTE, ...checked }, async (request, reply) => {
      const { merchant, mode } = callerOf(request);
      const row = await findPosTransaction(deps.store.db, merchant.id, mode, request.params.id);
      if (!row) throw new ApiError(404, { code: 'not_found_error', detail: 'Record Not Found' });
      return send(reply, 200, { data: renderTransaction(row) });
    });

    app.get('/transactions', { schema: LIST_TRANSACTIONS_ROUTE, ...checked }, async (request, reply) => {
      const query = parseListQuery(request.query as Record<string, unknown>);
      const { merchant, mode } = callerOf(request);
      const page = await listTransactions(deps.store.db, merchant.id, mode, query);
      const links: Record<string, string> = { self: linkFor(request, query, query.after) };
      if (page.nextCursor !== null) links.next = linkFor(request, query, page.nextCursor);
      return send(reply, 200, { data: page.rows.map(renderTransaction), links });
    });
  };
}

function callerOf(request: FastifyRequest): KeyCaller {
  if (!request.caller) throw new ApiError(401, { code: 'authentication_error', detail: 'Not authenticated' });
  return request.caller;
}

function send(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

function linkFor(request: FastifyRequest, query: ListFilters, after: string | null): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
    if (key !== 'page[after]' && typeof value === 'string') params.set(key, value);
  }
  params.set('page[size]', String(query.size));
  if (after !== null) params.set('page[after]', after);
  return `/api/v2/transactions?${params.toString()}`;
}
