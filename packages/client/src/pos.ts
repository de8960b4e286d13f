/** The POS API (/api/v2, CANCAN v2): sale, void, refund, retrieve, list. */
import type { Transport } from './transport.js';

export type TransactionState = 'pending' | 'succeeded' | 'failed';

interface CommonAttributes {
  readonly state: TransactionState;
  readonly description: string | null;
  readonly pos_id: string | null;
  readonly mch_level_1: string | null;
  readonly mch_level_2: string | null;
  readonly mch_level_3: string | null;
  readonly failure_code: string | null;
  readonly failure_detail: string | null;
  readonly livemode: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface Sale {
  readonly id: string;
  readonly type: 'sale';
  readonly attributes: CommonAttributes & {
    readonly payment_gateway: string;
    readonly amount: number;
    readonly currency: string;
    readonly refunded_amount: number;
    readonly voided: boolean;
  };
}
export interface Void {
  readonly id: string;
  readonly type: 'void';
  readonly attributes: CommonAttributes & { readonly sale: string | null };
}
export interface Refund {
  readonly id: string;
  readonly type: 'refund';
  readonly attributes: CommonAttributes & { readonly sale: string | null; readonly amount: number; readonly currency: string };
}
export type Transaction = Sale | Void | Refund;

/** Tags every POS request may carry. */
interface Tags {
  readonly pos_id?: string;
  readonly mch_level_1?: string;
  readonly mch_level_2?: string;
  readonly mch_level_3?: string;
}
export interface SaleParams extends Tags {
  readonly payment_gateway: string;
  /** The customer's payment code (scanned). */
  readonly payment_auth_key: string;
  /** In the currency's smallest unit. */
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
}
export interface VoidParams extends Tags {
  readonly sale: string;
  readonly description?: string;
}
export interface RefundParams extends Tags {
  readonly sale: string;
  readonly amount: number;
  readonly description?: string;
}

export interface CreateOptions {
  /** `Prefer: wait=N` (1–30): the answer waits until the transaction is final or N seconds pass. */
  readonly wait?: number;
}

/** The answer to a create: the transaction, and whether it is a replay of an earlier identical request. */
export interface Created<T extends Transaction> {
  readonly transaction: T;
  readonly replayed: boolean;
}

export interface ListParams {
  readonly type?: Transaction['type'];
  readonly state?: TransactionState;
  readonly pos_id?: string;
  readonly payment_gateway?: string;
  /** ISO 8601. */
  readonly created_gte?: string;
  readonly created_lt?: string;
  readonly size?: number;
  /** The cursor of `next` from the previous page. */
  readonly after?: string;
}
export interface TransactionPage {
  readonly data: Transaction[];
  /** Give it as `after` for the next page; null on the last. */
  readonly next: string | null;
}

export class PosApi {
  constructor(readonly transport: Transport) {}

  /** A sale under `id`, your id for it: sending it again (same id, same params) is safe. */
  sale(id: string, params: SaleParams, options?: CreateOptions): Promise<Created<Sale>> {
    return this.#create(id, 'sale', params, options);
  }

  void(id: string, params: VoidParams, options?: CreateOptions): Promise<Created<Void>> {
    return this.#create(id, 'void', params, options);
  }

  refund(id: string, params: RefundParams, options?: CreateOptions): Promise<Created<Refund>> {
    return this.#create(id, 'refund', params, options);
  }

  async retrieve(id: string): Promise<Transaction> {
    const answer = await this.transport.send<{ data: Transaction }>({ method: 'GET', path: `/api/v2/transactions/${encodeURIComponent(id)}` });
    return answer.body.data;
  }

  async list(params: ListParams = {}): Promise<TransactionPage> {
    const query = new URLSearchParams();
    const set = (name: string, value: string | number | undefined) => value !== undefined && query.set(name, String(value));
    set('filter[type]', params.type);
    set('filter[state]', params.state);
    set('filter[pos_id]', params.pos_id);
    set('filter[payment_gateway]', params.payment_gateway);
    set('filter[created_at][gte]', params.created_gte);
    set('filter[created_at][lt]', params.created_lt);
    set('page[size]', params.size);
    set('page[after]', params.after);
    const search = query.toString();
    const answer = await this.transport.send<{ data: Transaction[]; links: { next?: string } }>({
      method: 'GET',
      path: `/api/v2/transactions${search ? `?${search}` : ''}`,
    });
    const next = answer.body.links.next ? new URL(answer.body.links.next, 'http://x').searchParams.get('page[after]') : null;
    return { data: answer.body.data, next };
  }

  async #create<T extends Transaction>(id: string, type: T['type'], attributes: object, options: CreateOptions = {}): Promise<Created<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.wait !== undefined) headers.prefer = `wait=${options.wait}`;
    // One body for every try: a retry is the same request.
    const body = JSON.stringify({ data: { id, type, attributes } });
    const answer = await this.transport.send<{ data: T }>({ method: 'POST', path: '/api/v2/transactions', headers, body });
    return { transaction: answer.body.data, replayed: answer.headers.get('idempotent-replayed') === 'true' };
  }
}
