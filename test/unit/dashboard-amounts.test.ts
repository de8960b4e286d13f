/** Exact money sums and formatting for the dashboard: any stored amount, no throw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { joinSum, majorDigits, moneyText, sumParts, toBigInt } from '../../src/dashboard/amounts.js';
import { formatMoney } from '../../src/checkout/money-format.js';
import { formatAmount } from '../../src/checkout/page.js';

test('formatting takes any size and sign, and every currency exponent', () => {
  assert.equal(moneyText(0n, 'CNY', 'en'), 'CN¥0.00');
  assert.equal(moneyText(5, 'USD', 'en'), '$0.05');
  assert.equal(moneyText(-1234n, 'USD', 'en'), '-$12.34');
  assert.equal(moneyText(1234n, 'JPY', 'en'), '¥1,234');
  assert.equal(moneyText(5n, 'BHD', 'en'), 'BHD\u00a00.005');
  assert.equal(moneyText(9241386435364257789n, 'CNY', 'en'), 'CN¥92,413,864,353,642,577.89', 'every digit survives: no float on the way');
  assert.equal(moneyText(4200042n, 'XYZ', 'en'), '4,200,042 XYZ', 'an unknown currency: grouped digits and its code');
  assert.equal(majorDigits(-5n, 'USD'), '-0.05');
  assert.equal(majorDigits(1e21, 'USD'), '10000000000000000000.00', 'a float from a driver is never written in exponent form');
});

test('money reads the same on every page, per language and currency: symbol, grouping, the currency own decimals', () => {
  const cases: [bigint, string, string, string][] = [
    // amount in minor units, currency, English, Chinese
    [150000n, 'PHP', '₱1,500.00', 'PHP\u00a01,500.00'],
    [0n, 'PHP', '₱0.00', 'PHP\u00a00.00'],
    [123456789n, 'USD', '$1,234,567.89', 'US$1,234,567.89'],
    [150000n, 'CNY', 'CN¥1,500.00', '¥1,500.00'],
    [1500n, 'JPY', '¥1,500', 'JP¥1,500'],
    [150000n, 'TWD', 'NT$1,500.00', 'NT$1,500.00'],
    [99n, 'HKD', 'HK$0.99', 'HK$0.99'],
    [-500n, 'CNY', '-CN¥5.00', '-¥5.00'],
  ];
  for (const [amount, currency, en, zh] of cases) {
    assert.equal(formatMoney(amount, currency, 'en'), en, `${currency} en`);
    assert.equal(formatMoney(amount, currency, 'zh'), zh, `${currency} zh`);
  }
  assert.equal(moneyText(150000n, 'PHP', 'en'), formatMoney(150000n, 'PHP', 'en'), 'the dashboard and the payment page share one function');
  assert.equal(formatAmount(1500, 'USD', 'zh'), 'US$15.00', 'the payment page');
});

test('stored values of every shape read as bigint, anything else as 0', () => {
  assert.equal(toBigInt('18014398509481982'), 18014398509481982n);
  assert.equal(toBigInt(' -7 '), -7n);
  assert.equal(toBigInt(12.9), 12n);
  assert.equal(toBigInt(Number.NaN), 0n);
  assert.equal(toBigInt('1e5'), 0n);
  assert.equal(toBigInt(null), 0n);
  assert.equal(joinSum('1', '5'), 4_294_967_301n);
});

test('sums past 2^63 are exact in SQLite, where sum() itself fails with "integer overflow"', async () => {
  const sqlite = new Database(':memory:');
  const db = new Kysely<{ t: { amount: number | null } }>({ dialect: new SqliteDialect({ database: sqlite }) });
  sqlite.exec('create table t (amount integer)');
  sqlite.exec('insert into t values (9223372036854775807), (9223372036854775807), (9007199254740991), (-3), (null)');
  assert.throws(() => sqlite.prepare('select sum(amount) from t').get(), /integer overflow/);
  const row = await db
    .selectFrom('t')
    .select((eb) => sumParts(eb.ref('amount'), 'total'))
    .executeTakeFirstOrThrow();
  assert.equal(joinSum(row.total_hi, row.total_lo), 2n * 9223372036854775807n + 9007199254740991n - 3n);
  const empty = await db
    .selectFrom('t')
    .select((eb) => sumParts(eb.ref('amount'), 'total'))
    .where('amount', '=', 1)
    .executeTakeFirstOrThrow();
  assert.equal(joinSum(empty.total_hi, empty.total_lo), 0n);
  await db.destroy();
});
