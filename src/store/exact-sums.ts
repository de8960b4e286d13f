/**
 * Exact sums of stored amounts, whatever is stored. A single amount may be as
 * large as a BIGINT holds, so sums are bigint: SQLite's sum() fails with
 * "integer overflow" past 2^63 and PostgreSQL answers sum(bigint) as numeric.
 * Each sum is therefore computed in two parts that cannot overflow (the high
 * and low 32 bits of every amount), read as text and joined here.
 */
import { type AliasedRawBuilder, type Expression, sql } from 'kysely';

const LOW_BITS = 4_294_967_295;

/**
 * Two select expressions, `<name>_hi` and `<name>_lo`, that together are the
 * exact sum of `value` over the group (0 when empty). Read them with `joinSum`.
 */
export function sumParts<N extends string>(
  value: Expression<number | null>,
  name: N,
): [AliasedRawBuilder<string, `${N}_hi`>, AliasedRawBuilder<string, `${N}_lo`>] {
  // Each part is below 2^32 per row: 2^31 rows before either could overflow.
  return [
    sql<string>`cast(coalesce(sum(${value} >> 32), 0) as text)`.as(`${name}_hi`),
    sql<string>`cast(coalesce(sum(${value} & ${sql.lit(LOW_BITS)}), 0) as text)`.as(`${name}_lo`),
  ];
}

/** The exact sum from its two parts (anything unreadable counts as 0 rather than failing the page). */
export function joinSum(hi: unknown, lo: unknown): bigint {
  return (toBigInt(hi) << 32n) + toBigInt(lo);
}

/** A stored integer (number, numeric string or bigint) as bigint; 0 for anything else. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  return 0n;
}
