/** The figures against their targets, and the terminal report (docs/benchmarks.md is bench/markdown.ts). */
import type { Machine } from './machine.js';
import type { CanCanRun, CeilingRun } from './scenarios.js';
import type { BenchSettings } from './settings.js';
import type { CommitRate } from './sqlite-commits.js';

export interface BenchReport {
  readonly settings: BenchSettings;
  readonly machine: Machine;
  readonly startedAt: Date;
  /** How long the whole bench took (the drains grow when acknowledging outruns processing). */
  readonly elapsedS: number;
  /** 1-minute load averages before and after: how much else was running. */
  readonly loadAverage: { readonly before: number; readonly after: number };
  readonly ceiling: CeilingRun;
  readonly runs: readonly CanCanRun[];
  readonly commits: readonly CommitRate[] | null;
}

export interface Figure {
  readonly name: string;
  readonly value: string;
  readonly target: string | null;
  readonly met: boolean | null;
}

export const TARGETS = {
  ackShareOfCeiling: { sqlite: 0.4, postgres: 0.2 },
  p99Ms: 25,
  endToEndPerSecond: { sqlite: 2_000, postgres: null },
  rssBytes: 300 * 2 ** 20,
} as const;

export const whole = (n: number) => Math.round(n).toLocaleString('en-US');
/** A share as a percentage, with a decimal when it is small. */
export const percent = (share: number) => `${share < 0.1 ? (share * 100).toFixed(1) : whole(share * 100)}%`;
export const mb = (bytes: number) => `${whole(bytes / 2 ** 20)} MB`;
export const ms = (n: number) => `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`;
const dbName = (kind: string) => (kind === 'sqlite' ? 'SQLite' : 'PostgreSQL');
const layoutName = (run: CanCanRun) =>
  run.layout.kind === 'scale-out' ? `, ${run.layout.apiProcesses} API + ${run.layout.workerProcesses} worker processes` : '';
export const runTitle = (run: CanCanRun) =>
  `${dbName(run.kind)}${layoutName(run)}, CANCAN_WORKER_CONCURRENCY=${run.workerConcurrency}${run.experiment ? `, experiment: ${run.experiment.name}` : ''}`;
/** Statements per sale, split between the API and the worker processes when they are apart. */
export const statementsText = (run: CanCanRun) => {
  const split = run.statementSplit;
  if (split === null) return run.statementsPerSale.toFixed(1);
  const [ack, processing] = split.by === 'process' ? ['API processes', 'worker processes'] : ['main thread', 'worker threads'];
  return `${run.statementsPerSale.toFixed(1)} (${split.ack.toFixed(1)} ${ack} + ${split.processing.toFixed(1)} ${processing})`;
};
/** Several server processes: their memory is a sum. */
export const memoryText = (run: CanCanRun) =>
  `RSS ${mb(run.memory.rssBytes)} (peak ${mb(run.memory.peakRssBytes)}), heap used ${mb(run.memory.heapUsedBytes)}${run.serverProcesses > 1 ? `, ${run.serverProcesses} server processes together` : ''}`;

/** The targets are for the headline rows (one server, simulators apart): experiments and the scale-out are shown without verdicts. */
export const isHeadline = (run: CanCanRun) => run.experiment === null && run.layout.kind === 'single';

export function figuresOf(run: CanCanRun, ceiling: CeilingRun): Figure[] {
  const figures = productionFigures(run, ceiling);
  return isHeadline(run) ? figures : figures.map((figure) => ({ ...figure, target: null, met: null }));
}

function productionFigures(run: CanCanRun, ceiling: CeilingRun): Figure[] {
  const share = run.load.createdPerSecond / ceiling.load.createdPerSecond;
  const shareTarget = TARGETS.ackShareOfCeiling[run.kind];
  const e2eTarget = TARGETS.endToEndPerSecond[run.kind];
  const e2e = run.endToEnd;
  const problems = [...Object.entries(run.load.otherStatuses).map(([status, n]) => `${n} × ${status}`), run.load.errors ? `${run.load.errors} errors` : '']
    .filter(Boolean)
    .join(', ');
  return [
    {
      name: 'acknowledgements',
      value: `${whole(run.load.createdPerSecond)}/s = ${percent(share)} of the bare-fastify ceiling`,
      target: `≥ ${shareTarget * 100}%`,
      met: share >= shareTarget,
    },
    { name: 'latency p50', value: ms(run.load.latencyMs.p50), target: null, met: null },
    { name: 'latency p99', value: ms(run.load.latencyMs.p99), target: `< ${TARGETS.p99Ms} ms`, met: run.load.latencyMs.p99 < TARGETS.p99Ms },
    {
      name: 'end to end',
      value: `${whole(e2e.perSecond)} sales/s (${whole(e2e.sales)} sales final in ${e2e.seconds.toFixed(1)} s, ${e2e.drainSeconds.toFixed(1)} s of it after the load${e2e.failed ? `, ${e2e.failed} failed` : ''})`,
      target: e2eTarget === null ? null : `≥ ${whole(e2eTarget)}/s`,
      met: e2eTarget === null ? null : e2e.perSecond >= e2eTarget && e2e.failed === 0,
    },
    {
      name: 'server CPU per sale',
      value: `${run.cpuMsPerSale.toFixed(2)} ms (one core busy with nothing else: ≈ ${whole(1000 / run.cpuMsPerSale)} sales/s)`,
      target: null,
      met: null,
    },
    { name: 'SQL statements per sale', value: statementsText(run), target: null, met: null },
    // The RSS target is for one server; a scale-out's processes each start their own runtime.
    run.serverProcesses > 1
      ? { name: 'server memory', value: memoryText(run), target: null, met: null }
      : { name: 'server memory', value: memoryText(run), target: `RSS < ${mb(TARGETS.rssBytes)}`, met: run.memory.rssBytes < TARGETS.rssBytes },
    ...(problems ? [{ name: 'answers other than 201', value: problems, target: 'none', met: false }] : []),
  ];
}

