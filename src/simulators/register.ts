/**
 * Mounts every provider's simulator on a server (under /_sim/<provider>) with
 * the sandbox credentials test-mode adapters use, plus the shared ledger
 * and wallet endpoints under /_sandbox (unless CANCAN_SANDBOX_ROUTES=off). Their ledger lives in the data dir, so it outlives a restart.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { ProviderList } from '../providers/descriptor.js';
import { PROVIDERS } from '../providers/list.js';
import { SimulatorLedger } from './ledger.js';
import { SimulatorNotifier } from './notify-sender.js';
import { ledgerRoutes } from './routes.js';
import { SandboxWallet } from './wallet.js';

/** Where a provider's simulator is mounted, relative to the simulators' base URL. */
export const simulatorPath = (provider: string): string => `/_sim/${provider}`;

/** How many times a simulator sends one notification before it gives up (WeChat Pay tries about as often over a day). */
const NOTIFY_MAX_ATTEMPTS = 8;

export async function registerSimulators(server: FastifyInstance, config: Config, providers: ProviderList = PROVIDERS): Promise<SimulatorLedger> {
  const ledger = SimulatorLedger.open(join(config.dataDir, 'simulator.sqlite'));
  const wallet = new SandboxWallet(ledger);
  const notifier = new SimulatorNotifier({ retryBaseMs: config.simNotifyRetryMs, maxAttempts: NOTIFY_MAX_ATTEMPTS, publicUrl: config.publicUrl });
  server.addHook('onClose', async () => notifier.close());
  for (const provider of providers) {
    // Amounts ending in 56: the answer comes after the adapter has given up waiting.
    const slowResponseMs = (config.providerTimeoutMs ?? provider.rules.timeoutMs) + 1_000;
    const plugin = provider.sandbox.simulator({ ledger, wallet, dataDir: config.dataDir, confirmDelayMs: config.simConfirmDelayMs, slowResponseMs, notifier });
    await server.register(plugin, { prefix: simulatorPath(provider.name) });
  }
  // CANCAN_SANDBOX_ROUTES=off: the simulated customer's wallet and the ledger are not served to anyone.
  if (config.sandboxRoutes) await server.register(ledgerRoutes(ledger, wallet, notifier));
  return ledger;
}
