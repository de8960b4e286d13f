import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAILURE_CODES, type FailureCode } from '../../src/domain/failures.js';
import { money } from '../../src/domain/money.js';
import type { RefundRequest } from '../../src/providers/contract.js';
import {
  ALIPAY_FAILURE_CODES,
  classifyCancelSubCode,
  classifyGatewayCode,
  classifyPaySubCode,
  classifyRefundSubCode,
  mapAlipayFailure,
} from '../../src/providers/alipay/errors.js';
import { beijingTimestamp } from '../../src/providers/china-time.js';
import {
  isAlipayAuthCode,
  toPayOutcome,
  toQueryOutcome,
  toRefundOutcome,
  toRefundQueryOutcome,
  toReverseOutcome,
} from '../../src/providers/alipay/transformers.js';

describe('Alipay failure mapping', () => {
  const expected: ReadonlyArray<readonly [string, FailureCode]> = [
    ['ACQ.BUYER_BALANCE_NOT_ENOUGH', 'customer_insufficient_balance_failure'],
    ['ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH', 'customer_insufficient_balance_failure'],
    ['ACQ.PAYMENT_AUTH_CODE_INVALID', 'payment_auth_key_failure'],
    ['ACQ.BUYER_NOT_ALLOWED', 'customer_not_allowed_to_pay_failure'],
    ['ACQ.BUYER_SELLER_EQUAL', 'customer_not_allowed_to_pay_failure'],
    ['ACQ.TRADE_BUYER_NOT_MATCH', 'customer_not_allowed_to_pay_failure'],
    ['ACQ.BUYER_ENABLE_STATUS_FORBID', 'customer_not_allowed_to_pay_failure'],
    ['ACQ.SELLER_BALANCE_NOT_ENOUGH', 'merchant_insufficient_balance_failure'],
    ['40006', 'merchant_not_allowed_to_sell_failure'],
    ['isv.insufficient-isv-permissions', 'merchant_not_allowed_to_sell_failure'],
    ['ACQ.ACCESS_FORBIDDEN', 'merchant_not_allowed_to_sell_failure'],
    ['ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'refund_exceeds_sale_amount_failure'],
    ['ACQ.TRADE_NOT_ALLOW_REFUND', 'refund_not_allowed_failure'],
    ['ACQ.REASON_TRADE_REFUND_FEE_ERR', 'refund_not_allowed_failure'],
    ['ACQ.CONTEXT_INCONSISTENT', 'transaction_id_failure'],
    ['ACQ.TRADE_HAS_CLOSE', 'payment_gateway_failure'],
    ['ACQ.TRADE_NOT_EXIST', 'sale_not_found_failure'],
    ['ACQ.TRADE_CANCEL_TIME_OUT', 'void_not_allowed_failure'],
    ['10003', 'payment_password_failure'],
  ];
  for (const [code, failure] of expected) {
    test(`${code} → ${failure}`, () => assert.equal(mapAlipayFailure(code), failure));
  }

  test('anything unmapped is unknown_failure (codes are case-sensitive)', () => {
    for (const code of ['', 'ACQ.SYSTEM_ERROR', 'ACQ.TRADE_HAS_SUCCESS', 'isv.invalid-signature', 'acq.buyer_balance_not_enough', 'NOTENOUGH']) {
      assert.equal(mapAlipayFailure(code), 'unknown_failure', code);
    }
  });

  test('every table entry is a blueprint failure code', () => {
    for (const [code, failure] of ALIPAY_FAILURE_CODES) assert.ok(FAILURE_CODES.includes(failure), `${code} → ${failure}`);
  });
});

describe('code classification', () => {
  test('gateway codes', () => {
    assert.equal(classifyGatewayCode('10000'), 'success');
    assert.equal(classifyGatewayCode('10003'), 'awaiting_customer');
    assert.equal(classifyGatewayCode('20000'), 'unavailable');
    assert.equal(classifyGatewayCode('40001'), 'invalid_request');
    assert.equal(classifyGatewayCode('40002'), 'invalid_request');
    assert.equal(classifyGatewayCode('40004'), 'business_failed');
    assert.equal(classifyGatewayCode('40006'), 'no_permission');
    assert.equal(classifyGatewayCode('50000'), null);
    assert.equal(classifyGatewayCode(undefined), null);
  });

  test('sub_codes that leave the outcome open', () => {
    assert.equal(classifyPaySubCode('ACQ.SYSTEM_ERROR'), 'unknown');
    assert.equal(classifyPaySubCode('ACQ.TRADE_HAS_SUCCESS'), 'unknown');
    assert.equal(classifyPaySubCode('ACQ.BUYER_BALANCE_NOT_ENOUGH'), 'definite');
    assert.equal(classifyCancelSubCode('ACQ.SYSTEM_ERROR'), 'unknown');
    assert.equal(classifyCancelSubCode('ACQ.TRADE_CANCEL_TIME_OUT'), 'definite');
    assert.equal(classifyRefundSubCode('ACQ.SYSTEM_ERROR'), 'unknown');
    assert.equal(classifyRefundSubCode('ACQ.TRADE_HAS_SUCCESS'), 'definite');
  });
});

describe('outcome rules', () => {
  const fail = (subCode: string): Record<string, string> => ({ code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: 'why' });

  test('pay', () => {
    assert.deepEqual(toPayOutcome({ code: '10000', out_trade_no: 'T1', trade_no: '2024' }, 'T1'), { kind: 'paid', providerTxnId: '2024' });
    assert.equal(toPayOutcome({ code: '10000', out_trade_no: 'T2' }, 'T1').kind, 'unknown');
    assert.deepEqual(toPayOutcome({ code: '10003', msg: 'order success pay inprocess' }, 'T1'), { kind: 'awaiting_customer', code: '10003' });
    assert.deepEqual(toPayOutcome({ code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: 'busy' }, 'T1'), {
      kind: 'unknown',
      reason: 'busy',
      code: 'isp.unknow-error',
    });
    assert.deepEqual(toPayOutcome({ code: '20000', msg: 'Service Currently Unavailable' }, 'T1'), {
      kind: 'unknown',
      reason: 'Service Currently Unavailable',
      code: '20000',
    });
    assert.deepEqual(toPayOutcome(fail('ACQ.SYSTEM_ERROR'), 'T1'), { kind: 'unknown', reason: 'why', code: 'ACQ.SYSTEM_ERROR' });
    assert.deepEqual(toPayOutcome(fail('ACQ.TRADE_HAS_SUCCESS'), 'T1'), { kind: 'unknown', reason: 'why', code: 'ACQ.TRADE_HAS_SUCCESS' });
    assert.deepEqual(toPayOutcome(fail('ACQ.BUYER_BALANCE_NOT_ENOUGH'), 'T1'), { kind: 'declined', code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', message: 'why' });
    // A signature Alipay refuses is CanCan's setup, not this payment: rejected.
    assert.deepEqual(toPayOutcome({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: 'bad' }, 'T1'), {
      kind: 'rejected',
      code: 'isv.invalid-signature',
      message: 'bad',
    });
    assert.deepEqual(toPayOutcome({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'bad' }, 'T1'), {
      kind: 'declined',
      code: 'isv.invalid-parameter',
      message: 'bad',
    });
    assert.deepEqual(toPayOutcome({ code: '40001', msg: 'Missing Required Arguments' }, 'T1'), {
      kind: 'declined',
      code: '40001',
      message: 'Missing Required Arguments',
    });
    assert.deepEqual(toPayOutcome({ code: '40006', msg: 'Insufficient Permissions' }, 'T1'), {
      kind: 'declined',
      code: '40006',
      message: 'Insufficient Permissions',
    });
    const unreadable: ReadonlyArray<Record<string, string>> = [{}, { code: '40004' }, { code: '99999' }];
    for (const fields of unreadable) assert.equal(toPayOutcome(fields, 'T1').kind, 'unknown', JSON.stringify(fields));
  });

  test('query', () => {
    assert.deepEqual(toQueryOutcome({ code: '10000', trade_status: 'TRADE_SUCCESS', trade_no: 'X' }, 'T1'), { kind: 'paid', providerTxnId: 'X' });
    assert.deepEqual(toQueryOutcome({ code: '10000', trade_status: 'TRADE_FINISHED' }, 'T1'), { kind: 'paid', providerTxnId: null });
    assert.deepEqual(toQueryOutcome({ code: '10000', trade_status: 'WAIT_BUYER_PAY' }, 'T1'), { kind: 'awaiting_customer' });
    assert.deepEqual(toQueryOutcome({ code: '10000', trade_status: 'TRADE_CLOSED' }, 'T1'), { kind: 'closed', code: 'TRADE_CLOSED' });
    assert.deepEqual(toQueryOutcome(fail('ACQ.TRADE_NOT_EXIST'), 'T1'), { kind: 'not_paid' });
    assert.equal(toQueryOutcome({ code: '10000', trade_status: 'TRADE_PENDING' }, 'T1').kind, 'unknown');
    assert.equal(toQueryOutcome({ code: '10000', trade_status: 'TRADE_SUCCESS', out_trade_no: 'T2' }, 'T1').kind, 'unknown');
    assert.equal(toQueryOutcome(fail('ACQ.SYSTEM_ERROR'), 'T1').kind, 'unknown');
    assert.equal(toQueryOutcome({ code: '40002', sub_code: 'isv.invalid-signature' }, 'T1').kind, 'rejected');
    assert.equal(toQueryOutcome({ code: '40002', sub_code: 'isv.invalid-parameter' }, 'T1').kind, 'unknown');
  });

  test('cancel', () => {
    assert.deepEqual(toReverseOutcome({ code: '10000', retry_flag: 'N', action: 'close' }), { kind: 'reversed' });
    assert.deepEqual(toReverseOutcome({ code: '10000', retry_flag: 'N', action: 'refund' }), { kind: 'reversed' });
    assert.deepEqual(toReverseOutcome({ code: '10000', retry_flag: 'N' }), { kind: 'reversed' });
    assert.equal(toReverseOutcome({ code: '10000', action: 'explode' }).kind, 'unknown');
    assert.equal(toReverseOutcome({ ...fail('ACQ.SYSTEM_ERROR'), retry_flag: 'Y' }).kind, 'retry');
    assert.equal(toReverseOutcome({ code: '20000', retry_flag: 'Y' }).kind, 'retry');
    assert.equal(toReverseOutcome({ ...fail('ACQ.SYSTEM_ERROR'), retry_flag: 'N' }).kind, 'unknown');
    assert.deepEqual(toReverseOutcome(fail('ACQ.TRADE_NOT_EXIST')), { kind: 'reversed' });
    assert.deepEqual(toReverseOutcome({ ...fail('ACQ.TRADE_CANCEL_TIME_OUT'), retry_flag: 'N' }), {
      kind: 'declined',
      code: 'ACQ.TRADE_CANCEL_TIME_OUT',
      message: 'why',
    });
    assert.equal(toReverseOutcome({ code: '20000' }).kind, 'unknown');
  });

  test('refund: fund_change says whether this call moved the money', () => {
    assert.deepEqual(toRefundOutcome({ code: '10000', fund_change: 'Y', out_trade_no: 'T1' }, 'T1'), { kind: 'succeeded' });
    assert.deepEqual(toRefundOutcome({ code: '10000', fund_change: 'N' }, 'T1'), { kind: 'processing' });
    assert.deepEqual(toRefundOutcome({ code: '10000' }, 'T1'), { kind: 'processing' });
    assert.equal(toRefundOutcome({ code: '10000', fund_change: 'maybe' }, 'T1').kind, 'unknown');
    assert.equal(toRefundOutcome({ code: '10000', fund_change: 'Y', out_trade_no: 'T2' }, 'T1').kind, 'unknown');
    assert.equal(toRefundOutcome(fail('ACQ.SYSTEM_ERROR'), 'T1').kind, 'unknown');
    assert.deepEqual(toRefundOutcome(fail('ACQ.TRADE_NOT_ALLOW_REFUND'), 'T1'), { kind: 'declined', code: 'ACQ.TRADE_NOT_ALLOW_REFUND', message: 'why' });
    assert.equal(toRefundOutcome({ code: '20000' }, 'T1').kind, 'unknown');
  });

  test('refund query: REFUND_SUCCESS or an echoed refund is success; an empty answer is not_found', () => {
    const request: RefundRequest = {
      orderNo: 'T1',
      refundNo: 'R1',
      saleMoney: money(2000, 'USD'),
      refundMoney: money(1053, 'USD'),
      reason: null,
      settledRefunds: [],
    };
    assert.deepEqual(toRefundQueryOutcome({ code: '10000', out_request_no: 'R1', refund_amount: '10.53', refund_status: 'REFUND_SUCCESS' }, request), {
      kind: 'succeeded',
    });
    assert.deepEqual(toRefundQueryOutcome({ code: '10000', out_request_no: 'R1', refund_amount: '10.53' }, request), { kind: 'succeeded' });
    assert.deepEqual(toRefundQueryOutcome({ code: '10000', msg: 'Success' }, request), { kind: 'not_found' });
    assert.deepEqual(toRefundQueryOutcome(fail('ACQ.TRADE_NOT_EXIST'), request), { kind: 'not_found' });
    assert.equal(toRefundQueryOutcome({ code: '10000', out_request_no: 'R2', refund_amount: '10.53' }, request).kind, 'unknown');
    assert.equal(toRefundQueryOutcome({ code: '10000', out_request_no: 'R1', refund_amount: '10.54' }, request).kind, 'unknown');
    assert.equal(toRefundQueryOutcome({ code: '10000', refund_status: 'REFUND_PROCESSING' }, request).kind, 'unknown');
    assert.equal(toRefundQueryOutcome(fail('ACQ.SYSTEM_ERROR'), request).kind, 'unknown');
  });
});

describe('request helpers', () => {
  test('auth codes: 16–24 digits starting 25–30', () => {
    for (const good of ['2500000000000000', '301234567890123456789012', '286543210987654321']) {
      assert.equal(isAlipayAuthCode(good), true, good);
    }
    for (const bad of [
      '',
      '250000000000000',
      '3012345678901234567890123',
      '2400000000000000',
      '3100000000000000',
      '13456789012345678',
      '28654321098765432a',
      ' 286543210987654321',
    ]) {
      assert.equal(isAlipayAuthCode(bad), false, bad);
    }
  });

  test('timestamps are yyyy-MM-dd HH:mm:ss in Beijing time', () => {
    assert.equal(beijingTimestamp(Date.UTC(2024, 4, 13, 9, 49, 20, 999)), '2024-05-13 17:49:20');
    assert.equal(beijingTimestamp(Date.UTC(2024, 11, 31, 16, 0, 0)), '2025-01-01 00:00:00');
  });
});
