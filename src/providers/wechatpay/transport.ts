/**
 * HTTPS for WeChat Pay with TLS options fetch cannot take: the merchant's
 * client certificate on `secapi` calls, and an extra trusted CA (tests with
 * their own CA; a deployment uses NODE_EXTRA_CA_CERTS instead). Shaped like
 * fetch, for the one kind of call the adapter makes: a POST of a text body.
 */
import { request as httpsRequest } from 'node:https';
import type { ClientCertificate } from './certificate.js';
import { tlsOptionsOf } from './certificate.js';

export interface TlsOptions {
  readonly certificate?: ClientCertificate;
  /** PEM of CAs to trust besides the system's. */
  readonly ca?: string;
}

export function tlsFetch(options: TlsOptions): typeof fetch {
  const tls = {
    ...(options.certificate ? tlsOptionsOf(options.certificate) : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  };
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const body = typeof init?.body === 'string' ? init.body : '';
    const headers = { ...(init?.headers as Record<string, string> | undefined), 'content-length': String(Buffer.byteLength(body)) };
    const signal = init?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      // A timeout rejects with the signal's own reason (TimeoutError), as fetch does.
      const onAbort = (): void => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const req = httpsRequest(url, { method: init?.method ?? 'POST', headers, ...tls, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0 }));
        });
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => reject(signal?.aborted === true && signal.reason instanceof Error ? signal.reason : error));
      req.end(body);
    });
  };
}
