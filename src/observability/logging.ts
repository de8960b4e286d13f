/** Loggers bound to what a log line is about (a transaction, a request). */
import type { Logger } from '../core/deps.js';

type WithChild = Logger & { child?: (bindings: Record<string, unknown>) => Logger };

/** A logger whose every line carries `bindings` (pino's child logger when there is one). */
export function childLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  const parent = log as WithChild;
  if (typeof parent.child === 'function') return parent.child(bindings);
  return {
    info: (obj, msg) => log.info({ ...bindings, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...bindings, ...obj }, msg),
    error: (obj, msg) => log.error({ ...bindings, ...obj }, msg),
  };
}

/** The bindings of one transaction's log lines: the request that created it, and its CanCan id. */
export function transactionBindings(row: { readonly ref: string; readonly request_id: string | null }): Record<string, unknown> {
  return row.request_id ? { reqId: row.request_id, txn: row.ref } : { txn: row.ref };
}

/** Query parameters a client might put an API key in (the APIs refuse them: http/auth.ts). */
export const API_KEY_QUERY_PARAMS: readonly string[] = ['api_key', 'apikey', 'key', 'token', 'access_token'];
/** Query parameters that may carry a credential: their values never reach a log line. */
const CREDENTIAL_PARAMS = new Set([...API_KEY_QUERY_PARAMS, 'secret', 'password', 'session']);

/** A URL with the values of credential query parameters replaced by `[redacted]` (the rest as sent). */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // Badly encoded: compare it as sent.
      }
      return CREDENTIAL_PARAMS.has(name.trim().toLowerCase()) ? `${rawName}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${query.join('&')}`;
}
