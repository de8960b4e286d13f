import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAILURE_CODES } from '../../src/domain/failures.js';
import {
  WECHAT_FAILURE_CODES,
  classifyMicropayError,
  classifyRefundError,
  classifyReverseError,
  mapWeChatFailure,
} from '../../src/providers/wechatpay/errors.js';

describe('WeChat Pay error codes', () => {
  const expected: ReadonlyArray<readonly [string, string]> = [
    ['NOTENOUGH', 'customer_insufficient_balance_failure'],
    ['AUTHCODEEXPIRE', 'payment_auth_key_failure'],
    ['AUTH_CODE_INVALID', 'payment_auth_key_failure'],
    ['AUTH_CODE_ERROR', 'payment_auth_key_failure'],
    ['OUT_TRADE_NO_USED', 'transaction_id_failure'],
    ['BUYER_MISMATCH', 'customer_not_allowed_to_pay_failure'],
    ['NOAUTH', 'merchant_not_allowed_to_sell_failure'],
    ['NOTSUPORTCARD', 'card_failure'],
    ['BANKERROR', 'bank_failure'],
    ['TRADE_OVERDUE', 'refund_not_allowed_failure'],
    ['ORDERREVERSED', 'payment_gateway_failure'],
    ['ORDERCLOSED', 'payment_gateway_failure'],
    ['USERPAYING', 'payment_password_failure'],
  ];

  for (const [code, failure] of expected) {
    test(`${code} → ${failure}`, () => {
      assert.equal(mapWeChatFailure(code), failure);
    });
  }

  test('the table holds exactly the documented mappings', () => {
    assert.deepEqual([...WECHAT_FAILURE_CODES.entries()].sort(), [...expected].sort());
  });

  test('every mapped value is a blueprint failure code', () => {
    const known: ReadonlySet<string> = new Set(FAILURE_CODES);
    for (const failure of WECHAT_FAILURE_CODES.values()) assert.ok(known.has(failure), failure);
  });

  test('unmapped codes, including Object.prototype names and wrong case, are unknown_failure', () => {
    for (const code of ['SYSTEMERROR', 'PARAM_ERROR', 'SIGNERROR', 'ORDERPAID', '', 'notenough', 'constructor', 'toString', '__proto__']) {
      assert.equal(mapWeChatFailure(code), 'unknown_failure', code);
    }
  });

  test('micropay: SYSTEMERROR, BANKERROR and ORDERPAID are unknown (the caller queries)', () => {
    for (const code of ['SYSTEMERROR', 'BANKERROR', 'ORDERPAID']) assert.equal(classifyMicropayError(code), 'unknown', code);
  });

  test('micropay: USERPAYING awaits the customer', () => {
    assert.equal(classifyMicropayError('USERPAYING'), 'awaiting_customer');
  });

  test('micropay: everything else is a definite refusal', () => {
    for (const code of [
      'NOTENOUGH',
      'AUTHCODEEXPIRE',
      'AUTH_CODE_INVALID',
      'AUTH_CODE_ERROR',
      'ORDERREVERSED',
      'ORDERCLOSED',
      'BUYER_MISMATCH',
      'OUT_TRADE_NO_USED',
      'NOTSUPORTCARD',
      'NOAUTH',
      'PARAM_ERROR',
      'SIGNERROR',
      'SOMETHING_NEW',
      'constructor',
    ]) {
      assert.equal(classifyMicropayError(code), 'definite', code);
    }
  });

  test('reverse: SYSTEMERROR is unknown, other errors definite', () => {
    assert.equal(classifyReverseError('SYSTEMERROR'), 'unknown');
    assert.equal(classifyReverseError('REVERSE_EXPIRE'), 'definite');
    assert.equal(classifyReverseError('TRADE_ERROR'), 'definite');
  });

  test('refund: SYSTEMERROR and BIZERR_NEED_RETRY are unknown, other errors definite', () => {
    assert.equal(classifyRefundError('SYSTEMERROR'), 'unknown');
    assert.equal(classifyRefundError('BIZERR_NEED_RETRY'), 'unknown');
    assert.equal(classifyRefundError('TRADE_OVERDUE'), 'definite');
    assert.equal(classifyRefundError('NOTENOUGH'), 'definite');
  });
});
