/**
 * Cross-check with an independent WeChat Pay v2 client, the `tenpay` package:
 * it signs requests our simulator accepts, and verifies the signatures our
 * simulator puts on its answers (and notices when an answer is altered).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import { WECHATPAY_SANDBOX_CREDENTIALS, createWeChatPayAdapter } from '../../src/providers/wechatpay/adapter.js';
import { parseXml } from '../../src/providers/wechatpay/xml.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { newOrderNo, refundRequest, useSimulatorServer, CALL_TIMEOUT_MS } from '../support/contract.js';

type WireObject = Record<string, string>;
interface TenpayClient {
  urls: Record<string, string>;
  micropay(params: Record<string, string | number>): Promise<WireObject>;
  orderQuery(params: Record<string, string>): Promise<WireObject>;
  unifiedOrder(params: Record<string, string | number>): Promise<WireObject>;
  closeOrder(params: Record<string, string>): Promise<WireObject>;
  reverse(params: Record<string, string>): Promise<WireObject>;
  refund(params: Record<string, string | number>): Promise<WireObject>;
  refundQuery(params: Record<string, string>): Promise<WireObject>;
  _getSign(params: WireObject, type: string): string;
  _parse(xml: string, type: string, signType: string): Promise<WireObject>;
}
interface TenpayModule {
  new (config: { appid: string; mchid: string; partnerKey: string }): TenpayClient;
}
interface TenpayUtil {
  buildXML(object: WireObject): string;
}

const require = createRequire(import.meta.url);
const Tenpay = require('tenpay') as TenpayModule;
const tenpayUtil = require('tenpay/lib/util') as TenpayUtil;

const { appId, mchId, apiKey } = WECHATPAY_SANDBOX_CREDENTIALS;
const AUTH_CODE = '134567890123456789';

describe('tenpay (independent WeChat Pay v2 client) against our simulator', () => {
  const sim = useSimulatorServer('wechatpay', ({ ledger }) =>
    wechatPaySimulator({
      ledger,
      credentials: [WECHATPAY_SANDBOX_CREDENTIALS],
      confirmDelayMs: 100,
      slowResponseMs: 500,
    }),
  );

  const client = (partnerKey = apiKey) => {
    const api = new Tenpay({ appid: appId, mchid: mchId, partnerKey });
    const base = sim.baseUrl;
    api.urls.micropay = `${base}/pay/micropay`;
    api.urls.orderquery = `${base}/pay/orderquery`;
    api.urls.unifiedorder = `${base}/pay/unifiedorder`;
    api.urls.closeorder = `${base}/pay/closeorder`;
    // secapi over plain HTTP: the sandbox needs no client certificate (wechatpay-tls.test.ts covers TLS).
    api.urls.reverse = `${base}/secapi/pay/reverse`;
    api.urls.refund = `${base}/secapi/pay/refund`;
    api.urls.refundquery = `${base}/pay/refundquery`;
    return api;
  };

  for (const signType of ['MD5', 'HMAC-SHA256']) {
    test(`micropay and orderquery signed by tenpay (${signType}) are accepted, and tenpay verifies the answers`, async () => {
      const api = client();
      const orderNo = `tp${signType.length}${Date.now()}`;
      const paid = await api.micropay({ out_trade_no: orderNo, body: 'cross-check', total_fee: 1234, auth_code: AUTH_CODE, sign_type: signType });
      assert.equal(paid.result_code, 'SUCCESS');
      assert.equal(paid.out_trade_no, orderNo);
      assert.equal(paid.total_fee, '1234');
      const queried = await api.orderQuery({ out_trade_no: orderNo, sign_type: signType });
      assert.equal(queried.trade_state, 'SUCCESS');
      assert.deepEqual(
        sim.ledger
          .entries()
          .filter((e) => e.order_no === orderNo)
          .map((e) => [e.status, e.amount]),
        [['paid', 1234]],
      );
    });
  }

  test('Native: unifiedorder, orderquery and closeorder signed by tenpay are accepted, and tenpay verifies the answers', async () => {
    const api = client();
    const orderNo = `tpnative${Date.now()}`;
    const order = await api.unifiedOrder({
      out_trade_no: orderNo,
      body: 'native cross-check',
      total_fee: 990,
      trade_type: 'NATIVE',
      product_id: 'P1',
      notify_url: 'https://shop.example/notify',
      sign_type: 'HMAC-SHA256',
    });
    assert.equal(order.trade_type, 'NATIVE');
    assert.match(order.code_url ?? '', /^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{7}$/);
    assert.match(order.prepay_id ?? '', /^wx\d{14}[0-9a-f]{20}$/);
    assert.equal((await api.orderQuery({ out_trade_no: orderNo })).trade_state, 'NOTPAY');
    assert.equal((await api.closeOrder({ out_trade_no: orderNo })).result_code, 'SUCCESS');
    assert.equal((await api.orderQuery({ out_trade_no: orderNo })).trade_state, 'CLOSED');
    // tenpay turns result_code FAIL into an error named by err_code.
    await assert.rejects(api.closeOrder({ out_trade_no: orderNo }), /ORDERCLOSED/);
    assert.deepEqual(
      sim.ledger
        .entries()
        .filter((e) => e.order_no === orderNo)
        .map((e) => [e.status, e.amount]),
      [['closed', 990]],
    );
  });

  test('a request tenpay signs with another key is refused by our simulator', async () => {
    const api = client('0'.repeat(32));
    const orderNo = `tpbad${Date.now()}`;
    await assert.rejects(api.micropay({ out_trade_no: orderNo, body: 'x', total_fee: 100, auth_code: AUTH_CODE }));
    assert.equal(sim.ledger.entries().filter((e) => e.order_no === orderNo).length, 0);
  });

  test("tenpay's verifier accepts our simulator's signature and rejects an altered answer", async () => {
    const api = client();
    const request: WireObject = {
      appid: appId,
      mch_id: mchId,
      nonce_str: 'crosscheck0001',
      sign_type: 'MD5',
      out_trade_no: `tpraw${Date.now()}`,
      body: 'raw',
      total_fee: '2000',
      auth_code: AUTH_CODE,
      spbill_create_ip: '127.0.0.1',
    };
    request.sign = api._getSign(request, 'MD5');
    const response = await fetch(`${sim.baseUrl}/pay/micropay`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: tenpayUtil.buildXML(request),
    });
    const xml = await response.text();
    const verified = await api._parse(xml, 'micropay', 'MD5');
    assert.equal(verified.result_code, 'SUCCESS');
    const altered = xml.replace('<total_fee><![CDATA[2000]]></total_fee>', '<total_fee><![CDATA[1]]></total_fee>');
    assert.notEqual(altered, xml, 'the answer carries total_fee to alter');
    await assert.rejects(api._parse(altered, 'micropay', 'MD5'), /sign/);
  });

  test('reverse signed by tenpay is accepted: the paid order is reversed, and tenpay verifies the answer', async () => {
    const api = client();
    const orderNo = `tprev${Date.now()}`;
    await api.micropay({ out_trade_no: orderNo, body: 'to reverse', total_fee: 1500, auth_code: AUTH_CODE, sign_type: 'HMAC-SHA256' });
    const reversed = await api.reverse({ out_trade_no: orderNo, sign_type: 'HMAC-SHA256' });
    assert.deepEqual([reversed.result_code, reversed.recall], ['SUCCESS', 'N']);
    assert.deepEqual(
      sim.ledger
        .entries()
        .filter((e) => e.order_no === orderNo)
        .map((e) => e.status),
      ['reversed'],
    );
  });

  for (const signType of ['MD5', 'HMAC-SHA256']) {
    test(`refund and refundquery signed by tenpay (${signType}) are accepted, and tenpay verifies the answers`, async () => {
      const api = client();
      const orderNo = `tpref${signType.length}${Date.now()}`;
      const refundNo = `${orderNo}r1`;
      await api.micropay({ out_trade_no: orderNo, body: 'to refund', total_fee: 3000, auth_code: AUTH_CODE, sign_type: signType });
      const refunded = await api.refund({ out_trade_no: orderNo, out_refund_no: refundNo, total_fee: 3000, refund_fee: 1200, sign_type: signType });
      assert.deepEqual([refunded.result_code, refunded.out_refund_no, refunded.refund_fee], ['SUCCESS', refundNo, '1200']);
      const queried = await api.refundQuery({ out_refund_no: refundNo, sign_type: signType });
      assert.deepEqual([queried.out_refund_no_0, queried.refund_status_0, queried.refund_fee_0], [refundNo, 'SUCCESS', '1200']);
      assert.deepEqual(
        sim.ledger
          .entries()
          .filter((e) => e.order_no === orderNo)
          .map((e) => [e.status, e.refunded_amount]),
        [['partially_refunded', 1200]],
      );
    });
  }

  test("our adapter's reverse, refund and refundquery requests carry signatures tenpay computes the same", async () => {
    const sent: WireObject[] = [];
    const spying: typeof fetch = async (input, init) => {
      sent.push(parseXml(String(init?.body)));
      return fetch(input, init);
    };
    const adapter = createWeChatPayAdapter({ baseUrl: sim.baseUrl, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: CALL_TIMEOUT_MS, fetch: spying });
    const sale = { orderNo: newOrderNo('TPX'), money: money(2500, 'CNY'), authCode: AUTH_CODE, description: 'adapter cross-check' };
    assert.equal((await adapter.pay(sale)).outcome.kind, 'paid');
    const refund = refundRequest(sale, newOrderNo('TPXR'), 500, 'partial');
    assert.deepEqual((await adapter.refund(refund)).outcome, { kind: 'processing' });
    assert.deepEqual((await adapter.refundQuery(refund)).outcome, { kind: 'succeeded' });
    const other = { ...sale, orderNo: newOrderNo('TPX') };
    await adapter.pay(other);
    assert.deepEqual((await adapter.reverse(other.orderNo)).outcome, { kind: 'reversed' });
    const api = client();
    assert.equal(sent.length, 5);
    for (const fields of sent) assert.equal(api._getSign(fields, fields.sign_type ?? 'MD5'), fields.sign, JSON.stringify(fields));
    assert.deepEqual(
      sent.map((fields) => [fields.out_trade_no ?? null, fields.out_refund_no ?? null]),
      [
        [sale.orderNo, null],
        [sale.orderNo, refund.refundNo],
        [null, refund.refundNo],
        [other.orderNo, null],
        [other.orderNo, null],
      ],
    );
  });

  test("WeChat's published signature example: tenpay computes the published MD5 and HMAC-SHA256 values", () => {
    // docs/providers.md and ../shared/spec/PROVIDERS.md: WeChat's own example, key 192006250b4c09247ec02edce69f6a2d.
    const api = new Tenpay({ appid: 'wxd930ea5d5a258f4f', mchid: '10000100', partnerKey: '192006250b4c09247ec02edce69f6a2d' });
    const fields: WireObject = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
    assert.equal(api._getSign({ ...fields }, 'MD5'), '9A0A8659F005D6984697E2CA0A9CF3B7');
    assert.equal(api._getSign({ ...fields }, 'HMAC-SHA256'), '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  });
});
