/**
 * The simulators' shared sandbox endpoints. `GET /_sandbox/ledger` lets tests
 * (and people) see what the simulated providers believe happened to money:
 * one entry per provider order.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isDay } from '../reconcile/days.js';
import { isCurrencyCode } from '../domain/money.js';
import { PROVIDERS } from '../providers/list.js';
import { STATEMENT_PLANT_KINDS, type LedgerEntry, type SimulatorLedger, type StatementPlant } from './ledger.js';
import type { NotificationDelivery, SimulatorNotifier } from './notify-sender.js';
import type { SandboxWallet } from './wallet.js';

export interface LedgerResponse {
  readonly entries: LedgerEntry[];
}

export interface NotificationsResponse {
  readonly deliveries: readonly NotificationDelivery[];
}

export function ledgerRoutes(ledger: SimulatorLedger, wallet: SandboxWallet, notifier: SimulatorNotifier): FastifyPluginAsync {
  return async (app) => {
    app.get('/_sandbox/ledger', async (): Promise<LedgerResponse> => ({ entries: ledger.entries() }));

    // The notifications the simulators sent (bodies included: sandbox data only), oldest first.
    app.get('/_sandbox/notifications', async (): Promise<NotificationsResponse> => ({ deliveries: notifier.deliveries() }));

    // The simulated customer scans a merchant-presented code and approves or declines it.
    app.post('/_sandbox/wallet/scan', async (request, reply) => {
      const body = (request.body ?? {}) as { qr_code?: unknown; action?: unknown };
      const action = body.action ?? 'approve';
      if (typeof body.qr_code !== 'string' || body.qr_code.trim() === '' || (action !== 'approve' && action !== 'decline')) {
        return reply.code(400).send({ error: 'bad_request', message: 'Send {"qr_code": "<content of the QR>", "action": "approve" | "decline"}' });
      }
      const result = wallet.scan(body.qr_code, action);
      if (!result.ok) return reply.code(result.error === 'unknown_code' ? 404 : 409).send({ error: result.error, message: result.message });
      return reply.send({ provider: result.provider, order_no: result.orderNo, outcome: result.outcome, message: result.message });
    });

    // Plants a difference in a simulated provider's statement of a day (reconciliation tests and demos).
    app.post('/_sandbox/statements/plants', async (request, reply) => {
      const plant = readPlant(request.body);
      if (typeof plant === 'string') return reply.code(400).send({ error: 'bad_request', message: plant });
      ledger.plant(plant);
      return reply.code(201).send({
        provider: plant.provider,
        day: plant.day,
        kind: plant.kind,
        order_no: plant.orderNo,
        amount: plant.amount ?? null,
        currency: plant.currency ?? null,
      });
    });
  };
}

const PLANT_USAGE =
  'Send {"provider": "<provider>", "day": "YYYY-MM-DD", "kind": "extra_payment" | "drop" | "amount" | "status" | "fee", "order_no": "<order number>", "amount"?: <minor units>, "currency"?: "<ISO 4217>"}';

/** The plant a request body asks for, or what is wrong with it. */
function readPlant(body: unknown): StatementPlant | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return PLANT_USAGE;
  const fields = body as Record<string, unknown>;
  const { provider, day, kind, order_no: orderNo, amount, currency } = fields;
  if (typeof provider !== 'string' || !PROVIDERS.some((known) => known.name === provider)) {
    return `provider must be one of ${PROVIDERS.map((known) => known.name).join(', ')}`;
  }
  if (typeof day !== 'string' || !isDay(day)) return 'day must be a date, YYYY-MM-DD';
  const plantKind = STATEMENT_PLANT_KINDS.find((known) => known === kind);
  if (plantKind === undefined) return `kind must be one of ${STATEMENT_PLANT_KINDS.join(', ')}`;
  if (typeof orderNo !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(orderNo)) return 'order_no must be 1 to 64 printable characters without spaces';
  if (amount !== undefined && amount !== null && (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0)) {
    return 'amount must be a whole number of minor units, 0 or more';
  }
  // Every provider's statement prints an extra payment with the amount given: without one there is nothing to print.
  if ((plantKind === 'amount' || plantKind === 'fee' || plantKind === 'extra_payment') && (amount === undefined || amount === null)) {
    return `kind ${plantKind} needs an amount`;
  }
  if (currency !== undefined && currency !== null && (typeof currency !== 'string' || !isCurrencyCode(currency))) {
    return 'currency must be an ISO 4217 code CanCan knows';
  }
  return {
    provider,
    day,
    kind: plantKind,
    orderNo,
    amount: typeof amount === 'number' ? amount : null,
    currency: typeof currency === 'string' ? currency : null,
  };
}
