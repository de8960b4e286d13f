#!/usr/bin/env node
/** The operator CLI: `cancan <command>`. The database commands (admin.ts) accept --json for scripts. */
import { startApp } from '../app.js';
import { createDemoMerchantIfEmpty, demoBanner } from '../bootstrap.js';
import { ConfigError, ROLES, type Role, loadConfig } from '../config.js';
import { startSimulatorServer } from '../simulators/server.js';
import { parseFlags, runAdminCommand } from './admin.js';
import { errorCode } from './errors.js';
import { listen } from './listen.js';
import { reconcileCommand } from './reconcile.js';
import { UsageError, helpFor, resolveCommand, usageLine, usageText, version } from './usage.js';

/** Past the grace period, shutdown gets this much longer before the process leaves regardless. */
const SHUTDOWN_SLACK_MS = 5_000;

function parseServeArgs(args: string[]): { role?: Role } {
  const { values, positionals } = parseFlags('serve', args);
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
  if (values.role === undefined) return {};
  if (!(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${values.role}`);
  return { role: values.role as Role };
}

async function serve(args: string[]): Promise<void> {
  const flags = parseServeArgs(args);
  const loaded = loadConfig();
  // The flag wins over CANCAN_ROLE.
  const config = { ...loaded, role: flags.role ?? loaded.role };
  // Processing in a thread of its own (role all): acknowledgements never wait behind it. If that thread dies,
  // the process exits so that its supervisor restarts it (its jobs' leases expire and are resumed).
  const onProcessingLost = () => setImmediate(() => process.exit(1));
  const app = await startApp(config, { waitForDatabase: false, processing: config.processing ?? 'thread', onProcessingLost }).catch((error: unknown) => {
    const busy = portInUse(error, config);
    throw busy ? new Error(busy) : error;
  });
  const log = app.deps.log;
  log.info(
    { url: app.url, role: app.role, database: app.deps.store.dialect, simulators: config.simulators, processing: app.processing },
    'CanCan is listening',
  );
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

/** A port some other process holds: which one, and the setting that moves it. */
function portInUse(error: unknown, config: { port: number; metricsPort: number | null }): string | null {
  if (errorCode(error) !== 'EADDRINUSE') return null;
  const port = (error as { port?: number }).port;
  const setting = port !== undefined && port === config.metricsPort && port !== config.port ? 'CANCAN_METRICS_PORT' : 'PORT';
  return `port ${port ?? config.port} is already in use (another CanCan or another program listens on it): stop that process or set ${setting} to a free port`;
}

async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`cancan ${version()}\n`);
    return;
  }
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(usageText());
    return;
  }
  // `cancan help key create` and `cancan key create --help` (before any flag parsing, so a half-typed command still gets help).
  const helpWords = command === 'help' ? argv.slice(1) : argv.includes('--help') || argv.includes('-h') ? argv.filter((a) => !a.startsWith('-')) : null;
  if (helpWords !== null) {
    if (helpWords.length === 0) return void process.stdout.write(usageText());
    const help = helpFor(helpWords.slice(0, 2)) ?? helpFor(helpWords.slice(0, 1));
    if (help === null) throw new UsageError(`no command ${helpWords.join(' ')}`);
    process.stdout.write(help);
    return;
  }
  const { name, rest } = resolveCommand(argv);
  try {
    await runCommand(name, rest);
  } catch (error) {
    if (error instanceof UsageError && error.command === undefined) error.command = name;
    throw error;
  }
}

async function runCommand(name: string, rest: string[]): Promise<void> {
  if (name === 'simulators') {
    const { positionals } = parseFlags('simulators', rest);
    if (positionals.length > 0) throw new UsageError(`simulators takes no arguments, got ${positionals.join(' ')}`);
    const config = loadConfig();
    const simulators = await startSimulatorServer(config).catch((error: unknown) => {
      const busy = portInUse(error, config);
      throw busy ? new Error(busy) : error;
    });
    process.stdout.write(`Provider simulators listening at ${simulators.url} (point CANCAN_SIMULATOR_URL at it)\n`);
    const stop = () => void simulators.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  if (name === 'serve') return serve(rest);
  if (name === 'listen') return listen(parseFlags('listen', rest));
  if (name === 'reconcile') {
    const { output, exitCode } = await reconcileCommand(rest);
    process.stdout.write(`${output}\n`);
    process.exitCode = exitCode;
    return;
  }
  const output = await runAdminCommand(loadConfig(), name, rest);
  process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${usageLine(error)}\n`);
    process.exit(2);
  }
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`cancan: ${message}\n`);
  process.exit(1);
});
