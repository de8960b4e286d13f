import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, validateTransactionRequest } from '../../src/core/validate.js';
import type { ErrorItem } from '../../src/domain/errors.js';

type Attrs = Record<string, unknown>;

const saleBody = (attributes: Attrs = {}, data: Record<string, unknown> = {}) => ({
  data: {
    id: 'pos-1:sale_0001.a',
    type: 'sale',
    attributes: {
      payment_gateway: 'wechatpay',
      payment_auth_key: '134567890123456789',
      amount: 1999,
      currency: 'CNY',
      description: 'Two coffees',
      ...attributes,
    },
    ...data,
  },
});
const voidBody = (attributes: Attrs = {}, data: Record<string, unknown> = {}) => ({
  data: { id: 'void-1', type: 'void', attributes: { sale: 'pos-1:sale_0001.a', ...attributes }, ...data },
});
const refundBody = (attributes: Attrs = {}, data: Record<string, unknown> = {}) => ({
  data: { id: 'refund-1', type: 'refund', attributes: { sale: 'pos-1:sale_0001.a', amount: 500, ...attributes }, ...data },
});

const A = '/data/attributes';

/** Validates a body that must be refused; returns its error items after checking their code. */
function errorsOf(body: unknown): ErrorItem[] {
  const result = validateTransactionRequest(body);
  assert.equal(result.ok, false, `expected refusal of ${JSON.stringify(body)}`);
  if (result.ok) throw new Error('unreachable');
  assert.ok(result.errors.length > 0);
  for (const e of result.errors) {
    assert.equal(e.code, 'attribute_error');
    assert.equal(typeof e.detail, 'string');
    assert.ok(e.detail.length > 0);
  }
  return result.errors;
}

const pointers = (body: unknown): string[] => errorsOf(body).map((e) => e.pointer ?? '<none>');

/** Asserts the body is refused with exactly one error at the pointer. */
function refusedAt(body: unknown, pointer: string, message?: string): void {
  assert.deepEqual(pointers(body), [pointer], message ?? JSON.stringify(body));
}

function accepted(body: unknown) {
  const result = validateTransactionRequest(body);
  if (!result.ok) assert.fail(`expected acceptance, got ${JSON.stringify(result.errors)}`);
  return result.request;
}

/** The attributes of a validated request as a plain record, whatever its type. */
const attrsOf = (request: { readonly attributes: object }): Record<string, unknown> => ({ ...request.attributes });

describe('validateTransactionRequest: valid bodies', () => {
  test('a sale with only the required attributes; absent optional attributes become null', () => {
    const request = accepted(saleBody());
    assert.deepEqual(request, {
      type: 'sale',
      id: 'pos-1:sale_0001.a',
      attributes: {
        payment_gateway: 'wechatpay',
        payment_auth_key: '134567890123456789',
        amount: 1999,
        currency: 'CNY',
        description: 'Two coffees',
        pos_id: null,
        mch_level_1: null,
        mch_level_2: null,
        mch_level_3: null,
      },
    });
  });

  test('a sale with every optional attribute keeps them; explicit nulls are accepted as absent', () => {
    const full = accepted(saleBody({ pos_id: 'till-3', mch_level_1: 'a', mch_level_2: 'b', mch_level_3: 'c' }));
    assert.equal(full.attributes.pos_id, 'till-3');
    assert.equal(full.attributes.mch_level_1, 'a');
    assert.equal(full.attributes.mch_level_2, 'b');
    assert.equal(full.attributes.mch_level_3, 'c');
    const nulls = accepted(saleBody({ pos_id: null, mch_level_1: null, mch_level_2: null, mch_level_3: null }));
    assert.equal(nulls.attributes.pos_id, null);
    assert.equal(nulls.attributes.mch_level_3, null);
  });

  test('unknown attributes are not copied into the request', () => {
    const request = accepted(saleBody({ tip: 100 }));
    assert.equal(attrsOf(request).tip, undefined);
  });

  test('a void: sale reference only, description optional', () => {
    assert.deepEqual(accepted(voidBody()), {
      type: 'void',
      id: 'void-1',
      attributes: { sale: 'pos-1:sale_0001.a', description: null, pos_id: null, mch_level_1: null, mch_level_2: null, mch_level_3: null },
    });
    assert.equal(accepted(voidBody({ description: 'wrong item' })).attributes.description, 'wrong item');
    assert.equal(accepted(voidBody({ description: '' })).attributes.description, '');
  });

  test('a refund: sale reference and amount, description optional', () => {
    assert.deepEqual(accepted(refundBody()), {
      type: 'refund',
      id: 'refund-1',
      attributes: { sale: 'pos-1:sale_0001.a', amount: 500, description: null, pos_id: null, mch_level_1: null, mch_level_2: null, mch_level_3: null },
    });
    assert.equal(accepted(refundBody({ description: 'returned' })).attributes.description, 'returned');
  });

  test('amount boundaries: 1 and the maximum of the currency are accepted', () => {
    assert.equal(attrsOf(accepted(saleBody({ amount: 1 }))).amount, 1);
    assert.equal(attrsOf(accepted(saleBody({ amount: 9_999_999_999 }))).amount, 9_999_999_999);
    assert.equal(attrsOf(accepted(saleBody({ amount: 99_999_999, currency: 'JPY' }))).amount, 99_999_999);
    assert.equal(attrsOf(accepted(saleBody({ amount: 99_999_999_999, currency: 'BHD' }))).amount, 99_999_999_999);
    assert.equal(attrsOf(accepted(refundBody({ amount: 1 }))).amount, 1);
  });

  test('every known currency in upper case is accepted', () => {
    for (const currency of ['CNY', 'USD', 'JPY', 'KRW', 'BHD', 'THB', 'TWD']) {
      const request = accepted(saleBody({ currency }));
      assert.equal(request.type === 'sale' && request.attributes.currency, currency);
    }
  });
});

