/**
 * The HTTP client every adapter and statement fetcher calls providers with:
 * undici's `request` over one keep-alive pool per provider, far cheaper in
 * CPU than global fetch, behind the small fetch-like surface the adapters use
 * (so a test can still pass its own `fetch`). A connection is reusable one
 * event-loop turn after its answer (undici's guard against servers that close
 * despite keep-alive); calls meanwhile open another, which then stays pooled.
 *
 * The answer's body is read in full before the call resolves, so the socket
 * always goes back to the pool. Errors keep their shape: a timeout rejects
 * with the signal's TimeoutError (the adapters report "no answer within …"
 * and an unknown outcome), a failed connection with the socket's own error
 * (`connect ECONNREFUSED …`).
 */
import { Agent, request } from 'undici';
import type { ProviderName } from './list.js';

/** What the adapters send: a fetch `RequestInit` narrowed to what they use. */
export interface ProviderRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** What the adapters read of an answer: a fetch `Response` narrowed to what they use. */
export interface ProviderResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Pick<Headers, 'get'>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Global fetch fits this type, so tests inject it (or a wrapper of it) as before. */
export type ProviderFetch = (url: string, init?: ProviderRequest) => Promise<ProviderResponse>;

export interface HttpClientOptions {
  /** Time allowed to open a connection (TCP and TLS). */
  readonly connectTimeoutMs: number;
  /** Total time of a call that brings no signal of its own. */
  readonly timeoutMs?: number;
}

export interface HttpClient {
  readonly fetch: ProviderFetch;
  close(): Promise<void>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agent = new Agent({ connect: { timeout: options.connectTimeoutMs } });
  const fetch: ProviderFetch = async (url, init = {}) => {
    const signal = init.signal ?? (options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined);
    const answer = await request(url, {
      dispatcher: agent,
      method: init.method ?? 'GET',
      ...(init.headers !== undefined ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    const bytes = new Uint8Array(await answer.body.arrayBuffer());
    return new PooledResponse(answer.statusCode, answer.headers, bytes);
  };
  return { fetch, close: () => agent.close() };
}

class PooledResponse implements ProviderResponse {
  readonly ok: boolean;
  readonly headers: Pick<Headers, 'get'>;

  constructor(
    readonly status: number,
    raw: Record<string, string | string[] | undefined>,
    private readonly bytes: Uint8Array,
  ) {
    this.ok = status >= 200 && status <= 299;
    this.headers = {
      get: (name) => {
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  text(): Promise<string> {
    // UTF-8 with a leading BOM dropped, as fetch's text() does.
    return Promise.resolve(new TextDecoder().decode(this.bytes));
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength) as ArrayBuffer);
  }
}

/**
 * Connect timeouts as each provider's SDK or documentation sets them. The
 * total of a call stays the provider's `rules.timeoutMs` (the adapter's
 * signal), which caps these.
 */
export const CONNECT_TIMEOUT_MS: Readonly<Record<ProviderName, number>> = {
  // WeChat Pay's own Java SDK (WXPayConfig): connect 6 s, read 8 s.
  wechatpay: 6_000,
  // Alipay's Java SDK (DefaultAlipayClient): connect 3 s, read 15 s.
  alipay: 3_000,
  // Antom documents no connect timeout: chosen, as Alipay's.
  alipayplus: 3_000,
  // UnionPay's acp SDK samples: connect 30 s and read 30 s (the 15 s total applies first).
  unionpay: 30_000,
  // LINE Pay documents read timeouts only (pay: at least 40 s): chosen.
  linepay: 5_000,
  // Converge documents none: chosen.
  card: 10_000,
};

const clients = new Map<ProviderName, HttpClient>();

/** The shared pooled client of one provider (one pool per origin inside it). */
export function providerFetch(provider: ProviderName): ProviderFetch {
  let client = clients.get(provider);
  if (client === undefined) {
    client = createHttpClient({ connectTimeoutMs: CONNECT_TIMEOUT_MS[provider] });
    clients.set(provider, client);
  }
  return client.fetch;
}
