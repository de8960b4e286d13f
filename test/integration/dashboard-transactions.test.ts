/**
 * The dashboard's transactions list and CSV export over plain HTTP on both
 * databases: every filter, the search box, cursor pages, refusing bad filter
 * values, merchant isolation, the operator's view, and the CSV's escaping,
 * formula neutralising, filters and batching across a large export.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { newTransactionRef } from '../../src/domain/ids.js';
import { startOfLocalDay } from '../../src/dashboard/transactions-filters.js';
import { chop } from '../support/chop.js';
import { call, refundBody, saleBody, uniqueId, waitFinal } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashboardFixture, HttpSession, posSale, useDashboardApp } from '../support/dashboard.js';

test("a local calendar day starts at the zone's midnight, also across DST changes", () => {
  assert.equal(startOfLocalDay('2024-01-01', 'Asia/Shanghai'), Date.UTC(2023, 11, 31, 16));
  assert.equal(startOfLocalDay('2024-03-10', 'America/New_York'), Date.UTC(2024, 2, 10, 5), 'the DST day starts before the jump');
  assert.equal(startOfLocalDay('2024-07-01', 'America/New_York'), Date.UTC(2024, 6, 1, 4));
  assert.equal(startOfLocalDay('2024-10-27', 'Europe/London'), Date.UTC(2024, 9, 26, 23));
  assert.equal(startOfLocalDay('2024-09-08', 'America/Santiago'), Date.UTC(2024, 8, 8, 4), 'no midnight that day: it starts at the jump to 01:00');
  assert.equal(startOfLocalDay('2024-05-05', 'UTC'), Date.UTC(2024, 4, 5));
});

const refsIn = (html: string): string[] => [...html.matchAll(/<tr data-ref="([0-9a-f]{32})"/g)].map((m) => m[1] ?? '');
const nextLink = (html: string): string | null => /<a rel="next" href="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&') ?? null;

/** RFC 4180 records (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i += 1;
    } else cell += c;
  }
  assert.equal(cell + record.join(''), '', 'the file ends with a line break');
  return records;
}

/** The CSV as records of named cells (header checked by the caller). */
function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((cells) => Object.fromEntries((header ?? []).map((name, i) => [name, cells[i] ?? ''])));
}

interface Made {
  id: string;
  ref: string;
}

async function otherSale(fx: DashboardFixture): Promise<Made> {
  const id = uniqueId('dash-b');
  const created = await call(fx.url, 'POST', '/api/v2/transactions', { key: fx.other.apiKey, body: saleBody(id, 700, { pos_id: 'LANE-7' }) });
  assert.equal(created.status, 201);
  await waitFinal(fx.url, fx.other.apiKey, id);
  const row = await fx.app.app.deps.store.db.selectFrom('transactions').select('ref').where('client_id', '=', id).executeTakeFirstOrThrow();
  return { id, ref: row.ref };
}

