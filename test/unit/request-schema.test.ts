/** Messages carried by TypeBox request schemas: one per field, in the schema's order, never published. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { compileRequest, messageFor, says } from '../../src/core/request-schema.js';

const SHAPE = Type.Object({
  name: says(Type.String({ minLength: 1, maxLength: 3 }), {
    required: 'name is required',
    minLength: 'name must not be empty',
    default: (value) => `name is too long: ${String(value).length}`,
  }),
  count: Type.Optional(says(Type.Integer({ minimum: 1 }), { default: (value) => `count must be positive, got ${JSON.stringify(value)}` })),
  plain: Type.Optional(Type.Boolean()),
});
const check = compileRequest(SHAPE);
const said = (data: unknown) => check(data).map((refusal) => [refusal.pointer, messageFor(refusal)]);

describe('compileRequest and messageFor', () => {
  test('a value that fits has no refusal', () => {
    assert.deepEqual(check({ name: 'ab', count: 2, plain: true }), []);
  });

  test('each field is refused once, by the message of the keyword that refused it, in the order of the schema', () => {
    // count -0.5 fails both `type` (integer) and `minimum`: one message; the missing name comes first though ajv reports it first or last.
    assert.deepEqual(said({ count: -0.5 }), [
      ['/name', 'name is required'],
      ['/count', 'count must be positive, got -0.5'],
    ]);
    assert.deepEqual(said({ count: 0, name: '' }), [
      ['/name', 'name must not be empty'],
      ['/count', 'count must be positive, got 0'],
    ]);
    assert.deepEqual(said({ name: 'abcd' }), [['/name', 'name is too long: 4']]);
  });

  test("a field without messages is refused in ajv's words", () => {
    assert.deepEqual(said({ name: 'a', plain: 'yes' }), [['/plain', 'plain must be boolean']]);
  });

  test("the messages are not part of the schema's JSON (what the OpenAPI document publishes)", () => {
    const json = JSON.stringify(SHAPE);
    assert.ok(!json.includes('is required') && !json.includes('too long'), json);
    assert.deepEqual(JSON.parse(json).properties.name, { type: 'string', minLength: 1, maxLength: 3 });
  });
});
