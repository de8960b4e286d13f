/** A CHOP client and an IPN receiver for tests: real HTTP, form bodies as Citcon's clients send them. */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiResponse, call } from './client.js';
import { WAIT_LIMIT_MS } from './wait.js';

export const CHOP_METHODS = ['alipay', 'wechatpay', 'cc', 'upop', 'alipay_hk', 'dana', 'gcash', 'jkopay', 'kakaopay'] as const;

/** POSTs form fields (or JSON with `json: true`); the token goes with "Bearer " unless `bare`. */
export function chop(
  baseUrl: string,
  path: string,
  key: string | null,
  fields: Record<string, string | number>,
  options: { json?: boolean; bare?: boolean } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = options.bare ? key : `Bearer ${key}`;
  if (options.json) return call(baseUrl, 'POST', path, { body: fields, headers });
  const raw = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  return call(baseUrl, 'POST', path, { raw, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } });
}

export const idFromUrl = (url: string): string => new URL(url).searchParams.get('q') ?? '';

/** The simulated customer scans a code. */
export async function scan(baseUrl: string, qrCode: string, action: 'approve' | 'decline'): Promise<ApiResponse> {
  return call(baseUrl, 'POST', '/_sandbox/wallet/scan', { body: { qr_code: qrCode, action } });
}

/** Polls inquire until the charge's notify_result is set (or `timeoutMs` passes). */
export async function waitInquire(
  baseUrl: string,
  key: string,
  id: string,
  until: (body: Record<string, unknown>) => boolean,
  timeoutMs = WAIT_LIMIT_MS,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await chop(baseUrl, '/chop/inquire', key, { q: id });
    if (until(response.body) || Date.now() > deadline) return response.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ReceivedIpn {
  readonly fields: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
}

/** A merchant's IPN endpoint: answers `failFirst` requests with 500 (or drops them), then 200. */
export interface IpnReceiver {
  readonly url: string;
  readonly received: ReceivedIpn[];
  /** Requests answered so far, including failures. */
  hits: number;
  failFirst: number;
  close(): Promise<void>;
}

export async function startIpnReceiver(failFirst = 0): Promise<IpnReceiver> {
  const state = { hits: 0, failFirst };
  const received: ReceivedIpn[] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    request.on('end', () => {
      state.hits += 1;
      if (state.hits <= state.failFirst) {
        response.writeHead(500).end('try later');
        return;
      }
      received.push({ fields: Object.fromEntries(new URLSearchParams(raw)), headers: request.headers, raw });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ipn`,
    received,
    get hits() {
      return state.hits;
    },
    set hits(v: number) {
      state.hits = v;
    },
    get failFirst() {
      return state.failFirst;
    },
    set failFirst(v: number) {
      state.failFirst = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
