/** A tiny POS client for tests: real HTTP with fetch. */
import { WAIT_LIMIT_MS } from './wait.js';
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests inspect arbitrary JSON.
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

let counter = 0;
export const uniqueId = (prefix = 'tx'): string => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter += 1)}`;

/** A well-formed WeChat Pay customer code (18 digits starting 10–15). */
export const WECHAT_AUTH_CODE = '134567890123456789';

/** One well-formed customer code and currency per gateway. */
export const GATEWAYS = [
  { code: 'wechatpay_cn_domestic', currency: 'CNY', authCode: WECHAT_AUTH_CODE, provider: 'wechatpay' },
  { code: 'wechatpay_international', currency: 'USD', authCode: WECHAT_AUTH_CODE, provider: 'wechatpay' },
  { code: 'alipay_cn_domestic', currency: 'CNY', authCode: '286543210987654321', provider: 'alipay' },
  { code: 'alipay_international', currency: 'USD', authCode: '286543210987654321', provider: 'alipay' },
  { code: 'linepay_th_domestic', currency: 'THB', authCode: '081149423436', provider: 'linepay' },
  { code: 'linepay_tw_domestic', currency: 'TWD', authCode: '123456789012345678', provider: 'linepay' },
] as const;

export function saleBody(id: string, amount: unknown, overrides: Record<string, unknown> = {}) {
  return {
    data: {
      id,
      type: 'sale',
      attributes: {
        payment_gateway: 'wechatpay_cn_domestic',
        payment_auth_key: WECHAT_AUTH_CODE,
        amount,
        currency: 'CNY',
        description: 'Test item',
        pos_id: 'POS1',
        ...overrides,
      },
    },
  };
}

export function voidBody(id: string, sale: string) {
  return { data: { id, type: 'void', attributes: { sale, description: 'customer changed her mind' } } };
}

export function refundBody(id: string, sale: string, amount: number) {
  return { data: { id, type: 'refund', attributes: { sale, amount, description: 'factory defect' } } };
}

/** Polls GET until the transaction is final (or the time runs out). */
export async function waitFinal(baseUrl: string, key: string, id: string, timeoutMs = WAIT_LIMIT_MS): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await call(baseUrl, 'GET', `/api/v2/transactions/${id}`, { key });
    const state = response.body?.data?.attributes?.state;
    if (state !== 'pending' || Date.now() > deadline) return response;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LedgerEntry {
  provider: string;
  order_no: string;
  amount: number;
  currency: string;
  status: string;
  refunded_amount: number;
}

export async function ledger(baseUrl: string): Promise<LedgerEntry[]> {
  const response = await fetch(`${baseUrl}/_sandbox/ledger`);
  const json = (await response.json()) as { entries: LedgerEntry[] };
  return json.entries;
}
