import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CurrencyCode,
  currencyExponent,
  fromMajorUnitNumber,
  fromMajorUnitString,
  isCurrencyCode,
  isMinorUnits,
  knownCurrencies,
  lastTwoDigits,
  MAX_AMOUNT_MAJOR_LIMIT,
  maxAmount,
  maxAmountAnyCurrency,
  money,
  toMajorUnitNumber,
  toMajorUnitString,
} from '../../src/domain/money.js';

const ZERO_DECIMAL: CurrencyCode[] = ['JPY', 'KRW'];
const TWO_DECIMAL: CurrencyCode[] = ['CNY', 'USD', 'THB', 'TWD'];
const THREE_DECIMAL: CurrencyCode[] = ['BHD'];
const TESTED = [...ZERO_DECIMAL, ...TWO_DECIMAL, ...THREE_DECIMAL];

const str = (amount: number, currency: CurrencyCode): string => toMajorUnitString(money(amount, currency));
const num = (amount: number, currency: CurrencyCode): number => toMajorUnitNumber(money(amount, currency));
const parse = (text: string, currency: CurrencyCode): number => fromMajorUnitString(text, currency).amount;
const parseNum = (value: number, currency: CurrencyCode): number => fromMajorUnitNumber(value, currency).amount;

/** A deterministic spread of amounts: every value up to 2 100, then a geometric walk up to MAX_SAFE_INTEGER. */
function manyAmounts(): number[] {
  const amounts: number[] = [];
  for (let a = 0; a <= 2_100; a++) amounts.push(a);
  for (let a = 2_101; a < Number.MAX_SAFE_INTEGER / 1.37; a = Math.floor(a * 1.37) + 7) amounts.push(a);
  amounts.push(Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER);
  return amounts;
}

describe('currency exponents', () => {
  test('the tested currencies have their ISO 4217 exponents', () => {
    for (const c of ZERO_DECIMAL) assert.equal(currencyExponent(c), 0, c);
    for (const c of TWO_DECIMAL) assert.equal(currencyExponent(c), 2, c);
    for (const c of THREE_DECIMAL) assert.equal(currencyExponent(c), 3, c);
  });

  test('knownCurrencies lists every tested currency and only valid codes', () => {
    const known = knownCurrencies();
    for (const c of TESTED) assert.ok(known.includes(c), c);
    for (const c of known) {
      assert.match(c, /^[A-Z]{3}$/);
      assert.ok(isCurrencyCode(c));
    }
  });
});

