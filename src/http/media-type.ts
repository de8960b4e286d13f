/**
 * Which bodies the POS API reads. It speaks JSON only: a body sent as form
 * fields (curl -d without a Content-Type header) or any other non-JSON type
 * is refused with 415 naming the header to send, rather than read as fields
 * the POS parser then calls missing.
 */
import { ApiError } from '../domain/errors.js';

const POS_PATH = /^\/api\/v2(\/|\?|$)/;

/** application/json and the structured-syntax JSON types (application/vnd.api+json, …), parameters ignored. */
export function isJsonMediaType(contentType: string): boolean {
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return essence === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(essence);
}

export function isPosPath(url: string): boolean {
  return POS_PATH.test(url);
}

/** The POS API's refusal of a body in another media type. */
export function unsupportedMediaType(contentType: string): ApiError {
  // The media type without its parameters, cut short: the answer names what was sent, not all of it.
  const sent = ((contentType.split(';')[0] ?? '').trim() || contentType.trim()).slice(0, 100);
  return new ApiError(415, {
    code: 'unsupported_media_type_error',
    detail: `The POS API reads JSON bodies only: send the header Content-Type: application/json (this request sent ${sent})`,
  });
}

/**
 * The refusal for a POS request whose body is declared as something other
 * than JSON; null when the body may be read (JSON, no content type, or a path
 * outside the POS API).
 */
export function posMediaTypeRefusal(url: string, contentType: string | undefined): ApiError | null {
  if (contentType === undefined || contentType.trim() === '' || !isPosPath(url)) return null;
  return isJsonMediaType(contentType) ? null : unsupportedMediaType(contentType);
}
