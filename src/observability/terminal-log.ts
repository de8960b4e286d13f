/**
 * Logs for a person at a terminal: when standard output is a TTY, log lines
 * are printed by pino-pretty (time, level, message, the rest on the same
 * line) and each request is one line, "POST /api/v2/transactions 201 12 ms".
 * Anywhere else (a file, a pipe, a log collector) logs stay JSON lines with
 * fastify's request lines, as before.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastify from 'fastify';
import type { DestinationStream } from 'pino';
import { redactUrl } from './logging.js';

/** Requests a browser or a probe repeats all the time: logged at debug, so `info` shows what people and clients did. */
const ROUTINE_PATHS = /^\/(healthz|readyz|metrics|favicon\.ico)(\?|$)|^\/chop\/landing\/status(\?|$)|^\/(chop|dashboard)\/assets\//;

/** Whether this process should log for a person (standard output is an interactive terminal). */
export function isTerminal(stream: { isTTY?: boolean } = process.stdout): boolean {
  return stream.isTTY === true;
}

/** pino-pretty on standard output: synchronous, so log lines and the start banner never interleave. Loaded only for a terminal. */
export async function terminalLogStream(): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize: pretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    singleLine: true,
    sync: true,
  });
}

/** The one line of a finished request: method, path (credentials redacted), status, milliseconds. */
export function requestLine(request: Pick<FastifyRequest, 'method' | 'url'>, statusCode: number, elapsedMs: number): string {
  return `${request.method} ${redactUrl(request.url)} ${statusCode} ${Math.round(elapsedMs)} ms`;
}

/** fastify's request logging, one line per request (at the end) instead of two. */
export class OneLineRequestLog extends fastify.LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = requestLine(request, reply.statusCode, reply.elapsedTime);
    if (error) reply.log.error({ err: error }, line);
    else if (ROUTINE_PATHS.test(request.url)) reply.log.debug(line);
    else reply.log.info(line);
  }

  // A 4xx is already on its request line; a 5xx keeps its own error line with the stack.
  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ err: error }, error.message);
    else request.log.debug({ err: error }, error.message);
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug('route not found');
  }
}
