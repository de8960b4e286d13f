/**
 * The simulators' shared sandbox endpoints. `GET /_sandbox/ledger` lets tests
 * (and people) see what the simulated providers believe happened to money:
 * one entry per provider order.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { LedgerEntry, SimulatorLedger } from './ledger.js';

export interface LedgerResponse {
  readonly entries: LedgerEntry[];
}

export function ledgerRoutes(ledger: SimulatorLedger): FastifyPluginAsync {
  return async (app) => {
    app.get('/_sandbox/ledger', async (): Promise<LedgerResponse> => ({ entries: ledger.entries() }));
  };
}
