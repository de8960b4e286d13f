#!/usr/bin/env node
/** The operator CLI: `cancan <command>`. The database commands (admin.ts) accept --json for scripts. */
import { parseArgs } from 'node:util';
import { startApp } from '../app.js';
import { createDemoMerchantIfEmpty, demoBanner } from '../bootstrap.js';
import { ConfigError, ROLES, type Role, loadConfig } from '../config.js';
import { startSimulatorServer } from '../simulators/server.js';
import { runAdminCommand, UsageError, USAGE } from './admin.js';

/** Past the grace period, shutdown gets this much longer before the process leaves regardless. */
const SHUTDOWN_SLACK_MS = 5_000;

function parseServeArgs(args: string[]): { role?: Role } {
  let values: { role?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { role: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.role === undefined) return {};
  if (!(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return { role: values.role as Role };
}

async function serve(args: string[]): Promise<void> {
  const flags = parseServeArgs(args);
  const loaded = loadConfig();
  // The flag wins over CANCAN_ROLE.
  const config = { ...loaded, role: flags.role ?? loaded.role };
  const app = await startApp(config, { waitForDatabase: false });
  const log = app.deps.log;
  log.info({ url: app.url, role: app.role, database: app.deps.store.dialect, simulators: config.simulators }, 'CanCan is listening');
  // A stray rejection (say, from a database call during an outage) must not take the server down.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  void app.ready
    .then(async () => {
      log.info({ role: app.role }, 'database ready; serving');
      if (!config.demo || app.role === 'worker') return;
      const demo = await createDemoMerchantIfEmpty(app.deps);
      if (demo) process.stdout.write(`${demoBanner(demo, config.publicUrl ?? app.url)}\n`);
    })
    .catch((error: unknown) => log.error({ err: error }, 'creating the demo merchant failed'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({}, 'shutdown took longer than the grace period; leaving anyway (leases expire by themselves)');
      process.exit(1);
    }, config.shutdownGraceMs + SHUTDOWN_SLACK_MS).unref();
    app.close().then(
      () => {
        log.info({}, 'shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
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
    if (rest.length > 0) throw new UsageError(`simulators takes no arguments, got ${rest.join(' ')}`);
    const simulators = await startSimulatorServer(loadConfig());
    process.stdout.write(`Provider simulators listening at ${simulators.url} (point CANCAN_SIMULATOR_URL at it)\n`);
    const stop = () => void simulators.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  if (command === 'serve') return serve(rest);
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
