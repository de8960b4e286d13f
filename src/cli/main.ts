#!/usr/bin/env node
/** The operator CLI: `cancan <command>`. Every command but serve accepts --json for scripts. */
import { parseArgs } from 'node:util';
import { startApp } from '../app.js';
import { createDemoMerchantIfEmpty, demoBanner } from '../bootstrap.js';
import { ConfigError, loadConfig } from '../config.js';
import { startSimulatorServer } from '../simulators/server.js';
import { runAdminCommand, UsageError, USAGE } from './admin.js';

async function serve(): Promise<void> {
  const config = loadConfig();
  const app = await startApp(config);
  const demo = config.demo ? await createDemoMerchantIfEmpty(app.deps) : null;
  if (demo) process.stdout.write(`${demoBanner(demo, config.publicUrl ?? app.url)}\n`);
  app.deps.log.info({ url: app.url, database: app.deps.store.dialect, simulators: config.simulators }, 'CanCan is listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.deps.log.info({ signal }, 'shutting down');
    app.close().then(() => process.exit(0), (error: unknown) => {
      app.deps.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'simulators') {
    parseArgs({ args: rest, options: {}, strict: true });
    const simulators = await startSimulatorServer(loadConfig());
    process.stdout.write(`Provider simulators listening at ${simulators.url} (point CANCAN_SIMULATOR_URL at it)\n`);
    const stop = () => void simulators.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  if (command === 'serve') {
    parseArgs({ args: rest, options: {}, strict: true });
    return serve();
  }
  const output = await runAdminCommand(loadConfig(), command, rest);
  process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`cancan: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`cancan: ${message}\n`);
  process.exit(1);
});
