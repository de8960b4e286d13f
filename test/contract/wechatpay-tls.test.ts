/**
 * WeChat Pay's secapi paths over TLS: the simulator served over HTTPS by a CA
 * the test makes (openssl), asking each client for a certificate. reverse and
 * refund go through with the merchant's API certificate (PKCS#12 or PEM);
 * without one, with one issued to another merchant, or with one no trusted CA
 * signed, they fail fast as refusals with a clear detail — never `unknown`.
 * Also: the sub-merchant fields of service-provider mode, and the credential
 * checks `provider set-credentials` and the operator console rely on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { money } from '../../src/domain/money.js';
import type { PosAdapter } from '../../src/providers/contract.js';
import { NO_CERTIFICATE, createWeChatPayAdapter } from '../../src/providers/wechatpay/adapter.js';
import { parseWeChatPayCredentials, type WeChatPayCredentials } from '../../src/providers/wechatpay/credentials.js';
import { wechatPaySimulator } from '../../src/providers/wechatpay/simulator.js';
import { SimulatorLedger } from '../../src/simulators/ledger.js';
import { newOrderNo, refundRequest, CALL_TIMEOUT_MS } from '../support/contract.js';
import { type TestCa, createTestCa } from '../support/test-ca.js';

const TIMEOUT_MS = CALL_TIMEOUT_MS;
const AUTH_CODE = '134567890123456789';
const MCH_ID = '1900009191';
const SUB_MCH_ID = '1900000100';

const MERCHANT = { appId: 'wx8888888888888888', mchId: MCH_ID, apiKey: 'tlstestmerchantapikey00000000032', signType: 'HMAC-SHA256' } as const;
/** The same institution, paying for one of its sub-merchants (service-provider mode). */
const SUB_MERCHANT = { ...MERCHANT, subMchId: SUB_MCH_ID, subAppId: 'wx2421b1c4370ec43b' } as const;

let ca: TestCa;
let app: FastifyInstance;
let ledger: SimulatorLedger;
let ledgerDir: string;
let baseUrl: string;

