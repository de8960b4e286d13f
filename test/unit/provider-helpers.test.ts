/** The helpers every provider shares: China time formats, and what a failed call may say. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeCallError, redactFields, redactSecrets } from '../../src/providers/call-errors.js';
import { beijingTimestamp, chinaTime, parseBeijingTimestamp, parseChinaTime } from '../../src/providers/china-time.js';

describe('China time', () => {
  const instant = Date.UTC(2024, 1, 29, 16, 30, 5, 999); // 2024-03-01 00:30:05.999 in China

  test('both formats are UTC+8, truncated to the second', () => {
    assert.equal(chinaTime(instant), '20240301003005');
    assert.equal(beijingTimestamp(instant), '2024-03-01 00:30:05');
  });

  test('parsing gives the instant back, and refuses times that do not exist', () => {
    assert.equal(parseChinaTime('20240301003005'), instant - 999);
    assert.equal(parseBeijingTimestamp('2024-03-01 00:30:05'), instant - 999);
    for (const text of ['20230229120000', '20240301250000', '2024030100300', '2024-03-01 00:30:05']) assert.equal(parseChinaTime(text), null, text);
    for (const text of ['2023-02-29 12:00:00', '2024-03-01 24:00:00', '2024-03-01T00:30:05', '20240301003005'])
      assert.equal(parseBeijingTimestamp(text), null, text);
  });
});

describe('failed provider calls', () => {
  class ParseError extends Error {
    override readonly name = 'ParseError';
  }

  test('a timeout, an unparsable answer and a network error each say what happened', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    assert.equal(describeCallError(timeout, 1500), 'no answer within 1500 ms');
    assert.equal(describeCallError(new ParseError('duplicate field'), 1500, ParseError), 'unparsable answer: duplicate field');
    assert.equal(describeCallError(new ParseError('duplicate field'), 1500), 'ParseError: duplicate field');
    const network = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    assert.equal(describeCallError(network, 1500), 'TypeError: fetch failed: connect ECONNREFUSED 127.0.0.1:9');
    assert.equal(describeCallError('weird', 1500), 'request failed');
  });

  test('secrets are redacted wherever they appear; an empty secret redacts nothing', () => {
    assert.equal(redactSecrets('key k3y and k3y again', ['k3y', '']), 'key [redacted] and [redacted] again');
    const fields = JSON.parse('{"err_code_des":"bad code 134567890123456789","__proto__":"134567890123456789"}') as Record<string, string>;
    const clean = redactFields(fields, ['134567890123456789']);
    assert.deepEqual(Object.entries(clean), [
      ['err_code_des', 'bad code [redacted]'],
      ['__proto__', '[redacted]'],
    ]);
  });
});
