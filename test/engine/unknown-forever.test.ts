/**
 * A provider that never says what happened to a sale, over simulated days:
 * the job keeps asking (it never guesses), slows to the long cadence once the
 * reversal's deadline passes, and the transaction's history stays the same
 * size however many times it asks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATTENTION_MS, createEngineWorld, historyOf, openJob, recordedCalls, row, runDueStep } from '../support/engine.js';
import type { CallName } from '../support/fake-adapter.js';
import { saleAtPay } from './arrange.js';
import { type Line, answer, attentionWarnings, script, timesOut } from './case.js';

const RUNS = 200;
const DAY = 24 * 3_600_000;

/** The call the sale's step makes, answered with no outcome: timeouts and "system errors" in turn. */
function openAnswer(step: string, run: number): Line {
  const call: CallName = step === 'pay' ? 'pay' : step === 'query' ? 'query' : 'reverse';
  if (run % 2 === 0) return timesOut(call);
  if (call === 'pay') return answer('pay', { kind: 'unknown', reason: 'SYSTEMERROR', code: 'SYSTEMERROR' });
  return answer(call, { kind: 'unknown', reason: 'SYSTEMERROR' });
}

test('a sale whose outcome stays unknown for days: asked hourly, never decided, its history bounded', async () => {
  const w = await createEngineWorld();
  try {
    const s = await saleAtPay(w);
    const start = w.clock.now();
    const HISTORY = {
      events: ['created', 'needs_attention'],
      attempts: ['pay:unknown', 'query:unknown', 'reverse:unknown'],
    };
    let markedAt: number | null = null;
    let hourlyRuns = 0;
    for (let run = 1; run <= RUNS; run++) {
      script(w, [openAnswer((await row(w, s.seq)).step, run)]);
      await runDueStep(w, s.seq);
      assert.deepEqual(w.provider.unused, [], `run ${run} made its call`);
      const current = await row(w, s.seq);
      assert.equal(current.state, 'pending', `run ${run} decided nothing`);
      if (markedAt === null) markedAt = current.needs_attention_since;
      else {
        // Once marked, the mark stays as it was and every run is an hour apart.
        assert.equal(current.needs_attention_since, markedAt);
        assert.equal((await openJob(w, s.seq))?.run_at, w.clock.now() + ATTENTION_MS);
        hourlyRuns++;
      }
      if (run === RUNS / 2) assert.deepEqual(await historyOf(w, s.seq), HISTORY, 'the history half way');
    }

    const sale = await row(w, s.seq);
    assert.deepEqual({ state: sale.state, step: sale.step, failure: sale.failure_code }, { state: 'pending', step: 'reverse', failure: null });
    assert.deepEqual(await historyOf(w, s.seq), HISTORY, 'the same history after twice the runs');
    // Each attempt row counts the calls it stands for: none is lost.
    assert.equal(await recordedCalls(w, s.seq), RUNS);
    assert.equal(w.provider.calls.length, RUNS);
    assert.equal(attentionWarnings(w).length, 1, 'one warning in all');
    const jobs = await w.deps.store.db.selectFrom('jobs').select('id').where('transaction_seq', '=', s.seq).execute();
    assert.equal(jobs.length, 1, 'one job all along');
    // Most of the runs were at the long cadence, so the simulated time spans days.
    assert.ok(hourlyRuns > RUNS - 50, `${hourlyRuns} runs at the long cadence`);
    assert.ok(w.clock.now() - start > hourlyRuns * ATTENTION_MS, 'the runs spread over the hours');
    assert.ok(w.clock.now() - start > 6 * DAY, 'over simulated days');
  } finally {
    await w.close();
  }
});
