/**
 * The transactions list's search box: a prefix of the CanCan id, the POS
 * transaction id or the checkout reference (each has an index), or an amount
 * as the page shows it (`15`, `15.00`, `1,500.50`: major units, in every
 * currency where that amount exists).
 *
 * A prefix is `LIKE 'x%'` with `\`, `%` and `_` escaped, so `50%_off` finds
 * only itself. LIKE alone uses no index on these databases (SQLite's LIKE is
 * case-insensitive, PostgreSQL's LIKE index needs the "C" collation or a
 * text_pattern_ops index), so where the column order is byte order (SQLite's
 * BINARY; PostgreSQL's C, POSIX and C.UTF-8) the prefix is also written as the
 * range `x <= col < x'`, which any b-tree index on the column serves.
 */
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import { type CurrencyCode, currencyExponent, knownCurrencies } from '../domain/money.js';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';

/** The text columns searched by prefix (the POS terminal has its own exact filter, `pos_id`). */
const PREFIX_COLUMNS = ['ref', 'client_id', 'reference'] as const;

export interface AmountMatch {
  /** Minor units. */
  readonly amount: number;
  readonly currencies: readonly CurrencyCode[];
}

export interface SearchTerms {
  readonly prefix: string;
  /** The amounts the text can mean, one per currency exponent; empty when it is no amount. */
  readonly amounts: readonly AmountMatch[];
}

/** Up to 12 whole digits (grouping commas allowed) and up to 3 decimals: every amount CanCan accepts, exact as a number. */
const AMOUNT = /^(\d{1,3}(?:,\d{3}){0,3}|\d{1,12})(?:\.(\d{1,3}))?$/;

export function parseSearch(text: string): SearchTerms {
  // A CHOP client id is the ref written `#ref`.
  const prefix = text.startsWith('#') && text.length > 1 ? text.slice(1) : text;
  const match = AMOUNT.exec(text);
  if (!match) return { prefix, amounts: [] };
  const whole = (match[1] ?? '').replace(/,/g, '');
  const fraction = match[2] ?? '';
  const amounts: AmountMatch[] = [];
  for (const exponent of [0, 2, 3] as const) {
    // `15.5` is no JPY amount; trailing zeros (`15.00`) are.
    if (fraction.replace(/0+$/, '').length > exponent) continue;
    const currencies = knownCurrencies().filter((c) => currencyExponent(c) === exponent);
    if (currencies.length === 0) continue;
    amounts.push({ amount: Number(whole + fraction.padEnd(exponent, '0').slice(0, exponent)), currencies });
  }
  return { prefix, amounts };
}

/** `x%` for LIKE, with LIKE's own characters taken literally (escape character `\`). */
export const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, '\\$&')}%`;

/** The first string after every string that starts with `text` (byte order): its last character, one higher. */
export function prefixUpperBound(text: string): string | null {
  const chars = Array.from(text);
  for (let i = chars.length - 1; i >= 0; i--) {
    let code = (chars[i] ?? '').codePointAt(0) ?? 0;
    code += 1;
    // Surrogate code points are no characters; the last code point has no successor.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xe000;
    if (code <= 0x10ffff) return chars.slice(0, i).join('') + String.fromCodePoint(code);
  }
  return null;
}

type Eb = ExpressionBuilder<Database, 'transactions'>;

/** One condition for the whole search box: any prefix column, or any amount it can mean. */
export function searchCondition(eb: Eb, terms: SearchTerms, byteOrder: boolean): Expression<SqlBool> {
  const pattern = likePrefix(terms.prefix);
  const upper = prefixUpperBound(terms.prefix);
  const prefixes = PREFIX_COLUMNS.map((column) => {
    const like = sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
    if (!byteOrder) return like;
    const range = [eb(column, '>=', terms.prefix), ...(upper === null ? [] : [eb(column, '<', upper)])];
    return eb.and([...range, like]);
  });
  const amounts = terms.amounts.map((m) => eb.and([eb('amount', '=', m.amount), eb('currency', 'in', [...m.currencies])]));
  return eb.or([...prefixes, ...amounts]);
}

const BYTE_ORDER_COLLATIONS = ['C', 'POSIX', 'C.UTF-8', 'C.utf8'];
const collationChecks = new WeakMap<object, Promise<boolean>>();

/** Whether text columns sort in byte order, so that a prefix is a range (asked of PostgreSQL once per pool). */
export function sortsInByteOrder(db: Kysely<Database>, dialect: Dialect): Promise<boolean> {
  if (dialect === 'sqlite') return Promise.resolve(true);
  let check = collationChecks.get(db);
  if (!check) {
    check = sql<{ collation: string }>`select datcollate as collation from pg_database where datname = current_database()`
      .execute(db)
      .then((result) => BYTE_ORDER_COLLATIONS.includes(result.rows[0]?.collation ?? ''))
      .catch(() => {
        // Asked again next time: one failed read must not slow every later search.
        collationChecks.delete(db);
        return false;
      });
    collationChecks.set(db, check);
  }
  return check;
}
