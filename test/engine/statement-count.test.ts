/**
 * What processing costs the database: the statements (begin and commit
 * included) and commits of each step of a POS sale, claim included, counted
 * on the engine's own store.
 * A step that grows a statement or a commit shows here first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Job, claimDueJobs } from '../../src/jobs/queue.js';
import {
  type EngineWorld,
  LEASE_MS,
  WORKER_A,
  WORKER_B,
  claim,
  createEngineWorld,
  createSale,
  createVoid,
  openJob,
  row,
  runClaimed,
  runDueStep,
} from '../support/engine.js';

interface Cost {
  statements: number;
  commits: number;
}

/** A world whose store counts what it executes; `measure` gives what one piece of work cost. */
async function countingWorld(): Promise<{ w: EngineWorld; measure: (work: () => Promise<void>) => Promise<Cost> }> {
  let counting = false;
  let inTransaction = false;
  const cost: Cost = { statements: 0, commits: 0 };
  const w = await createEngineWorld({
    onStatement(text) {
      const verb = text.trim().split(/\s/, 1)[0]?.toLowerCase();
      if (verb === 'begin') inTransaction = true;
      if (!counting) {
        if (verb === 'commit' || verb === 'rollback') inTransaction = false;
        return;
      }
      if (verb === 'commit') cost.commits += 1;
      // A write outside a transaction commits on its own.
      else if (!inTransaction && verb !== 'select') cost.commits += 1;
      if (verb === 'commit' || verb === 'rollback') inTransaction = false;
      cost.statements += 1;
    },
  });
  const measure = async (work: () => Promise<void>): Promise<Cost> => {
    cost.statements = 0;
    cost.commits = 0;
    counting = true;
    try {
      await work();
    } finally {
      counting = false;
    }
    return { ...cost };
  };
  return { w, measure };
}

/** What a worker spends on the transaction's next step: the claim and the step (the clock moved to when it is due). */
async function stepCost(w: EngineWorld, measure: (work: () => Promise<void>) => Promise<Cost>, seq: number): Promise<Cost> {
  const job = await openJob(w, seq);
  assert.ok(job, `transaction ${seq} has an open job`);
  w.clock.advanceTo(job.run_at);
  return measure(async () => runClaimed(w, await claim(w, seq)));
}

test('a sale paid at once: claim, sent marker, outcome', async () => {
  const { w, measure } = await countingWorld();
  try {
    const sale = await createSale(w);
    w.provider.expect('pay', { answer: { kind: 'paid', providerTxnId: '4200000001' } });
    const cost = await stepCost(w, measure, sale.seq);
    assert.equal((await row(w, sale.seq)).state, 'succeeded');
    // Claim, reload; sent marker (begin, update fenced by the lease, commit); outcome (begin, attempt, row, event, job, commit).
    assert.deepEqual(cost, { statements: 11, commits: 3 });
  } finally {
    await w.close();
  }
});

test('a sale answered "unknown", then paid on the first query', async () => {
  const { w, measure } = await countingWorld();
  try {
    const sale = await createSale(w);
    w.provider.expect('pay', { answer: { kind: 'unknown', reason: 'SYSTEMERROR', code: 'SYSTEMERROR' } });
    const pay = await stepCost(w, measure, sale.seq);
    w.provider.expect('query', { answer: { kind: 'paid', providerTxnId: '4200000001' } });
    const query = await stepCost(w, measure, sale.seq);
    assert.equal((await row(w, sale.seq)).state, 'succeeded');
    assert.deepEqual(pay, { statements: 10, commits: 3 });
    // No sent marker before a query: claim, reload, then one commit.
    assert.deepEqual(query, { statements: 9, commits: 2 });
  } finally {
    await w.close();
  }
});

test('a sale voided after its pay call: the reversal ends the sale and the void together', async () => {
  const { w, measure } = await countingWorld();
  try {
    const sale = await createSale(w);
    w.provider.expect('pay', { answer: { kind: 'unknown', reason: 'SYSTEMERROR', code: 'SYSTEMERROR' } });
    await runDueStep(w, sale.seq);
    const voidRow = await createVoid(w, await row(w, sale.seq));
    await runDueStep(w, sale.seq); // turns to reverse, due when the provider allows it
    w.provider.expect('reverse', { answer: { kind: 'reversed' } });
    const reverse = await stepCost(w, measure, sale.seq);
    assert.equal((await row(w, sale.seq)).state, 'failed');
    assert.equal((await row(w, voidRow.seq)).state, 'succeeded');
    assert.equal(await openJob(w, sale.seq), undefined);
    // The sale's and the void's state changes share one event insert.
    assert.deepEqual(reverse, { statements: 11, commits: 2 });
  } finally {
    await w.close();
  }
});

/** Claims every due job in one claim, as a worker with free slots does. */
async function claimAll(w: EngineWorld): Promise<Job[]> {
  return claimDueJobs(w.deps.store.db, 'sqlite', WORKER_A, w.clock.now(), LEASE_MS, 10);
}

test('steps running side by side share their commits', async () => {
  const { w, measure } = await countingWorld();
  try {
    const sales = [await createSale(w), await createSale(w)];
    for (let i = 0; i < sales.length; i += 1) w.provider.expect('pay', { answer: { kind: 'paid', providerTxnId: '4200000001' } });
    const cost = await measure(async () => {
      const jobs = await claimAll(w);
      assert.equal(jobs.length, 2);
      await Promise.all(jobs.map((job) => runClaimed(w, job)));
    });
    for (const sale of sales) assert.equal((await row(w, sale.seq)).state, 'succeeded');
    // One claim and two reloads; one commit for both sent markers, one for both outcomes, each write in its own
    // savepoint (savepoint, writes, release): begin, 2 × (savepoint, update, release), commit; begin, 2 × (savepoint,
    // attempt, row, event, job, release), commit.
    assert.deepEqual(cost, { statements: 1 + 2 + (2 + 2 * 3) + (2 + 2 * 6), commits: 3 });
  } finally {
    await w.close();
  }
});

test('a step that lost its lease writes nothing, and the step sharing its commit goes on', async () => {
  const { w } = await countingWorld();
  try {
    const [kept, lost] = [await createSale(w), await createSale(w)];
    assert.ok(kept && lost);
    w.provider.expect('pay', { answer: { kind: 'paid', providerTxnId: '4200000001' } });
    const jobs = await claimAll(w);
    // Another worker took one job over (this worker's lease ran out meanwhile).
    await w.deps.store.db.updateTable('jobs').set({ lease_owner: WORKER_B }).where('transaction_seq', '=', lost.seq).execute();
    await Promise.all(jobs.map((job) => runClaimed(w, job)));
    assert.equal((await row(w, kept.seq)).state, 'succeeded');
    const untouched = await row(w, lost.seq);
    assert.deepEqual([untouched.state, untouched.step, untouched.provider_sent_at, untouched.version], ['pending', 'pay', null, lost.version]);
    assert.deepEqual(
      w.provider.calls.map((c) => c.call),
      ['pay'],
    );
    assert.equal((await openJob(w, lost.seq))?.lease_owner, WORKER_B);
    assert.ok(w.logs.some((line) => line.msg === 'job lease lost; another worker resumes it'));
  } finally {
    await w.close();
  }
});
