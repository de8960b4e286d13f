import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, publicDecrypt, constants } from 'node:crypto';
import { describe, test } from 'node:test';
import { knownCurrencies } from '../../src/domain/money.js';
import { formatAnswer, parseAnswer, parseForm, sha256Hex, signFields, signatureOf, signingString, verifyFields } from '../../src/providers/unionpay/sign.js';
import { chinaTime, parseChinaTime } from '../../src/providers/china-time.js';
import { currencyFromNumeric, numericCurrencyCode } from '../../src/providers/unionpay/transformers.js';

function rsaPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

const merchant = rsaPair();
const other = rsaPair();

const FIELDS = {
  version: '5.1.0',
  encoding: 'UTF-8',
  signMethod: '01',
  txnType: '01',
  txnSubType: '01',
  bizType: '000201',
  channelType: '07',
  accessType: '0',
  merId: '777290058110097',
  orderId: '0123456789abcdef0123456789abcdef',
  txnTime: '20240513174920',
  txnAmt: '1053',
  currencyCode: '156',
  frontUrl: 'https://shop.example/return?a=1&b=2',
  backUrl: 'https://shop.example/notify',
  payTimeout: '20240513180420',
};

describe('signing string', () => {
  test('every field but signature, sorted by name in code-unit order, raw values', () => {
    assert.equal(
      signingString({ ...FIELDS, signature: 'IGNORED' }),
      'accessType=0&backUrl=https://shop.example/notify&bizType=000201&channelType=07&currencyCode=156' +
        '&encoding=UTF-8&frontUrl=https://shop.example/return?a=1&b=2&merId=777290058110097' +
        '&orderId=0123456789abcdef0123456789abcdef&payTimeout=20240513180420&signMethod=01&txnAmt=1053' +
        '&txnSubType=01&txnTime=20240513174920&txnType=01&version=5.1.0',
    );
    assert.equal(signingString({ b: '1', B: '2', a_b: 'x', a: 'y', aB: 'z' }), 'B=2&a=y&aB=z&a_b=x&b=1');
    assert.equal(signingString({ a: '', b: 'x' }), 'a=&b=x', 'an answer field that is present but empty is signed');
  });

  test('sha256Hex is the lowercase hex digest', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex('银联'), createHash('sha256').update(Buffer.from('银联', 'utf8')).digest('hex'));
  });
});

describe('signMethod 01: SHA256withRSA over the hex digest', () => {
  const signed = signFields({ ...FIELDS, reqReserved: '  ', riskRateInfo: undefined }, merchant.privateKeyPem);

  test('the signature is RSA PKCS#1 v1.5 over SHA-256 of the hex digest string, not of the fields', () => {
    // Independent check: open the signature with the public key and read the DigestInfo it carries.
    const opened = publicDecrypt({ key: merchant.publicKeyPem, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signed['signature'] ?? '', 'base64'));
    const sha256DigestInfoPrefix = Buffer.from('3031300d060960864801650304020105000420', 'hex');
    assert.deepEqual(opened.subarray(0, sha256DigestInfoPrefix.length), sha256DigestInfoPrefix);
    const hexDigest = createHash('sha256').update(signingString(FIELDS), 'utf8').digest('hex');
    assert.deepEqual(opened.subarray(sha256DigestInfoPrefix.length), createHash('sha256').update(hexDigest, 'utf8').digest());
    assert.match(signed['signature'] ?? '', /^[A-Za-z0-9+/]{342}==$/);
  });

  test('signFields drops blank fields before signing and replaces a stale signature', () => {
    assert.equal('reqReserved' in signed, false);
    assert.equal('riskRateInfo' in signed, false);
    assert.equal(signed['signature'], signatureOf(FIELDS, merchant.privateKeyPem));
    assert.equal(signFields({ ...FIELDS, signature: 'STALE' }, merchant.privateKeyPem)['signature'], signed['signature']);
  });

  test('round trip with the matching public key; another key fails', () => {
    assert.equal(verifyFields(signed, merchant.publicKeyPem), true);
    assert.equal(verifyFields(signed, other.publicKeyPem), false);
  });

  test('any tampered, added or removed field fails', () => {
    for (const [name, value] of [
      ['txnAmt', '1054'],
      ['currencyCode', '840'],
      ['frontUrl', 'https://evil.example/'],
      ['version', '5.0.0'],
    ] as const) {
      assert.equal(verifyFields({ ...signed, [name]: value }, merchant.publicKeyPem), false, name);
    }
    assert.equal(verifyFields({ ...signed, extra: 'x' }, merchant.publicKeyPem), false, 'added field');
    const { payTimeout: _dropped, ...fewer } = signed;
    assert.equal(verifyFields(fewer, merchant.publicKeyPem), false, 'removed field');
  });

  test('signMethod other than 01, missing or malformed signatures and bad keys are false, never a throw', () => {
    const resignedAs11 = signFields({ ...FIELDS, signMethod: '11' }, merchant.privateKeyPem);
    assert.equal(verifyFields(resignedAs11, merchant.publicKeyPem), false, 'an answer may not choose another method');
    const { signature, ...unsigned } = signed;
    assert.equal(verifyFields(unsigned, merchant.publicKeyPem), false);
    assert.equal(verifyFields({ ...signed, signature: '' }, merchant.publicKeyPem), false);
    assert.equal(verifyFields({ ...signed, signature: 'not base64!' }, merchant.publicKeyPem), false);
    const flipped = `${(signature ?? '').slice(0, 10)}${signature?.[10] === 'A' ? 'B' : 'A'}${(signature ?? '').slice(11)}`;
    assert.equal(verifyFields({ ...signed, signature: flipped }, merchant.publicKeyPem), false);
    assert.equal(verifyFields(signed, 'not a key'), false);
  });
});

