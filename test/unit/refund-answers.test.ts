import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { declinedRefundAnswer } from '../../src/chop/refund-answers.js';
import type { FailureCode } from '../../src/domain/failures.js';

const declined = (method: string | null, failureCode: FailureCode | null, lastProviderCode: string | null, detail: string | null = null) =>
  declinedRefundAnswer({ payment_method: method, failure_code: failureCode, failure_detail: detail, last_provider_code: lastProviderCode });

describe('a CHOP refund the provider declined, as a refusal code', () => {
  test("past the provider's refund period → 4074, by each provider's own code", () => {
    const window = { code: '4074', status: 'Refund for this transaction is not allowed' };
    assert.deepEqual(declined('wechatpay', 'refund_not_allowed_failure', 'TRADE_OVERDUE'), window);
    assert.deepEqual(declined('alipay', 'refund_not_allowed_failure', 'ACQ.TRADE_HAS_FINISHED'), window);
    assert.deepEqual(declined('dana', 'refund_not_allowed_failure', 'REFUND_WINDOW_EXCEED'), window);
    // Another provider's code means nothing here.
    assert.deepEqual(declined('alipay', 'refund_not_allowed_failure', 'TRADE_OVERDUE'), { ...window, code: '4071' });
  });

  test("the merchant's balance at the provider → 4073; more than refundable and any other refusal → 4071", () => {
    assert.deepEqual(declined('alipay', 'merchant_insufficient_balance_failure', 'ACQ.SELLER_BALANCE_NOT_ENOUGH'), {
      code: '4073',
      status: 'Merchant has insufficient balance',
    });
    assert.deepEqual(declined('upop', 'refund_exceeds_sale_amount_failure', '33'), { code: '4071', status: 'Refund amount exceeds sale amount' });
    assert.deepEqual(declined('cc', 'unknown_failure', 'X9', 'X9: something odd'), { code: '4071', status: 'X9: something odd' });
    assert.deepEqual(declined(null, null, null), { code: '4071', status: 'Refund for this transaction is not allowed' });
  });
});
