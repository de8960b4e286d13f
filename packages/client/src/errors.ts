/** What the client throws: the API's refusal with its envelope, or a connection that never answered. */

/** One problem of a POS refusal (`{"errors":[…]}`). */
export interface PosErrorItem {
  readonly status: string;
  readonly code: string;
  readonly detail: string;
  readonly source?: { readonly pointer?: string; readonly parameter?: string };
}

/** The CHOP and Online APIs' refusal (`{"result":"fail","error","code"}`). */
export interface ChopFailBody {
  readonly result: 'fail';
  readonly error: string;
  readonly code: string;
}

/** An answer with a 4xx or 5xx status (after the retries, for those that are retried). */
export class CanCanApiError extends Error {
  override readonly name = 'CanCanApiError';
  /** The first problem's code (POS) or the `code` (CHOP), e.g. `attribute_error`, `missing_parameter`. */
  readonly code: string;
  /** Every problem of a POS refusal; empty for CHOP. */
  readonly errors: readonly PosErrorItem[];

  constructor(
    readonly status: number,
    /** The parsed answer as the API sent it (null when it was not JSON). */
    readonly body: unknown,
    readonly headers: Headers,
  ) {
    const posErrors = isPosErrors(body) ? body.errors : [];
    const chop = isChopFail(body) ? body : null;
    const detail = posErrors.map((e) => e.detail).join('; ') || chop?.error || `HTTP ${status}`;
    super(`CanCan answered ${status}: ${detail}`);
    this.errors = posErrors;
    this.code = posErrors[0]?.code ?? chop?.code ?? `http_${status}`;
  }
}

/** No answer (refused connection, reset, timeout) after every retry. */
export class CanCanConnectionError extends Error {
  override readonly name = 'CanCanConnectionError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

function isPosErrors(body: unknown): body is { errors: PosErrorItem[] } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors);
}

function isChopFail(body: unknown): body is ChopFailBody {
  return typeof body === 'object' && body !== null && (body as { result?: unknown }).result === 'fail';
}
