/** Renders every error as the blueprint's envelope: {"errors":[{status, code, detail, source?}]}. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json').send(errorBody(error.status, error.items));
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