export function ceilingLine(ceiling: CeilingRun): string {
  const { load, memory } = ceiling;
  return `${whole(load.createdPerSecond)} answers/s, p50 ${ms(load.latencyMs.p50)}, p99 ${ms(load.latencyMs.p99)}, RSS ${mb(memory.rssBytes)}`;
}

/** Per database: which worker concurrency did better (end to end; on a tie within 5 %, the one that acknowledged more). */
export function bestConcurrency(runs: readonly CanCanRun[]): string[] {
  const kinds = [...new Set(runs.map((run) => run.kind))];
  return kinds.flatMap((kind) => {
    const mine = runs.filter((run) => run.kind === kind && isHeadline(run));
    const [best, next] = [...mine].sort((a, b) => b.endToEnd.perSecond - a.endToEnd.perSecond);
    if (!best || !next) return [];
    const list = (figure: (run: CanCanRun) => number) => mine.map((run) => `${run.workerConcurrency}: ${whole(figure(run))}/s`).join(', ');
    const e2e = `end to end ${list((run) => run.endToEnd.perSecond)}`;
    const acks = `acknowledgements ${list((run) => run.load.createdPerSecond)}`;
    if (best.endToEnd.perSecond >= next.endToEnd.perSecond * 1.05)
      return [`${dbName(kind)}: CANCAN_WORKER_CONCURRENCY=${best.workerConcurrency} is better (${e2e}; ${acks})`];
    const favourite = mine.reduce((a, b) => (b.load.createdPerSecond > a.load.createdPerSecond ? b : a));
    return [`${dbName(kind)}: CANCAN_WORKER_CONCURRENCY=${favourite.workerConcurrency} is better: the same end to end within 5 % (${e2e}) but more ${acks}`];
  });
}

const verdict = (figure: Figure) => (figure.target === null ? '' : ` (target ${figure.target}: ${figure.met ? 'met' : 'MISSED'})`);

export function formatForTerminal(report: BenchReport): string {
  const lines = [`bare-fastify ceiling: ${ceilingLine(report.ceiling)}`];
  for (const run of report.runs) {
    lines.push('', `${runTitle(run)}:`);
    for (const figure of figuresOf(run, report.ceiling)) lines.push(`  ${figure.name}: ${figure.value}${verdict(figure)}`);
  }
  const best = bestConcurrency(report.runs);
  if (best.length) lines.push('', ...best);
  for (const run of report.runs.filter((r) => r.sqlTiming.length > 0)) {
    lines.push('', `${runTitle(run)}: time in SQLite statements per sale (wall clock, fsync included):`, ...sqlTimingLines(run).map((line) => `  ${line}`));
  }
  if (report.commits)
    lines.push('', 'raw better-sqlite3 sale commits (WAL):', ...report.commits.map((c) => `  ${commitLabel(c)}: ${whole(c.salesPerSecond)} sales/s`));
  lines.push('', `load average (1 min): ${report.loadAverage.before.toFixed(2)} before, ${report.loadAverage.after.toFixed(2)} after`);
  lines.push(`the bench took ${(report.elapsedS / 60).toFixed(1)} min`);
  return `${lines.join('\n')}\n`;
}

function sqlTimingLines(run: CanCanRun, top = 12): string[] {
  const total = run.sqlTiming.reduce((sum, entry) => sum + entry.ms, 0);
  return [
    `${total.toFixed(2)} ms per sale in ${run.sqlTiming.reduce((sum, entry) => sum + entry.calls, 0).toFixed(1)} statements; the most expensive:`,
    ...run.sqlTiming.slice(0, top).map((e) => `${e.ms.toFixed(3)} ms, ${e.calls.toFixed(2)}×  ${e.sql.slice(0, 110)}`),
  ];
}

const commitLabel = (c: CommitRate) => `synchronous=${c.synchronous}, ${c.salesPerCommit} sale${c.salesPerCommit > 1 ? 's' : ''} per commit`;
