/**
 * The simulators' shared sandbox endpoints. `GET /_sandbox/ledger` lets tests
 * (and people) see what the simulated providers believe happened to money:
 * one entry per provider order.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { LedgerEntry, SimulatorLedger } from './ledger.js';
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
  };
}
