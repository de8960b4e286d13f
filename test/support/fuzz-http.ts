/**
 * The fuzz suite's plumbing: a raw HTTP client (the path is sent byte for
 * byte, so `%ff` and `/../` reach the server as written), the envelope each
 * path answers 4xx in, and the row counts a rejected request must not change.
 */
import { request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import type { App } from '../../src/app.js';

export interface FuzzRequest {
  /** Which generator made it (reported with a violation). */
  readonly label: string;
  readonly method: string;
  /** Already encoded: sent as is. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface FuzzAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** Answers the request, or throws when the server does not answer within `timeoutMs` (a hang) or drops the connection. */
export function send(baseUrl: string, req: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  const { hostname, port } = new URL(baseUrl);
  if (hostname !== '127.0.0.1') throw new Error(`fuzz target must be 127.0.0.1, not ${hostname}`);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers, connection: 'close' };
    if (req.body !== undefined) headers['content-length'] = req.body.length;
    const outgoing = httpRequest({ host: '127.0.0.1', port: Number(port), method: req.method, path: req.path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

function pathOf(rawPath: string): string {
  return rawPath.split('?')[0] ?? '';
}

function json(answer: FuzzAnswer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    return undefined;
  }
}

function isJsonApiErrors(answer: FuzzAnswer): boolean {
  const body = json(answer) as { errors?: unknown; data?: unknown } | undefined;
  if (!answer.contentType.startsWith('application/json') || !body || !Array.isArray(body.errors) || body.errors.length === 0 || 'data' in body) return false;
  return body.errors.every(
    (e: { status?: unknown; code?: unknown; detail?: unknown }) =>
      e.status === String(answer.status) && typeof e.code === 'string' && e.code !== '' && typeof e.detail === 'string',
  );
}

function isChopFail(answer: FuzzAnswer): boolean {
  const body = json(answer) as { result?: unknown; error?: unknown; code?: unknown } | undefined;
  return (
    answer.contentType.startsWith('application/json') &&
    !!body &&
    body.result === 'fail' &&
    typeof body.error === 'string' &&
    body.error !== '' &&
    typeof body.code === 'string' &&
    body.code !== ''
  );
}

const isHtml = (answer: FuzzAnswer): boolean => answer.contentType.startsWith('text/html') && /<html/i.test(answer.text);

/** The router's answer when no route takes the method and path, the same under every prefix but the dashboard. */
function isRouterNotFound(answer: FuzzAnswer): boolean {
  const body = json(answer) as { errors?: { code?: unknown; detail?: unknown }[] } | undefined;
  return (
    answer.status === 404 &&
    isJsonApiErrors(answer) &&
    body?.errors?.[0]?.code === 'not_found_error' &&
    String(body.errors[0].detail).startsWith('No route for ')
  );
}

/**
 * What is wrong with a 4xx answer's body for this path, or null. POS API:
 * JSON:API `errors`; CHOP and Online APIs: `{"result":"fail",error,code}`;
 * the dashboard: an HTML page, but its CSV export refuses bad filters in plain
 * text (in the user's language); the hosted checkout pages: an HTML page, or JSON:API when the body
 * could not be read at all (the server-wide parser's answer), and their status
 * poll answers `{"error":"not_found"}` for 404. A path or method no route takes
 * (outside the dashboard; no API route takes a method but GET and POST): the
 * server-wide JSON:API envelope (the router's 404, a 413). A 431 (headers too
 * large, refused by node before routing): any of these envelopes. HEAD answers have no body.
 */
export function envelopeProblem(method: string, rawPath: string, answer: FuzzAnswer): string | null {
  const path = pathOf(rawPath);
  if (method === 'HEAD') return null;
  // Node refuses oversized headers before any route runs: any of this server's envelopes, not the framework's.
  if (answer.status === 431) return isJsonApiErrors(answer) || isChopFail(answer) || isHtml(answer) ? null : "not one of this server's envelopes";
  if (path.startsWith('/dashboard')) {
    if (path === '/dashboard/transactions.csv' && answer.status === 400 && answer.contentType.startsWith('text/plain; charset=utf-8') && answer.text !== '')
      return null;
    return isHtml(answer) ? null : 'not an HTML page';
  }
  // No route takes this method or path: the server-wide handlers answer (router 404, or a body refused before routing).
  if (isRouterNotFound(answer) || (!['GET', 'POST'].includes(method) && isJsonApiErrors(answer))) return null;
  if (path.startsWith('/api/v2/') || path === '/api/v2') {
    return isJsonApiErrors(answer) ? null : 'not a JSON:API errors envelope';
  }
  if (path === '/chop/landing/status') {
    const body = json(answer) as { error?: unknown } | undefined;
    if (answer.status === 404) return body?.error === 'not_found' ? null : 'not the status poll\'s {"error":"not_found"}';
    return isJsonApiErrors(answer) || isChopFail(answer) ? null : 'neither a JSON:API errors envelope nor the /chop one';
  }
  // The pages answer their own errors as HTML; refusals made before any route (NUL, bad encoding, unknown routes) use the /chop envelope.
  if (path.startsWith('/chop/landing') || path === '/chop/result') {
    return isHtml(answer) || isJsonApiErrors(answer) || isChopFail(answer) ? null : 'neither an HTML page nor an errors envelope';
  }
  if (path.startsWith('/chop/') || path.startsWith('/payment/')) {
    return isChopFail(answer) ? null : 'not a {"result":"fail",error,code} envelope';
  }
  return isJsonApiErrors(answer) ? null : 'not a JSON:API errors envelope';
}

/**
 * Rows only a request writes, so a rejected request must leave each count as
 * it was: the job worker also writes provider calls and state changes of
 * transactions already there, so events count their `created` and
 * `void_requested` rows and jobs their transaction jobs; a fuzzed charge the
 * provider refuses ends in the background with an IPN, so notifications count
 * those of the fixtures' transactions (seq up to `fixtureSeq`), which are final
 * before the fuzz starts and only get one by a re-send.
 */
export type RowCounts = Readonly<Record<'transactions' | 'transaction_events' | 'jobs' | 'notifications' | 'audit_log' | 'sessions', number>>;

export async function rowCounts(app: App, fixtureSeq: number): Promise<RowCounts> {
  const { rows } = await sql<Record<keyof RowCounts, string | number>>`select
    (select count(*) from transactions) as transactions,
    (select count(*) from transaction_events where kind in ('created', 'void_requested')) as transaction_events,
    (select count(*) from jobs where kind = 'transaction') as jobs,
    (select count(*) from notifications where transaction_seq <= ${fixtureSeq}) as notifications,
    (select count(*) from audit_log) as audit_log,
    (select count(*) from sessions) as sessions`.execute(app.deps.store.db);
  const row = rows[0];
  if (!row) throw new Error('no counts');
  return {
    transactions: Number(row.transactions),
    transaction_events: Number(row.transaction_events),
    jobs: Number(row.jobs),
    notifications: Number(row.notifications),
    audit_log: Number(row.audit_log),
    sessions: Number(row.sessions),
  };
}

export function countChanges(before: RowCounts, after: RowCounts): string | null {
  const changed = (Object.keys(before) as (keyof RowCounts)[]).filter((k) => before[k] !== after[k]);
  return changed.length === 0 ? null : changed.map((k) => `${k} ${before[k]}→${after[k]}`).join(', ');
}
