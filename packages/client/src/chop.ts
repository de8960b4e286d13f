/** The CHOP API (/chop, hosted checkout) and the Online API (/payment, QR codes), Citcon-compatible. */
import { randomUUID } from 'node:crypto';
import type { Transport } from './transport.js';

export interface ChopTransaction {
  readonly id: string;
  readonly type: 'charge' | 'refund';
  readonly amount: number | null;
  readonly currency: string | null;
  readonly reference: string | null;
  readonly payment_method: string | null;
  readonly time: string;
  readonly note: string | null;
  readonly notify_result: 'success' | 'expired' | 'fail' | null;
  readonly status: string;
  readonly livemode: boolean;
  readonly refunded_amount?: number | null;
  readonly cancelled?: boolean;
  readonly transaction_id?: string | null;
  readonly card_number?: string;
  readonly exp_date?: string;
  readonly approval_code?: string | null;
  readonly ext?: string;
  readonly created_at: string;
}

/** Fields are sent as a form; numbers as text. Unknown fields pass through. */
type Fields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface ChargeParams extends Fields {
  readonly payment_method: string;
  readonly amount: number;
  readonly currency: string;
  readonly reference: string;
  readonly ipn_url?: string;
  readonly callback_url_success?: string;
  readonly callback_url_fail?: string;
  readonly mobile_result_url?: string;
  readonly allow_duplicates?: 'yes' | 'no';
}
export interface PayQrParams extends Fields {
  readonly vendor: string;
  readonly amount: number;
  readonly currency: string;
  readonly reference: string;
  readonly ipn_url?: string;
  readonly callback_url?: string;
}
export interface ChopRefundParams extends Fields {
  readonly transaction_id?: string;
  readonly transaction_reference?: string;
  readonly amount: number;
  readonly currency: string;
  readonly reason?: string;
}
export interface CancelParams extends Fields {
  readonly transaction_id?: string;
  readonly transaction_reference?: string;
}
export interface InquireParams extends Fields {
  /** The charge or refund id; or give `reference`. */
  readonly q?: string;
  readonly reference?: string;
  /** `real`: ask the provider first. */
  readonly inquire_method?: 'real';
}

export type ChopRefundResult =
  | { readonly refunded: true; readonly id: string; readonly transaction_id: string; readonly status: 'success' | 'pending' }
  | { readonly refunded: false; readonly code: string; readonly status: string };
export interface CancelResult {
  readonly transaction_id: string;
  readonly transaction_reference: string | null;
  readonly cancelled: boolean;
  readonly status: string;
}
export interface PayQrResult {
  readonly qr_code: string;
  readonly id: string;
  readonly url: string;
}

/** Calls that move money take an Idempotency-Key; without one the client makes one, kept for every retry. */
export interface IdempotentOptions {
  readonly idempotencyKey?: string;
}

export class ChopApi {
  constructor(readonly transport: Transport) {}

  /** A hosted-checkout charge: send the shopper to `url`. */
  async chop(params: ChargeParams, options?: IdempotentOptions): Promise<{ url: string }> {
    const body = await this.#post<{ url: string }>('/chop/chop', params, options ?? {});
    return { url: body.url };
  }

  /** The charge's QR content (`format=json`) for your own page. */
  async payQr(params: PayQrParams, options?: IdempotentOptions): Promise<PayQrResult> {
    const body = await this.#post<PayQrResult>('/payment/pay_qr?format=json', params, options ?? {});
    return { qr_code: body.qr_code, id: body.id, url: body.url };
  }

  inquire(params: InquireParams): Promise<ChopTransaction> {
    return this.#post<ChopTransaction>('/chop/inquire', params);
  }

  /** A refusal (`refunded: false` with its code) is an answer, not an error. */
  refund(params: ChopRefundParams, options?: IdempotentOptions): Promise<ChopRefundResult> {
    return this.#post<ChopRefundResult>('/chop/refund', params, options ?? {});
  }

  cancel(params: CancelParams, options?: IdempotentOptions): Promise<CancelResult> {
    return this.#post<CancelResult>('/chop/cancel', params, options ?? {});
  }

  /** `idempotent` is given for the calls that take an Idempotency-Key; inquire reads only and is safe to repeat without one. */
  async #post<T>(path: string, params: Fields, idempotent?: IdempotentOptions): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (idempotent) headers['idempotency-key'] = idempotent.idempotencyKey ?? randomUUID();
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined) form.set(name, String(value));
    const answer = await this.transport.send<T>({ method: 'POST', path, headers, body: form.toString() });
    return answer.body;
  }
}
