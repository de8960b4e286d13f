import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalString, parseSignType, signFields, verifyFields, withSignature } from '../../src/providers/wechatpay/sign.js';

// The test vector in docs/providers.md, "WeChat Pay: signatures" (from WeChat Pay's v2 signature documentation).
const VECTOR_FIELDS = {
  appid: 'wxd930ea5d5a258f4f',
  mch_id: '10000100',
  device_info: '1000',
  body: 'test',
  nonce_str: 'ibuaiVcKdpRxkhJA',
};
const VECTOR_KEY = '192006250b4c09247ec02edce69f6a2d';

describe('WeChat Pay v2 signature', () => {
  test('canonical string: sorted by name, sign and empty values left out', () => {
    assert.equal(
      canonicalString({ ...VECTOR_FIELDS, sign: 'IGNORED', attach: '' }),
      'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA',
    );
  });

  test('canonical string sorts by ASCII code, not by locale, and keeps raw values', () => {
    assert.equal(canonicalString({ b: '1', B: '2', a_b: 'x&y=z', a: ' v ' }), 'B=2&a= v &a_b=x&y=z&b=1');
  });

  test('MD5 matches the documented test vector', () => {
    assert.equal(signFields(VECTOR_FIELDS, VECTOR_KEY, 'MD5'), '9A0A8659F005D6984697E2CA0A9CF3B7');
  });

  test('HMAC-SHA256 matches the documented test vector', () => {
    assert.equal(signFields(VECTOR_FIELDS, VECTOR_KEY, 'HMAC-SHA256'), '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  });

  test('withSignature adds the sign and replaces a stale one', () => {
    const signed = withSignature({ ...VECTOR_FIELDS, sign: 'STALE' }, VECTOR_KEY, 'MD5');
    assert.equal(signed['sign'], '9A0A8659F005D6984697E2CA0A9CF3B7');
    assert.equal(signed['appid'], VECTOR_FIELDS.appid);
  });

  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    describe(`verification (${signType})`, () => {
      const signed = withSignature(VECTOR_FIELDS, VECTOR_KEY, signType);

      test('accepts a correctly signed message', () => {
        assert.equal(verifyFields(signed, VECTOR_KEY, signType), true);
      });

      test('accepts a lowercase hex signature', () => {
        assert.equal(verifyFields({ ...signed, sign: (signed['sign'] ?? '').toLowerCase() }, VECTOR_KEY, signType), true);
      });

      test('rejects a tampered value', () => {
        assert.equal(verifyFields({ ...signed, body: 'test2' }, VECTOR_KEY, signType), false);
      });

      test('rejects an added field', () => {
        assert.equal(verifyFields({ ...signed, total_fee: '1' }, VECTOR_KEY, signType), false);
      });

      test('rejects the wrong key', () => {
        assert.equal(verifyFields(signed, '00000000000000000000000000000000', signType), false);
      });

      test('rejects a missing, empty or truncated signature', () => {
        const { sign, ...unsigned } = signed;
        assert.equal(verifyFields(unsigned, VECTOR_KEY, signType), false);
        assert.equal(verifyFields({ ...unsigned, sign: '' }, VECTOR_KEY, signType), false);
        assert.equal(verifyFields({ ...unsigned, sign: (sign ?? '').slice(0, 10) }, VECTOR_KEY, signType), false);
      });

      test('rejects the other sign type', () => {
        assert.equal(verifyFields(signed, VECTOR_KEY, signType === 'MD5' ? 'HMAC-SHA256' : 'MD5'), false);
      });
    });
  }

  test('sign_type: absent or MD5 means MD5, HMAC-SHA256 is recognised, anything else refused', () => {
    assert.equal(parseSignType(undefined), 'MD5');
    assert.equal(parseSignType(''), 'MD5');
    assert.equal(parseSignType('MD5'), 'MD5');
    assert.equal(parseSignType('HMAC-SHA256'), 'HMAC-SHA256');
    assert.equal(parseSignType('SHA1'), null);
    assert.equal(parseSignType('hmac-sha256'), null);
  });
});
