/**
 * A provider refusing CanCan's setup (credentials, signature, certificate,
 * permission) is `rejected`, so the engine stops retrying what cannot work.
 * Adapters here answer from canned bodies through an injected fetch: nothing
 * leaves the process.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import { createAlipayAdapter } from '../../src/providers/alipay/adapter.js';
import { toPayOutcome as alipayPay, toQueryOutcome as alipayQuery } from '../../src/providers/alipay/transformers.js';
import { LINEPAY_SANDBOX_CREDENTIALS, createLinePayAdapter } from '../../src/providers/linepay/adapter.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from '../../src/providers/wechatpay/adapter.js';
import { toQueryOutcome as wechatQuery, toRefundOutcome as wechatRefund } from '../../src/providers/wechatpay/transformers.js';
import { buildXml } from '../../src/providers/wechatpay/xml.js';
import { otherKeyPair } from '../support/contract.js';

const canned =
  (status: number, body: string): typeof fetch =>
  async () =>
    new Response(body, { status });
const payRequest = { orderNo: 'ORDER1', money: money(100, 'CNY'), authCode: '286543210987654321', description: 'Tea' };

describe('Alipay', () => {
  const keys = otherKeyPair();
  const alipay = (answer: typeof fetch) =>
    createAlipayAdapter({
      gatewayUrl: 'http://127.0.0.1:9/gateway.do',
      timeoutMs: 1_000,
      fetch: answer,
      credentials: { appId: '2021000000000000', appPrivateKeyPem: keys.privateKey, alipayPublicKeyPem: otherKeyPair().publicKey },
    });

  test('an unsigned error_response naming the app id is rejected; other unsigned answers stay unknown', async () => {
    const badApp = JSON.stringify({
      error_response: { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-app-id', sub_msg: 'app_id does not exist' },
    });
    const paid = await alipay(canned(200, badApp)).pay(payRequest);
    assert.deepEqual(paid.outcome, { kind: 'rejected', code: 'isv.invalid-app-id', message: 'app_id does not exist' });
    assert.equal(paid.trace.code, 'isv.invalid-app-id');
    assert.equal((await alipay(canned(200, badApp)).query('ORDER1')).outcome.kind, 'rejected');
    const busy = JSON.stringify({ error_response: { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error' } });
    assert.deepEqual((await alipay(canned(200, busy)).query('ORDER1')).outcome, { kind: 'unknown', reason: 'answer is not signed' });
    // An unsigned "paid" is never believed.
    const forged = JSON.stringify({ alipay_trade_pay_response: { code: '10000', msg: 'Success', out_trade_no: 'ORDER1', trade_no: '2026' } });
    assert.equal((await alipay(canned(200, forged)).pay(payRequest)).outcome.kind, 'unknown');
  });

  test('HTTP 401 and 403 are rejected; other statuses unknown', async () => {
    assert.deepEqual((await alipay(canned(403, 'forbidden')).query('ORDER1')).outcome, {
      kind: 'rejected',
      code: 'HTTP 403',
      message: 'the provider refused the credentials or permissions of this request',
    });
    assert.equal((await alipay(canned(401, '')).pay(payRequest)).outcome.kind, 'rejected');
    assert.equal((await alipay(canned(502, '')).pay(payRequest)).outcome.kind, 'unknown');
  });

  test('signed refusals of the setup are rejected; a refused parameter is still a decline', () => {
    assert.deepEqual(
      alipayPay({ code: '40006', msg: 'Insufficient Permissions', sub_code: 'isv.insufficient-isv-permissions', sub_msg: 'no permission' }, 'ORDER1'),
      { kind: 'rejected', code: 'isv.insufficient-isv-permissions', message: 'no permission' },
    );
    assert.deepEqual(alipayQuery({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: 'bad sign' }, 'ORDER1'), {
      kind: 'rejected',
      code: 'isv.invalid-signature',
      message: 'bad sign',
    });
    assert.deepEqual(alipayPay({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'bad subject' }, 'ORDER1'), {
      kind: 'declined',
      code: 'isv.invalid-parameter',
      message: 'bad subject',
    });
  });
});

describe('WeChat Pay', () => {
  test('return_code FAIL naming the signature, merchant or certificate is rejected; any other FAIL stays unknown', () => {
    for (const message of [
      'signature error',
      '签名错误',
      'mch_id does not exist',
      'appid and mch_id do not match',
      '商户号mch_id与appid不匹配',
      'certificate not found',
      '证书已过期',
    ]) {
      assert.deepEqual(wechatQuery({ return_code: 'FAIL', return_msg: message }, 'ORDER1'), { kind: 'rejected', code: 'FAIL', message }, message);
      assert.deepEqual(wechatRefund({ return_code: 'FAIL', return_msg: message }), { kind: 'rejected', code: 'FAIL', message }, message);
    }
    assert.deepEqual(wechatQuery({ return_code: 'FAIL', return_msg: 'system busy' }, 'ORDER1'), { kind: 'unknown', reason: 'return_code FAIL: system busy' });
  });

  test('HTTP 401 and 403 are rejected', async () => {
    const adapter = createWeChatPayAdapter({
      baseUrl: 'http://127.0.0.1:9',
      credentials: WECHATPAY_SANDBOX_CREDENTIALS,
      timeoutMs: 1_000,
      fetch: canned(401, ''),
    });
    assert.equal((await adapter.reverse('ORDER1')).outcome.kind, 'rejected');
    const unsigned = createWeChatPayAdapter({
      baseUrl: 'http://127.0.0.1:9',
      credentials: WECHATPAY_SANDBOX_CREDENTIALS,
      timeoutMs: 1_000,
      fetch: canned(200, buildXml({ return_code: 'FAIL', return_msg: 'No client certificate' })),
    });
    assert.deepEqual(
      (
        await unsigned.refund({
          orderNo: 'ORDER1',
          refundNo: 'REFUND1',
          saleMoney: money(100, 'CNY'),
          refundMoney: money(100, 'CNY'),
          reason: null,
          settledRefunds: [],
        })
      ).outcome,
      { kind: 'rejected', code: 'FAIL', message: 'No client certificate' },
    );
  });
});

describe('LINE Pay', () => {
  test('1106 (header, i.e. channel credentials) is rejected for every call', async () => {
    const body = JSON.stringify({ returnCode: '1106', returnMessage: 'Header information error.' });
    const adapter = createLinePayAdapter({
      baseUrl: 'http://127.0.0.1:9',
      credentials: LINEPAY_SANDBOX_CREDENTIALS,
      region: 'TH',
      timeoutMs: 1_000,
      fetch: canned(200, body),
    });
    const rejected = { kind: 'rejected', code: '1106', message: 'Header information error.' };
    const paid = await adapter.pay({ ...payRequest, money: money(100, 'THB'), authCode: '081149423436' });
    assert.deepEqual(paid.outcome, rejected);
    assert.equal(paid.trace.code, '1106');
    assert.deepEqual((await adapter.query('ORDER1')).outcome, rejected);
    assert.deepEqual((await adapter.reverse('ORDER1')).outcome, rejected);
  });
});
