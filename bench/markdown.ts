/** docs/benchmarks.md: machine, settings, figures, targets, experiments and how to run it. */
import { type BenchReport, bestConcurrency, ceilingLine, figuresOf, isHeadline, mb, ms, percent, runTitle, statementsText, whole } from './report.js';
import { readFileSync } from 'node:fs';
import type { CanCanRun } from './scenarios.js';

/** The hand-written reading of the figures (bench/limits.md), kept across runs: what limits them and what it would take. */
function limitsSection(): string[] {
  const text = readFileSync(new URL('../../bench/limits.md', import.meta.url), 'utf8').trim();
  return ['', '## What limits these figures', '', `_Written by hand from a run's profile; check it against the figures above._`, '', text];
}

function figureRow(run: CanCanRun, ceilingPerSecond: number): string {
  const { load, endToEnd: e2e, memory } = run;
  return [
    runTitle(run),
    whole(load.createdPerSecond),
    percent(load.createdPerSecond / ceilingPerSecond),
    ms(load.latencyMs.p50),
    ms(load.latencyMs.p99),
    `${whole(e2e.perSecond)}/s (${e2e.drainSeconds.toFixed(1)} s drain${e2e.failed ? `, ${e2e.failed} failed` : ''})`,
    `${run.cpuMsPerSale.toFixed(2)} ms`,
    statementsText(run),
    `${mb(memory.rssBytes)} (${mb(memory.peakRssBytes)})`,
    mb(memory.heapUsedBytes),
  ].join(' | ');
}

function figuresTable(runs: readonly CanCanRun[], ceilingPerSecond: number): string[] {
  return [
    '| Run | Acks/s | Of ceiling | p50 | p99 | End to end | Server CPU per sale | SQL per sale | RSS at end (peak) | Heap used |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((run) => `| ${figureRow(run, ceilingPerSecond)} |`),
  ];
}

