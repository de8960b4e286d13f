/**
 * Request ids: a well-formed incoming `X-Request-Id` is kept, anything else
 * is replaced by a fresh id. The id is answered in the same header and is
 * reachable from the code a request runs (an AsyncLocalStorage), so the rows
 * it creates carry it into the worker's log lines.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._-]{1,64}$/;

/** The client's id when it is 1–64 characters of [A-Za-z0-9._-], else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && WELL_FORMED.test(header) ? header : randomUUID();
}

const context = new AsyncLocalStorage<{ readonly requestId: string }>();

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return context.run({ requestId }, fn);
}

/** The id of the HTTP request being served, or null outside one (worker, CLI). */
export function currentRequestId(): string | null {
  return context.getStore()?.requestId ?? null;
}
