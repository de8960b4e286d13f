/** Passes HTTP requests on to a target set later (tests pointing a live provider URL at CanCan's own simulators). */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarder {
  readonly url: string;
  /** Origin plus path prefix the request path is appended to. */
  target: string;
  close(): Promise<void>;
}

/**
 * A provider's live URL must be set before CanCan starts, and CanCan's own
 * port (where the in-process simulators are) is known only after: a
 * forwarder on a port of its own passes requests, headers and bodies as they
 * are, on to whatever `target` is set to.
 */
export async function startForwarder(): Promise<Forwarder> {
  const state = { target: '' };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
      fetch(`${state.target}${request.url ?? ''}`, { method: request.method ?? 'GET', headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          const answerHeaders: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection' && name !== 'keep-alive') answerHeaders[name] = value;
          });
          response.writeHead(answer.status, answerHeaders).end(body);
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get target() {
      return state.target;
    },
    set target(value: string) {
      state.target = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
