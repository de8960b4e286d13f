import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { baseDelay, decideRetry, delayForAttempt, jittered, retryPolicy, type RetryPolicy } from '../../src/jobs/retry-policy.js';

const policy: RetryPolicy = { firstDelayMs: 1_000, ceilingMs: 60_000, deadlineMs: 15 * 60_000, jitter: 0.2 };
const HOUR = 3_600_000;

describe('retry policy', () => {
  test('the wait is the time already spent retrying, between the first delay and the ceiling', () => {
    assert.equal(baseDelay(policy, 0), 1_000);
    assert.equal(baseDelay(policy, 999), 1_000);
    assert.equal(baseDelay(policy, 7_000), 7_000);
    assert.equal(baseDelay(policy, 60_000), 60_000);
    assert.equal(baseDelay(policy, 10 * 60_000), 60_000);
  });

  test('so retries about double: each retry comes when twice the time has passed', () => {
    let elapsed = 0;
    const waits: number[] = [];
    while (elapsed < 60_000) {
      const wait = baseDelay(policy, elapsed);
      waits.push(wait);
      elapsed += wait;
    }
    assert.deepEqual(waits, [1_000, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000]);
  });

  test('jitter takes off up to its fraction, from the injected random source; never a zero wait', () => {
    assert.equal(
      jittered(10_000, 0.2, () => 0),
      10_000,
    );
    assert.equal(
      jittered(10_000, 0.2, () => 0.5),
      9_000,
    );
    assert.equal(
      jittered(10_000, 0.2, () => 0.999_999),
      8_000,
    );
    assert.equal(
      jittered(1, 1, () => 0.999_999),
      1,
    );
    // Out-of-range sources are clamped rather than trusted.
    assert.equal(
      jittered(10_000, 0.2, () => 7),
      8_000,
    );
    assert.equal(
      jittered(10_000, 0.2, () => -1),
      10_000,
    );
  });

  test('before the deadline: retry with the jittered wait; from the deadline on: needs attention, at the long cadence', () => {
    assert.deepEqual(
      decideRetry(policy, 0, HOUR, () => 0.5),
      { kind: 'retry', delayMs: 900 },
    );
    assert.deepEqual(
      decideRetry(policy, 5 * 60_000, HOUR, () => 0.5),
      { kind: 'retry', delayMs: 54_000 },
    );
    assert.deepEqual(
      decideRetry(policy, 15 * 60_000 - 1, HOUR, () => 0),
      { kind: 'retry', delayMs: 60_000 },
    );
    assert.deepEqual(
      decideRetry(policy, 15 * 60_000, HOUR, () => 0.5),
      { kind: 'needs_attention', delayMs: 3_240_000 },
    );
    assert.deepEqual(
      decideRetry(policy, 30 * 24 * HOUR, HOUR, () => 0),
      { kind: 'needs_attention', delayMs: HOUR },
    );
  });

  test('without a start time the attempt number doubles the wait, up to the ceiling', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8, 1_000].map((attempt) => delayForAttempt(policy, attempt, () => 0)),
      [1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000],
    );
    assert.equal(
      delayForAttempt(policy, 0, () => 0),
      1_000,
    );
  });

  test('each step starts at the provider poll interval; refunds may take a day, the others a quarter of an hour', () => {
    assert.deepEqual(retryPolicy('reverse', 5_000), { firstDelayMs: 5_000, ceilingMs: 60_000, deadlineMs: 15 * 60_000, jitter: 0.2 });
    assert.deepEqual(retryPolicy('close', 2_000), { firstDelayMs: 2_000, ceilingMs: 60_000, deadlineMs: 15 * 60_000, jitter: 0.2 });
    assert.deepEqual(retryPolicy('card_query', 3_000), { firstDelayMs: 3_000, ceilingMs: 60_000, deadlineMs: 15 * 60_000, jitter: 0.2 });
    assert.deepEqual(retryPolicy('refund', 3_000), { firstDelayMs: 3_000, ceilingMs: 5 * 60_000, deadlineMs: 24 * HOUR, jitter: 0.2 });
    assert.deepEqual(retryPolicy('error', 1_000), { firstDelayMs: 1_000, ceilingMs: 60_000, deadlineMs: 15 * 60_000, jitter: 0.2 });
    // A poll interval longer than the ceiling is never shortened.
    assert.equal(retryPolicy('reverse', 90_000).ceilingMs, 90_000);
  });
});
