import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  openSignedResponse,
  rawMember,
  responseKeyFor,
  signParams,
  signText,
  signedResponseBody,
  signingString,
  topLevelMembers,
  verifyParams,
  verifyText,
} from '../../src/providers/alipay/sign.js';

function rsaPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

const app = rsaPair();
const platform = rsaPair();
const other = rsaPair();

const PARAMS = {
  app_id: '2021000000000000',
  method: 'alipay.trade.pay',
  format: 'JSON',
  charset: 'utf-8',
  sign_type: 'RSA2',
  timestamp: '2024-05-13 17:49:20',
  version: '1.0',
  biz_content: '{"out_trade_no":"T1","subject":"Tea & cake = 12元","total_amount":"10.53"}',
};

describe('request signing string', () => {
  test('sorted by name, sign_type included, sign and empty values left out, raw values', () => {
    assert.equal(
      signingString({ ...PARAMS, sign: 'IGNORED', notify_url: '', app_auth_token: undefined }),
      'app_id=2021000000000000' +
        '&biz_content={"out_trade_no":"T1","subject":"Tea & cake = 12元","total_amount":"10.53"}' +
        '&charset=utf-8&format=JSON&method=alipay.trade.pay&sign_type=RSA2' +
        '&timestamp=2024-05-13 17:49:20&version=1.0',
    );
  });

  test('sorts by ASCII code, not by locale', () => {
    assert.equal(signingString({ b: '1', B: '2', a_b: 'x', a: 'y', aB: 'z' }), 'B=2&a=y&aB=z&a_b=x&b=1');
  });

  test('signParams adds sign, replaces a stale one and drops empty values', () => {
    const signed = signParams({ ...PARAMS, sign: 'STALE', notify_url: '' }, app.privateKeyPem);
    assert.equal('notify_url' in signed, false);
    assert.notEqual(signed['sign'], 'STALE');
    assert.equal(signed['sign'], signText(signingString(PARAMS), app.privateKeyPem));
    assert.match(signed['sign'] ?? '', /^[A-Za-z0-9+/]{342}==$/); // 2048-bit RSA: 256 bytes
  });
});

describe('RSA2 sign and verify', () => {
  const signed = signParams(PARAMS, app.privateKeyPem);

  test('round trip with the matching public key', () => {
    assert.equal(verifyParams(signed, app.publicKeyPem), true);
  });

  test('a PKCS#1 private key signs the same way', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    assert.match(privateKey, /BEGIN RSA PRIVATE KEY/);
    assert.equal(verifyParams(signParams(PARAMS, privateKey), publicKey), true);
    assert.equal(verifyText('abc', signText('abc', privateKey), app.publicKeyPem), false, 'and only its own public key verifies');
  });

  test('another key does not verify', () => {
    assert.equal(verifyParams(signed, other.publicKeyPem), false);
  });

  test('any tampered parameter, sign_type included, fails', () => {
    for (const [name, value] of [
      ['biz_content', PARAMS.biz_content.replace('10.53', '10.54')],
      ['sign_type', 'RSA'],
      ['timestamp', '2024-05-13 17:49:21'],
    ] as const) {
      assert.equal(verifyParams({ ...signed, [name]: value }, app.publicKeyPem), false, name);
    }
    assert.equal(verifyParams({ ...signed, extra: 'x' }, app.publicKeyPem), false, 'added parameter');
    assert.equal(verifyParams({ ...signed, notify_url: '' }, app.publicKeyPem), true, 'an empty parameter is not signed');
  });

  test('missing, malformed or altered signatures and bad keys are false, never a throw', () => {
    const { sign: _sign, ...unsigned } = signed;
    assert.equal(verifyParams(unsigned, app.publicKeyPem), false);
    assert.equal(verifyParams({ ...signed, sign: '' }, app.publicKeyPem), false);
    assert.equal(verifyParams({ ...signed, sign: 'not base64!' }, app.publicKeyPem), false);
    const sign = signed['sign'] ?? '';
    assert.equal(verifyParams({ ...signed, sign: `${sign.slice(0, 10)}${sign[10] === 'A' ? 'B' : 'A'}${sign.slice(11)}` }, app.publicKeyPem), false);
    assert.equal(verifyParams(signed, 'not a key'), false);
  });
});

describe('raw member extraction', () => {
  test('returns each value exactly as written, whitespace inside kept', () => {
    const body = '{ "alipay_trade_pay_response" : { "code" : "10000",\n "msg":"Success" } ,\t"sign" : "abc" }';
    const members = topLevelMembers(body);
    assert.ok(members !== null);
    assert.equal(members.get('alipay_trade_pay_response'), '{ "code" : "10000",\n "msg":"Success" }');
    assert.equal(members.get('sign'), '"abc"');
    assert.deepEqual([...members.keys()], ['alipay_trade_pay_response', 'sign']);
  });

  test('strings with escaped quotes, backslashes and braces do not end the value', () => {
    const inner = '{"msg":"he said \\"}\\" and {[","path":"C:\\\\","list":["]",{"deep":"}}"}],"n":-1.5e3,"t":true,"z":null}';
    const body = `{"alipay_trade_query_response":${inner},"sign":"s"}`;
    assert.equal(rawMember(body, 'alipay_trade_query_response'), inner);
    assert.deepEqual(JSON.parse(rawMember(body, 'alipay_trade_query_response') ?? ''), JSON.parse(inner));
  });

  test('sign first, other keys, and the response name quoted inside another string', () => {
    const decoy = '"note":"\\"alipay_trade_pay_response\\":{\\"code\\":\\"40004\\"}"';
    const body = `{"sign":"s",${decoy},"alipay_trade_pay_response":{"code":"10000"},"extra":[1,2,{"a":"}"}]}`;
    assert.equal(rawMember(body, 'alipay_trade_pay_response'), '{"code":"10000"}');
    assert.equal(rawMember(body, 'extra'), '[1,2,{"a":"}"}]');
    assert.equal(rawMember(body, 'sign'), '"s"');
  });

  test('names are compared decoded; scalars are returned raw', () => {
    const body = '{"\\u0073ign":"x","n":12.50,"b":false}';
    assert.equal(rawMember(body, 'sign'), '"x"');
    assert.equal(rawMember(body, 'n'), '12.50');
    assert.equal(rawMember(body, 'b'), 'false');
  });

  test('not JSON, not an object, or a repeated name: null', () => {
    for (const body of ['', '{"a":', '[{"a":1}]', '"text"', '{"a":1} trailing', '{"a":1,"a":2}', '{"sign":"x","\\u0073ign":"y"}']) {
      assert.equal(topLevelMembers(body), null, body);
    }
    assert.deepEqual([...(topLevelMembers(' {} ') ?? new Map([['x', 'x']]))], []);
    assert.equal(rawMember('{"a":1}', 'b'), null);
  });
});

