/** Where a listening server can be reached from this machine. */
import type { Server } from 'node:net';

/** e.g. http://127.0.0.1:8080: a wildcard host (0.0.0.0) is shown as 127.0.0.1, an IPv6 one in brackets. */
export function listeningUrl(server: Server, host: string): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${address.port}`;
}
