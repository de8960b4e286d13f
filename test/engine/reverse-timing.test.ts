/**
 * WeChat Pay's reversal timing (撤销订单): not sooner than 15 s after the
 * micropay, and only within 7 days of it (later, refund). Driven through the
 * engine with the fake clock and WeChat Pay's own rules (no confirmation
 * window setting, which would cap the wait; registry.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claimDueJobs } from '../../src/jobs/queue.js';
import { DAY_MS } from '../../src/providers/descriptor.js';
import { providerRules } from '../../src/providers/registry.js';
import { wechatpay } from '../../src/providers/wechatpay/descriptor.js';
import { type EngineWorld, createEngineWorld, createSale, createVoid, openJob, row, runDueStep } from '../support/engine.js';
import { answer, script } from './case.js';

const REVERSE_WAIT_MS = 15_000;

/** An engine world on WeChat Pay's documented rules, its merchant voiding up to `voidWindowMs` after success. */
async function wechatWorld(voidWindowMs = 15 * 60_000): Promise<EngineWorld> {
  const w = await createEngineWorld();
  const config = { ...w.deps.config, confirmWindowMs: null };
  return { ...w, deps: { ...w.deps, config }, merchant: { ...w.merchant, void_window_ms: voidWindowMs } };
}

describe('WeChat Pay reversal timing in the engine', () => {
  test('the rules say so: 15 s after the micropay, within 7 days; a shorter confirmation window setting caps the wait', () => {
    assert.deepEqual([wechatpay.rules.reverseNotBeforeMs, wechatpay.rules.reverseWindowMs], [REVERSE_WAIT_MS, 7 * DAY_MS]);
    const rules = (confirmWindowMs: number | null) => providerRules('wechatpay', { confirmWindowMs, pollIntervalMs: null, providerTimeoutMs: null });
    assert.equal(rules(null).reverseNotBeforeMs, REVERSE_WAIT_MS);
    assert.equal(rules(2_500).reverseNotBeforeMs, 2_500);
  });

  test('a void of a sale paid at once waits 15 s after the micropay before reversing', async () => {
    const w = await wechatWorld();
    try {
      const sale = await createSale(w);
      script(w, [answer('pay', { kind: 'paid', providerTxnId: '4200000001' })]);
      await runDueStep(w, sale.seq);
      const paidAt = Number((await row(w, sale.seq)).provider_sent_at);
      w.clock.advance(3_000);
      const voidRow = await createVoid(w, await row(w, sale.seq));
      assert.equal((await openJob(w, voidRow.seq))?.run_at, paidAt + REVERSE_WAIT_MS);
      const early = await claimDueJobs(w.deps.store.db, 'sqlite', 'early', paidAt + REVERSE_WAIT_MS - 1, 30_000, 10);
      assert.deepEqual(early, [], 'nothing is due before the wait is over');
      script(w, [answer('reverse', { kind: 'reversed' })]);
      await runDueStep(w, voidRow.seq);
      assert.equal(w.clock.now(), paidAt + REVERSE_WAIT_MS);
      assert.deepEqual(
        w.provider.calls.map((call) => call.call),
        ['pay', 'reverse'],
      );
      assert.deepEqual([(await row(w, voidRow.seq)).state, (await row(w, sale.seq)).voided], ['succeeded', 1]);
    } finally {
      await w.close();
    }
  });

  test('a void of a sale still pending turns to reverse, and reverses 15 s after the micropay, not before', async () => {
    const w = await wechatWorld();
    try {
      const sale = await createSale(w);
      script(w, [answer('pay', { kind: 'unknown', reason: 'SYSTEMERROR', code: 'SYSTEMERROR' })]);
      await runDueStep(w, sale.seq);
      const sentAt = Number((await row(w, sale.seq)).provider_sent_at);
      await createVoid(w, await row(w, sale.seq));
      await runDueStep(w, sale.seq); // the sale's job turns to reverse
      assert.equal((await row(w, sale.seq)).step, 'reverse');
      assert.equal((await openJob(w, sale.seq))?.run_at, sentAt + REVERSE_WAIT_MS);
      assert.equal(w.provider.calls.length, 1, 'no reverse yet');
      // A worker that runs the job early anyway (a crash, a clock skew) still does not reverse.
      const early = await claimDueJobs(w.deps.store.db, 'sqlite', 'early', sentAt + REVERSE_WAIT_MS - 1, 30_000, 10);
      assert.deepEqual(early, []);
      script(w, [answer('reverse', { kind: 'reversed' })]);
      await runDueStep(w, sale.seq);
      assert.equal(w.clock.now(), sentAt + REVERSE_WAIT_MS);
      assert.deepEqual(
        w.provider.calls.map((call) => call.call),
        ['pay', 'reverse'],
      );
      assert.deepEqual([(await row(w, sale.seq)).state, (await row(w, sale.seq)).failure_code], ['failed', 'sale_voided_failure']);
    } finally {
      await w.close();
    }
  });

  test('past 7 days WeChat reverses no more: the void is refused without a call, the sale released for a refund', async () => {
    const w = await wechatWorld(30 * DAY_MS);
    try {
      const sale = await createSale(w);
      script(w, [answer('pay', { kind: 'paid', providerTxnId: '4200000002' })]);
      await runDueStep(w, sale.seq);
      w.clock.advance(7 * DAY_MS + 1);
      const voidRow = await createVoid(w, await row(w, sale.seq));
      await runDueStep(w, voidRow.seq);
      const refused = await row(w, voidRow.seq);
      assert.deepEqual([refused.state, refused.failure_code], ['failed', 'void_not_allowed_failure']);
      assert.match(refused.failure_detail ?? '', /refund the sale instead/);
      assert.deepEqual(
        w.provider.calls.map((call) => call.call),
        ['pay'],
      );
      const released = await row(w, sale.seq);
      assert.deepEqual([released.state, released.void_seq, released.voided], ['succeeded', null, 0]);
    } finally {
      await w.close();
    }
  });
});
