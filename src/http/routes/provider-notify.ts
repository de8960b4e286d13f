/**
 * POST /notify/<provider>: the providers' asynchronous payment notifications
 * (the notify URL every order carries, src/providers/notify-url.ts).
 *
 * Verify, store, acknowledge, process later: the provider's receiver reads
 * the claim; the charge it names gives the merchant and mode whose
 * credentials must verify it; amount and currency must match the charge.
 * An accepted notification is stored in one database transaction with waking
 * the charge's job, and answered at once; the worker then queries the
 * provider and finalises (so even a verified notification is only a hint).
 * A refused one is stored with its reason, logged once, answered with the
 * provider's failure answer, and changes no transaction. Refusals are stored
 * at most REFUSALS_STORED_PER_SECOND per client address (after a burst): a
 * flood of forged posts is answered and counted, but cannot grow the table. A resend of an
 * accepted notification is a duplicate: acknowledged, nothing more.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../../core/deps.js';
import { paymentMethod } from '../../chop/methods.js';
import { wakeForNotification } from '../../jobs/queue.js';
import { providerCatalog } from '../../providers/catalog.js';
import type { AdapterContext, AnyProviderDescriptor } from '../../providers/descriptor.js';
import type { NotificationClaim, NotificationReceiver, NotificationRequest } from '../../providers/notifications.js';
import { transact } from '../../observability/transact.js';
import { type ReceivedNotification, recordAccepted, recordRefused } from '../../store/provider-notifications.js';
import { isUniqueViolation } from '../../store/transactions.js';
import { RateLimiter } from '../rate-limit.js';
import type { Database } from '../../store/schema.js';
import type { Selectable } from 'kysely';

/** Providers' notifications are small forms, XML or JSON; anything bigger is not one. */
const NOTIFICATION_BODY_LIMIT = 64 * 1024;
const REFUSALS_STORED_PER_SECOND = 1;
const REFUSALS_STORED_BURST = 60;

type ChargeRow = Pick<Selectable<Database['transactions']>, 'seq' | 'merchant_id' | 'mode' | 'amount' | 'currency' | 'payment_method' | 'type'>;

interface Verdict {
  readonly accepted: boolean;
  readonly context: AdapterContext<object> | null;
}

export function providerNotifyRoutes(deps: CoreDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    // The raw body, whatever its type: signatures cover the bytes as sent.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: NOTIFICATION_BODY_LIMIT }, (_request, body, done) => done(null, body));
    const storedRefusals = new RateLimiter(REFUSALS_STORED_PER_SECOND, REFUSALS_STORED_BURST, 'notify-refusals');

    app.post<{ Params: { provider: string } }>('/notify/:provider', async (request, reply) => {
      const provider = providerCatalog().provider(request.params.provider);
      const receiver = provider?.notifications;
      if (!provider || !receiver) {
        return reply
          .code(404)
          .type('application/json')
          .send({ errors: [{ status: '404', code: 'not_found_error', detail: `No provider notifications are received at ${request.url.split('?')[0]}` }] });
      }
      const storeRefusal = () => storedRefusals.take(request.ip, deps.clock.now()) === 0;
      const verdict = await receive({ deps, storeRefusal }, provider, receiver, incoming(request));
      const answer = receiver.answer(verdict.accepted, verdict.context);
      return send(reply, answer);
    });
  };
}

function incoming(request: FastifyRequest): NotificationRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return {
    path: request.url.split('?')[0] ?? request.url,
    headers,
    contentType: headers['content-type'] ?? '',
    body: typeof request.body === 'string' ? request.body : '',
  };
}

function send(reply: FastifyReply, answer: { status: number; contentType: string; body: string; headers?: Readonly<Record<string, string>> }) {
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  return reply.code(answer.status).type(answer.contentType).send(answer.body);
}

interface Receiving {
  readonly deps: CoreDeps;
  /** Whether this client may still have a refusal stored (else it is only counted). */
  readonly storeRefusal: () => boolean;
}

