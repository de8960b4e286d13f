/** What the adapters say when an HTTP call to a provider fails, without letting a secret through. */
import type { Rejected } from './contract.js';

/** HTTP 401 and 403 mean the provider refused who is calling (credentials, certificate, permission): retrying cannot help. */
export function httpRefusal(status: number): Rejected | null {
  return status === 401 || status === 403
    ? { kind: 'rejected', code: `HTTP ${status}`, message: 'the provider refused the credentials or permissions of this request' }
    : null;
}

/**
 * The reason of a failed call, for traces and `unknown` outcomes: a timeout,
 * an answer the adapter's parser refused (`ParseError`, when given), or the
 * error's name and message plus fetch's hidden cause (ECONNREFUSED, …).
 */
export function describeCallError(error: unknown, timeoutMs: number, ParseError?: abstract new (...args: never[]) => Error): string {
  if (ParseError !== undefined && error instanceof ParseError) return `unparsable answer: ${error.message}`;
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return 'request failed';
}

/** `text` with every occurrence of each (non-empty) secret replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => (secret === '' ? result : result.split(secret).join('[redacted]')), text);
}

/** Answer fields with every secret scrubbed from every value, so neither traces nor outcomes can carry one. */
export function redactFields(fields: Readonly<Record<string, string>>, secrets: readonly string[]): Record<string, string> {
  // fromEntries keeps every name an own field (even `__proto__`), as the parsers produce them.
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, redactSecrets(value, secrets)]));
}