describe('answer format: raw k=v&k=v', () => {
  test('values are raw: base64 with = + /, URLs, and & inside braces survive', () => {
    const fields = {
      respCode: '00',
      respMsg: 'Success!',
      signature: 'ab+/cd==',
      reqReserved: '{a=1&b=[2&3]}',
      url: 'https://x.example/p?q=1',
    };
    const text = formatAnswer(fields);
    assert.equal(text, 'respCode=00&respMsg=Success!&signature=ab+/cd==&reqReserved={a=1&b=[2&3]}&url=https://x.example/p?q=1');
    assert.deepEqual(parseAnswer(text), fields);
  });

  test('a signed answer survives formatting and parsing', () => {
    // Answers carry no URLs: a raw `&` outside braces would split a value (the SDK's parseQString too).
    const { frontUrl: _front, backUrl: _back, ...answerFields } = FIELDS;
    const signed = signFields({ ...answerFields, respCode: '00', respMsg: 'Success!' }, merchant.privateKeyPem);
    const parsed = parseAnswer(formatAnswer(signed));
    assert.ok(parsed !== null);
    assert.equal(verifyFields(parsed, merchant.publicKeyPem), true);
  });

  test('empty text, empty names and repeated names are refused', () => {
    for (const text of ['', '   ', '=x', 'a=1&a=2', 'a=1&&b=2', 'a&b=1']) assert.equal(parseAnswer(text), null, text);
    assert.deepEqual(parseAnswer('a=&b=1\n'), { a: '', b: '1' });
  });

  test('form bodies decode, and a repeated name is refused', () => {
    assert.deepEqual(parseForm('a=1%262&b=%E9%93%B6'), { a: '1&2', b: '银' });
    assert.equal(parseForm('a=1&a=2'), null);
  });
});

describe('times and currencies', () => {
  test('txnTime is China time, yyyyMMddHHmmss', () => {
    assert.equal(chinaTime(0), '19700101080000');
    assert.equal(chinaTime(Date.UTC(2024, 11, 31, 16, 30, 5, 999)), '20250101003005');
    assert.equal(parseChinaTime('20250101003005'), Date.UTC(2024, 11, 31, 16, 30, 5));
    for (const text of ['20240230120000', '20241301000000', '20240101250000', '2024010112000', 'abcdefghijklmn']) {
      assert.equal(parseChinaTime(text), null, text);
    }
  });

  test('every known currency has its ISO 4217 numeric code, and back', () => {
    assert.equal(numericCurrencyCode('CNY'), '156');
    assert.equal(numericCurrencyCode('USD'), '840');
    assert.equal(numericCurrencyCode('JPY'), '392');
    assert.equal(numericCurrencyCode('HKD'), '344');
    assert.equal(numericCurrencyCode('AUD'), '036');
    const codes = knownCurrencies().map(numericCurrencyCode);
    assert.equal(new Set(codes).size, codes.length, 'no two currencies share a code');
    for (const currency of knownCurrencies()) {
      assert.match(numericCurrencyCode(currency), /^\d{3}$/);
      assert.equal(currencyFromNumeric(numericCurrencyCode(currency)), currency);
    }
    assert.equal(currencyFromNumeric('999'), null);
  });
});
