import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BareInteger, LinePayJsonError, parseLinePayJson, quoteIdNumbers, stringifyLinePayJson } from '../../src/providers/linepay/json.js';

const ID = '2019049910005496810'; // from LINE Pay's documentation examples; > Number.MAX_SAFE_INTEGER
const REFUND_ID = '2019049910005496811';

describe('LINE Pay JSON: lossless ids', () => {
  test('JSON.parse alone would change the id (the reason for this module)', () => {
    const plain: unknown = JSON.parse(`{"transactionId":${ID}}`);
    assert.ok(typeof plain === 'object' && plain !== null && 'transactionId' in plain);
    assert.notEqual(String(plain.transactionId), ID);
  });

  test('transactionId and refundTransactionId come back as exact strings; amounts stay numbers', () => {
    const text =
      `{"returnCode":"0000","returnMessage":"OK","info":{"transactionId":${ID},"orderId":"A1",` +
      `"payInfo":[{"method":"BALANCE","amount":100.53}],"refundList":[{"refundTransactionId":${REFUND_ID},"refundAmount":-10.5}]}}`;
    assert.deepEqual(parseLinePayJson(text), {
      returnCode: '0000',
      returnMessage: 'OK',
      info: {
        transactionId: ID,
        orderId: 'A1',
        payInfo: [{ method: 'BALANCE', amount: 100.53 }],
        refundList: [{ refundTransactionId: REFUND_ID, refundAmount: -10.5 }],
      },
    });
  });

  test('whitespace, escaped key names and ids already in quotes', () => {
    assert.deepEqual(parseLinePayJson(`{ "transactionId" :\n ${ID} , "x": 1 }`), { transactionId: ID, x: 1 });
    assert.deepEqual(parseLinePayJson(`{"\\u0074ransactionId":${ID}}`), { transactionId: ID });
    assert.deepEqual(parseLinePayJson(`{"transactionId":"${ID}"}`), { transactionId: ID });
  });

  test('other keys with long numbers, and look-alikes inside strings, are not touched', () => {
    // eslint-disable-next-line no-loss-of-precision -- the parser must round such a number exactly as this literal does
    assert.deepEqual(parseLinePayJson('{"amount":12345678901234567890}'), { amount: 12345678901234567890 });
    const tricky = `{"note":"\\"transactionId\\":${ID}","transactionIds":[${ID.slice(0, 5)}]}`;
    assert.equal(quoteIdNumbers(tricky), tricky);
    assert.deepEqual(parseLinePayJson(tricky), { note: `"transactionId":${ID}`, transactionIds: [20190] });
  });

  test('a key named transactionId inside a nested value of another key still gets its id kept', () => {
    assert.deepEqual(parseLinePayJson(`{"info":[{"a":{"transactionId":${ID}}}]}`), { info: [{ a: { transactionId: ID } }] });
  });

  test('malformed text is a LinePayJsonError', () => {
    for (const text of ['', '{', '{"a":', '{"transactionId":1 2}', '<html>', '{"a":"unterminated}', "{'a':1}"]) {
      assert.throws(() => parseLinePayJson(text), LinePayJsonError, text);
    }
  });
});

describe('LINE Pay JSON: writing', () => {
  test('a BareInteger is written as bare digits and survives the round trip', () => {
    const text = stringifyLinePayJson({ returnCode: '0000', info: { transactionId: new BareInteger(ID), amount: 100.53 } });
    assert.equal(text, `{"returnCode":"0000","info":{"transactionId":${ID},"amount":100.53}}`);
    assert.deepEqual(parseLinePayJson(text), { returnCode: '0000', info: { transactionId: ID, amount: 100.53 } });
  });

  test('writes like JSON.stringify for ordinary values, leaving undefined members out', () => {
    const value = { s: 'é "q" \n', n: -0.5, t: true, z: null, list: [1, 'two', [3]], skip: undefined };
    assert.equal(stringifyLinePayJson(value), JSON.stringify(value));
  });

  test('amounts written as numbers in major units keep their exact decimal text', () => {
    assert.equal(stringifyLinePayJson({ amount: 100.53 }), '{"amount":100.53}');
    assert.equal(stringifyLinePayJson({ amount: 0.1 + 0.2 }), '{"amount":0.30000000000000004}', 'no hidden rounding either way');
  });

  test('refuses non-integers as BareIntegers and non-finite numbers', () => {
    for (const digits of ['', '01', '1.5', '1e5', 'abc', ' 1']) assert.throws(() => new BareInteger(digits), RangeError, digits);
    assert.throws(() => stringifyLinePayJson({ amount: Number.NaN }), RangeError);
    assert.throws(() => stringifyLinePayJson({ amount: Number.POSITIVE_INFINITY }), RangeError);
  });
});
