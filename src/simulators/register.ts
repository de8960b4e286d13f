/**
 * Mounts every provider simulator on a server (under /_sim/<provider>) with
 * the sandbox credentials test-mode adapters use, plus the shared ledger
 * and wallet endpoints under /_sandbox (unless CANCAN_SANDBOX_ROUTES=off). Their ledger lives in the data dir, so it outlives a restart.
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
import { alipayPlusSimulator } from '../providers/alipayplus/simulator.js';
import { ALIPAYPLUS_SANDBOX_CLIENT_ID, loadOrCreateAlipayPlusSandboxKeys } from '../providers/alipayplus/keys.js';
import { CARD_SANDBOX_CREDENTIALS } from '../providers/card/adapter.js';
import { cardSimulator } from '../providers/card/simulator.js';
import { UNIONPAY_SANDBOX_MER_ID, loadOrCreateUnionPaySandboxKeys } from '../providers/unionpay/keys.js';
import { unionPaySimulator } from '../providers/unionpay/simulator.js';

export async function registerSimulators(server: FastifyInstance, config: Config): Promise<SimulatorLedger> {
  const ledger = SimulatorLedger.open(join(config.dataDir, 'simulator.sqlite'));
  const wallet = new SandboxWallet(ledger);
  const confirmDelayMs = config.simConfirmDelayMs;
  // Amounts ending in 56: the answer comes after the adapter has given up waiting.
  const slowResponseMs = (provider: ProviderName) => providerRules(provider, config).timeoutMs + 1_000;

  await server.register(wechatPaySimulator({
    ledger, wallet, credentials: [WECHATPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs: slowResponseMs('wechatpay'),
  }), { prefix: '/_sim/wechatpay' });

  const alipayKeys = loadOrCreateAlipaySandboxKeys(config.dataDir);
  await server.register(alipaySimulator({
    ledger,
    wallet,
    apps: [{ appId: ALIPAY_SANDBOX_APP_ID, appPublicKeyPem: alipayKeys.app.publicKeyPem }],
    platformPrivateKeyPem: alipayKeys.platform.privateKeyPem,
    confirmDelayMs,
    slowResponseMs: slowResponseMs('alipay'),
  }), { prefix: '/_sim/alipay' });

  await server.register(linePaySimulator({
    ledger, channels: [LINEPAY_SANDBOX_CREDENTIALS], confirmDelayMs, slowResponseMs: slowResponseMs('linepay'),
  }), { prefix: '/_sim/linepay' });

  const alipayPlusKeys = loadOrCreateAlipayPlusSandboxKeys(config.dataDir);
  await server.register(alipayPlusSimulator({
    ledger, wallet, confirmDelayMs, slowResponseMs: slowResponseMs('alipayplus'),
    clients: [{ clientId: ALIPAYPLUS_SANDBOX_CLIENT_ID, publicKeyPem: alipayPlusKeys.merchant.publicKeyPem }],
    providerPrivateKeyPem: alipayPlusKeys.provider.privateKeyPem,
  }), { prefix: '/_sim/alipayplus' });

  const unionPayKeys = loadOrCreateUnionPaySandboxKeys(config.dataDir);
  await server.register(unionPaySimulator({
    ledger, wallet, confirmDelayMs,
    merchants: [{ merId: UNIONPAY_SANDBOX_MER_ID, publicKeyPem: unionPayKeys.merchant.publicKeyPem }],
    providerPrivateKeyPem: unionPayKeys.unionPay.privateKeyPem,
  }), { prefix: '/_sim/unionpay' });

  await server.register(cardSimulator({ ledger, accounts: [CARD_SANDBOX_CREDENTIALS], slowResponseMs: slowResponseMs('card') }), { prefix: '/_sim/card' });

  // CANCAN_SANDBOX_ROUTES=off: the simulated customer's wallet and the ledger are not served to anyone.
  if (config.sandboxRoutes) await server.register(ledgerRoutes(ledger, wallet));
  return ledger;
}