for (const kind of DB_KINDS) {
  describe(`dashboard transactions (${kind})`, () => {
    const fx = useDashboardApp(kind);
    const made = {} as Record<'north' | 'south' | 'failed' | 'refund' | 'charge' | 'formula' | 'other', Made> & { reference: string };

    before(async () => {
      const [north, south, failed, formula, other] = await Promise.all([
        posSale(fx(), 1000, { pos_id: 'LANE-7', mch_level_1: 'north' }),
        posSale(fx(), 2500, {
          pos_id: 'LANE-8',
          mch_level_1: 'south',
          mch_level_2: 'floor-2',
          mch_level_3: 'till-9',
          payment_gateway: 'alipay_cn_domestic',
          payment_auth_key: '286543210987654321',
        }),
        posSale(fx(), 1051), // the simulator's "insufficient balance": a failed sale
        posSale(fx(), 1234, { description: '=HYPERLINK("x")', pos_id: '-LANE', mch_level_1: 'Tea, "large"\nsecond line' }),
        otherSale(fx()),
      ]);
      assert.equal(north.state, 'succeeded');
      assert.equal(failed.state, 'failed');
      const refundId = uniqueId('dash-r');
      assert.equal(
        (await call(fx().url, 'POST', '/api/v2/transactions', { key: fx().merchant.apiKey, body: refundBody(refundId, north.id, 300) })).status,
        201,
      );
      await waitFinal(fx().url, fx().merchant.apiKey, refundId);
      const reference = `web-${Date.now().toString(36)}`;
      const charge = await chop(fx().url, '/chop/chop', fx().merchant.apiKey, {
        payment_method: 'alipay',
        amount: '500',
        currency: 'USD',
        reference,
        ipn_url: 'http://127.0.0.1:9/ipn',
        callback_url_success: 'http://127.0.0.1:9/ok',
      });
      assert.equal(charge.body?.result, 'success', charge.text);
      const db = fx().app.app.deps.store.db;
      const refOf = async (column: 'client_id' | 'reference', value: string) =>
        (await db.selectFrom('transactions').select('ref').where(column, '=', value).executeTakeFirstOrThrow()).ref;
      Object.assign(made, {
        north,
        south,
        failed,
        formula,
        other,
        reference,
        refund: { id: refundId, ref: await refOf('client_id', refundId) },
        charge: { id: reference, ref: await refOf('reference', reference) },
      });
    });

    const signedIn = async (user: 'owner' | 'staff' | 'otherOwner' | 'operator') => {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(fx()[user], '/dashboard/transactions'), 303);
      return session;
    };
    const listed = async (session: HttpSession, query: string) => {
      const page = await session.get(`/dashboard/transactions${query}`);
      assert.equal(page.status, 200, page.text);
      return refsIn(page.text);
    };
    const aRefs = () => [made.north, made.south, made.failed, made.formula, made.refund, made.charge].map((m) => m.ref);

    test('the list shows POS and checkout rows newest first, linked by their ids, and nothing of merchant B', async () => {
      const session = await signedIn('owner');
      const page = await session.get('/dashboard/transactions');
      const refs = refsIn(page.text);
      assert.deepEqual([...refs].sort(), [...aRefs()].sort());
      assert.equal(refs[0], made.charge.ref, 'the newest first');
      assert.ok(page.text.includes(`href="/dashboard/transactions/${made.north.ref}">${made.north.id}</a>`), 'a POS row shows its client id');
      assert.ok(page.text.includes(`href="/dashboard/transactions/${made.charge.ref}">${made.reference}</a>`), 'a checkout row shows its reference');
      assert.match(page.text, /<table class="stack tx-table">/);
      assert.match(page.text, /data-label="Amount" class="num">CN¥10\.00</);
      assert.match(page.text, /data-label="Amount" class="num">\$5\.00</);
      assert.ok(!page.text.includes('data-label="Merchant"'), 'no merchant column for a merchant user');
      assert.ok(page.text.includes('href="/dashboard/transactions.csv"'), 'the export link');
    });

    test('each filter narrows the list', async () => {
      const session = await signedIn('owner');
      const expect = async (query: string, rows: Made[]) => assert.deepEqual((await listed(session, query)).sort(), rows.map((m) => m.ref).sort(), query);
      await expect('?type=refund', [made.refund]);
      await expect('?type=charge', [made.charge]);
      await expect('?type=sale&state=failed', [made.failed]);
      await expect('?state=pending', [made.charge]);
      await expect('?gateway=alipay_cn_domestic', [made.south]);
      await expect('?gateway=alipay', [made.charge]);
      await expect('?pos_id=LANE-7', [made.north]);
      await expect('?mch_level_1=south', [made.south]);
      await expect('?mch_level_2=floor-2&mch_level_3=till-9', [made.south]);
      await expect('?mch_level_3=till-1', []);
      await expect(`?q=${made.north.ref}`, [made.north]);
      await expect(`?q=${made.south.id}`, [made.south]);
      await expect(`?q=${made.reference}`, [made.charge]);
      const none = await session.get('/dashboard/transactions?q=no-such-thing');
      assert.match(none.text, /No transactions match these filters\./);
      assert.match(none.text, /<input id="tx-q" name="q" type="search" value="no-such-thing"/, 'the form keeps what was typed');
    });

    test("dates are whole days in the merchant's time zone (UTC for operators)", async () => {
      const db = fx().app.app.deps.store.db;
      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const session = await signedIn('owner');
      assert.equal((await listed(session, `?from=${today}&to=${today}`)).length, aRefs().length);
      assert.deepEqual(await listed(session, `?to=${yesterday}`), []);
      // 2024-01-01 17:00 UTC is already 2 January in Shanghai.
      await db
        .updateTable('transactions')
        .set({ created_at: Date.UTC(2024, 0, 1, 17) })
        .where('ref', '=', made.failed.ref)
        .execute();
      await db.updateTable('merchants').set({ timezone: 'Asia/Shanghai' }).where('id', '=', fx().merchant.id).execute();
      try {
        assert.deepEqual(await listed(session, '?from=2024-01-02&to=2024-01-02'), [made.failed.ref]);
        assert.deepEqual(await listed(session, '?from=2024-01-01&to=2024-01-01'), []);
        const page = await session.get('/dashboard/transactions?to=2024-01-02');
        assert.match(page.text, /2024-01-02 01:00:00/);
        assert.match(page.text, /Times are shown in Asia\/Shanghai\./);
        const operator = await signedIn('operator');
        assert.deepEqual(await listed(operator, '?from=2024-01-01&to=2024-01-01'), [made.failed.ref]);
      } finally {
        await db.updateTable('merchants').set({ timezone: 'UTC' }).where('id', '=', fx().merchant.id).execute();
      }
    });

    test('cursor pages of two walk every row exactly once, keeping the filters', async () => {
      const session = await signedIn('owner');
      const seen: string[] = [];
      let path: string | null = '/dashboard/transactions?size=2';
      let pages = 0;
      while (path) {
        const page = await session.get(path);
        assert.equal(page.status, 200);
        const refs = refsIn(page.text);
        assert.ok(refs.length >= 1 && refs.length <= 2);
        seen.push(...refs);
        pages += 1;
        if (pages > 1) assert.match(page.text, /<a href="\/dashboard\/transactions\?size=2">First page<\/a>/);
        path = nextLink(page.text);
        if (path) assert.match(path, /^\/dashboard\/transactions\?size=2&after=[\w-]+$/);
      }
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      assert.deepEqual([...seen].sort(), [...aRefs()].sort());
      assert.equal(pages, Math.ceil(aRefs().length / 2));
      const filtered = await session.get('/dashboard/transactions?type=sale&size=1');
      assert.match(nextLink(filtered.text) ?? '', /^\/dashboard\/transactions\?type=sale&size=1&after=/, 'the next page keeps the filters');
    });

    test('invalid filter values answer 400 with the reason next to the form', async () => {
      const session = await signedIn('owner');
      const cases: [string, RegExp][] = [
        ['?state=lost', /<strong>State<\/strong>: Choose one of the listed values\./],
        ['?type=payout', /<strong>Type<\/strong>: Choose one of the listed values\./],
        ['?gateway=paypal', /<strong>Gateway \/ method<\/strong>: Choose one of the listed values\./],
        ['?from=2024-02-30', /<strong>From<\/strong>: Enter a date as YYYY-MM-DD\./],
        ['?to=yesterday', /<strong>To<\/strong>: Enter a date as YYYY-MM-DD\./],
        ['?from=2024-03-02&to=2024-03-01', /The start date is after the end date\./],
        ['?size=0', /<strong>Page size<\/strong>: A whole number from 1 to 200\./],
        ['?size=201', /A whole number from 1 to 200\./],
        ['?after=bm9wZQ', /This page link is not valid/],
      ];
      for (const [query, message] of cases) {
        const page = await session.get(`/dashboard/transactions${query}`);
        assert.equal(page.status, 400, query);
        assert.match(page.text, /role="alert">\s*<p>Some filters are not valid\./, query);
        assert.match(page.text, message, query);
        assert.deepEqual(refsIn(page.text), [], 'no rows under a wrong filter');
        assert.match(page.text, /<form method="get" action="\/dashboard\/transactions"/);
      }
      const marked = await session.get('/dashboard/transactions?from=31/12/2024');
      assert.match(marked.text, /name="from" type="date" value="31\/12\/2024" placeholder="YYYY-MM-DD" aria-invalid="true" aria-describedby="tx-error-from"/);
      const csv = await session.get('/dashboard/transactions.csv?state=lost');
      assert.equal(csv.status, 400);
      assert.match(csv.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(csv.text, /State: Choose one of the listed values\./);
    });

    test("merchant B's owner sees none of A's rows, not even by searching A's ref", async () => {
      const session = await signedIn('otherOwner');
      assert.deepEqual(await listed(session, ''), [made.other.ref]);
      const search = await session.get(`/dashboard/transactions?q=${made.north.ref}`);
      assert.deepEqual(refsIn(search.text), []);
      assert.match(search.text, /No transactions match/);
      const csv = csvObjects((await session.get('/dashboard/transactions.csv')).text);
      assert.deepEqual(
        csv.map((r) => r.cancan_id),
        [made.other.ref],
      );
      assert.deepEqual(await listed(session, `?merchant=${fx().merchant.id}`), [made.other.ref], "the merchant filter is the operator's only");
    });

    test('staff may read the list and export it', async () => {
      const session = await signedIn('staff');
      assert.deepEqual((await listed(session, '')).sort(), [...aRefs()].sort());
      assert.equal((await session.get('/dashboard/transactions.csv')).status, 200);
    });

    test('the operator sees every merchant, with a Merchant column and filter', async () => {
      const session = await signedIn('operator');
      const all = await session.get('/dashboard/transactions');
      for (const ref of [...aRefs(), made.other.ref]) assert.ok(refsIn(all.text).includes(ref), ref);
      assert.match(all.text, /<th scope="col">Merchant<\/th>/);
      assert.match(all.text, new RegExp(`<option value="${fx().other.id}">Test Shop \\(${fx().other.id}\\)</option>`));
      assert.deepEqual(await listed(session, `?merchant=${fx().other.id}`), [made.other.ref]);
      assert.deepEqual(await listed(session, `?merchant=${fx().merchant.id}&pos_id=LANE-7`), [made.north.ref]);
      assert.equal((await session.get('/dashboard/transactions?merchant=mch_nope')).status, 400);
      const csv = csvObjects((await session.get(`/dashboard/transactions.csv?merchant=${fx().other.id}`)).text);
      assert.deepEqual(
        csv.map((r) => r.merchant_id),
        [fx().other.id],
      );
    });

    test('the CSV: header, one record per row, major units, escaping and no formulas', async () => {
      const session = await signedIn('owner');
      const response = await session.get('/dashboard/transactions.csv');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="cancan-transactions-test-\d{4}-\d{2}-\d{2}\.csv"$/);
      const [header] = parseCsv(response.text);
      assert.deepEqual(header, [
        'created_at',
        'finalized_at',
        'merchant_id',
        'channel',
        'type',
        'state',
        'id',
        'reference',
        'cancan_id',
        'sale',
        'gateway',
        'amount',
        'currency',
        'refunded_amount',
        'pos_id',
        'mch_level_1',
        'mch_level_2',
        'mch_level_3',
        'failure_code',
        'description',
      ]);
      const rows = csvObjects(response.text);
      assert.deepEqual(rows.map((r) => r.cancan_id).sort(), [...aRefs()].sort());
      const byRef = new Map(rows.map((r) => [r.cancan_id, r]));
      const north = byRef.get(made.north.ref);
      assert.equal(north?.amount, '10.00');
      assert.equal(north?.refunded_amount, '3.00');
      assert.equal(north?.currency, 'CNY');
      assert.match(north?.created_at ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(north?.id, made.north.id);
      assert.equal(byRef.get(made.refund.ref)?.sale, made.north.id);
      assert.match(byRef.get(made.failed.ref)?.failure_code ?? '', /^[a-z_]+$/, 'a failed sale says why');
      const charge = byRef.get(made.charge.ref);
      assert.deepEqual(
        [charge?.channel, charge?.type, charge?.reference, charge?.gateway, charge?.amount, charge?.finalized_at],
        ['chop', 'charge', made.reference, 'alipay', '5.00', ''],
      );
      const formula = byRef.get(made.formula.ref);
      assert.equal(formula?.description, '\'=HYPERLINK("x")', 'a formula is neutralised');
      assert.equal(formula?.pos_id, "'-LANE");
      assert.equal(formula?.mch_level_1, 'Tea, "large"\nsecond line', 'commas, quotes and line breaks survive');
      assert.ok(response.text.includes('"\'=HYPERLINK(""x"")"'), 'quotes are doubled inside a quoted cell');
      const filtered = csvObjects((await session.get('/dashboard/transactions.csv?type=sale&state=succeeded&gateway=wechatpay_cn_domestic')).text);
      assert.deepEqual(filtered.map((r) => r.cancan_id).sort(), [made.north.ref, made.formula.ref].sort());
      const bytes = new Uint8Array(
        await (await fetch(`${fx().url}/dashboard/transactions.csv?q=${made.north.ref}`, { headers: { cookie: session.cookieHeader() } })).arrayBuffer(),
      );
      assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM for spreadsheet programs');
    });

    test('a CSV of 1,200 rows streams complete across export batches', async () => {
      const db = fx().app.app.deps.store.db;
      const { seq: _seq, ...template } = await db.selectFrom('transactions').selectAll().where('ref', '=', made.south.ref).executeTakeFirstOrThrow();
      const copies = Array.from({ length: 1200 }, (_, i) => ({
        ...template,
        ref: newTransactionRef(),
        client_id: `bulk-${i}`,
        pos_id: 'BULK',
        created_at: template.created_at + i,
      }));
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < copies.length; i += 200)
          await trx
            .insertInto('transactions')
            .values(copies.slice(i, i + 200))
            .execute();
      });
      const session = await signedIn('owner');
      const response = await session.get('/dashboard/transactions.csv?pos_id=BULK');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-length'), null, 'streamed, not sent as one buffer');
      const rows = csvObjects(response.text);
      assert.equal(rows.length, 1200);
      assert.equal(new Set(rows.map((r) => r.cancan_id)).size, 1200, 'no row twice');
      assert.equal(rows[0]?.id, 'bulk-1199', 'newest first');
      assert.equal(rows.at(-1)?.id, 'bulk-0');
      const everything = csvObjects((await session.get('/dashboard/transactions.csv')).text);
      assert.equal(everything.length, 1200 + aRefs().length);
    });
  });
}