before(async () => {
  ca = createTestCa();
  ledgerDir = mkdtempSync(join(tmpdir(), 'cancan-wechat-tls-'));
  ledger = SimulatorLedger.open(join(ledgerDir, 'simulator.sqlite'));
  // The TLS layer asks for a certificate and lets the route decide: non-secapi paths need none, as at WeChat.
  app = Fastify({ https: { key: ca.server.keyPem, cert: ca.server.certPem, ca: ca.caPem, requestCert: true, rejectUnauthorized: false } });
  const simulator = wechatPaySimulator({ ledger, credentials: [MERCHANT, SUB_MERCHANT], confirmDelayMs: 300, slowResponseMs: 600 });
  await app.register(simulator, { prefix: '/_sim/wechatpay' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(typeof address === 'object' && address !== null);
  baseUrl = `https://127.0.0.1:${address.port}/_sim/wechatpay`;
});

after(async () => {
  await app?.close();
  ledger?.close();
  if (ledgerDir) rmSync(ledgerDir, { recursive: true, force: true });
  ca?.remove();
});

function credentialsWith(fields: Record<string, unknown>, base: Record<string, unknown> = MERCHANT): WeChatPayCredentials {
  const parsed = parseWeChatPayCredentials({ ...base, ...fields });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  return parsed.value;
}

const adapterWith = (credentials: WeChatPayCredentials): PosAdapter => createWeChatPayAdapter({ baseUrl, credentials, timeoutMs: TIMEOUT_MS, ca: ca.caPem });

/** A paid micropay order (micropay is not a secapi path: no certificate needed). */
async function paidOrder(adapter: PosAdapter, amount = 1000): Promise<{ orderNo: string; money: ReturnType<typeof money> }> {
  const sale = { orderNo: newOrderNo('TLS'), money: money(amount, 'CNY'), authCode: AUTH_CODE, description: 'TLS test' };
  const paid = await adapter.pay(sale);
  assert.equal(paid.outcome.kind, 'paid', JSON.stringify(paid));
  return sale;
}

const statusOf = (orderNo: string) => ledger.findOrder('wechatpay', orderNo)?.status;

describe('WeChat Pay secapi over TLS with the merchant API certificate', () => {
  test('PKCS#12 (passphrase: the merchant id): reverse and refund go through, and only secapi needs it', async () => {
    const client = ca.client(MCH_ID);
    const adapter = adapterWith(credentialsWith({ certP12: client.p12Base64 }));
    const reversed = await paidOrder(adapter);
    assert.deepEqual((await adapter.reverse(reversed.orderNo)).outcome, { kind: 'reversed' });
    assert.equal(statusOf(reversed.orderNo), 'reversed');

    const sale = await paidOrder(adapter);
    const refund = refundRequest(sale, newOrderNo('TLSR'), 400);
    const sent = await adapter.refund(refund);
    assert.deepEqual(sent.outcome, { kind: 'processing' });
    assert.deepEqual([sent.trace.call, sent.trace.httpStatus], ['refund', 200]);
    assert.deepEqual((await adapter.refundQuery(refund)).outcome, { kind: 'succeeded' });
    assert.equal(statusOf(sale.orderNo), 'partially_refunded');
  });

  test('PEM certificate and key work the same', async () => {
    const client = ca.client(MCH_ID);
    const adapter = adapterWith(credentialsWith({ certPem: client.certPem, keyPem: client.keyPem }));
    const sale = await paidOrder(adapter);
    assert.deepEqual((await adapter.reverse(sale.orderNo)).outcome, { kind: 'reversed' });
  });

  test('no certificate in live credentials: reverse and refund are refused before any call, with the reason', async () => {
    const adapter = adapterWith(credentialsWith({}));
    const sale = await paidOrder(adapter);
    const reverse = await adapter.reverse(sale.orderNo);
    assert.deepEqual(reverse.outcome, NO_CERTIFICATE);
    assert.deepEqual([reverse.trace.code, reverse.trace.httpStatus], ['NO_CLIENT_CERTIFICATE', null]);
    const refund = await adapter.refund(refundRequest(sale, newOrderNo('TLSR'), 100));
    assert.deepEqual(refund.outcome, NO_CERTIFICATE);
    assert.equal(statusOf(sale.orderNo), 'paid', 'nothing reached the provider');
    assert.equal(ledger.refundsOf('wechatpay', sale.orderNo).length, 0);
  });

  test('a certificate issued to another merchant is refused by the provider: a refusal, not unknown', async () => {
    const other = ca.client('1900000999');
    // Built by hand: the credential parser would refuse this certificate already.
    const adapter = adapterWith({ ...MERCHANT, certPem: other.certPem, keyPem: other.keyPem });
    const sale = await paidOrder(adapter);
    const reverse = await adapter.reverse(sale.orderNo);
    assert.deepEqual(reverse.outcome, {
      kind: 'rejected',
      code: 'FAIL',
      message: `secapi needs the merchant API certificate: the client certificate belongs to 1900000999, not to mch_id ${MCH_ID}`,
    });
    assert.equal(statusOf(sale.orderNo), 'paid');
  });

  test('a certificate no trusted CA signed is refused: a refusal naming the certificate', async () => {
    const forged = ca.client(MCH_ID, { selfSigned: true });
    const adapter = adapterWith({ ...MERCHANT, certPem: forged.certPem, keyPem: forged.keyPem });
    const sale = await paidOrder(adapter);
    const refund = await adapter.refund(refundRequest(sale, newOrderNo('TLSR'), 100));
    assert.equal(refund.outcome.kind, 'rejected');
    assert.ok(refund.outcome.kind === 'rejected');
    assert.match(refund.outcome.message, /^secapi needs the merchant API certificate: the client certificate is not trusted \(/);
    assert.equal(ledger.refundsOf('wechatpay', sale.orderNo).length, 0);
  });

  test('the adapter checks the server too: a server certificate of an unknown CA is unknown, never a decline', async () => {
    const adapter = createWeChatPayAdapter({ baseUrl, credentials: credentialsWith({ certP12: ca.client(MCH_ID).p12Base64 }), timeoutMs: TIMEOUT_MS });
    const query = await adapter.query(newOrderNo('TLS'));
    assert.equal(query.outcome.kind, 'unknown');
    assert.ok(query.outcome.kind === 'unknown');
    assert.match(query.outcome.reason, /self.signed|unable to (get|verify)/i);
  });
});

describe('WeChat Pay service-provider mode: sub_mch_id and sub_appid', () => {
  test('every request carries the sub-merchant; the simulator books the sub-merchant’s order and answers with it', async () => {
    const adapter = adapterWith(credentialsWith({ certP12: ca.client(MCH_ID).p12Base64 }, SUB_MERCHANT));
    const sale = await paidOrder(adapter);
    assert.deepEqual((await adapter.query(sale.orderNo)).outcome.kind, 'paid');
    const refund = refundRequest(sale, newOrderNo('TLSR'), 1000);
    assert.deepEqual((await adapter.refund(refund)).outcome, { kind: 'processing' });
    assert.deepEqual((await adapter.refundQuery(refund)).outcome, { kind: 'succeeded' });
  });

  test('a sub_mch_id the institution does not have, or a missing one, is a refusal', async () => {
    const stranger = adapterWith({ ...SUB_MERCHANT, subMchId: '1900000101' });
    const pay = await stranger.pay({ orderNo: newOrderNo('TLS'), money: money(1000, 'CNY'), authCode: AUTH_CODE, description: 'x' });
    assert.deepEqual(pay.outcome, { kind: 'rejected', code: 'FAIL', message: 'sub_mch_id is not a sub-merchant of mch_id' });
    const wrongApp = adapterWith({ ...SUB_MERCHANT, subAppId: 'wx0000000000000000' });
    const query = await wrongApp.query(newOrderNo('TLS'));
    assert.deepEqual(query.outcome, { kind: 'rejected', code: 'FAIL', message: 'sub_appid and sub_mch_id do not match' });
  });
});

describe('WeChat Pay live credentials: the certificate is checked when set', () => {
  const problems = (fields: Record<string, unknown>): string[] => {
    const parsed = parseWeChatPayCredentials({ ...MERCHANT, ...fields });
    return parsed.ok ? [] : parsed.problems;
  };

  test('a PKCS#12 with its own passphrase loads; the wrong passphrase is named', () => {
    const client = ca.client(MCH_ID, { passphrase: 'not-the-default' });
    assert.deepEqual(problems({ certP12: client.p12Base64, certPassphrase: 'not-the-default' }), []);
    assert.deepEqual(problems({ certP12: client.p12Base64 }), ['the WeChat Pay API certificate does not load (wrong certPassphrase)']);
  });

  test('a certificate of another merchant id is refused, naming both ids', () => {
    // Its passphrase is its own merchant id (WeChat's default), so it loads once that is given.
    assert.deepEqual(problems({ certP12: ca.client('1900000999').p12Base64, certPassphrase: '1900000999' }), [
      `the WeChat Pay API certificate was issued to merchant 1900000999, not to mchId ${MCH_ID}`,
    ]);
  });

  test('garbage, half a PEM pair, a key of another certificate and both forms at once are refused', () => {
    const client = ca.client(MCH_ID);
    const other = ca.client(MCH_ID);
    assert.equal(problems({ certP12: Buffer.from('not a certificate').toString('base64') }).length, 1);
    assert.match(problems({ certP12: Buffer.from('not a certificate').toString('base64') })[0] ?? '', /^the WeChat Pay API certificate does not load \(/);
    assert.deepEqual(problems({ certP12: 'this is not base64!' }), ['certP12 must be the base64 of apiclient_cert.p12']);
    assert.deepEqual(problems({ certPem: client.certPem }), ['certPem and keyPem go together (apiclient_cert.pem and apiclient_key.pem)']);
    assert.deepEqual(problems({ certPem: client.certPem, keyPem: other.keyPem }), [
      'the WeChat Pay API certificate does not load (keyPem is not the key of certPem)',
    ]);
    assert.deepEqual(problems({ certP12: client.p12Base64, certPem: client.certPem, keyPem: client.keyPem }), ['give certP12 or certPem + keyPem, not both']);
  });

  test('the parsed credentials are what is stored: they survive JSON and parse again to the same', () => {
    const first = parseWeChatPayCredentials({ ...SUB_MERCHANT, certP12: ca.client(MCH_ID).p12Base64, apiHost: 'apihk.mch.weixin.qq.com' });
    assert.ok(first.ok);
    const again = parseWeChatPayCredentials(JSON.parse(JSON.stringify(first.value)));
    assert.deepEqual(again, first);
    assert.deepEqual([first.value.certPassphrase, first.value.subMchId, first.value.apiHost], [MCH_ID, SUB_MCH_ID, 'apihk.mch.weixin.qq.com']);
  });

  test('sub-merchant fields and the regional host are checked', () => {
    assert.deepEqual(problems({ subAppId: 'wx1' }), ['subAppId needs subMchId']);
    assert.deepEqual(problems({ apiHost: 'api.example.com' }), [
      'apiHost must be one of api.mch.weixin.qq.com, api2.mch.weixin.qq.com, apihk.mch.weixin.qq.com, apius.mch.weixin.qq.com',
    ]);
    assert.deepEqual(problems({ subMchId: SUB_MCH_ID, apiHost: 'apihk.mch.weixin.qq.com' }), []);
  });
});
