/** The provider simulators as a server of their own (`cancan simulators`), for CANCAN_SIMULATOR_URL setups. */
import Fastify from 'fastify';
import type { Config } from '../config.js';
import { listeningUrl } from '../http/address.js';
import { closeGracefully, trackActiveRequests } from '../http/shutdown.js';
import type { SimulatorLedger } from './ledger.js';
import { registerSimulators } from './register.js';

export interface SimulatorServer {
  readonly url: string;
  readonly ledger: SimulatorLedger;
  close(): Promise<void>;
}

export async function startSimulatorServer(config: Config): Promise<SimulatorServer> {
  const server = Fastify({ logger: { level: config.logLevel } });
  const activeRequests = trackActiveRequests(server);
  const ledger = await registerSimulators(server, config);
  await server.listen({ port: config.port, host: config.host });
  return {
    url: listeningUrl(server.server, config.host),
    ledger,
    async close() {
      await closeGracefully(server, activeRequests, config.shutdownGraceMs);
      ledger.close();
    },
  };
}