describe('response verification', () => {
  const method = 'alipay.trade.pay';
  const inner =
    '{"code":"10000","msg":"Success","trade_no":"2024051322001400000000000001","out_trade_no":"T1","total_amount":"10.53","fund_bill_list":[{"amount":"10.53"}]}';

  test('responseKeyFor replaces every dot', () => {
    assert.equal(responseKeyFor('alipay.trade.fastpay.refund.query'), 'alipay_trade_fastpay_refund_query_response');
  });

  test('a signed body opens with the platform public key; only string fields are kept', () => {
    const body = signedResponseBody(responseKeyFor(method), inner, platform.privateKeyPem);
    assert.ok(body.startsWith(`{"alipay_trade_pay_response":${inner},"sign":"`));
    const opened = openSignedResponse(body, method, platform.publicKeyPem);
    assert.deepEqual(opened, {
      ok: true,
      responseKey: 'alipay_trade_pay_response',
      fields: { code: '10000', msg: 'Success', trade_no: '2024051322001400000000000001', out_trade_no: 'T1', total_amount: '10.53' },
    });
  });

  test('the signature covers the raw text: formatting the signed text differently fails', () => {
    const pretty = JSON.stringify(JSON.parse(inner), null, 2);
    const signedPretty = signedResponseBody('alipay_trade_pay_response', pretty, platform.privateKeyPem);
    assert.equal(openSignedResponse(signedPretty, method, platform.publicKeyPem).ok, true, 'pretty text signed as is');
    const reformatted = signedPretty.replace(pretty, inner); // same JSON value, other bytes
    assert.deepEqual(openSignedResponse(reformatted, method, platform.publicKeyPem), { ok: false, reason: 'response signature does not verify' });
  });

  test('sign before the response is fine', () => {
    const sign = signText(inner, platform.privateKeyPem);
    const body = `{"sign":${JSON.stringify(sign)},"alipay_trade_pay_response":${inner}}`;
    assert.equal(openSignedResponse(body, method, platform.publicKeyPem).ok, true);
  });

  test('tampering, a wrong key, no sign, or no response are refused', () => {
    const body = signedResponseBody('alipay_trade_pay_response', inner, platform.privateKeyPem);
    const tampered = body.replace('"10.53","fund', '"10.54","fund');
    assert.notEqual(tampered, body);
    assert.equal(openSignedResponse(tampered, method, platform.publicKeyPem).ok, false);
    assert.equal(openSignedResponse(body, method, other.publicKeyPem).ok, false);
    // Unsigned: refused, its string fields handed over only so a setup refusal can be recognised (adapter.ts).
    assert.deepEqual(openSignedResponse(`{"alipay_trade_pay_response":${inner}}`, method, platform.publicKeyPem), {
      ok: false,
      reason: 'answer is not signed',
      unsigned: { code: '10000', msg: 'Success', trade_no: '2024051322001400000000000001', out_trade_no: 'T1', total_amount: '10.53' },
      unsignedKey: 'alipay_trade_pay_response',
    });
    // An unsigned error_response names its key, so the adapter can tell a gateway refusal.
    const refusal = openSignedResponse(
      '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}',
      method,
      platform.publicKeyPem,
    );
    assert.ok(!refusal.ok && refusal.unsignedKey === 'error_response' && refusal.unsigned?.['sub_code'] === 'isv.invalid-app-id', JSON.stringify(refusal));
    assert.equal(openSignedResponse(body, 'alipay.trade.query', platform.publicKeyPem).ok, false, 'answer to another method');
    assert.equal(openSignedResponse('<html>502</html>', method, platform.publicKeyPem).ok, false);
    const signedByApp = signedResponseBody('alipay_trade_pay_response', inner, app.privateKeyPem);
    assert.equal(openSignedResponse(signedByApp, method, platform.publicKeyPem).ok, false);
  });

  test('error_response is read when the method key is absent; both at once are refused', () => {
    const error = '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-method"}';
    const body = signedResponseBody('error_response', error, platform.privateKeyPem);
    const opened = openSignedResponse(body, method, platform.publicKeyPem);
    assert.ok(opened.ok && opened.responseKey === 'error_response' && opened.fields['sub_code'] === 'isv.invalid-method');
    const both = `{"alipay_trade_pay_response":${inner},"error_response":${error},"sign":"x"}`;
    assert.equal(openSignedResponse(both, method, platform.publicKeyPem).ok, false);
  });
});