async function receive(
  receiving: Receiving,
  provider: AnyProviderDescriptor,
  receiver: NotificationReceiver<object>,
  request: NotificationRequest,
): Promise<Verdict> {
  const { deps } = receiving;
  const read = receiver.read(request);
  if (!read.ok) return refuse(receiving, { provider: provider.name, reason: read.reason, claim: null, charge: null }, null);
  const { claim } = read;
  const charge = await findCharge(deps, claim.orderNo);
  if (charge === null || paymentMethod(charge.payment_method ?? '')?.provider !== provider.name) {
    return refuse(receiving, { provider: provider.name, reason: `no ${provider.name} charge has order number ${claim.orderNo}`, claim, charge: null }, null);
  }
  const context = await deps.adapters.contextFor(provider.name, charge.mode, charge.merchant_id);
  if (context === null)
    return refuse(receiving, { provider: provider.name, reason: `no ${charge.mode} credentials for the order's merchant`, claim, charge }, null);
  const check = receiver.verify(request, claim, context);
  if (!check.ok) return refuse(receiving, { provider: provider.name, reason: check.reason, claim, charge }, context);
  const mismatch = amountMismatch(claim, charge);
  if (mismatch !== null) return refuse(receiving, { provider: provider.name, reason: mismatch, claim, charge }, context);
  await accept(deps, provider.name, claim, charge);
  return { accepted: true, context };
}

async function findCharge(deps: CoreDeps, orderNo: string): Promise<ChargeRow | null> {
  const row = await deps.store.db
    .selectFrom('transactions')
    .select(['seq', 'merchant_id', 'mode', 'amount', 'currency', 'payment_method', 'type'])
    .where('provider_order_no', '=', orderNo)
    .where('type', '=', 'charge')
    .executeTakeFirst();
  return row ?? null;
}

function amountMismatch(claim: NotificationClaim, charge: ChargeRow): string | null {
  if (claim.currency !== null && claim.currency !== charge.currency) return `currency ${claim.currency} differs from the order's ${charge.currency}`;
  if (claim.amountMinor !== null && claim.amountMinor !== charge.amount) return `amount ${claim.amountMinor} differs from the order's ${charge.amount}`;
  return null;
}

async function accept(deps: CoreDeps, provider: string, claim: NotificationClaim, charge: ChargeRow): Promise<void> {
  const notification: ReceivedNotification = {
    provider,
    verdict: 'accepted',
    reason: null,
    dedupeKey: claim.dedupeKey,
    orderNo: claim.orderNo,
    claimedStatus: claim.status,
    transactionSeq: charge.seq,
    merchantId: charge.merchant_id,
    mode: charge.mode,
  };
  const record = () =>
    transact(deps, async (trx) => {
      const now = deps.clock.now();
      const recorded = await recordAccepted(trx, notification, now);
      // A resend wakes nothing: the first copy already did.
      if (recorded === 'new') await wakeForNotification(trx, charge.seq, now);
      return recorded;
    });
  let recorded;
  try {
    recorded = await record();
  } catch (error) {
    // Two copies at once: the other one's row is there now, so this one is its duplicate.
    if (!isUniqueViolation(error)) throw error;
    recorded = await record();
  }
  deps.metrics.providerNotification(provider, recorded === 'new' ? 'accepted' : 'duplicate');
  if (recorded === 'new') {
    deps.notifier.jobEnqueued();
    deps.log.info({ provider, orderNo: claim.orderNo, status: claim.status, seq: charge.seq }, 'provider notification accepted; the charge is queried now');
  }
}

interface Refusal {
  readonly provider: string;
  readonly reason: string;
  readonly claim: NotificationClaim | null;
  readonly charge: ChargeRow | null;
}

async function refuse(receiving: Receiving, refusal: Refusal, context: AdapterContext<object> | null): Promise<Verdict> {
  const { deps } = receiving;
  const { provider, reason, claim, charge } = refusal;
  deps.metrics.providerNotification(provider, 'refused');
  if (!receiving.storeRefusal()) return { accepted: false, context };
  await recordRefused(
    deps.store.db,
    {
      provider,
      verdict: 'refused',
      reason,
      dedupeKey: claim?.dedupeKey ?? null,
      orderNo: claim?.orderNo ?? null,
      claimedStatus: claim?.status ?? null,
      transactionSeq: charge?.seq ?? null,
      merchantId: charge?.merchant_id ?? null,
      mode: charge?.mode ?? null,
    },
    deps.clock.now(),
  );
  deps.log.warn({ provider, orderNo: claim?.orderNo ?? null, reason }, 'provider notification refused; no transaction changed');
  return { accepted: false, context };
}
