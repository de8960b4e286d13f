/**
 * Alipay+ (Antom AMS) signatures: the exact signing string, the Signature
 * header's encoding, and round trips checked with node:crypto directly.
 */
import assert from 'node:assert/strict';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { money } from '../../src/domain/money.js';
import {
  isoTime,
  parseIsoTime,
  parseSignatureHeader,
  signContent,
  signMessage,
  signatureHeader,
  signingContent,
  verifyMessage,
} from '../../src/providers/alipayplus/sign.js';
import { amsAmount, apiPath } from '../../src/providers/alipayplus/transformers.js';

const pair = (): { privateKey: string; publicKey: string } =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const keys = pair();
const otherKeys = pair();

describe('signing string', () => {
  test('is "<METHOD> <path>\\n<Client-Id>.<time>.<body>", body byte for byte', () => {
    const body = '{"paymentRequestId":"pay_1","paymentAmount":{"currency":"KRW","value":"12345"}}';
    assert.equal(
      signingContent('POST', '/ams/api/v1/payments/pay', 'SANDBOX_5Y00', '2019-05-28T12:12:12+08:00', body),
      'POST /ams/api/v1/payments/pay\nSANDBOX_5Y00.2019-05-28T12:12:12+08:00.{"paymentRequestId":"pay_1","paymentAmount":{"currency":"KRW","value":"12345"}}',
    );
  });

  test('signMessage signs exactly that string with SHA256withRSA (checked by node:crypto)', () => {
    const message = {
      httpMethod: 'POST',
      path: '/ams/api/v1/payments/inquiryPayment',
      clientId: 'C1',
      time: '2024-01-02T03:04:05+00:00',
      body: '{"paymentRequestId":"x"}',
    };
    const parsed = parseSignatureHeader(signMessage(message, keys.privateKey));
    assert.ok(parsed !== null);
    assert.equal(parsed.algorithm, 'RSA256');
    assert.equal(parsed.keyVersion, '1');
    const content = 'POST /ams/api/v1/payments/inquiryPayment\nC1.2024-01-02T03:04:05+00:00.{"paymentRequestId":"x"}';
    assert.ok(createVerify('RSA-SHA256').update(content, 'utf8').verify(keys.publicKey, parsed.signature, 'base64'));
  });

  test('verifyMessage refuses another body, time, client, path or key', () => {
    const message = { httpMethod: 'POST', path: '/ams/api/v1/payments/pay', clientId: 'C1', time: '2024-01-02T03:04:05+00:00', body: '{"a":"1"}' };
    const header = signMessage(message, keys.privateKey);
    assert.ok(verifyMessage(message, header, keys.publicKey));
    assert.ok(!verifyMessage({ ...message, body: '{"a":"2"}' }, header, keys.publicKey));
    assert.ok(!verifyMessage({ ...message, body: '{"a": "1"}' }, header, keys.publicKey), 'whitespace counts');
    assert.ok(!verifyMessage({ ...message, time: '2024-01-02T03:04:06+00:00' }, header, keys.publicKey));
    assert.ok(!verifyMessage({ ...message, clientId: 'C2' }, header, keys.publicKey));
    assert.ok(!verifyMessage({ ...message, path: '/ams/api/v1/payments/refund' }, header, keys.publicKey));
    assert.ok(!verifyMessage(message, header, otherKeys.publicKey));
    assert.ok(!verifyMessage(message, null, keys.publicKey));
    assert.ok(!verifyMessage(message, header.replace('RSA256', 'RSA'), keys.publicKey));
  });
});

describe('Signature header', () => {
  test('URL-encodes the base64 signature like the SDKs (quote_plus)', () => {
    assert.equal(signatureHeader('ab+/c=='), 'algorithm=RSA256,keyVersion=1,signature=ab%2B%2Fc%3D%3D');
    const signature = signContent('x', keys.privateKey);
    const header = signatureHeader(signature);
    assert.match(header, /^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/);
    assert.equal(parseSignatureHeader(header)?.signature, signature);
  });

  test('parses an unencoded signature with a literal + too, and refuses junk', () => {
    assert.equal(parseSignatureHeader('algorithm=RSA256,keyVersion=2,signature=ab+c/d==')?.signature, 'ab+c/d==');
    assert.equal(parseSignatureHeader('algorithm=RSA256,keyVersion=2,signature=ab+c/d==')?.keyVersion, '2');
    assert.equal(parseSignatureHeader('algorithm=RSA256'), null);
    assert.equal(parseSignatureHeader('signature=%E0%A4%A'), null);
  });
});

describe('times, paths and amounts', () => {
  test('isoTime is ISO 8601 with an offset; parseIsoTime needs one', () => {
    assert.equal(isoTime(Date.UTC(2024, 4, 13, 9, 49, 20, 123)), '2024-05-13T09:49:20+00:00');
    assert.equal(parseIsoTime('2019-05-28T12:12:12+08:00'), Date.UTC(2019, 4, 28, 4, 12, 12));
    assert.equal(parseIsoTime('2019-05-28T04:12:12.5Z'), Date.UTC(2019, 4, 28, 4, 12, 12, 500));
    assert.equal(parseIsoTime('2019-05-28T12:12:12'), null);
    assert.equal(parseIsoTime('1716000000000'), null);
  });

  test('SANDBOX_ client ids call the sandbox paths', () => {
    assert.equal(apiPath('pay', 'SANDBOX_5Y00'), '/ams/sandbox/api/v1/payments/pay');
    assert.equal(apiPath('inquiryRefund', '5Y00'), '/ams/api/v1/payments/inquiryRefund');
  });

  test('Amount.value is a string of minor units: KRW has none, IDR two', () => {
    assert.deepEqual(amsAmount(money(12345, 'KRW')), { currency: 'KRW', value: '12345' });
    assert.deepEqual(amsAmount(money(1500000, 'IDR')), { currency: 'IDR', value: '1500000' });
    assert.deepEqual(amsAmount(money(1, 'HKD')), { currency: 'HKD', value: '1' });
  });
});