export function formatMarkdown(report: BenchReport): string {
  const { settings: s, machine: m } = report;
  const production = report.runs.filter(isHeadline);
  const scaleOut = report.runs.filter((run) => run.experiment === null && run.layout.kind === 'scale-out');
  const experiments = report.runs.filter((run) => run.experiment !== null);
  const ceilingPerSecond = report.ceiling.load.createdPerSecond;
  const targets = production.flatMap((run) =>
    figuresOf(run, report.ceiling)
      .filter((f) => f.target !== null)
      .map((f) => `| ${runTitle(run)} | ${f.name} | ${f.value} | ${f.target} | ${f.met ? 'met' : '**missed**'} |`),
  );
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${report.startedAt.toISOString()} in ${(report.elapsedS / 60).toFixed(1)} min${s.quick ? ' (a **quick** run: short durations, rough figures)' : ''}.`,
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpuModel}, ${m.cpuCount} cores, shared by the load generator (autocannon), the servers and PostgreSQL`,
    `- Memory: ${m.memoryGiB.toFixed(1)} GiB; ${m.os}`,
    `- Node.js ${m.node}; SQLite ${m.sqlite}${m.postgres ? `; ${m.postgres.split(' on ')[0]}` : ''}`,
    `- 1-minute load average ${report.loadAverage.before.toFixed(2)} before the run and ${report.loadAverage.after.toFixed(2)} after`,
    '  (the bench alone keeps it near 2; well above that, other work shared the CPU and the figures are low and noisy)',
    '',
    '## Settings',
    '',
    `- Load: autocannon, ${s.connections} connections, ${s.durationS} s measured after a ${s.warmupS} s warm-up; every request a new sale`,
    '  (`wechatpay_cn_domestic`, 1000 CNY: the simulator pays at once) with a unique id. Every 201 is durable: the sale is committed first.',
    '- Servers are child processes (`node dist/src/cli/main.js serve`), each on a fresh SQLite data dir or a fresh PostgreSQL database,',
    '  with `LOG_LEVEL=warn`, `CANCAN_DEMO=off`, `CANCAN_RATE_LIMIT_PER_SECOND` and `CANCAN_RATE_LIMIT_BURST` at 1e9;',
    '  the merchant and its key come from `cancan merchant create --json`.',
    '- The provider simulators run in a process of their own (`cancan simulators`, `CANCAN_SIMULATORS=off` and',
    "  `CANCAN_SIMULATOR_URL` on the server), as real providers are remote: the server CPU per sale is then CanCan's own",
    '  (the simulator process shares the same cores). One extra row runs them inside the server, as a plain `npm start` does.',
    `- CANCAN_WORKER_CONCURRENCY tried: ${s.workerConcurrencies.join(', ')} (one server and database each).`,
    '- End to end: sales per second from the first measured request until no sale is pending (the bench reads the database itself,',
    '  not the API); "drain" is how long that took after the load stopped.',
    '- Ceiling: `bench/bare-server.ts`, fastify with one JSON POST route answering 201, under the same load; measured before',
    '  and after the CanCan runs, the better of the two kept.',
    '- Server CPU per sale: user + system time of the server process (all its threads) over the measured run and its drain, per',
    '  sale (acknowledgement and processing together; the simulators too in the in-process row); less swayed by other work on the',
    '  machine than the rates, though a busy machine inflates it too.',
    '- SQL per sale: the statements the server ran (better-sqlite3 statement runs, pg queries; worker threads included). When a',
    '  server processes in worker threads, the split in brackets is its main thread (acknowledging, and the simulators when they',
    '  are in-process) against its worker threads (processing).',
    '- Memory: RSS from /proc/<pid>/status, heap used after a full GC from process.memoryUsage() (preloaded `bench/probe.ts`,',
    '  servers run with --expose-gc), after the drain.',
    '',
    '## Figures',
    '',
    `Bare-fastify ceiling: ${ceilingLine(report.ceiling)}.`,
    '',
    ...figuresTable(production, ceilingPerSecond),
    '',
    ...bestConcurrency(report.runs).flatMap((line, index, all) => [`- ${line}`, ...(index === all.length - 1 ? [''] : [])]),
    ...(scaleOut.length
      ? [
          '## Scale-out (PostgreSQL)',
          '',
          'N `cancan serve --role api` processes and M `cancan serve --role worker` processes on one PostgreSQL database, the',
          'simulators in their own process; autocannon spreads its connections round-robin over the API processes. SQL per sale',
          "is split into the API processes' statements and the workers'; CPU, RSS and heap are the server processes' sums.",
          'On one 2-core machine this measures the cost of the processes working together, not extra capacity: the path past one machine.',
          '',
          ...figuresTable(scaleOut, ceilingPerSecond),
          '',
        ]
      : []),
    '## Targets',
    '',
    '| Run | Figure | Value | Target | |',
    '|---|---|---|---|---|',
    ...targets,
    ...(experiments.length
      ? [
          '',
          '## Other setups (not the headline settings)',
          '',
          'The provider simulators inside the server, as a plain `npm start` runs them (their ledger writes and HTTP handling',
          "then share the server's event loop and CPU figure); with `--experiments`, the data dir on tmpfs, where fsync costs",
          'nothing (the most that batching commits, group commit, could save).',
          '',
          ...figuresTable(experiments, ceilingPerSecond),
        ]
      : []),
    ...(report.commits
      ? [
          '',
          '## Durable commits in raw better-sqlite3',
          '',
          'Sale-shaped writes (transaction row, event, job) straight into better-sqlite3 in WAL mode: what one process can commit',
          'when every sale is its own fsync and when several sales share one commit (group commit).',
          '',
          '| synchronous | sales per commit | sales/s | commits/s |',
          '|---|---|---|---|',
          ...report.commits.map((c) => `| ${c.synchronous} | ${c.salesPerCommit} | ${whole(c.salesPerSecond)} | ${whole(c.commitsPerSecond)} |`),
        ]
      : []),
    ...limitsSection(),
    '',
    '## Running it',
    '',
    '```sh',
    'npm run bench                       # 10 s per run after 2 s warm-ups, SQLite and PostgreSQL; writes this file',
    'npm run bench -- --quick --out -    # 3 s runs, report on the terminal only',
    'npm run bench -- --databases sqlite --concurrency 16,64 --duration 20 --experiments',
    'npm run bench -- --databases postgres --scale-out 3x1   # 3 API + 1 worker processes (off: no scale-out run)',
    'npm run bench -- --profile /tmp/cancan-prof   # CPU profiles of the servers and SQLite statement timings, then:',
    'node dist/bench/profile-summary.js /tmp/cancan-prof',
    'node dist/bench/sqlite-commits.js 2          # the raw commit-rate experiment alone',
    '```',
    '',
    'Environment equivalents: `BENCH_DURATION`, `BENCH_WARMUP`, `BENCH_CONNECTIONS`, `BENCH_DATABASES`, `BENCH_WORKER_CONCURRENCY`,',
    '`BENCH_PROFILE_DIR`, `BENCH_EXPERIMENTS=1`, `BENCH_SCALE_OUT`, `BENCH_OUT`, `BENCH_QUICK=1`. PostgreSQL is reached at `CANCAN_TEST_PG_URL`',
    '(default `postgres://postgres@127.0.0.1:5432/postgres`) to create and drop a database per run; nothing else is needed.',
    '',
  ].join('\n');
}
