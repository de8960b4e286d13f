/**
 * A proxy in front of a test server that can fail the next requests: a 503 or 429 answer or a dropped connection without
 * forwarding, or `lost`: forwarded, the server's answer replaced by a 503 (the work was done, the answer lost).
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Failure = '503' | '429' | 'drop' | 'lost';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly forwarded: boolean;
}

export interface FlakyProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** What the next requests get instead of being forwarded, in order. */
  failNext(...failures: Failure[]): void;
  close(): Promise<void>;
}

export async function startFlakyProxy(target: string): Promise<FlakyProxy> {
  const failures: Failure[] = [];
  const seen: SeenRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const failure = failures.shift();
      seen.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        forwarded: failure === undefined || failure === 'lost',
      });
      if (failure === 'drop') return void request.socket.destroy();
      if (failure && failure !== 'lost') {
        const status = Number(failure);
        response.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
        return void response.end(JSON.stringify({ errors: [{ status: String(status), code: 'service_unavailable_error', detail: 'try again' }] }));
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
      ) as Record<string, string>;
      fetch(`${target}${request.url}`, { method: request.method, headers, ...(body ? { body } : {}) })
        .then(async (answer) => {
          const text = await answer.text();
          if (failure === 'lost') {
            response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
            return void response.end(JSON.stringify({ errors: [{ status: '503', code: 'service_unavailable_error', detail: 'answer lost' }] }));
          }
          response.writeHead(
            answer.status,
            Object.fromEntries(
              [...answer.headers].filter(([name]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)),
            ),
          );
          response.end(text);
        })
        .catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    failNext: (...next) => void failures.push(...next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
