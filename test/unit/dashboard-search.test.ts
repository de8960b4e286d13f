/** The search box's reading of what was typed: prefixes with LIKE's characters escaped, their range, and amounts per exponent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { likePrefix, parseSearch, prefixUpperBound } from '../../src/dashboard/transactions-search.js';

test("a prefix keeps LIKE's own characters literal", () => {
  assert.equal(likePrefix('50%_off'), '50\\%\\_off%');
  assert.equal(likePrefix('a\\b'), 'a\\\\b%');
  assert.equal(likePrefix('web-1'), 'web-1%');
});

test('the range of a prefix ends at its last character, one higher', () => {
  assert.equal(prefixUpperBound('abc'), 'abd');
  assert.equal(prefixUpperBound('50%_'), '50%`');
  assert.equal(prefixUpperBound('a\u{d7ff}'), 'a\u{e000}', 'no surrogate as a bound');
  assert.equal(prefixUpperBound('a\u{10ffff}'), 'b', 'the last code point carries over');
  assert.equal(prefixUpperBound('\u{10ffff}'), null, 'nothing comes after: no upper bound');
});

test('an amount means minor units in each currency whose decimals can hold it', () => {
  const amounts = (text: string) => parseSearch(text).amounts.map((m) => [m.amount, m.currencies.includes('JPY') ? 0 : m.currencies.includes('BHD') ? 3 : 2]);
  assert.deepEqual(amounts('15'), [
    [15, 0],
    [1500, 2],
    [15000, 3],
  ]);
  assert.deepEqual(amounts('15.00'), [
    [15, 0],
    [1500, 2],
    [15000, 3],
  ]);
  assert.deepEqual(amounts('15.5'), [
    [1550, 2],
    [15500, 3],
  ]);
  assert.deepEqual(amounts('0.005'), [[5, 3]]);
  assert.deepEqual(amounts('1,234,567.89'), [
    [123456789, 2],
    [1234567890, 3],
  ]);
  assert.deepEqual(amounts('1,23'), [], 'badly grouped: no amount');
  assert.deepEqual(amounts('15.0001'), []);
  assert.deepEqual(amounts('web-15'), []);
  assert.equal(parseSearch('#abc').prefix, 'abc', 'a CHOP client id is its ref');
  assert.equal(parseSearch('#').prefix, '#');
});
