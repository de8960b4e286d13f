import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAILURE_CODES } from '../../src/domain/failures.js';
import { LINEPAY_FAILURE_CODES, classifyReturnCode, mapLinePayFailure } from '../../src/providers/linepay/errors.js';

describe('LINE Pay return codes → failure codes', () => {
  const expected: ReadonlyArray<readonly [string, string]> = [
    ['1142', 'customer_insufficient_balance_failure'],
    ['1180', 'payment_auth_key_failure'],
    ['1101', 'customer_not_allowed_to_pay_failure'],
    ['1102', 'customer_not_allowed_to_pay_failure'],
    ['1104', 'merchant_not_allowed_to_sell_failure'],
    ['1105', 'merchant_not_allowed_to_sell_failure'],
    ['1110', 'card_failure'],
    ['1280', 'card_failure'],
    ['1281', 'card_failure'],
    ['1282', 'card_failure'],
    ['1172', 'transaction_id_failure'],
    ['1150', 'sale_not_found_failure'],
    ['1155', 'refund_not_allowed_failure'],
    ['1163', 'refund_not_allowed_failure'],
    ['1164', 'refund_exceeds_sale_amount_failure'],
    ['1165', 'refund_not_allowed_failure'],
    ['1179', 'void_not_allowed_failure'],
    ['1169', 'payment_password_failure'],
  ];

  for (const [code, failure] of expected) {
    test(`${code} → ${failure}`, () => {
      assert.equal(mapLinePayFailure(code), failure);
    });
  }

  test('the table holds exactly these mappings', () => {
    assert.deepEqual([...LINEPAY_FAILURE_CODES.entries()].sort(), [...expected].sort());
  });

  test('every mapped value is a blueprint failure code', () => {
    const known: ReadonlySet<string> = new Set(FAILURE_CODES);
    for (const failure of LINEPAY_FAILURE_CODES.values()) assert.ok(known.has(failure), failure);
  });

  test('unmapped codes (2101, 9000, 1106, junk, Object.prototype names) are unknown_failure', () => {
    for (const code of ['2101', '9000', '1106', '1145', '1198', '0000', '', '1142 ', 'constructor', 'toString', '__proto__']) {
      assert.equal(mapLinePayFailure(code), 'unknown_failure', code);
    }
  });
});

describe('LINE Pay return code classes', () => {
  test('0000 is success', () => {
    assert.equal(classifyReturnCode('0000'), 'success');
  });

  test('1145, 1198, 9000 and 1172 leave the outcome unknown (check the order)', () => {
    for (const code of ['1145', '1198', '9000', '1172']) assert.equal(classifyReturnCode(code), 'unknown', code);
  });

  test('1169 awaits the customer', () => {
    assert.equal(classifyReturnCode('1169'), 'awaiting_customer');
  });

  test('refusals are definite', () => {
    for (const code of ['1142', '1180', '1101', '1102', '1104', '1105', '1106', '1110', '1150', '1155', '1163', '1164', '1165', '2101', '1280']) {
      assert.equal(classifyReturnCode(code), 'definite', code);
    }
  });
});
