/**
 * The shape of one engine case and the few helpers that judge it. Every
 * expectation about timing, traces and logs goes through a helper here, so a
 * change of retry policy or of how calls are recorded is adapted in one place.
 */
import assert from 'node:assert/strict';
import type { FailureCode } from '../../src/domain/failures.js';
import type { ProcessingStep, TransactionState } from '../../src/domain/states.js';
import type { Job } from '../../src/jobs/queue.js';
import type { TransactionRow } from '../../src/store/transactions.js';
import { type Behaviour, type CallName, type Calls } from '../support/fake-adapter.js';
import {
  type EngineWorld,
  LEASE_MS,
  POLL_MS,
  WORKER_A,
  WORKER_B,
  claim,
  lastJobEnd,
  openJob,
  recordedCalls,
  row,
  runClaimed,
  runDueStep,
  until,
} from '../support/engine.js';

export type Kind = 'sale' | 'void' | 'refund' | 'wallet charge' | 'card charge' | 'cancel' | 'charge refund';

/**
 * What a provider call can come to. `refused` is the adapter contract's
 * `rejected` outcome (the provider rejects the request itself: bad
 * credentials, a missing certificate); its cases are in refused-cases.ts.
 */
export const OUTCOME_CLASSES = ['definite', 'unknown', 'timeout', 'throws', 'lease lost', 'crash', 'refused'] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

/** The transaction whose job runs, and the rows around it (its sale, charge, void, cancel). */
export interface Subject {
  readonly seq: number;
  readonly related: Readonly<Record<string, number>>;
}
export type Arrange = (w: EngineWorld) => Promise<Subject>;

/** A row around the subject, by the name its arrangement gave it. */
export function related(s: Subject, name: string): number {
  const seq = s.related[name];
  if (seq === undefined) throw new Error(`the case has no ${name}`);
  return seq;
}

/** When the transaction's job runs next, relative to the clock once the step is over. */
export type NextRun =
  | 'done'
  | 'now'
  /** The step's poll interval. */
  | 'poll'
  /** The growing delay of a retried failure, after the job's attempts so far. */
  | 'backoff'
  | { readonly in: number }
  /** Still held by a worker (its lease was taken over). */
  | { readonly heldBy: string };

export interface Expected {
  readonly state: TransactionState;
  readonly step: ProcessingStep;
  readonly failure?: { readonly code: FailureCode; readonly detail: string } | null;
  readonly next: NextRun;
  /** The adapter calls made, in order (and no others). */
  readonly calls: readonly CallName[];
}

export interface Line {
  readonly call: CallName;
  readonly behaviour: Behaviour<CallName>;
  readonly during?: () => Promise<void>;
}

export const answer = <K extends CallName>(call: K, outcome: Calls[K]['outcome']): Line => ({ call, behaviour: { answer: outcome } });
export const timesOut = (call: CallName): Line => ({ call, behaviour: { timeout: true } });
export const ADAPTER_FAILURE = 'adapter failed unexpectedly';
export const throwsError = (call: CallName): Line => ({ call, behaviour: { throws: ADAPTER_FAILURE } });
export const hangs = (call: CallName): Line => ({ call, behaviour: { hang: true } });

export function script(w: EngineWorld, lines: readonly Line[]): void {
  for (const line of lines) w.provider.expect(line.call, line.behaviour, line.during);
}

export interface Case {
  readonly kind: Kind;
  readonly step: string;
  readonly outcome: OutcomeClass;
  readonly title: string;
  readonly run: (w: EngineWorld) => Promise<void>;
}

export interface Spec {
  readonly arrange: Arrange;
  readonly script?: readonly Line[];
  /** The step under test; by default the job runs once when due. */
  readonly act?: (w: EngineWorld, s: Subject) => Promise<void>;
  readonly expect: Expected;
  /** Exact checks of the rows around the transaction. */
  readonly also?: (w: EngineWorld, s: Subject) => Promise<void>;
}

export function stepCase(kind: Kind, step: string, outcome: OutcomeClass, title: string, spec: Spec): Case {
  return {
    kind,
    step,
    outcome,
    title,
    async run(w) {
      const s = await spec.arrange(w);
      const from = w.provider.calls.length;
      script(w, spec.script ?? []);
      await (spec.act ?? ((world, subject) => runDueStep(world, subject.seq)))(w, s);
      await assertStep(w, s.seq, spec.expect, from);
      await spec.also?.(w, s);
    },
  };
}

