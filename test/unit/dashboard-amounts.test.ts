/** Exact money sums and formatting for the dashboard: any stored amount, no throw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { joinSum, majorDigits, moneyText, sumParts, toBigInt } from '../../src/dashboard/amounts.js';

test('formatting takes any size and sign, and every currency exponent', () => {
  assert.equal(moneyText(0n, 'CNY'), '0.00 CNY');
  assert.equal(moneyText(5, 'USD'), '0.05 USD');
  assert.equal(moneyText(-1234n, 'USD'), '−12.34 USD');
  assert.equal(moneyText(1234n, 'JPY'), '1234 JPY');
  assert.equal(moneyText(5n, 'BHD'), '0.005 BHD');
  assert.equal(moneyText(9241386435364257789n, 'CNY'), '92413864353642577.89 CNY');
  assert.equal(moneyText(42n, 'XYZ'), '42 XYZ', 'an unknown currency: plain digits');
  assert.equal(majorDigits(-5n, 'USD'), '-0.05');
  assert.equal(majorDigits(1e21, 'USD'), '10000000000000000000.00', 'a float from a driver is never written in exponent form');
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
