import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLAIM_STATES,
  CLAIM_TYPES,
  CLAIM_WAITING_STEP,
  OPEN_BALANCE,
  committedTotal,
  countsAgainstPayment,
  fitsOpenBalance,
  openBalance,
  refundableAmount,
} from '../../src/domain/refund-rules.js';
import { PROCESSING_STEPS, TRANSACTION_STATES, TRANSACTION_TYPES } from '../../src/domain/states.js';

const child = (
  type: (typeof TRANSACTION_TYPES)[number],
  state: (typeof TRANSACTION_STATES)[number],
  amount: number | bigint | null,
  step: (typeof PROCESSING_STEPS)[number] = 'done',
) => ({ type, state, step, amount });

describe('what counts against a payment', () => {
  test('the lists the store sums with', () => {
    assert.deepEqual([...CLAIM_TYPES], ['refund', 'cancel']);
    assert.deepEqual([...CLAIM_STATES], ['pending', 'succeeded']);
    assert.equal(CLAIM_WAITING_STEP, 'await_sale');
  });

  test('every type × state × step: refunds and cancels, pending or succeeded, not waiting for their charge', () => {
    let counted = 0;
    for (const type of TRANSACTION_TYPES) {
      for (const state of TRANSACTION_STATES) {
        for (const step of PROCESSING_STEPS) {
          const expected = (type === 'refund' || type === 'cancel') && state !== 'failed' && step !== 'await_sale';
          assert.equal(countsAgainstPayment({ type, state, step }), expected, `${type} ${state} ${step}`);
          if (expected) counted += 1;
        }
      }
    }
    assert.equal(counted, 2 * 2 * (PROCESSING_STEPS.length - 1));
  });
});

describe('committedTotal and refundableAmount', () => {
  test('sums only what counts, exactly', () => {
    const children = [
      child('refund', 'succeeded', 300),
      child('refund', 'pending', 200, 'refund_query'),
      child('refund', 'failed', 5000),
      child('cancel', 'pending', 999, 'await_sale'),
      child('cancel', 'succeeded', 100),
      child('void', 'succeeded', null),
      child('refund', 'pending', null, 'refund'),
    ];
    assert.equal(committedTotal(children), 600n);
    assert.equal(committedTotal([]), 0n);
  });

  test('past 2^53 and past 2^63, bigint and number amounts alike', () => {
    const big = 9_000_000_000_000_000_000n;
    assert.equal(
      committedTotal([child('refund', 'succeeded', big), child('refund', 'pending', big), child('cancel', 'succeeded', 1)]),
      18_000_000_000_000_000_001n,
    );
    assert.equal(committedTotal([child('refund', 'succeeded', 2 ** 53), child('refund', 'succeeded', 2)]), 9_007_199_254_740_994n);
    assert.equal(refundableAmount(big * 2n + 5n, 18_000_000_000_000_000_001n), 4n);
  });

  test('the payment minus what was committed, never below zero; a payment without an amount has nothing', () => {
    assert.equal(refundableAmount(1000, 0n), 1000n);
    assert.equal(refundableAmount(1000, 999n), 1n);
    assert.equal(refundableAmount(1000, 1000n), 0n);
    assert.equal(refundableAmount(1000, 1001n), 0n);
    assert.equal(refundableAmount(null, 0n), 0n);
    assert.equal(refundableAmount(10n ** 19n, 1n), 10n ** 19n - 1n);
  });
});

describe('open balance', () => {
  test("which rows it sums: today's succeeded charges by when they succeeded, today's claims by when they were asked for", () => {
    assert.deepEqual(OPEN_BALANCE, {
      credits: { types: ['charge'], states: ['succeeded'], since: 'finalized_at' },
      debits: { types: ['refund', 'cancel'], states: ['pending', 'succeeded'], since: 'created_at' },
    });
  });

  test('credits minus debits, exact and possibly negative', () => {
    assert.equal(openBalance({ credits: 1500n, debits: 1000n }), 500n);
    assert.equal(openBalance({ credits: 0n, debits: 1000n }), -1000n);
    assert.equal(openBalance({ credits: 2n ** 64n, debits: 1n }), 18_446_744_073_709_551_615n);
  });

  test('a refund fits up to and including the balance', () => {
    assert.equal(fitsOpenBalance(500n, 500n), true);
    assert.equal(fitsOpenBalance(501n, 500n), false);
    assert.equal(fitsOpenBalance(1n, 0n), false);
    assert.equal(fitsOpenBalance(1n, -5n), false);
  });
});
