/**
 * One API call with automatic retries. Only what is safe to send again is
 * retried, and it is sent again byte for byte: the POS id is in the body, the
 * CHOP calls that move money carry one Idempotency-Key for all their tries.
 */
import { CanCanApiError, CanCanConnectionError } from './errors.js';

export interface RetryOptions {
  /** Tries after the first (default 3). 0 turns retries off. */
  readonly maxRetries?: number;
  /** The first pause; each next one doubles, with jitter (default 500 ms). */
  readonly baseDelayMs?: number;
  /** No pause is longer (default 10 s), a `Retry-After` included. */
  readonly maxDelayMs?: number;
}

export interface TransportOptions extends RetryOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per try (default 40 s: longer than the longest `Prefer: wait`). */
  readonly timeoutMs?: number;
  /** Defaults to the platform's fetch. */
  readonly fetch?: typeof fetch;
}

export interface ApiRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/**
 * 429 and 5xx but 502 are retried: CanCan answers 502 when the provider
 * declined, which a second try would only replay.
 */
const isRetriedStatus = (status: number) => status === 429 || (status >= 500 && status !== 502 && status !== 501);

export class Transport {
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    if (!options.apiKey) throw new TypeError('apiKey is required');
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  async send<T>(request: ApiRequest): Promise<ApiAnswer<T>> {
    const { maxRetries = 3 } = this.#options;
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt >= maxRetries;
      let response: Response;
      try {
        response = await this.#fetchOnce(request);
      } catch (error) {
        if (last) throw new CanCanConnectionError(`${request.method} ${request.path}: no answer after ${attempt + 1} tries`, { cause: error });
        await pause(this.#delay(attempt, null));
        continue;
      }
      const text = await response.text();
      if (response.ok) return { status: response.status, headers: response.headers, body: parse(text) as T };
      if (last || !isRetriedStatus(response.status)) throw new CanCanApiError(response.status, parse(text), response.headers);
      await pause(this.#delay(attempt, response.headers.get('retry-after')));
    }
  }

  #fetchOnce(request: ApiRequest): Promise<Response> {
    const { baseUrl, apiKey, timeoutMs = 40_000 } = this.#options;
    const doFetch = this.#options.fetch ?? fetch;
    return doFetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: { accept: 'application/json', authorization: `Bearer ${apiKey}`, 'user-agent': 'cancan-client-node/0.1', ...request.headers },
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** Exponential backoff with full jitter; a `Retry-After` (seconds) is the floor. */
  #delay(attempt: number, retryAfter: string | null): number {
    const { baseDelayMs = 500, maxDelayMs = 10_000 } = this.#options;
    const backoff = Math.random() * baseDelayMs * 2 ** attempt;
    const asked = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    return Math.min(maxDelayMs, Math.max(backoff, asked));
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parse(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
