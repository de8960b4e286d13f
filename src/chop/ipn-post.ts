/**
 * One IPN POST over node:http(s), connected only to addresses the SSRF guard
 * accepted (see url-guard.ts). Redirects are not followed: a 3xx is an
 * answer like any other non-2xx, so a failed attempt.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type GuardOptions, checkWithoutDns, guardedLookup } from './url-guard.js';

export interface PostAnswer {
  readonly status: number;
  /** The first bytes of the answer's body. */
  readonly excerpt: string;
}

export function postForm(
  raw: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: GuardOptions & { timeoutMs: number; excerptBytes: number },
): Promise<PostAnswer> {
  const url = new URL(raw);
  // Literal addresses never reach `lookup`: they are judged here, before any socket exists.
  checkWithoutDns(url, options.allowPrivate);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options),
      agent: false,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let finished = false;
      // Once: on the excerpt's last byte or at the end, whichever comes first; the rest of the answer is not read.
      const finish = () => {
        if (finished) return;
        finished = true;
        resolve({ status: response.statusCode ?? 0, excerpt: Buffer.concat(chunks).subarray(0, options.excerptBytes).toString('utf8') });
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        if (finished) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= options.excerptBytes) finish();
      });
      response.on('end', finish);
      response.on('error', reject);
    });
    request.end(body);
  });
}
