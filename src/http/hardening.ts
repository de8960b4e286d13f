/**
 * Defences of the HTTP server against malformed and abusive clients: NUL
 * characters refused everywhere, client errors (slow or oversized requests,
 * bad URL encoding, over-long path segments) answered in the path's envelope,
 * and a cap on the connections one address may hold.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { REQUEST_ID_HEADER } from '../observability/request-context.js';
import { envelopeOf, errorAnswer, sendErrorFor } from './errors.js';

/** Path segments longer than this are refused (414): ids are far shorter. */
export const MAX_PARAM_LENGTH = 100;

const nulError = (where: string) =>
  new ApiError(400, { code: 'attribute_error', detail: `The ${where} contains a NUL character (U+0000), which CanCan never accepts` });

/** Whether a parsed body holds a NUL in any string or key (iterative: a deeply nested body cannot exhaust the stack). */
export function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\0')) return true;
    } else if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) {
      for (const [key, inner] of Object.entries(item)) {
        if (key.includes('\0')) return true;
        pending.push(inner);
      }
    }
  }
  return false;
}

/**
 * NUL is bad input everywhere (PostgreSQL cannot store it in text): refused
 * in the path and query (onRequest, before anything reads them) and in any
 * string of a parsed body (preValidation, before authentication and routes).
 */
export function refuseNul(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    // A raw NUL cannot pass node's parser; an encoded one decodes to NUL.
    const at = request.url.indexOf('%00');
    if (at < 0) return;
    const query = request.url.indexOf('?');
    throw nulError(query < 0 || at < query ? 'URL path' : 'query string');
  });
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.body)) throw nulError('request body');
  });
}

/** fastify's `frameworkErrors`: a bad percent-encoding or an over-long path segment, in the path's envelope. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // The hooks did not run: answer the request id ourselves.
  reply.header(REQUEST_ID_HEADER, request.id);
  const apiError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ApiError(414, { code: 'attribute_error', detail: `A path segment is longer than ${MAX_PARAM_LENGTH} characters` })
      : error.code === 'FST_ERR_BAD_URL'
        ? new ApiError(400, { code: 'attribute_error', detail: 'The URL is not validly percent-encoded' })
        : new ApiError(400, { code: 'attribute_error', detail: 'The request could not be routed' });
  request.log.info({ code: error.code }, 'refused a malformed URL');
  void sendErrorFor(request, reply, apiError);
}

type ParserSocket = Socket & { parser?: { incoming?: { url?: string } } | null; _httpMessage?: { headersSent?: boolean } | null };

/**
 * The server's `clientError` handler (fastify's `clientErrorHandler`): node
 * found the request too slow (408), its head too large (431) or malformed
 * (400) before fastify saw it. Answered in the path's envelope when the path
 * is known (the parsed request, or the request line in the bytes at hand),
 * then the connection is closed.
 */
export function answerClientError(log: FastifyBaseLogger, error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  const raw = socket as ParserSocket;
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The URL and headers are larger than 16 KiB']
        : [400, 'The request is not valid HTTP'];
  const url = raw.parser?.incoming?.url ?? /^[A-Z]+ (\S+)/.exec(Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '')?.[1] ?? '/';
  // Only when nothing of a response was written yet (as node's own handler); a socket we already ended just goes.
  if (!socket.writable || raw._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  log.info({ code: error.code, status, remoteAddress: socket.remoteAddress }, 'client error: answered and closing the connection');
  const answer = errorAnswer(envelopeOf(url), new ApiError(status, { code: 'attribute_error', detail }));
  const reason = status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${answer.type}\r\nContent-Length: ${Buffer.byteLength(answer.body)}\r\nConnection: close\r\n\r\n${answer.body}`,
  );
  socket.destroySoon();
}

/**
 * Closes at once a connection from an address that already holds `max` (0:
 * no cap). `onRefused` is called once per address until it drops below the
 * cap again, so a flood writes one log line.
 */
export function capConnectionsPerAddress(server: Server, max: number, onRefused: (address: string) => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  const reported = new Set<string>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const held = open.get(address) ?? 0;
    if (held >= max) {
      if (!reported.has(address)) onRefused(address);
      reported.add(address);
      socket.destroy();
      return;
    }
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      reported.delete(address);
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
