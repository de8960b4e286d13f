import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNever } from '../../src/domain/assert-never.js';
import { withinCancelWindow, withinRefundWindow, withinVoidWindow } from '../../src/domain/windows.js';

const MINUTE = 60_000;
const T = 1_700_000_000_000;

describe('the void window', () => {
  test('a succeeded sale: open up to and including its last millisecond', () => {
    const sale = { state: 'succeeded' as const, finalized_at: T };
    assert.equal(withinVoidWindow(sale, 15 * MINUTE, T), true);
    assert.equal(withinVoidWindow(sale, 15 * MINUTE, T + 15 * MINUTE), true);
    assert.equal(withinVoidWindow(sale, 15 * MINUTE, T + 15 * MINUTE + 1), false);
    assert.equal(withinVoidWindow(sale, 0, T), true);
    assert.equal(withinVoidWindow(sale, 0, T + 1), false);
  });

  test('a pending sale (and one without a finish time) is always within it: its own job reverses it', () => {
    assert.equal(withinVoidWindow({ state: 'pending', finalized_at: null }, 15 * MINUTE, T + 10 ** 9), true);
    assert.equal(withinVoidWindow({ state: 'succeeded', finalized_at: null }, 15 * MINUTE, T), true);
    // A failed sale is refused for being failed, not by this window.
    assert.equal(withinVoidWindow({ state: 'failed', finalized_at: T }, 15 * MINUTE, T + 10 ** 9), true);
  });
});

describe('the cancel window', () => {
  test('counted from creation, paid or not', () => {
    const charge = { created_at: T };
    assert.equal(withinCancelWindow(charge, 24 * 60 * MINUTE, T + 24 * 60 * MINUTE), true);
    assert.equal(withinCancelWindow(charge, 24 * 60 * MINUTE, T + 24 * 60 * MINUTE + 1), false);
    assert.equal(withinCancelWindow(charge, 0, T), true);
  });
});

describe('the refund window', () => {
  test('counted from when the payment succeeded', () => {
    const year = 365 * 24 * 60 * MINUTE;
    assert.equal(withinRefundWindow({ finalized_at: T }, year, T + year), true);
    assert.equal(withinRefundWindow({ finalized_at: T }, year, T + year + 1), false);
    assert.equal(withinRefundWindow({ finalized_at: null }, year, T + 10 * year), true);
  });
});

describe('assertNever', () => {
  test('fails loudly on a value the types said could not exist', () => {
    assert.throws(() => assertNever('surprise' as never), { message: 'unexpected value: "surprise"' });
  });
});
