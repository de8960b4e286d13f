/** The load: autocannon POSTs, each a NEW sale with a unique id, at a fixed number of connections. */
import autocannon from 'autocannon';

/** A gateway and amount the simulator pays at once (see the README's simulator test values). */
export const SALE = { payment_gateway: 'wechatpay_cn_domestic', payment_auth_key: '134567890123456789', amount: 1000, currency: 'CNY' };

export interface LoadOptions {
  /** Servers to load; connection i goes to urls[i % urls.length] (autocannon's round-robin). */
  readonly urls: readonly string[];
  readonly apiKey: string;
  readonly seconds: number;
  readonly connections: number;
  /** Makes this run's sale ids unique: `${idPrefix}-${n}`. */
  readonly idPrefix: string;
}

export interface LoadResult {
  readonly durationS: number;
  /** 201 answers: sales committed before the answer. */
  readonly created: number;
  readonly createdPerSecond: number;
  /** Answers other than 201, by status. */
  readonly otherStatuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export function saleBody(id: string): string {
  return JSON.stringify({ data: { id, type: 'sale', attributes: { ...SALE, description: 'Bench', pos_id: 'BENCH' } } });
}

export async function runSales(options: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    // autocannon takes an array of URLs too (lib/run.js), though its types say string.
    url: [...options.urls] as unknown as string,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/api/v2/transactions',
        setupRequest: (request) => ({ ...request, body: saleBody(`${options.idPrefix}-${(next += 1)}`) }),
      },
    ],
  });
  const statuses: Record<string, number> = {};
  for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = stat.count ?? 0;
  const created = statuses['201'] ?? 0;
  delete statuses['201'];
  return {
    durationS: result.duration,
    created,
    createdPerSecond: created / result.duration,
    otherStatuses: statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  };
}
