/**
 * `cancan listen --forward-to URL`: follows the merchant's test-mode IPNs
 * (GET /api/v2/test-ipns, long-polled by cursor) and posts each to a local
 * URL with the body and `CanCan-Signature` the server gave, so the receiver
 * verifies it as it would a real delivery. One line per delivery.
 * The key comes from CANCAN_API_KEY (not an argument: arguments are visible
 * to every user of the machine).
 */
import { UsageError } from './usage.js';

const HOLD_SECONDS = 25;
const FORWARD_TIMEOUT_MS = 10_000;
/** After a failed poll (server restarting, network), wait this long before the next. */
const RETRY_MS = 2_000;

interface ListenFlags {
  readonly values: { readonly 'forward-to'?: string | undefined; readonly api?: string | undefined; readonly json?: boolean | undefined };
  readonly positionals: readonly string[];
}

interface TestIpn {
  readonly cursor: string;
  readonly notify_id: string;
  readonly transaction_id: string;
  readonly content_type: string;
  readonly body: string;
  readonly signature_header: string;
  readonly signature: string;
}

function httpUrl(raw: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL such as http://localhost:3000/ipn, got ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL, got ${raw}`);
  return url;
}

/** The API's error detail, or the status. */
async function problemOf(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { errors?: { detail?: string }[] };
    return body.errors?.[0]?.detail ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

export async function listen(flags: ListenFlags): Promise<void> {
  if (flags.positionals.length > 0) throw new UsageError(`listen takes no arguments, got ${flags.positionals.join(' ')}`);
  const forwardTo = flags.values['forward-to'];
  if (forwardTo === undefined) throw new UsageError('--forward-to is required, e.g. --forward-to http://localhost:3000/ipn');
  const target = httpUrl(forwardTo, '--forward-to');
  const api = httpUrl(flags.values.api ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}`, '--api');
  const key = process.env.CANCAN_API_KEY ?? '';
  if (key === '') throw new UsageError('set CANCAN_API_KEY to a test API key (sk_test_…) of the merchant whose IPNs to forward');
  if (key.startsWith('sk_live_')) throw new UsageError('CANCAN_API_KEY is a live key: listen forwards test-mode IPNs only, use a test key (sk_test_…)');
  const json = flags.values.json === true;
  const headers = { authorization: `Bearer ${key}`, accept: 'application/json' };
  const endpoint = (cursor: string | null) => new URL(`/api/v2/test-ipns${cursor === null ? '' : `?after=${encodeURIComponent(cursor)}`}`, api);

  // The first answer is the cursor of "now"; a refused key ends the command here, with the server's reason.
  const first = await fetch(endpoint(null), { headers }).catch((error: unknown) => {
    throw new Error(
      `cannot reach CanCan at ${api.origin} (${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}): start it or pass --api URL`,
    );
  });
  if (!first.ok) throw new Error(`CanCan at ${api.origin} refused: ${await problemOf(first)}`);
  let cursor = ((await first.json()) as { next_cursor: string }).next_cursor;
  process.stdout.write(
    json ? `${JSON.stringify({ ready: true, forward_to: target.href })}\n` : `Ready: forwarding test-mode IPNs to ${target.href} (Ctrl-C to stop)\n`,
  );

  let stopping = false;
  const stop = () => {
    stopping = true;
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  while (!stopping) {
    let ipns: TestIpn[];
    try {
      const response = await fetch(endpoint(cursor), { headers: { ...headers, prefer: `wait=${HOLD_SECONDS}` } });
      if (response.status === 401 || response.status === 403) throw new Error(`CanCan at ${api.origin} refused: ${await problemOf(response)}`);
      if (!response.ok) throw new RetryLater(await problemOf(response));
      const page = (await response.json()) as { data: TestIpn[]; next_cursor: string };
      ipns = page.data;
      cursor = page.next_cursor;
    } catch (error) {
      if (!(error instanceof RetryLater) && !(error instanceof TypeError)) throw error;
      const why = error instanceof TypeError ? ((error.cause as Error | undefined)?.message ?? error.message) : error.message;
      process.stderr.write(`cancan: CanCan at ${api.origin} did not answer (${why}); trying again\n`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      continue;
    }
    for (const ipn of ipns) process.stdout.write(`${await forward(target, ipn, json)}\n`);
  }
}

class RetryLater extends Error {}

/** Posts one IPN to the local URL; answers the line to print. */
async function forward(target: URL, ipn: TestIpn, json: boolean): Promise<string> {
  const status = new URLSearchParams(ipn.body).get('notify_status') ?? '';
  let outcome: { status: number | null; error: string | null };
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': ipn.content_type, 'user-agent': 'CanCan-IPN/1 (cancan listen)', [ipn.signature_header]: ipn.signature },
      body: ipn.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    outcome = { status: response.status, error: null };
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    outcome = { status: null, error: cause };
  }
  const at = new Date().toISOString();
  if (json) return JSON.stringify({ at, notify_id: ipn.notify_id, transaction_id: ipn.transaction_id, notify_status: status, ...outcome });
  const answer = outcome.status === null ? `failed: ${outcome.error}` : `[${outcome.status}]`;
  return `${at}  ${ipn.transaction_id}  ${status}  POST ${target.href} ${answer}`;
}
