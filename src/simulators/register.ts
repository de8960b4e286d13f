/**
 * Mounts every provider simulator on a server (under /_sim/<provider>) with
 * the sandbox credentials test-mode adapters use, plus the shared ledger
 * endpoint. Their ledger lives in the data dir, so it outlives a restart.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { alipaySimulator } from '../providers/alipay/simulator.js';
import { ALIPAY_SANDBOX_APP_ID, loadOrCreateAlipaySandboxKeys } from '../providers/alipay/keys.js';
import type { ProviderName } from '../providers/contract.js';
import { LINEPAY_SANDBOX_CREDENTIALS } from '../providers/linepay/adapter.js';
import { linePaySimulator } from '../providers/linepay/simulator.js';
import { providerRules } from '../providers/registry.js';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../providers/wechatpay/adapter.js';
import { wechatPaySimulator } from '../providers/wechatpay/simulator.js';
import { SimulatorLedger } from './ledger.js';
import { ledgerRoutes } from './routes.js';
import { SandboxWallet } from './wallet.js';

export async function registerSimulators(server: FastifyInstance, config: Config): Promise<SimulatorLedger> {
  const ledger = SimulatorLedger.open(join(config.dataDir, 'simulator.sqlite'));
  const wallet = new SandboxWallet(ledger);
  const confirmDelayMs = config.simConfirmDelayMs;
  // Amounts ending in 56: the answer comes after the adapter has given up waiting.
  const slowResponseMs = (provider: ProviderName) => providerRules(provider, config).timeoutMs + 1_000;

  await server.register(wechatPaySimulator({
    ledger, credentials: [WECHATPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs: slowResponseMs('wechatpay'),
  }), { prefix: '/_sim/wechatpay' });

  const alipayKeys = loadOrCreateAlipaySandboxKeys(config.dataDir);
  await server.register(alipaySimulator({
    ledger,
    apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: alipayKeys.app.publicKeyPem }],
    platformPrivateKeyPem: alipayKeys.platform.privateKeyPem,
    confirmDelayMs,
    slowResponseMs: slowResponseMs('alipay'),
  }), { prefix: '/_sim/alipay' });

  await server.register(linePaySimulator({
    ledger, channels: [LINEPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs: slowResponseMs('linepay'),
  }), { prefix: '/_sim/linepay' });

  await server.register(ledgerRoutes(ledger, wallet));
  return ledger;
}