describe('validateTransactionRequest: the body itself', () => {
  // The root of the document is the JSON pointer '' (RFC 6901), as src/http/errors.ts uses for invalid JSON.
  // A truthiness test (`pointer ? … : …`) in attributeError() would drop the '' pointer.
  test('non-object bodies are refused with a single error at the root pointer ""', () => {
    for (const body of [null, undefined, [], [saleBody()], 'sale', 42, true]) {
      const errors = errorsOf(body);
      assert.equal(errors.length, 1, JSON.stringify(body));
      assert.equal(errors[0]?.pointer, '', JSON.stringify(body));
    }
  });

  test('data missing or not an object is refused at /data', () => {
    for (const body of [{}, { data: null }, { data: [] }, { data: 'x' }, { data: 1 }, { Data: saleBody().data }]) {
      refusedAt(body, '/data');
    }
  });

  test('attributes missing or not an object is refused at /data/attributes', () => {
    for (const attributes of [undefined, null, [], 'x', 5]) {
      refusedAt({ data: { id: 'a', type: 'sale', attributes } }, A);
    }
  });
});

describe('validateTransactionRequest: id and type', () => {
  test('id pattern [A-Za-z0-9._:-]{1,64}', () => {
    for (const id of ['a', 'A', '0', '.', '_', ':', '-', 'Z9.z_0:-', 'x'.repeat(64)]) {
      assert.equal(accepted(saleBody({}, { id })).id, id);
    }
    for (const id of ['', 'x'.repeat(65), 'café', 'ид', '日本', '😀', 'a b', 'a/b', 'a+b', 'a\n', '\ta', 'a#', 'a%20']) {
      refusedAt(saleBody({}, { id }), '/data/id', JSON.stringify(id));
    }
  });

  test('id missing or not a string', () => {
    for (const id of [undefined, null, 5, true, ['a'], { a: 1 }]) refusedAt(saleBody({}, { id }), '/data/id', JSON.stringify(id));
  });

  test('type must be sale, void or refund (case-sensitive)', () => {
    for (const type of [undefined, null, '', 'Sale', 'SALE', 'capture', 'refunds', 1]) {
      refusedAt(saleBody({}, { type }), '/data/type', JSON.stringify(type));
    }
  });

  test('bad id and bad type are reported together', () => {
    assert.deepEqual(pointers(saleBody({}, { id: '', type: 'x' })), ['/data/id', '/data/type']);
  });
});

