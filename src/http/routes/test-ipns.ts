/**
 * GET /api/v2/test-ipns: a merchant's test-mode IPNs, for `cancan listen`.
 * The notifications are stored rows (written with the charge's state
 * change, by whichever process made it), so a listener follows them by
 * cursor: the notification id. No `after`: the answer is empty and its
 * cursor is the latest notification (listen from now on). With `Prefer:
 * wait=N` (at most 30 s) an empty answer is held until a notification comes
 * (woken at once in this process; the database is polled for the others).
 * Each IPN comes with its form body exactly as stored (with the seed's
 * `sign`) and a fresh `CanCan-Signature` value over it, so a forwarder
 * posts what CanCan itself would post. Live keys are refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SIGNATURE_HEADER, signatureHeader, webhookSecret } from '../../chop/ipn.js';
import type { CoreDeps } from '../../core/deps.js';
import { ApiError } from '../../domain/errors.js';
import { type AuthLimiters, admitCaller } from '../auth.js';
import { preferredWait } from './transactions.js';

const PAGE_SIZE = 50;
/** How often a held request looks at the database (another process may have written the notification). */
const POLL_MS = 250;

interface StoredIpn {
  readonly id: number;
  readonly notify_id: string;
  readonly ref: string;
  readonly created_at: number;
  readonly body: string;
}

function parseAfter(raw: unknown): number | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw))
    throw new ApiError(400, { code: 'attribute_error', detail: 'after must be a cursor from next_cursor (digits)', parameter: 'after' });
  return Number(raw);
}

export function testIpnRoutes(deps: CoreDeps, limiters: AuthLimiters) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preValidation', admitCaller(deps, limiters));
    const { db } = deps.store;
    // Held requests end when the server starts closing, so they never hold up a shutdown.
    const closing = new AbortController();
    app.addHook('preClose', async () => closing.abort());

    const testIpns = (merchantId: string) =>
      db
        .selectFrom('notifications')
        .innerJoin('transactions', 'transactions.seq', 'notifications.transaction_seq')
        .where('notifications.merchant_id', '=', merchantId)
        .where('transactions.mode', '=', 'test');

    const after = async (merchantId: string, cursor: number): Promise<StoredIpn[]> =>
      (
        await testIpns(merchantId)
          .select(['notifications.id', 'notifications.notify_id', 'transactions.ref', 'notifications.created_at', 'notifications.body'])
          .where('notifications.id', '>', cursor)
          .orderBy('notifications.id')
          .limit(PAGE_SIZE)
          .execute()
      ).map((row) => ({ ...row, id: Number(row.id), created_at: Number(row.created_at) }));

    const latest = async (merchantId: string): Promise<number> =>
      Number(
        (
          await testIpns(merchantId)
            .select((eb) => eb.fn.max('notifications.id').as('id'))
            .executeTakeFirst()
        )?.id ?? 0,
      );

    /** Until a notification after the cursor exists, the client leaves, the server closes, or `ms` pass. */
    const waitFor = async (merchantId: string, cursor: number, ms: number, reply: FastifyReply): Promise<StoredIpn[]> => {
      const deadline = Date.now() + ms;
      let gone = false;
      reply.raw.once('close', () => (gone = true));
      for (;;) {
        const found = await after(merchantId, cursor);
        const remaining = deadline - Date.now();
        if (found.length > 0 || remaining <= 0 || gone || closing.signal.aborted) return found;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            stopListening();
            closing.signal.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, Math.min(remaining, POLL_MS));
          const stopListening = deps.notifier.onJobEnqueued(done);
          closing.signal.addEventListener('abort', done);
        });
      }
    };

    app.get('/test-ipns', async (request: FastifyRequest, reply: FastifyReply) => {
      const caller = request.caller;
      if (!caller) throw new ApiError(401, { code: 'authentication_error', detail: 'Not authenticated' });
      if (caller.mode !== 'test')
        throw new ApiError(403, {
          code: 'access_forbidden_error',
          detail: 'Only test-mode IPNs can be listened to: use a test API key (sk_test_…); live IPNs go to the ipn_url of their charge',
        });
      const merchantId = caller.merchant.id;
      const cursor = parseAfter((request.query as Record<string, unknown>).after);
      if (cursor === null)
        return reply
          .code(200)
          .type('application/json')
          .send({ data: [], next_cursor: String(await latest(merchantId)) });
      const wait = preferredWait(request.headers.prefer);
      if (wait !== null) reply.header('Preference-Applied', `wait=${wait}`);
      const found = wait === null ? await after(merchantId, cursor) : await waitFor(merchantId, cursor, wait * 1000, reply);
      const secret = found.length > 0 ? await webhookSecret(deps, merchantId) : '';
      const timestamp = Math.floor(deps.clock.now() / 1000);
      const data = found.map((ipn) => ({
        cursor: String(ipn.id),
        notify_id: ipn.notify_id,
        transaction_id: ipn.ref,
        created_at: new Date(ipn.created_at).toISOString(),
        content_type: 'application/x-www-form-urlencoded',
        body: ipn.body,
        signature_header: SIGNATURE_HEADER,
        signature: signatureHeader(secret, timestamp, ipn.body),
      }));
      return reply
        .code(200)
        .type('application/json')
        .send({ data, next_cursor: String(found.at(-1)?.id ?? cursor) });
    });
  };
}
