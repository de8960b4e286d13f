/**
 * Renders errors in the envelope of the path: the blueprint's
 * {"errors":[{status, code, detail, source?}]} by default (and under /api/v2),
 * {"result":"fail","error","code"} under /chop and /payment, a bare HTML page under /dashboard.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ChopError } from '../chop/params.js';
import { ApiError, type ErrorItem } from '../domain/errors.js';
import { DATABASE_RETRY_MS, isDatabaseUnavailableError } from '../store/db.js';

/** The detail of every 503 for an unreachable database (both APIs), and its Retry-After in seconds. */
export const DATABASE_UNAVAILABLE = 'The database is unavailable; retry later';
export const DATABASE_RETRY_AFTER = String(DATABASE_RETRY_MS / 1000);

export function errorBody(status: number, items: readonly ErrorItem[]) {
  return {
    errors: items.map((item) => ({
      status: String(status),
      code: item.code,
      detail: item.detail,
      ...(item.pointer !== undefined ? { source: { pointer: item.pointer } } : {}),
      ...(item.parameter !== undefined ? { source: { parameter: item.parameter } } : {}),
    })),
  };
}

export type Envelope = 'jsonapi' | 'chop' | 'dashboard';

/** Which envelope a path's errors take (`url` may carry a query string). */
export function envelopeOf(url: string): Envelope {
  if (/^\/(chop|payment)(\/|\?|$)/.test(url)) return 'chop';
  if (/^\/dashboard(\/|\?|$)/.test(url)) return 'dashboard';
  return 'jsonapi';
}

/** The CHOP code of an ApiError (CHOP clients read `code`, not the status). */
export function chopCodeOf(error: ApiError): string {
  switch (error.status) {
    case 401:
      return 'unauthorized';
    case 408:
      return 'request_timeout';
    case 413:
      return 'payload_too_large';
    case 414:
      return 'uri_too_long';
    case 429:
      return 'rate_limited';
    case 431:
      return 'headers_too_large';
    case 503:
      return 'service_unavailable';
    default:
      return error.status >= 500 ? 'internal_error' : 'invalid_request';
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A bare page for the dashboard's refusals made before any route runs (no session, no language, no stylesheet yet). */
function plainErrorPage(status: number, detail: string): string {
  const text = detail.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${status}</title></head>` +
    `<body><h1>${status}</h1><p>${text}</p><p><a href="/dashboard">Dashboard</a></p></body></html>\n`
  );
}

/** The status, headers and body of an error in an envelope, for answers written outside fastify's reply (client errors). */
export function errorAnswer(envelope: Envelope, error: ApiError | ChopError): { status: number; type: string; body: string } {
  const detail = error instanceof ApiError ? (error.items[0]?.detail ?? error.message) : error.message;
  if (envelope === 'chop') {
    const code = error instanceof ChopError ? error.code : chopCodeOf(error);
    return { status: error.status, type: 'application/json', body: JSON.stringify({ result: 'fail', error: detail, code }) };
  }
  if (envelope === 'dashboard') return { status: error.status, type: 'text/html; charset=utf-8', body: plainErrorPage(error.status, detail) };
  const api = error instanceof ApiError ? error : new ApiError(error.status, { code: 'attribute_error', detail });
  return { status: error.status, type: 'application/json', body: JSON.stringify(errorBody(api.status, api.items)) };
}

/** Answers an error in the envelope of the request's path. */
export function sendErrorFor(request: FastifyRequest, reply: FastifyReply, error: ApiError | ChopError): FastifyReply {
  const answer = errorAnswer(envelopeOf(request.url), error);
  // A Buffer keeps the content type as given (fastify would add a charset to a string; JSON has none).
  return reply.code(answer.status).type(answer.type).send(Buffer.from(answer.body));
}

/** Maps fastify's own errors (body parsing, size) and unexpected ones to the envelope. */
export function toApiError(error: FastifyError | Error, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, { code: 'payload_too_large_error', detail: 'The request body is larger than 64 KiB' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, { code: 'attribute_error', detail: 'The request body is not valid JSON', pointer: '' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(400, { code: 'attribute_error', detail: 'Send the body as application/json' });
    default:
      break;
  }
  if (isDatabaseUnavailableError(error)) {
    return new ApiError(503, { code: 'service_unavailable_error', detail: DATABASE_UNAVAILABLE });
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new ApiError(status, { code: 'attribute_error', detail: error.message });
  }
  request.log.error({ err: error }, 'unexpected error');
  return new ApiError(500, { code: 'internal_error', detail: 'Something went wrong on our side; the request can be retried with the same id' });
}
