/**
 * The transactions list's search box on both databases: a prefix of the
 * CanCan id, the POS transaction id or the checkout reference; an amount as
 * the page shows it; `%`, `_` and `\` taken literally; and a prefix that the
 * database answers from its indexes, not by reading every row.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { parseSearch, searchCondition, sortsInByteOrder } from '../../src/dashboard/transactions-search.js';
import { chop } from '../support/chop.js';
import { uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { HttpSession, posSale, useDashboardApp } from '../support/dashboard.js';

const refsIn = (html: string): string[] => [...html.matchAll(/<tr data-ref="([0-9a-f]{32})"/g)].map((m) => m[1] ?? '');

for (const kind of DB_KINDS) {
  describe(`dashboard search (${kind})`, () => {
    const fx = useDashboardApp(kind);
    const made = {} as Record<'north' | 'south' | 'percent' | 'lookalike' | 'other', { ref: string; id: string }> & { tag: string };

    before(async () => {
      const tag = `s${Date.now().toString(36)}`;
      const charge = async (reference: string, amount: string) => {
        const answer = await chop(fx().url, '/chop/chop', fx().merchant.apiKey, { payment_method: 'alipay', amount, currency: 'USD', reference });
        assert.equal(answer.body?.result, 'success', answer.text);
        const row = await fx().app.app.deps.store.db.selectFrom('transactions').select('ref').where('reference', '=', reference).executeTakeFirstOrThrow();
        return { ref: row.ref, id: reference };
      };
      const [north, south, percent, lookalike] = await Promise.all([
        posSale(fx(), 1000, { pos_id: 'LANE-7' }),
        // An id of its own shape: a prefix of it cannot also be one of the sale made in the same millisecond beside it.
        posSale(fx(), 2500, { pos_id: 'LANE-8' }, uniqueId('south')),
        // `%` and `_` in a reference: unescaped, `50%_` would also find the lookalike.
        charge(`${tag}-50%_off`, '1999'),
        charge(`${tag}-50xyoff`, '12345'),
      ]);
      Object.assign(made, { north, south, percent, lookalike, tag });
    });

    const listed = async (q: string): Promise<string[]> => {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(fx().owner, '/dashboard/transactions'), 303);
      const page = await session.get(`/dashboard/transactions?q=${encodeURIComponent(q)}`);
      assert.equal(page.status, 200, page.text);
      return refsIn(page.text).sort();
    };
    const refs = (...rows: { ref: string }[]) => rows.map((r) => r.ref).sort();

    test('a prefix of the CanCan id, the POS transaction id or the checkout reference finds its rows', async () => {
      assert.deepEqual(await listed(made.north.ref.slice(0, 12)), refs(made.north), 'CanCan id prefix');
      assert.deepEqual(await listed(made.north.ref), refs(made.north), 'a whole id still works');
      assert.deepEqual(await listed(made.south.id.slice(0, -1)), refs(made.south), 'POS transaction id prefix');
      assert.deepEqual(await listed(`${made.tag}-50`), refs(made.percent, made.lookalike), 'reference prefix');
      assert.deepEqual(await listed(`#${made.percent.ref.slice(0, 10)}`), refs(made.percent), 'the #-written CHOP client id');
      assert.deepEqual(await listed(made.north.ref.slice(0, 12).toUpperCase()), [], 'ids are case-sensitive (SQLite LIKE alone is not)');
    });

    test('% and _ and \\ are taken literally', async () => {
      assert.deepEqual(await listed(`${made.tag}-50%_`), refs(made.percent));
      assert.deepEqual(await listed(`${made.tag}-50%`), refs(made.percent));
      assert.deepEqual(await listed(`${made.tag}-50_`), []);
      assert.deepEqual(await listed(`${made.tag}-5_`), []);
      assert.deepEqual(await listed('%'), [], 'a lone % is no wildcard');
      assert.deepEqual(await listed('_'), []);
      assert.deepEqual(await listed('\\'), []);
      assert.deepEqual(await listed(`${made.tag}\\-50`), []);
    });

    test('an amount as the page shows it finds the rows of that amount, in any currency with those decimals', async () => {
      assert.deepEqual(await listed('25.00'), refs(made.south), '2500 minor units of CNY');
      assert.deepEqual(await listed('25.0'), refs(made.south), 'fewer decimals than the currency has');
      assert.deepEqual(await listed('19.99'), refs(made.percent));
      assert.deepEqual(await listed('123.45'), refs(made.lookalike));
      assert.deepEqual(await listed('1,999'), [], 'no row of 1999.00');
      assert.deepEqual(await listed('10.001'), [], 'three decimals: only a 3-decimal currency could have it');
      assert.deepEqual(await listed('7.00'), [], "merchant B's sale is not A's");
    });

    test('a prefix is answered from the indexes of all three columns', async (t) => {
      const db = fx().app.app.deps.store.db;
      const dialect = fx().app.app.deps.store.dialect;
      const byteOrder = await sortsInByteOrder(db, dialect);
      assert.equal(byteOrder, true, 'these test databases sort in byte order (SQLite BINARY, PostgreSQL C.UTF-8)');
      const query = db
        .selectFrom('transactions')
        .select('ref')
        .where((eb) => searchCondition(eb, parseSearch(`${made.tag}-50%_`), byteOrder))
        .compile();
      const plan = await db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') {
          // A table this small is read whole anyway: forbid that, so only a usable index can answer.
          await sql`set local enable_seqscan = off`.execute(trx);
          const rows = await sql.raw<{ 'QUERY PLAN': string }>(`explain ${inline(query.sql, query.parameters, '$')}`).execute(trx);
          return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
        }
        const rows = await sql.raw<{ detail: string }>(`explain query plan ${inline(query.sql, query.parameters, '?')}`).execute(trx);
        return rows.rows.map((r) => r.detail).join('\n');
      });
      t.diagnostic(plan);
      assert.doesNotMatch(plan, /Seq Scan|SCAN transactions(?! USING)/, plan);
      for (const column of ['ref', 'client_id', 'reference'])
        assert.match(plan, new RegExp(`\\b${column} ?>=? ?`), `${column} is searched as a range:\n${plan}`);
    });
  });
}

/** The compiled query with its parameters written in (EXPLAIN takes no parameters here). */
function inline(text: string, parameters: readonly unknown[], style: '$' | '?'): string {
  const literal = (value: unknown) => (typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`);
  if (style === '$') return text.replace(/\$(\d+)/g, (_m, n: string) => literal(parameters[Number(n) - 1]));
  let index = 0;
  return text.replace(/\?/g, () => literal(parameters[index++]));
}