/**
 * The wait after an open outcome or a failed step (src/jobs/retry-policy.ts, no jitter in these tests):
 * as long as the step has been retrying, at least the poll interval, at most a minute. A job whose
 * transaction keeps no retry start (it has ended) doubles from the poll interval per run instead.
 */
export function retryDelay(retryingForMs: number | null, attempts: number): number {
  if (retryingForMs === null) return Math.min(POLL_MS * 2 ** Math.min(Math.max(attempts - 1, 0), 10), 60_000);
  return Math.min(Math.max(POLL_MS, retryingForMs), 60_000);
}

function expectedDelay(next: Exclude<NextRun, 'done' | { heldBy: string }>, job: Job, current: TransactionRow, now: number): number {
  if (next === 'now') return 0;
  if (next === 'poll') return POLL_MS;
  if (next === 'backoff') return retryDelay(current.retrying_since === null ? null : now - Number(current.retrying_since), job.attempts);
  return next.in;
}

/** The transaction's state, step, failure, next run and the calls made since `callsFrom`, exactly. */
export async function assertStep(w: EngineWorld, seq: number, expected: Expected, callsFrom: number): Promise<void> {
  const current = await row(w, seq);
  assert.deepEqual(
    {
      state: current.state,
      step: current.step,
      failure: current.failure_code === null ? null : { code: current.failure_code, detail: current.failure_detail },
    },
    { state: expected.state, step: expected.step, failure: expected.failure ?? null },
  );
  assert.deepEqual(w.provider.callNamesSince(callsFrom), [...expected.calls], 'adapter calls');
  assert.deepEqual(w.provider.unused, [], 'every scripted call was made');
  const job = await openJob(w, seq);
  const { next } = expected;
  if (next === 'done') {
    assert.equal(job, undefined, 'the job has ended');
    assert.equal(await lastJobEnd(w, seq), w.clock.now(), 'the job ended at this step');
    return;
  }
  assert.ok(job, 'the job goes on');
  if (typeof next === 'object' && 'heldBy' in next) {
    assert.equal(job.lease_owner, next.heldBy);
    return;
  }
  assert.equal(job.lease_owner, null, 'the job is released');
  assert.equal(job.run_at - w.clock.now(), expectedDelay(next, job, current, w.clock.now()), 'the job runs next after');
}

/** A failed step keeps its error on the job for operators. */
export async function assertJobError(w: EngineWorld, seq: number, error: string): Promise<void> {
  assert.equal((await openJob(w, seq))?.last_error, error);
}

export async function assertRow(w: EngineWorld, seq: number, fields: Readonly<Record<string, unknown>>): Promise<void> {
  const current = (await row(w, seq)) as unknown as Record<string, unknown>;
  assert.deepEqual(Object.fromEntries(Object.keys(fields).map((name) => [name, current[name]])), fields);
}

/** Provider calls the transaction's history holds. */
export async function assertRecordedCalls(w: EngineWorld, seq: number, count: number): Promise<void> {
  assert.equal(await recordedCalls(w, seq), count, 'provider calls recorded');
}

export function assertLogged(w: EngineWorld, level: 'warn' | 'error', message: string): void {
  assert.ok(
    w.logs.some((line) => line.level === level && line.msg === message),
    `logged ${level}: ${message}`,
  );
}

// ─── Needs attention (src/jobs/attention.ts) ────────────────────────────────

export const NEEDS_ATTENTION_LOG = 'transaction needs attention: its outcome is still unknown; CanCan keeps asking at a slow cadence';

/** The transaction's `needs_attention` events, with what they say. */
export async function attentionEvents(w: EngineWorld, seq: number): Promise<unknown[]> {
  const events = await w.deps.store.db
    .selectFrom('transaction_events')
    .select('data')
    .where('transaction_seq', '=', seq)
    .where('kind', '=', 'needs_attention')
    .execute();
  return events.map((e) => JSON.parse(e.data) as unknown);
}

/** The warning lines that said a transaction needs attention, with their reason. */
export function attentionWarnings(w: EngineWorld): unknown[] {
  return w.logs.filter((line) => line.level === 'warn' && line.msg === NEEDS_ATTENTION_LOG).map((line) => (line.fields as { reason?: unknown }).reason);
}

/**
 * Marked as needing attention at this moment (its streak began at `retryingSince`, by default now too):
 * one event, one warning line, each with the reason.
 */
