/**
 * The WeChat Pay simulator as a live host of its own, over HTTPS: a separate
 * process serving /_sim/wechatpay (and the sandbox ledger) with the server
 * certificate of a test CA, asking clients for their certificate so the
 * secapi paths can check it. Run with node; prints its URL when listening.
 *
 *   WECHAT_SIM_TLS_DIR    the test CA's directory (ca.pem, server.pem, server.key)
 *   WECHAT_SIM_MERCHANTS  JSON array of the merchants it accepts
 *   CANCAN_DATA_DIR       where its ledger lives
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { WeChatPayCredentials } from '../../src/providers/wechatpay/credentials.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { ledgerRoutes } from '../../src/simulators/routes.js';
import { SimulatorNotifier } from '../../src/simulators/notify-sender.js';
import { SandboxWallet } from '../../src/simulators/wallet.js';

// Only when started for it: a test runner that walks test/ may load this file too.
if (process.env.WECHAT_SIM_TLS_DIR !== undefined) await main(process.env.WECHAT_SIM_TLS_DIR);

async function main(tlsDir: string): Promise<void> {
  const merchants = JSON.parse(process.env.WECHAT_SIM_MERCHANTS ?? '[]') as WeChatPayCredentials[];
  const ledger = SimulatorLedger.open(join(process.env.CANCAN_DATA_DIR ?? '.', 'simulator.sqlite'));
  const wallet = new SandboxWallet(ledger);

  const app = Fastify({
    https: {
      key: readFileSync(join(tlsDir, 'server.key')),
      cert: readFileSync(join(tlsDir, 'server.pem')),
      ca: readFileSync(join(tlsDir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: false,
    },
  });
  await app.register(wechatPaySimulator({ ledger, wallet, credentials: merchants, confirmDelayMs: 300, slowResponseMs: 2_000 }), { prefix: '/_sim/wechatpay' });
  const notifier = new SimulatorNotifier({ retryBaseMs: 200, maxAttempts: 5, publicUrl: null });
  app.addHook('onClose', async () => notifier.close());
  await app.register(ledgerRoutes(ledger, wallet, notifier));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('not listening');
  process.stdout.write(`listening https://127.0.0.1:${address.port}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