describe('isCurrencyCode', () => {
  test('accepts known upper-case codes', () => {
    for (const c of ['CNY', 'USD', 'JPY', 'KRW', 'BHD', 'THB', 'TWD', 'EUR']) assert.equal(isCurrencyCode(c), true, c);
  });

  test('is case-sensitive', () => {
    for (const c of ['cny', 'usd', 'Usd', 'uSD', 'jpY']) assert.equal(isCurrencyCode(c), false, c);
  });

  test('rejects unknown codes, junk and inherited object keys', () => {
    for (const c of ['', 'XXX', 'US', 'USDD', ' USD', 'USD ', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      assert.equal(isCurrencyCode(c), false, JSON.stringify(c));
    }
  });
});

describe('money()', () => {
  test('accepts non-negative safe integers', () => {
    for (const a of [0, 1, 99, 100, Number.MAX_SAFE_INTEGER]) {
      const m = money(a, 'USD');
      assert.equal(m.amount, a);
      assert.equal(m.currency, 'USD');
    }
  });

  test('rejects non-integers, negatives, unsafe integers, NaN and Infinity', () => {
    for (const a of [1.5, 0.1, -1, -0.5, Number.MAX_SAFE_INTEGER + 1, 2 ** 53, NaN, Infinity, -Infinity]) {
      assert.throws(() => money(a, 'USD'), RangeError, String(a));
    }
  });

  test('isMinorUnits agrees with money()', () => {
    assert.equal(isMinorUnits(0), true);
    assert.equal(isMinorUnits(Number.MAX_SAFE_INTEGER), true);
    for (const v of [-1, 1.5, 2 ** 53, NaN, '100', null, undefined, 100n]) assert.equal(isMinorUnits(v), false, String(v));
  });
});

describe('toMajorUnitString', () => {
  test('0-decimal currencies print the amount as is', () => {
    for (const c of ZERO_DECIMAL) {
      for (const a of [0, 1, 9, 10, 99, 100, 101, 1234]) assert.equal(str(a, c), String(a), `${a} ${c}`);
      assert.equal(str(Number.MAX_SAFE_INTEGER, c), '9007199254740991');
    }
  });

  test('2-decimal currencies: boundary values', () => {
    const expected: Array<[number, string]> = [
      [0, '0.00'],
      [1, '0.01'],
      [9, '0.09'],
      [10, '0.10'],
      [99, '0.99'],
      [100, '1.00'],
      [101, '1.01'],
      [30, '0.30'],
      [435, '4.35'],
      [115, '1.15'],
      [1999, '19.99'],
      [123456, '1234.56'],
      [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
    ];
    for (const c of TWO_DECIMAL) for (const [a, s] of expected) assert.equal(str(a, c), s, `${a} ${c}`);
  });

  test('3-decimal currencies: boundary values', () => {
    const expected: Array<[number, string]> = [
      [0, '0.000'],
      [1, '0.001'],
      [5, '0.005'],
      [9, '0.009'],
      [10, '0.010'],
      [99, '0.099'],
      [100, '0.100'],
      [101, '0.101'],
      [999, '0.999'],
      [1000, '1.000'],
      [1005, '1.005'],
      [123456, '123.456'],
      [Number.MAX_SAFE_INTEGER, '9007199254740.991'],
    ];
    for (const c of THREE_DECIMAL) for (const [a, s] of expected) assert.equal(str(a, c), s, `${a} ${c}`);
  });
});

describe('fromMajorUnitString', () => {
  test('0-decimal currencies', () => {
    for (const c of ZERO_DECIMAL) {
      for (const a of [0, 1, 9, 10, 99, 100, 101]) assert.equal(parse(String(a), c), a, `${a} ${c}`);
      assert.equal(parse('9007199254740991', c), Number.MAX_SAFE_INTEGER);
      assert.equal(parse('007', c), 7);
    }
  });

  test('2-decimal currencies: exact where floating point is not', () => {
    for (const c of TWO_DECIMAL) {
      assert.equal(parse('0.30', c), 30);
      assert.equal(parse('0.3', c), 30);
      assert.equal(parse('19.99', c), 1999);
      assert.equal(parse('4.35', c), 435);
      assert.equal(parse('1.15', c), 115);
      assert.equal(parse('0.01', c), 1);
      assert.equal(parse('0.09', c), 9);
      assert.equal(parse('0.1', c), 10);
      assert.equal(parse('0.99', c), 99);
      assert.equal(parse('1', c), 100);
      assert.equal(parse('1.0', c), 100);
      assert.equal(parse('1.01', c), 101);
      assert.equal(parse('0', c), 0);
      assert.equal(parse('0.00', c), 0);
      assert.equal(parse('90071992547409.91', c), Number.MAX_SAFE_INTEGER);
    }
    // The float answers these would give, to show the test can tell the difference.
    assert.notEqual(Math.floor(4.35 * 100), 435);
    assert.notEqual(Math.floor(1.15 * 100), 115);
    assert.notEqual(Math.floor(19.99 * 100), 1999);
  });

  test('3-decimal currencies', () => {
    for (const c of THREE_DECIMAL) {
      assert.equal(parse('1.005', c), 1005);
      assert.equal(parse('0.001', c), 1);
      assert.equal(parse('0.01', c), 10);
      assert.equal(parse('0.1', c), 100);
      assert.equal(parse('1', c), 1000);
      assert.equal(parse('9007199254740.991', c), Number.MAX_SAFE_INTEGER);
    }
    assert.notEqual(Math.floor(1.005 * 1000), 1005);
  });

  test('rejects more fraction digits than the currency has (no silent rounding)', () => {
    for (const c of ZERO_DECIMAL) for (const t of ['1.0', '1.5', '0.00']) assert.throws(() => parse(t, c), RangeError, `${t} ${c}`);
    for (const c of TWO_DECIMAL) for (const t of ['1.005', '0.001', '19.990']) assert.throws(() => parse(t, c), RangeError, `${t} ${c}`);
    for (const c of THREE_DECIMAL) for (const t of ['1.0005', '0.0001']) assert.throws(() => parse(t, c), RangeError, `${t} ${c}`);
  });

  test('rejects signs, exponents, whitespace, empty and malformed decimals', () => {
    const junk = [
      '-1',
      '-0',
      '+1',
      '1e3',
      '1E3',
      '',
      ' 1',
      '1 ',
      '1\n',
      '\t1',
      '1.',
      '.5',
      'abc',
      '1,00',
      '1_000',
      '0x10',
      'NaN',
      'Infinity',
      '1..2',
      '1.2.3',
      '١٢',
      '１',
    ];
    for (const c of TESTED) for (const t of junk) assert.throws(() => parse(t, c), RangeError, `${JSON.stringify(t)} ${c}`);
  });

  test('rejects amounts beyond MAX_SAFE_INTEGER minor units', () => {
    assert.throws(() => parse('9007199254740992', 'JPY'), RangeError);
    assert.throws(() => parse('90071992547409.92', 'USD'), RangeError);
    assert.throws(() => parse('90071992547410', 'USD'), RangeError);
    assert.throws(() => parse('9007199254740.992', 'BHD'), RangeError);
    assert.throws(() => parse('99999999999999999999999999', 'KRW'), RangeError);
  });
});

describe('toMajorUnitNumber / fromMajorUnitNumber', () => {
  test('produce exactly the decimal literal', () => {
    assert.equal(num(1234, 'USD'), 12.34);
    assert.equal(num(30, 'USD'), 0.3);
    assert.equal(num(1999, 'CNY'), 19.99);
    assert.equal(num(435, 'THB'), 4.35);
    assert.equal(num(115, 'TWD'), 1.15);
    assert.equal(num(1005, 'BHD'), 1.005);
    assert.equal(num(5, 'BHD'), 0.005);
    assert.equal(num(100, 'JPY'), 100);
    assert.equal(num(0, 'USD'), 0);
    assert.equal(JSON.stringify({ amount: num(1234, 'USD') }), '{"amount":12.34}');
    assert.equal(num(Number.MAX_SAFE_INTEGER, 'KRW'), Number.MAX_SAFE_INTEGER);
  });

  test('parse JSON numbers exactly', () => {
    assert.equal(parseNum(0.3, 'USD'), 30);
    assert.equal(parseNum(19.99, 'CNY'), 1999);
    assert.equal(parseNum(4.35, 'THB'), 435);
    assert.equal(parseNum(1.15, 'TWD'), 115);
    assert.equal(parseNum(1.005, 'BHD'), 1005);
    assert.equal(parseNum(100, 'JPY'), 100);
    assert.equal(parseNum(0, 'KRW'), 0);
    assert.equal(parseNum(1, 'USD'), 100);
    assert.equal(parseNum(JSON.parse('12.340') as number, 'USD'), 1234);
  });

  test('refuse results of floating-point arithmetic that are not exact amounts', () => {
    assert.throws(() => parseNum(0.1 + 0.2, 'USD'), RangeError);
    assert.throws(() => parseNum(1.1 * 3, 'USD'), RangeError);
    assert.throws(() => parseNum(0.5, 'JPY'), RangeError);
    assert.throws(() => parseNum(0.0005, 'BHD'), RangeError);
  });

  test('refuse NaN, Infinity, negatives and exponent-form numbers', () => {
    for (const c of TESTED) {
      for (const v of [NaN, Infinity, -Infinity, -1, -0.01]) assert.throws(() => parseNum(v, c), RangeError, `${v} ${c}`);
    }
    assert.throws(() => parseNum(1e21, 'JPY'), RangeError);
    assert.throws(() => parseNum(1e-7, 'USD'), RangeError);
    assert.throws(() => parseNum(2 ** 53, 'JPY'), RangeError);
  });

  test('round trip for every amount below 10^15 in every currency', () => {
    const amounts = manyAmounts().filter((a) => a < 1e15);
    for (const c of TESTED) {
      for (const a of amounts) assert.equal(parseNum(num(a, c), c), a, `${a} ${c}`);
    }
  });

  // A double cannot carry every 16-digit decimal (9007199254740991 cents would read back as
  // 90071992547409.9 USD, one cent less), so the function must produce the exact literal or refuse.
  test('toMajorUnitNumber never silently changes an amount: exact literal or RangeError', () => {
    for (const c of TESTED) {
      for (const a of [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 2, 1e15 + 1]) {
        const m = money(a, c);
        let n: number;
        try {
          n = toMajorUnitNumber(m);
        } catch (error) {
          assert.ok(error instanceof RangeError, `${a} ${c}: ${String(error)}`);
          continue;
        }
        assert.equal(String(n), toMajorUnitString(m), `${a} ${c}`);
      }
    }
  });
});

describe('string round trips', () => {
  test('fromMajorUnitString(toMajorUnitString(x)) === x over many amounts in every currency', () => {
    const amounts = manyAmounts();
    assert.ok(amounts.length > 2_100);
    for (const c of TESTED) {
      for (const a of amounts) assert.equal(parse(str(a, c), c), a, `${a} ${c}`);
    }
  });

  test('the printed string has exactly the currency exponent as fraction digits', () => {
    for (const c of TESTED) {
      const e = currencyExponent(c);
      for (const a of [0, 1, 10, 100, 101, 1005, 123456789]) {
        const s = str(a, c);
        assert.match(s, e === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${e}}$`), `${a} ${c}`);
        assert.ok(!/^0\d/.test(s), `no leading zero in ${s}`);
      }
    }
  });

  test('MAX_SAFE_INTEGER round trips in string form', () => {
    for (const c of TESTED) assert.equal(parse(str(Number.MAX_SAFE_INTEGER, c), c), Number.MAX_SAFE_INTEGER, c);
  });
});

describe('lastTwoDigits', () => {
  test('returns the amount modulo 100', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [1, 1],
      [9, 9],
      [10, 10],
      [99, 99],
      [100, 0],
      [101, 1],
      [153, 53],
      [1253, 53],
      [1999, 99],
      [2000, 0],
      [Number.MAX_SAFE_INTEGER, 91],
    ];
    for (const [a, d] of cases) assert.equal(lastTwoDigits(a), d, String(a));
  });
});

describe('maxAmount', () => {
  test("Stripe's limit by default, scaled by the currency's exponent", () => {
    assert.equal(maxAmount('USD'), 9_999_999_999);
    assert.equal(maxAmount('CNY'), 9_999_999_999);
    assert.equal(maxAmount('JPY'), 99_999_999);
    assert.equal(maxAmount('KRW'), 99_999_999);
    assert.equal(maxAmount('BHD'), 99_999_999_999);
    assert.equal(toMajorUnitString(money(maxAmount('USD'), 'USD')), '99999999.99');
    assert.equal(toMajorUnitString(money(maxAmount('KWD'), 'KWD')), '99999999.999');
    assert.equal(maxAmountAnyCurrency(), 99_999_999_999);
  });

  test('a setting of whole major units, exact up to its limit', () => {
    assert.equal(maxAmount('USD', 1), 199);
    assert.equal(maxAmount('JPY', 1), 1);
    assert.equal(maxAmount('BHD', MAX_AMOUNT_MAJOR_LIMIT), 9_999_999_999_999);
    for (const bad of [0, -1, 1.5, MAX_AMOUNT_MAJOR_LIMIT + 1]) assert.throws(() => maxAmount('USD', bad), RangeError, String(bad));
  });
});
