import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  IllegalTransitionError,
  PROCESSING_STEPS,
  TRANSACTION_STATES,
  TRANSACTION_TYPES,
  type TransactionState,
  assertTransition,
  canTransition,
  isFinal,
} from '../../src/domain/states.js';

/** The expected table, written out independently of the source. */
const ALLOWED = new Set(['pending→succeeded', 'pending→failed']);

describe('transaction states', () => {
  test('the states, types and processing steps are the documented ones', () => {
    assert.deepEqual([...TRANSACTION_STATES], ['pending', 'succeeded', 'failed']);
    assert.deepEqual([...TRANSACTION_TYPES], ['sale', 'void', 'refund', 'charge', 'cancel']);
    assert.deepEqual(
      [...PROCESSING_STEPS],
      [
        'pay',
        'query',
        'reverse',
        'reverse_sale',
        'refund',
        'refund_query',
        'await_sale',
        'create_order',
        'await_payment',
        'close',
        'await_card',
        'card_query',
        'done',
      ],
    );
  });

  test('full transition table: canTransition for every pair of states', () => {
    let checked = 0;
    for (const from of TRANSACTION_STATES) {
      for (const to of TRANSACTION_STATES) {
        assert.equal(canTransition(from, to), ALLOWED.has(`${from}→${to}`), `${from} → ${to}`);
        checked++;
      }
    }
    assert.equal(checked, 9);
  });

  test('assertTransition agrees with canTransition for every pair', () => {
    for (const from of TRANSACTION_STATES) {
      for (const to of TRANSACTION_STATES) {
        if (ALLOWED.has(`${from}→${to}`)) {
          assert.doesNotThrow(() => assertTransition(from, to), `${from} → ${to}`);
        } else {
          assert.throws(() => assertTransition(from, to), IllegalTransitionError, `${from} → ${to}`);
        }
      }
    }
  });

  test('pending → pending is not a transition', () => {
    assert.equal(canTransition('pending', 'pending'), false);
    assert.throws(() => assertTransition('pending', 'pending'), IllegalTransitionError);
  });

  test('terminal states never change, not even to themselves', () => {
    for (const from of ['succeeded', 'failed'] as const) {
      for (const to of TRANSACTION_STATES) {
        assert.throws(
          () => assertTransition(from, to),
          (error: unknown) => {
            assert.ok(error instanceof IllegalTransitionError);
            assert.ok(error instanceof Error);
            assert.equal(error.from, from);
            assert.equal(error.to, to);
            assert.match(error.message, new RegExp(`${from}.*${to}`));
            return true;
          },
        );
      }
    }
  });

  test('isFinal: pending is not final, succeeded and failed are', () => {
    const expected: Record<TransactionState, boolean> = { pending: false, succeeded: true, failed: true };
    for (const state of TRANSACTION_STATES) assert.equal(isFinal(state), expected[state], state);
  });

  test('a final state has no outgoing transition; a non-final one has at least one', () => {
    for (const from of TRANSACTION_STATES) {
      const outgoing = TRANSACTION_STATES.filter((to) => canTransition(from, to));
      assert.equal(outgoing.length === 0, isFinal(from), from);
    }
  });

  test('every transition out of pending leads to a final state', () => {
    for (const to of TRANSACTION_STATES) {
      if (canTransition('pending', to)) assert.equal(isFinal(to), true, to);
    }
  });
});