describe('validateTransactionRequest: amount', () => {
  test('must be a positive safe integer (sale and refund)', () => {
    const bad: unknown[] = [0, -1, -0.5, 1.5, 0.1, '100', '1', 2 ** 53, Number.MAX_SAFE_INTEGER + 2, null, undefined, true, [100], { v: 1 }];
    for (const amount of bad) {
      refusedAt(saleBody({ amount }), `${A}/amount`, `sale ${JSON.stringify(amount)}`);
      refusedAt(refundBody({ amount }), `${A}/amount`, `refund ${JSON.stringify(amount)}`);
    }
  });

  test('above the maximum of the currency is refused, stating the maximum in major units', () => {
    const detail = (body: unknown) => errorsOf(body).map((e) => [e.pointer, e.detail]);
    assert.deepEqual(detail(saleBody({ amount: 10_000_000_000 })), [
      [`${A}/amount`, '`amount` must be at most 99999999.99 CNY (9999999999 in the smallest unit), got 10000000000'],
    ]);
    assert.deepEqual(detail(saleBody({ amount: 100_000_000, currency: 'JPY' })), [
      [`${A}/amount`, '`amount` must be at most 99999999 JPY (99999999 in the smallest unit), got 100000000'],
    ]);
    assert.deepEqual(detail(saleBody({ amount: 100_000_000_000, currency: 'KWD' })), [
      [`${A}/amount`, '`amount` must be at most 99999999.999 KWD (99999999999 in the smallest unit), got 100000000000'],
    ]);
    // A refund's currency is its sale's: here only the largest maximum of any currency applies (the rest in create-transaction.ts).
    assert.equal(attrsOf(accepted(refundBody({ amount: 99_999_999_999 }))).amount, 99_999_999_999);
    refusedAt(refundBody({ amount: 100_000_000_000 }), `${A}/amount`);
  });

  test('the maximum follows the setting (whole major units)', () => {
    assert.equal(validateTransactionRequest(saleBody({ amount: 100_099 }), 1000).ok, true);
    assert.equal(validateTransactionRequest(saleBody({ amount: 100_100 }), 1000).ok, false);
    assert.equal(validateTransactionRequest(saleBody({ amount: 1000, currency: 'JPY' }), 1000).ok, true);
    assert.equal(validateTransactionRequest(saleBody({ amount: 1001, currency: 'JPY' }), 1000).ok, false);
  });

  test('NaN and Infinity are refused', () => {
    for (const amount of [NaN, Infinity, -Infinity]) refusedAt(saleBody({ amount }), `${A}/amount`, String(amount));
  });

  test('a void ignores amount', () => {
    const request = accepted(voidBody({ amount: -5 }));
    assert.equal(attrsOf(request).amount, undefined);
  });
});

describe('validateTransactionRequest: currency', () => {
  test('must be a known upper-case ISO 4217 code', () => {
    for (const currency of ['cny', 'Cny', 'XXX', 'US', 'USDD', '', ' CNY', 156, null, undefined, ['CNY'], 'toString']) {
      refusedAt(saleBody({ currency }), `${A}/currency`, JSON.stringify(currency));
    }
  });
});

describe('validateTransactionRequest: text attributes', () => {
  test('description: 255 characters accepted, 256 refused', () => {
    assert.equal(accepted(saleBody({ description: 'd'.repeat(255) })).attributes.description, 'd'.repeat(255));
    refusedAt(saleBody({ description: 'd'.repeat(256) }), `${A}/description`);
    refusedAt(voidBody({ description: 'd'.repeat(256) }), `${A}/description`);
    refusedAt(refundBody({ description: 'd'.repeat(256) }), `${A}/description`);
  });

  test('description is required and non-empty for a sale', () => {
    for (const description of [undefined, null, '']) refusedAt(saleBody({ description }), `${A}/description`, JSON.stringify(description));
  });

  test('description must be a string', () => {
    for (const description of [5, true, ['x'], { x: 1 }]) {
      refusedAt(saleBody({ description }), `${A}/description`);
      refusedAt(voidBody({ description }), `${A}/description`);
    }
  });

  test('pos_id and mch_level_1..3: optional strings of at most 255 characters', () => {
    for (const name of ['pos_id', 'mch_level_1', 'mch_level_2', 'mch_level_3']) {
      assert.equal(attrsOf(accepted(saleBody({ [name]: 'x'.repeat(255) })))[name], 'x'.repeat(255));
      refusedAt(saleBody({ [name]: 'x'.repeat(256) }), `${A}/${name}`, name);
      refusedAt(refundBody({ [name]: 42 }), `${A}/${name}`, name);
    }
  });

  test('payment_gateway: required non-empty string of at most 64 characters', () => {
    assert.equal(accepted(saleBody({ payment_gateway: 'g'.repeat(64) })).type, 'sale');
    for (const payment_gateway of [undefined, null, '', 'g'.repeat(65), 7, {}]) {
      refusedAt(saleBody({ payment_gateway }), `${A}/payment_gateway`, JSON.stringify(payment_gateway));
    }
  });

  test('payment_auth_key: required non-empty string of at most 128 characters', () => {
    assert.equal(accepted(saleBody({ payment_auth_key: 'k'.repeat(128) })).type, 'sale');
    // eslint-disable-next-line no-loss-of-precision -- an auth key sent as a JSON number loses digits; the validator must refuse it
    for (const payment_auth_key of [134567890123456789, undefined, null, '', 'k'.repeat(129), ['1'], true]) {
      refusedAt(saleBody({ payment_auth_key }), `${A}/payment_auth_key`, JSON.stringify(payment_auth_key));
    }
  });

  test('sale reference of a void or refund: required and shaped like an id', () => {
    for (const make of [voidBody, refundBody]) {
      assert.equal(accepted(make({ sale: 's'.repeat(64) })).type, make === voidBody ? 'void' : 'refund');
      for (const sale of [undefined, null, '', 's'.repeat(65), 'café', 'a b', 12]) {
        refusedAt(make({ sale }), `${A}/sale`, JSON.stringify(sale));
      }
    }
  });
});

