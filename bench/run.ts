/**
 * `npm run bench`: POS sale acknowledgements and end-to-end sales per second of
 * CanCan on SQLite and PostgreSQL, against a bare-fastify ceiling under the
 * same load; prints each figure with its target and writes docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeMachine, loadAverage } from './machine.js';
import { formatMarkdown } from './markdown.js';
import { type BenchReport, formatForTerminal } from './report.js';
import { type CanCanRun, type Experiment, type Layout, runCanCan, runCeiling } from './scenarios.js';
import { type BenchSettings, USAGE, readSettings } from './settings.js';
import { measureCommitRates } from './sqlite-commits.js';

const say = (text: string) => process.stderr.write(`${text}\n`);

/** Always run: what a plain `npm start` does, simulators inside the server (the headline rows run them apart, as real providers are). */
const IN_PROCESS: Experiment = { name: 'simulators in-process', inProcessSimulators: true };
/** With --experiments. */
const EXPERIMENTS: readonly Experiment[] = [{ name: 'data dir on tmpfs (fsync free)', sqliteRoot: '/dev/shm' }];

async function measure(
  kind: CanCanRun['kind'],
  workerConcurrency: number,
  settings: BenchSettings,
  experiment: Experiment | null = null,
  layout: Layout = { kind: 'single' },
): Promise<CanCanRun> {
  const shape = layout.kind === 'scale-out' ? `, ${layout.apiProcesses} API + ${layout.workerProcesses} worker processes` : '';
  say(`CanCan on ${kind}${shape}, worker concurrency ${workerConcurrency}${experiment ? `, experiment: ${experiment.name}` : ''}…`);
  const run = await runCanCan(kind, workerConcurrency, settings, experiment, layout);
  const drain = `${run.endToEnd.drainSeconds.toFixed(0)} s drain`;
  say(
    `  ${Math.round(run.load.createdPerSecond)} acks/s, p99 ${run.load.latencyMs.p99} ms, ${Math.round(run.endToEnd.perSecond)} sales/s end to end (${drain})`,
  );
  return run;
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  if (settings.profileDir) mkdirSync(settings.profileDir, { recursive: true });
  const startedAt = new Date();
  const before = loadAverage();
  const machine = await describeMachine(settings.databases.includes('postgres'));
  say(`${machine.cpuCount} × ${machine.cpuModel}, Node ${machine.node}; load average ${before.toFixed(2)}`);

  say('bare-fastify ceiling…');
  const firstCeiling = await runCeiling(settings);
  const runs: CanCanRun[] = [];
  for (const kind of settings.databases) {
    for (const workerConcurrency of settings.workerConcurrencies) runs.push(await measure(kind, workerConcurrency, settings));
  }
  const workerConcurrency = settings.workerConcurrencies[0] ?? 16;
  if (settings.scaleOut && settings.databases.includes('postgres')) {
    runs.push(await measure('postgres', workerConcurrency, settings, null, { kind: 'scale-out', ...settings.scaleOut }));
  }
  const firstKind = settings.databases[0] ?? 'sqlite';
  runs.push(await measure(firstKind, workerConcurrency, settings, IN_PROCESS));
  if (settings.experiments) {
    for (const experiment of EXPERIMENTS) runs.push(await measure('sqlite', workerConcurrency, settings, experiment));
  }
  // Measured again at the end, keeping the better: a burst of other work on a shared machine must not lower the bar.
  say('bare-fastify ceiling again…');
  const lastCeiling = await runCeiling(settings);
  const ceiling = lastCeiling.load.createdPerSecond > firstCeiling.load.createdPerSecond ? lastCeiling : firstCeiling;
  if (settings.commitExperiment) say('raw SQLite commit rates…');
  const commits = settings.commitExperiment ? measureCommitRates(settings.quick ? 1 : 2) : null;

  const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
  const report: BenchReport = { settings, machine, startedAt, elapsedS, loadAverage: { before, after: loadAverage() }, ceiling, runs, commits };
  process.stdout.write(`\n${formatForTerminal(report)}`);
  if (settings.reportPath) {
    mkdirSync(dirname(settings.reportPath), { recursive: true });
    writeFileSync(settings.reportPath, formatMarkdown(report));
    say(`\nwrote ${settings.reportPath}`);
  }
  if (settings.profileDir) say(`CPU profiles in ${settings.profileDir}: node dist/bench/profile-summary.js ${settings.profileDir}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  if (error instanceof TypeError && /parseArgs|ERR_PARSE_ARGS/.test(String(error))) process.stderr.write(USAGE);
  process.exit(1);
});
