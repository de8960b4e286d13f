/**
 * The words of every refusal of a query string or an Idempotency-Key, as
 * clients have always read them, now that each comes from one TypeBox schema
 * (list-query.ts, chop/params.ts, idempotency.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChopError, parseChopListQuery, parsePayQrQuery } from '../../src/chop/params.js';
import { encodeCursor } from '../../src/core/list-transactions.js';
import { ApiError } from '../../src/domain/errors.js';
import { parseIdempotencyKey } from '../../src/http/idempotency.js';
import { parseListQuery } from '../../src/http/routes/list-query.js';

function posRefusal(query: Record<string, unknown>): [string | undefined, string][] {
  try {
    parseListQuery(query);
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.status, 400);
    return error.items.map((item) => {
      assert.equal(item.code, 'attribute_error');
      return [item.parameter, item.detail];
    });
  }
  assert.fail(`expected ${JSON.stringify(query)} to be refused`);
}

function chopRefusal(parse: () => unknown): [number, string, string] {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof ChopError, String(error));
    return [error.status, error.code, error.message];
  }
  assert.fail('expected a refusal');
}

const ISO = 'must be an ISO 8601 time such as 2024-01-31T00:00:00Z';

describe('POS list query', () => {
  test('each parameter is refused in its own words', () => {
    const cases: [string, unknown, string][] = [
      ['filter[type]', 'capture', 'filter[type] must be one of sale, void, refund'],
      ['filter[type]', ['sale', 'void'], 'filter[type] must be given once'],
      ['filter[state]', 'PENDING', 'filter[state] must be one of pending, succeeded, failed'],
      ['filter[payment_gateway]', ['a', 'b'], 'filter[payment_gateway] must be given once'],
      ['filter[pos_id]', ['a', 'b'], 'filter[pos_id] must be given once'],
      ['page[size]', '0', 'page[size] must be an integer from 1 to 100'],
      ['page[size]', '101', 'page[size] must be an integer from 1 to 100'],
      ['page[size]', '1.5', 'page[size] must be an integer from 1 to 100'],
      ['page[size]', 'abc', 'page[size] must be an integer from 1 to 100'],
      ['page[size]', 'Infinity', 'page[size] must be an integer from 1 to 100'],
      ['page[size]', '1e400', 'page[size] must be an integer from 1 to 100'],
      ['page[size]', ['5', '6'], 'page[size] must be given once'],
      ['page[after]', 'junk', 'page[after] is not a cursor from links.next'],
      ['page[after]', [encodeCursor(1), encodeCursor(2)], 'page[after] must be given once'],
      ['filter[created_at][gte]', 'yesterday', `filter[created_at][gte] ${ISO}`],
      ['filter[created_at][gte]', '2024-02-30T00:00:00Z', `filter[created_at][gte] ${ISO}`],
      ['filter[created_at][gte]', '2024-01-31 garbage', `filter[created_at][gte] ${ISO}`],
      ['filter[created_at][lt]', ['2024-01-31', '2024-01-31'], 'filter[created_at][lt] must be given once'],
    ];
    for (const [name, value, detail] of cases) assert.deepEqual(posRefusal({ [name]: value }), [[name, detail]], `${name}=${JSON.stringify(value)}`);
  });

  test('every problem at once, in the order clients have always had them', () => {
    assert.deepEqual(
      posRefusal({
        'filter[created_at][lt]': '2024-13-01',
        'filter[created_at][gte]': 'w',
        'filter[pos_id]': ['a', 'b'],
        'filter[payment_gateway]': ['a', 'b'],
        'page[after]': 'z',
        'page[size]': '0',
        'filter[state]': 'y',
        'filter[type]': 'x',
      }).map(([name]) => name),
      [
        'filter[type]',
        'filter[state]',
        'page[size]',
        'page[after]',
        'filter[payment_gateway]',
        'filter[pos_id]',
        'filter[created_at][gte]',
        'filter[created_at][lt]',
      ],
    );
  });

  test('page sizes are read as numbers are written', () => {
    for (const [text, size] of [
      [' 7', 7],
      ['5.0', 5],
      ['1e1', 10],
      ['0x10', 16],
    ] as const) {
      assert.equal(parseListQuery({ 'page[size]': text }).size, size, text);
    }
  });
});

describe('CHOP query strings', () => {
  const list = (query: Record<string, unknown>) => () => parseChopListQuery(query);

  test('/chop/transactions: defaults, and an empty cursor or reference is none', () => {
    assert.deepEqual(parseChopListQuery({}), { limit: 20, startingAfter: null, reference: null });
    assert.deepEqual(parseChopListQuery({ limit: '100', starting_after: '', reference: 'order-1' }), {
      limit: 100,
      startingAfter: null,
      reference: 'order-1',
    });
  });

  test('/chop/transactions: the first problem, in its own words', () => {
    const limit = [400, 'invalid_parameter', 'limit must be a whole number from 1 to 100'];
    for (const value of ['0', '101', '', '1.5', 'abc', 'Infinity', ['1', '2']])
      assert.deepEqual(chopRefusal(list({ limit: value })), limit, JSON.stringify(value));
    assert.deepEqual(chopRefusal(list({ starting_after: ['a', 'b'] })), [400, 'invalid_parameter', 'starting_after must be given once']);
    assert.deepEqual(chopRefusal(list({ reference: ['a', 'b'] })), [400, 'invalid_parameter', 'reference must be given once']);
    assert.deepEqual(chopRefusal(list({ reference: ['a', 'b'], starting_after: ['a', 'b'], limit: '0' })), limit);
  });

  test('pay_qr: any one format, not two', () => {
    assert.equal(parsePayQrQuery({}), undefined);
    assert.equal(parsePayQrQuery({ format: 'json' }), 'json');
    assert.deepEqual(
      chopRefusal(() => parsePayQrQuery({ format: ['json', 'png'] })),
      [400, 'invalid_parameter', 'format must be given once'],
    );
  });
});

describe('Idempotency-Key', () => {
  test('1 to 255 characters without control characters, or none', () => {
    assert.equal(parseIdempotencyKey({}), undefined);
    assert.equal(parseIdempotencyKey({ 'idempotency-key': 'é-ü 1' }), 'é-ü 1');
    assert.equal(parseIdempotencyKey({ 'idempotency-key': 'k'.repeat(255) }), 'k'.repeat(255));
    const refused = [400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters, without control characters'];
    for (const key of ['', 'k'.repeat(256), 'a\tb', 'a\u0000b', 'a\u007fb', ['a', 'b']]) {
      assert.deepEqual(
        chopRefusal(() => parseIdempotencyKey({ 'idempotency-key': key })),
        refused,
        JSON.stringify(key),
      );
    }
  });
});
