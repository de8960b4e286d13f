/**
 * WeChat Pay refunds have their own refusal table: the same err_code means
 * another thing on a refund (NOTENOUGH: the merchant's refundable balance).
 * The engine's refund steps read it (core/process.ts refundFailure), while
 * sales keep the payment table; a CHOP refund of the merchant's balance then
 * answers Citcon's balance refusal code. Also: which host a live merchant's
 * calls go to.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { declinedRefundAnswer } from '../../src/chop/refund-answers.js';
import { REFUND_REFUSALS } from '../../src/chop/refunds.js';
import { providerFailure, refundFailure } from '../../src/core/process.js';
import { FAILURE_CODES } from '../../src/domain/failures.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, WECHATPAY_LIVE_BASE_URL, createWeChatPayAdapter } from '../../src/providers/wechatpay/adapter.js';
import { liveBaseUrl } from '../../src/providers/wechatpay/credentials.js';
import { WECHAT_REFUND_FAILURE_CODES, classifyRefundError, mapWeChatRefundFailure } from '../../src/providers/wechatpay/errors.js';
import { toRefundOutcome, toRefundQueryOutcome } from '../../src/providers/wechatpay/transformers.js';

const adapter = createWeChatPayAdapter({ baseUrl: 'http://127.0.0.1:1', credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: 1_000 });

describe('WeChat Pay refund refusals', () => {
  const expected: ReadonlyArray<readonly [string, string]> = [
    ['NOTENOUGH', 'merchant_insufficient_balance_failure'],
    ['TRADE_OVERDUE', 'refund_not_allowed_failure'],
    ['ERROR', 'refund_not_allowed_failure'],
    ['USER_ACCOUNT_ABNORMAL', 'refund_not_allowed_failure'],
    ['ORDERNOTEXIST', 'sale_not_found_failure'],
    ['INVALID_TRANSACTIONID', 'sale_not_found_failure'],
    ['NOAUTH', 'merchant_not_allowed_to_sell_failure'],
    ['INVALID_REQ_TOO_MUCH', 'payment_gateway_failure'],
    ['PARAM_ERROR', 'payment_gateway_failure'],
    ['REFUNDCLOSE', 'refund_not_allowed_failure'],
    ['CHANGE', 'bank_failure'],
  ];

  test('the table, every entry a known failure code, nothing else mapped', () => {
    assert.deepEqual([...WECHAT_REFUND_FAILURE_CODES.entries()], expected);
    for (const code of WECHAT_REFUND_FAILURE_CODES.values()) assert.ok(FAILURE_CODES.includes(code));
    assert.equal(mapWeChatRefundFailure('SOMETHING_NEW'), 'unknown_failure');
  });

  test('NOTENOUGH: the engine fails a refund for the merchant’s balance, a sale for the customer’s', () => {
    const declined = toRefundOutcome({
      return_code: 'SUCCESS',
      result_code: 'FAIL',
      err_code: 'NOTENOUGH',
      err_code_des: '基本账户余额不足，请充值后重新发起',
    });
    assert.deepEqual(declined, { kind: 'declined', code: 'NOTENOUGH', message: '基本账户余额不足，请充值后重新发起' });
    assert.deepEqual(refundFailure(adapter, 'NOTENOUGH', 'x'), { code: 'merchant_insufficient_balance_failure', detail: 'Merchant has insufficient balance' });
    assert.deepEqual(providerFailure(adapter, 'NOTENOUGH', 'x'), {
      code: 'customer_insufficient_balance_failure',
      detail: 'Customer has insufficient balance',
    });
    const answer = declinedRefundAnswer({
      payment_method: 'wechatpay',
      failure_code: 'merchant_insufficient_balance_failure',
      failure_detail: null,
      last_provider_code: 'NOTENOUGH',
    });
    assert.equal(answer.code, REFUND_REFUSALS.balance.code);
  });

  test('an unmapped refund code keeps the provider’s words; retry codes stay open', () => {
    assert.deepEqual(refundFailure(adapter, 'NEWCODE', 'something new'), { code: 'unknown_failure', detail: 'NEWCODE: something new' });
    for (const code of ['SYSTEMERROR', 'BIZERR_NEED_RETRY', 'FREQUENCY_LIMITED']) assert.equal(classifyRefundError(code), 'unknown');
    const refundNo = 'R1';
    const changed = toRefundQueryOutcome(
      { return_code: 'SUCCESS', result_code: 'SUCCESS', refund_count: '1', out_refund_no_0: refundNo, refund_status_0: 'CHANGE' },
      refundNo,
    );
    assert.deepEqual(changed, { kind: 'failed', code: 'CHANGE', message: 'refund needs a manual transfer' });
    assert.equal(refundFailure(adapter, 'CHANGE', 'x').code, 'bank_failure');
  });
});

describe('WeChat Pay live host', () => {
  const merchant = { ...WECHATPAY_SANDBOX_CREDENTIALS };
  test('the regional host of the credentials, unless CANCAN_WECHATPAY_URL points elsewhere', () => {
    assert.equal(
      liveBaseUrl(WECHATPAY_LIVE_BASE_URL, WECHATPAY_LIVE_BASE_URL, { ...merchant, apiHost: 'apihk.mch.weixin.qq.com' }),
      'https://apihk.mch.weixin.qq.com',
    );
    assert.equal(
      liveBaseUrl(WECHATPAY_LIVE_BASE_URL, WECHATPAY_LIVE_BASE_URL, { ...merchant, apiHost: 'apius.mch.weixin.qq.com' }),
      'https://apius.mch.weixin.qq.com',
    );
    assert.equal(liveBaseUrl(WECHATPAY_LIVE_BASE_URL, WECHATPAY_LIVE_BASE_URL, merchant), 'https://api.mch.weixin.qq.com');
    assert.equal(
      liveBaseUrl('http://127.0.0.1:9/_sim/wechatpay', WECHATPAY_LIVE_BASE_URL, { ...merchant, apiHost: 'apihk.mch.weixin.qq.com' }),
      'http://127.0.0.1:9/_sim/wechatpay',
    );
  });
});
