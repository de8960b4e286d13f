/** @cancan/client: a typed client of CanCan's POS, CHOP and Online APIs. */
import { ChopApi } from './chop.js';
import { PosApi } from './pos.js';
import { Transport, type TransportOptions } from './transport.js';

export type ClientOptions = TransportOptions;

export class CanCan {
  /** POS API: sale, void, refund, retrieve, list. */
  readonly pos: PosApi;
  /** CHOP and Online APIs: chop, payQr, inquire, refund, cancel. */
  readonly chop: ChopApi;

  constructor(options: ClientOptions) {
    const transport = new Transport(options);
    this.pos = new PosApi(transport);
    this.chop = new ChopApi(transport);
  }
}

export { CanCanApiError, CanCanConnectionError, type ChopFailBody, type PosErrorItem } from './errors.js';
export { computeSign, parseIpn, SIGNATURE_HEADER, type SignatureCheck, verifySign, verifySignature } from './ipn.js';
export { CLIENT_OPERATIONS } from './operations.js';
export type * from './pos.js';
export type * from './chop.js';
export type { RetryOptions, TransportOptions } from './transport.js';