describe('validateTransactionRequest: all problems at once', () => {
  test('a sale with many problems reports each attribute once', () => {
    const body = saleBody(
      { amount: 0, currency: 'cny', description: '', payment_gateway: 5, payment_auth_key: null, pos_id: 'p'.repeat(256) },
      { id: 'x'.repeat(65) },
    );
    assert.deepEqual(
      new Set(pointers(body)),
      new Set(['/data/id', `${A}/payment_gateway`, `${A}/payment_auth_key`, `${A}/amount`, `${A}/currency`, `${A}/description`, `${A}/pos_id`]),
    );
    assert.equal(pointers(body).length, 7);
  });

  test('a refund with bad id, sale and amount reports all three', () => {
    assert.deepEqual(new Set(pointers(refundBody({ sale: '', amount: 1.5 }, { id: 'é' }))), new Set(['/data/id', `${A}/sale`, `${A}/amount`]));
  });

  test('a bad id alongside missing attributes is reported with the attributes error', () => {
    assert.deepEqual(pointers({ data: { id: 5, type: 'void' } }), ['/data/id', A]);
  });
});

describe('canonicalJson', () => {
  test('key order does not matter', () => {
    assert.equal(canonicalJson({ b: 1, a: 2, c: 3 }), canonicalJson({ c: 3, a: 2, b: 1 }));
    assert.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
  });

  test('nested objects are sorted too', () => {
    assert.equal(canonicalJson({ z: { y: 1, x: { b: true, a: null } }, a: 'A' }), '{"a":"A","z":{"x":{"a":null,"b":true},"y":1}}');
    assert.equal(canonicalJson({ o: { b: 1, a: 2 } }), canonicalJson({ o: { a: 2, b: 1 } }));
  });

  test('keys sort by code unit, not locale', () => {
    assert.equal(canonicalJson({ b: 1, B: 2, a: 3, _: 4 }), '{"B":2,"_":4,"a":3,"b":1}');
  });

  test('undefined members are dropped, null members are kept', () => {
    assert.equal(canonicalJson({ a: undefined, b: null, c: 1 }), '{"b":null,"c":1}');
    assert.equal(canonicalJson({ a: undefined }), canonicalJson({}));
    assert.notEqual(canonicalJson({ a: null }), canonicalJson({}));
  });

  test('arrays keep their order', () => {
    assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
    assert.equal(canonicalJson([{ b: 1, a: 2 }, 'x']), '[{"a":2,"b":1},"x"]');
  });

  // Latent (request bodies never carry arrays today): without the null, canonicalJson([undefined, 1]) would be
  // "[,1]" (not JSON) and canonicalJson([undefined]) "[]", the same as canonicalJson([]).
  test('undefined array elements are written as null, as JSON.stringify does', () => {
    assert.equal(canonicalJson([undefined, 1]), '[null,1]');
    assert.notEqual(canonicalJson([undefined]), canonicalJson([]));
  });

  test('scalars and strings are JSON-encoded', () => {
    assert.equal(canonicalJson('a"b'), '"a\\"b"');
    assert.equal(canonicalJson(12.5), '12.5');
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson(true), 'true');
    assert.equal(canonicalJson({ 'k"': 'é' }), '{"k\\"":"é"}');
  });

  test('output is valid JSON equal in value to the input', () => {
    const value = { data: { type: 'sale', id: 'x', attributes: { amount: 1, list: [1, { b: 2, a: [] }], s: 'ü' } } };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  test('a validated request canonicalises the same whatever the body key order', () => {
    const one = accepted(saleBody());
    const b = saleBody();
    const reordered = { data: { attributes: Object.fromEntries(Object.entries(b.data.attributes).reverse()), type: 'sale', id: b.data.id } };
    assert.equal(canonicalJson(accepted(reordered)), canonicalJson(one));
    assert.notEqual(canonicalJson(accepted(saleBody({ amount: 2000 }))), canonicalJson(one));
  });
});
