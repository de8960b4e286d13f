/** Amount rules of gateways and payment methods, and the simulators' test-value selector in whole-unit currencies. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { amountRuleBreach, minimumAmount } from '../../src/providers/amount-rules.js';
import { providerCatalog } from '../../src/providers/catalog.js';
import { testValue } from '../../src/simulators/test-values.js';
import { approveBehaviour } from '../../src/simulators/wallet.js';

const method = (code: string) => {
  const found = providerCatalog().method(code);
  if (!found) throw new Error(`no method ${code}`);
  return found;
};
const gateway = (code: string) => {
  const found = providerCatalog().gateway(code);
  if (!found) throw new Error(`no gateway ${code}`);
  return found;
};

describe('amount rules', () => {
  test('TWD at LINE Pay Taiwan and JKOPAY: whole units only', () => {
    assert.deepEqual(amountRuleBreach('linepay_tw_domestic', gateway('linepay_tw_domestic'), 12345, 'TWD', '`amount`'), {
      rule: 'whole_units',
      message: 'linepay_tw_domestic takes TWD in whole units only (rule whole_units): `amount` must be a multiple of 100, got 12345 (123.45 TWD)',
    });
    assert.equal(amountRuleBreach('linepay_tw_domestic', gateway('linepay_tw_domestic'), 12300, 'TWD', '`amount`'), null);
    assert.equal(amountRuleBreach('jkopay', method('jkopay'), 1, 'TWD', 'amount')?.rule, 'whole_units');
    assert.equal(amountRuleBreach('jkopay', method('jkopay'), 100, 'TWD', 'amount'), null);
    // THB at LINE Pay Thailand has satang.
    assert.equal(amountRuleBreach('linepay_th_domestic', gateway('linepay_th_domestic'), 12345, 'THB', '`amount`'), null);
  });

  test("Antom's minimum amounts: DANA 300 IDR, GCash 1 PHP, Kakao Pay 50 KRW", () => {
    assert.equal(minimumAmount(method('dana'), 'IDR'), 30_000);
    assert.equal(minimumAmount(method('gcash'), 'PHP'), 100);
    assert.equal(minimumAmount(method('kakaopay'), 'KRW'), 50);
    assert.equal(minimumAmount(method('alipay_hk'), 'HKD'), 1);
    assert.deepEqual(amountRuleBreach('dana', method('dana'), 29_999, 'IDR', 'amount'), {
      rule: 'minimum_amount',
      message: 'dana takes at least 300.00 IDR (rule minimum_amount): amount must be at least 30000, got 29999 (299.99 IDR)',
    });
    assert.equal(amountRuleBreach('dana', method('dana'), 30_000, 'IDR', 'amount'), null);
    assert.equal(amountRuleBreach('gcash', method('gcash'), 99, 'PHP', 'amount')?.rule, 'minimum_amount');
    assert.equal(amountRuleBreach('gcash', method('gcash'), 100, 'PHP', 'amount'), null);
    assert.equal(amountRuleBreach('kakaopay', method('kakaopay'), 49, 'KRW', 'amount')?.rule, 'minimum_amount');
    assert.equal(amountRuleBreach('kakaopay', method('kakaopay'), 50, 'KRW', 'amount'), null);
  });
});

describe('test values', () => {
  test('two-decimal and zero-decimal currencies: the last two digits of the minor units', () => {
    assert.equal(testValue(12351), 51);
    assert.equal(testValue(12351, 'USD'), 51);
    assert.equal(testValue(5153, 'KRW', ['TWD']), 53);
  });

  test('a whole-unit currency: the last two digits of the whole amount', () => {
    assert.equal(testValue(1_235_100, 'TWD', ['TWD']), 51);
    assert.equal(testValue(1_235_100, 'TWD'), 0);
    for (let value = 51; value <= 61; value += 1) {
      assert.equal(testValue((12_300 + value) * 100, 'TWD', ['TWD']), value);
      assert.equal(approveBehaviour((12_300 + value) * 100, 'TWD', ['TWD']), approveBehaviour(12_300 + value, 'USD'), String(value));
    }
  });
});