export async function assertMarked(w: EngineWorld, seq: number, step: ProcessingStep, reason: string, retryingSince = w.clock.now()): Promise<void> {
  await assertRow(w, seq, { needs_attention_since: w.clock.now(), retrying_since: retryingSince });
  assert.deepEqual(await attentionEvents(w, seq), [{ step, reason }]);
  assert.deepEqual(attentionWarnings(w), [reason]);
}

// ─── The outcome classes every step with a provider call goes through alike ────

export interface CallStep {
  readonly kind: Kind;
  readonly step: string;
  /** The step stored on the transaction while it is there. */
  readonly storedStep: ProcessingStep;
  readonly arrange: Arrange;
  readonly call: CallName;
  /** Where an answer that says nothing leaves the transaction (also a timeout, which the adapters report as one). */
  readonly afterUnknown: { readonly step: ProcessingStep; readonly next: NextRun };
  /** A definite answer to the call (lost when the lease is). */
  readonly definite: Line;
  /** What a worker that takes the job over is answered, and where that leaves the transaction. */
  readonly resume: { readonly lines: readonly Line[]; readonly expect: Omit<Expected, 'calls'> };
}

/** Runs the job's due steps until the scripted calls are made (a resumed step may first move on without a call). */
async function runUntilScriptDone(w: EngineWorld, seq: number): Promise<void> {
  for (let steps = 0; steps < 5 && w.provider.unused.length > 0; steps++) await runDueStep(w, seq, WORKER_B);
}

export function outcomeClassCases(d: CallStep): Case[] {
  const { kind, step, arrange, call } = d;
  const resumed = d.resume.lines.map((line) => line.call);
  return [
    stepCase(kind, step, 'timeout', `${call}: no answer within the limit is an unknown outcome`, {
      arrange,
      script: [timesOut(call)],
      expect: { state: 'pending', step: d.afterUnknown.step, next: d.afterUnknown.next, calls: [call] },
    }),
    stepCase(kind, step, 'throws', `${call}: the adapter throws; the job is retried later and keeps the error`, {
      arrange,
      script: [throwsError(call)],
      expect: { state: 'pending', step: d.storedStep, next: 'backoff', calls: [call] },
      also: (w, s) => assertJobError(w, s.seq, `Error: ${ADAPTER_FAILURE}`),
    }),
    {
      kind,
      step,
      outcome: 'lease lost',
      title: `${call}: the lease is taken over while the call is out; nothing is recorded and the new holder goes on`,
      async run(w) {
        const s = await arrange(w);
        const from = w.provider.calls.length;
        let taken: Job | undefined;
        script(w, [
          {
            ...d.definite,
            during: async () => {
              w.clock.advance(LEASE_MS + 1);
              taken = await claim(w, s.seq, WORKER_B);
            },
          },
        ]);
        await runDueStep(w, s.seq, WORKER_A);
        await assertStep(w, s.seq, { state: 'pending', step: d.storedStep, next: { heldBy: WORKER_B }, calls: [call] }, from);
        assertLogged(w, 'warn', 'job lease lost; another worker resumes it');
        if (!taken) throw new Error('the lease was not taken over');
        const resumedFrom = w.provider.calls.length;
        script(w, d.resume.lines);
        await runClaimed(w, taken);
        await runUntilScriptDone(w, s.seq);
        await assertStep(w, s.seq, { ...d.resume.expect, calls: resumed }, resumedFrom);
      },
    },
    {
      kind,
      step,
      outcome: 'crash',
      title: `${call}: the worker dies after sending, before recording; the next worker resolves it with ${resumed.join(', ')}`,
      async run(w) {
        const s = await arrange(w);
        const from = w.provider.calls.length;
        script(w, [hangs(call)]);
        const job = await openJob(w, s.seq);
        if (!job) throw new Error(`transaction ${s.seq} has no job`);
        w.clock.advanceTo(job.run_at);
        // The dying worker's step never finishes; only its call reached the provider.
        void runClaimed(w, await claim(w, s.seq, WORKER_A));
        await until(() => w.provider.calls.length > from, `the ${call} call`);
        w.clock.advance(LEASE_MS + 1);
        script(w, d.resume.lines);
        await runClaimed(w, await claim(w, s.seq, WORKER_B));
        await runUntilScriptDone(w, s.seq);
        await assertStep(w, s.seq, { ...d.resume.expect, calls: [call, ...resumed] }, from);
      },
    },
  ];
}
