/**
 * Cross-check with an independent WeChat Pay v2 client, the `tenpay` package:
 * it signs requests our simulator accepts, and verifies the signatures our
 * simulator puts on its answers (and notices when an answer is altered).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { useSimulatorServer } from '../support/contract.js';

type WireObject = Record<string, string>;
interface TenpayClient {
  urls: Record<string, string>;
  micropay(params: Record<string, string | number>): Promise<WireObject>;
  orderQuery(params: Record<string, string>): Promise<WireObject>;
  unifiedOrder(params: Record<string, string | number>): Promise<WireObject>;
  closeOrder(params: Record<string, string>): Promise<WireObject>;
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
});
