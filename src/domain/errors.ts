/** Errors a request can end in; the HTTP layer renders them as the blueprint's envelope. */
export type ApiErrorCode =
  | 'authentication_error'
  | 'attribute_error'
  | 'access_forbidden_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'payload_too_large_error'
  | 'unsupported_media_type_error'
  | 'rate_limit_error'
  | 'service_unavailable_error'
  | 'internal_error';

export interface ErrorItem {
  readonly code: ApiErrorCode;
  readonly detail: string;
  /** JSON pointer into the request body, e.g. /data/attributes/amount. */
  readonly pointer?: string;
  /** Query parameter name, e.g. filter[state]. */
  readonly parameter?: string;
}

export class ApiError extends Error {
  readonly items: readonly ErrorItem[];
  constructor(
    readonly status: number,
    items: ErrorItem | readonly ErrorItem[],
  ) {
    const list = Array.isArray(items) ? (items as readonly ErrorItem[]) : [items as ErrorItem];
    super(list.map((i) => i.detail).join('; '));
    this.items = list;
  }
}

export const attributeError = (detail: string, pointer?: string): ErrorItem => ({
  code: 'attribute_error',
  detail,
  ...(pointer !== undefined ? { pointer } : {}),
});
