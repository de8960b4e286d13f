/**
 * The OpenAPI document (/docs/json) and its page (/docs); that the request
 * bodies, query strings and the Idempotency-Key header it publishes are the
 * validators' own TypeBox schemas (one definition each); that the routes
 * refuse exactly what the parsers refuse, with their messages.
 */
import assert from 'node:assert/strict';
import { PROVIDERS } from '../../src/providers/list.js';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { TObject } from '@sinclair/typebox';
import { Ajv, type AnySchema } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import {
  CANCEL_REQUEST,
  CHARGE_REQUEST,
  CHOP_LIST_QUERY,
  REFUND_REQUEST as CHOP_REFUND_REQUEST,
  type ChopError,
  INQUIRE_REQUEST,
  PAY_QR_QUERY,
  PAY_QR_REQUEST,
  type Params,
  parseCancelParams,
  parseChargeParams,
  parseChopListQuery,
  parseInquireParams,
  parsePayQrQuery,
  parseRefundParams,
  toParams,
} from '../../src/chop/params.js';
import { encodeCursor } from '../../src/core/list-transactions.js';
import { REFUND_REQUEST as POS_REFUND_REQUEST, SALE_REQUEST, VOID_REQUEST, validateTransactionRequest } from '../../src/core/validate.js';
import type { ApiError } from '../../src/domain/errors.js';
import { IDEMPOTENCY_HEADERS, parseIdempotencyKey } from '../../src/http/idempotency.js';
import { LIST_QUERY, parseListQuery, presentQuery } from '../../src/http/routes/list-query.js';
import { chopValidator, posValidator } from '../../src/http/schemas/rules.js';
import { CHOP_ROUTES } from '../../src/http/schemas/chop.js';
import { CREATE_TRANSACTION_ROUTE, LIST_TRANSACTIONS_ROUTE } from '../../src/http/schemas/pos.js';
import type { HttpPart } from '../../src/http/schemas/validator.js';
import { call, saleBody, uniqueId } from '../support/client.js';
import { CHOP_METHODS, chop, idFromUrl } from '../support/chop.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: unknown;
        parameters?: { name: string; in: string; schema: object }[];
        responses: Record<string, { headers?: object; content?: Record<string, { schema: object }> }>;
      }
    >
  >;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, { type: string; scheme?: string }> };
};

const EXPECTED_ROUTES: Record<string, string[]> = {
  '/api/v2/transactions': ['get', 'post'],
  '/api/v2/transactions/{id}': ['get'],
  '/chop/chop': ['post'],
  '/chop/inquire': ['post'],
  '/chop/refund': ['post'],
  '/chop/cancel': ['post'],
  '/chop/transactions': ['get'],
  '/chop/transactions/{id}/notifications': ['get'],
  '/chop/transactions/{id}/notifications/resend': ['post'],
  '/payment/pay_qr': ['post'],
  '/payment/inquire': ['post'],
  '/payment/refund': ['post'],
};

let t: TestApp;
let m: TestMerchant;
let doc: Doc;
/** Compiles a schema of the published document, with the routes' string-length rule (UTF-16 units). */
let published: (name: string) => (data: unknown) => boolean;
/** Compiles the schema at a JSON pointer into the published document (e.g. an inline answer's). */
let publishedAt: (pointer: string) => (data: unknown) => boolean;
/** Compiles the query parameters (or headers) a route publishes as one object schema, their values read from text as the routes read them. */
let publishedParameters: (method: string, path: string, where: 'query' | 'header') => (data: unknown) => boolean;

before(async () => {
  t = await startTestApp('sqlite');
  m = await t.merchant([...CHOP_METHODS, 'wechatpay_cn_domestic']);
  const response = await fetch(`${t.url}/docs/json`);
  assert.equal(response.status, 200);
  doc = (await response.json()) as Doc;
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, unicode: false, validateSchema: false, logger: false });
  ajv.addSchema({ ...doc, $id: 'openapi.json' });
  publishedAt = (pointer) => {
    const validate = ajv.compile({ $ref: `openapi.json#${pointer}` });
    return (data) => validate(data);
  };
  published = (name) => {
    const validate = ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` });
    return (data) => validate(data);
  };
  const textAjv = new Ajv({ strict: false, allowUnionTypes: true, unicode: false, validateSchema: false, logger: false, coerceTypes: true });
  publishedParameters = (method, path, where) => {
    const parameters = (doc.paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === where);
    assert.ok(parameters.length > 0, `${method} ${path} publishes ${where} parameters`);
    const properties = Object.fromEntries(parameters.map((p) => [p.name, p.schema]));
    const validate = textAjv.compile({ type: 'object', properties });
    return (data) => validate(structuredClone(data));
  };
});
after(() => t.close());

describe('the OpenAPI document', () => {
  test('is a valid OpenAPI 3 document', async () => {
    await SwaggerParser.validate(structuredClone(doc) as unknown as Parameters<typeof SwaggerParser.validate>[0]);
    assert.match(String((doc as { openapi?: string }).openapi), /^3\./);
  });

  test('lists exactly the POS, CHOP and Online API routes, with their methods', () => {
    const found = Object.fromEntries(Object.entries(doc.paths).map(([path, item]) => [path, Object.keys(item).sort()]));
    assert.deepEqual(found, EXPECTED_ROUTES);
  });

  test('holds the sale, void and refund request schemas, and POST /api/v2/transactions takes one of them', () => {
    for (const [name, type] of [
      ['SaleRequest', 'sale'],
      ['VoidRequest', 'void'],
      ['RefundRequest', 'refund'],
    ] as const) {
      const schema = doc.components.schemas[name] as { properties: { data: { properties: { type: { enum: string[] } } } } };
      assert.deepEqual(schema.properties.data.properties.type.enum, [type], name);
    }
    assert.deepEqual(
      (doc.components.schemas.TransactionRequest as { oneOf: unknown[] }).oneOf,
      ['SaleRequest', 'VoidRequest', 'RefundRequest'].map((name) => ({ $ref: `#/components/schemas/${name}` })),
    );
    const post = doc.paths['/api/v2/transactions']?.post;
    assert.deepEqual(post?.requestBody, { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TransactionRequest' } } } });
    assert.ok(
      post?.parameters?.some((p) => p.in === 'header' && p.name === 'prefer'),
      'Prefer: wait=N is documented',
    );
  });

  test("names the URL each notifying provider posts to, and payment_gateway's auto", () => {
    const description = String((doc as { info?: { description?: string } }).info?.description);
    const notifying = PROVIDERS.filter((p) => p.notifications !== undefined).map((p) => `\`${p.name}\``);
    assert.deepEqual(notifying, ['`wechatpay`', '`alipay`', '`alipayplus`', '`unionpay`']);
    assert.ok(description.includes(`\`<CANCAN_PUBLIC_URL>/notify/<provider>\` (${notifying.join(', ')})`), description);
    assert.match(description, /"payment_gateway": "auto"/);
  });

  test('documents authentication and both error envelopes', () => {
    assert.equal(doc.components.securitySchemes.bearerAuth?.type, 'http');
    assert.equal(doc.components.securitySchemes.bearerAuth?.scheme, 'bearer');
    assert.equal(doc.components.securitySchemes.bareToken?.type, 'apiKey');
    for (const [path, methods] of Object.entries(EXPECTED_ROUTES)) {
      for (const method of methods) {
        const responses = doc.paths[path]?.[method]?.responses ?? {};
        const envelope = path.startsWith('/api/') ? 'PosErrors' : 'ChopFail';
        for (const status of ['401', '429']) {
          assert.deepEqual(
            responses[status]?.content?.['application/json']?.schema,
            { $ref: `#/components/schemas/${envelope}` },
            `${method} ${path} ${status}`,
          );
        }
        assert.ok(responses['429']?.headers && 'Retry-After' in responses['429'].headers, `${method} ${path}: Retry-After`);
      }
    }
  });
});

describe('the document is complete', () => {
  type Schema = { $ref?: string; description?: string; examples?: unknown[]; properties?: Record<string, Schema>; [key: string]: unknown };
  type Media = { schema?: Schema; example?: unknown; examples?: object };
  type Operation = {
    operationId?: string;
    requestBody?: { content: Record<string, Media> };
    parameters?: { name: string; in: string; description?: string; example?: unknown; schema?: Schema }[];
    responses: Record<string, { content?: Record<string, Media> }>;
  };
  const operations = (): [string, Operation][] =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]): [string, Operation] => [`${method} ${path}`, op as Operation]),
    );
  const resolve = (schema: Schema): Schema => (schema.$ref ? resolve(doc.components.schemas[schema.$ref.split('/').pop() ?? ''] as Schema) : schema);
  /** An example on the media type or on its schema (a referenced schema's own, or every `oneOf` branch's). */
  const hasExample = (media: Media): boolean => {
    if (media.example !== undefined || media.examples !== undefined) return true;
    const schema = media.schema ? resolve(media.schema) : undefined;
    return Boolean(
      schema && (schema.examples?.length || (Array.isArray(schema.oneOf) && (schema.oneOf as Schema[]).every((s) => resolve(s).examples?.length))),
    );
  };
  /** Names of the properties without a description (a `$ref` property takes its target's), anywhere below `schema`. */
  const undescribed = (schema: unknown, where: string, seen = new Set<unknown>()): string[] => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return [];
    seen.add(schema);
    if (Array.isArray(schema)) return schema.flatMap((s) => undescribed(s, where, seen));
    const s = schema as Schema;
    const missing = Object.entries(s.properties ?? {}).flatMap(([name, property]) => [
      ...(resolve(property).description ? [] : [`${where}.${name}`]),
      ...undescribed(property, `${where}.${name}`, seen),
    ]);
    for (const key of ['items', 'oneOf', 'anyOf', 'allOf', 'additionalProperties']) missing.push(...undescribed(s[key], where, seen));
    return missing;
  };

  test('every operation has a unique operationId', () => {
    const ids = operations().map(([name, op]) => {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, name);
      return op.operationId;
    });
    assert.equal(new Set(ids).size, ids.length, ids.join(', '));
    assert.equal(ids.length, 13);
  });

  test('every operation has a request example (body or parameter) and an answer example', () => {
    for (const [name, op] of operations()) {
      const body = Object.values(op.requestBody?.content ?? {});
      const parameters = (op.parameters ?? []).filter((p) => p.in !== 'header');
      if (body.length) assert.ok(body.every(hasExample), `${name}: request body example`);
      else if (parameters.length)
        assert.ok(
          parameters.some((p) => p.example !== undefined || p.schema?.examples),
          `${name}: parameter example`,
        );
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      assert.ok(success.length > 0, name);
      for (const [status, answer] of success) {
        const media = Object.entries(answer.content ?? {}).filter(([type]) => type === 'application/json');
        assert.ok(media.length === 1 && media.every(([, m]) => hasExample(m)), `${name} ${status}: answer example`);
      }
    }
  });

  test("the answers' and the IPN's own examples fit their schemas", () => {
    const escape = (step: string) => step.replace(/~/g, '~0').replace(/\//g, '~1');
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, answer] of Object.entries((op as Operation).responses)) {
          const schema = answer.content?.['application/json']?.schema;
          for (const example of schema?.examples ?? []) {
            const pointer = ['', 'paths', path, method, 'responses', status, 'content', 'application/json', 'schema'].map(escape).join('/');
            assert.ok(publishedAt(pointer)(example), `${method} ${path} ${status}: ${JSON.stringify(example)}`);
            checked += 1;
          }
        }
      }
    }
    assert.ok(checked >= 6, `${checked} inline examples`);
    const ipn = '/webhooks/ipn/post/requestBody/content/application~1x-www-form-urlencoded';
    const form = (doc as unknown as { webhooks: { ipn: { post: { requestBody: { content: Record<string, Media> } } } } }).webhooks.ipn.post.requestBody.content[
      'application/x-www-form-urlencoded'
    ];
    assert.ok(publishedAt(`${ipn}/schema`)(form?.example), 'the IPN example');
    assert.equal(publishedAt(`${ipn}/schema`)({ ...(form?.example as object), notify_status: 'maybe' }), false, 'the schema can refuse');
  });

  test('the examples fit their schemas', () => {
    for (const name of [
      'SaleRequest',
      'VoidRequest',
      'RefundRequest',
      'TransactionDocument',
      'TransactionList',
      'ChopTransaction',
      'ChopNotification',
      'ChopFail',
      'PosErrors',
    ]) {
      const examples = (doc.components.schemas[name] as Schema).examples ?? [];
      assert.ok(examples.length > 0, name);
      for (const example of examples) assert.ok(published(name)(example), `${name}: ${JSON.stringify(example)}`);
    }
  });

  test('every property and parameter is described', () => {
    const missing = [
      ...Object.entries(doc.components.schemas).flatMap(([name, schema]) => undescribed(schema, name)),
      ...operations().flatMap(([name, op]) => [
        ...(op.parameters ?? []).filter((p) => !p.description).map((p) => `${name} ${p.in} ${p.name}`),
        ...Object.values(op.requestBody?.content ?? {}).flatMap((m) => undescribed(m.schema, `${name} body`)),
        ...Object.entries(op.responses).flatMap(([status, r]) => Object.values(r.content ?? {}).flatMap((m) => undescribed(m.schema, `${name} ${status}`))),
      ]),
    ];
    assert.deepEqual(missing, []);
    assert.deepEqual(undescribed({ properties: { a: { type: 'string' } } }, 'probe'), ['probe.a'], 'the walk can find one');
  });

  test('names a server', () => {
    const servers = (doc as { servers?: { url: string }[] }).servers ?? [];
    assert.deepEqual(
      servers.map((server) => server.url),
      ['/'],
    );
  });

  test('lists the 5xx answers of every CHOP and Online route', () => {
    for (const [name, op] of operations().filter(([name]) => !name.includes('/api/'))) {
      for (const status of ['500', '503']) {
        assert.deepEqual(op.responses[status]?.content?.['application/json']?.schema, { $ref: '#/components/schemas/ChopFail' }, `${name} ${status}`);
      }
    }
    assert.ok(doc.paths['/payment/pay_qr']?.post?.responses['502'], 'pay_qr: provider declined');
  });

  test('describes the IPN as a webhook: its signed form fields and the CanCan-Signature header', () => {
    const ipn = (doc as unknown as { webhooks?: Record<string, { post?: Operation }> }).webhooks?.ipn?.post;
    assert.ok(ipn, 'webhooks.ipn.post');
    const form = ipn.requestBody?.content['application/x-www-form-urlencoded'];
    assert.ok(form?.schema && hasExample(form));
    const fields = form.schema.properties ?? {};
    for (const field of ['id', 'amount', 'notify_status', 'currency', 'time', 'reference', 'notify_id', 'livemode', 'fields', 'sign']) {
      assert.ok(fields[field]?.description, field);
    }
    assert.deepEqual(undescribed(form.schema, 'ipn'), []);
    const header = ipn.parameters?.find((p) => p.in === 'header' && p.name === 'CanCan-Signature');
    assert.match(header?.description ?? '', /HMAC-SHA256/);
    assert.ok(ipn.responses['200'], 'a 2xx ends the retries');
  });
});

describe('the /docs page', () => {
  test('is HTML under a CSP whose scripts, styles and document come from this server only', async () => {
    const page = await fetch(`${t.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    const html = await page.text();
    const assets = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map((match) => new URL(match[1] ?? '', page.url));
    assert.ok(assets.filter((url) => url.pathname.endsWith('.js')).length >= 3, html);
    assert.ok(
      assets.some((url) => url.pathname.endsWith('.css')),
      html,
    );
    for (const url of [...assets, new URL('/docs/json', t.url)]) {
      assert.equal(url.origin, new URL(t.url).origin, `${url} is served by CanCan`);
      const asset = await fetch(url);
      assert.equal(asset.status, 200, String(url));
      await asset.arrayBuffer();
    }
  });
});

describe('one definition per request body', () => {
  /** What @fastify/swagger publishes for a schema: its JSON, `const` as a one-value `enum`, without `$id`. */
  const asPublished = (schema: object): unknown =>
    JSON.parse(
      JSON.stringify(schema, (key, value) => {
        if (key === '$id') return undefined;
        if (value && typeof value === 'object' && 'const' in value) {
          const { const: only, ...rest } = value as { const: unknown };
          return { ...rest, enum: [only] };
        }
        return value;
      }),
    );
  const SOURCES: [string, object][] = [
    ['SaleRequest', SALE_REQUEST],
    ['VoidRequest', VOID_REQUEST],
    ['RefundRequest', POS_REFUND_REQUEST],
    ['ChopChargeRequest', CHARGE_REQUEST],
    ['PayQrRequest', PAY_QR_REQUEST],
    ['ChopRefundRequest', CHOP_REFUND_REQUEST],
    ['ChopCancelRequest', CANCEL_REQUEST],
    ['ChopInquireRequest', INQUIRE_REQUEST],
  ];

  test("the published request schemas are the validators' TypeBox schemas", () => {
    for (const [name, schema] of SOURCES) assert.deepEqual(doc.components.schemas[name], asPublished(schema), name);
  });

  test('the routes take those schemas as their bodies', () => {
    assert.deepEqual(CHOP_ROUTES.charge.body, { $ref: 'ChopChargeRequest#' });
    assert.deepEqual(CHOP_ROUTES.payQr.body, { $ref: 'PayQrRequest#' });
    assert.deepEqual(CHOP_ROUTES.refund('CHOP API').body, { $ref: 'ChopRefundRequest#' });
    assert.deepEqual(CHOP_ROUTES.cancel.body, { $ref: 'ChopCancelRequest#' });
    assert.deepEqual(CHOP_ROUTES.inquire('CHOP API').body, { $ref: 'ChopInquireRequest#' });
    assert.deepEqual(CREATE_TRANSACTION_ROUTE.body, { $ref: 'TransactionRequest#' });
  });
});

describe('one definition per query string and header', () => {
  /** What @fastify/swagger publishes for each property of a query string or header schema: a parameter, its description and first example lifted out of its schema. */
  const asParameters = (schema: TObject, where: 'query' | 'header') =>
    Object.entries(schema.properties).map(([name, property]) => {
      const { description, examples, ...rest } = JSON.parse(JSON.stringify(property)) as { description?: string; examples?: unknown[] };
      return { schema: rest, in: where, name, required: false, ...(description ? { description } : {}), ...(examples ? { example: examples[0] } : {}) };
    });
  const SOURCES: [string, string, 'query' | 'header', TObject][] = [
    ['get', '/api/v2/transactions', 'query', LIST_QUERY],
    ['get', '/chop/transactions', 'query', CHOP_LIST_QUERY],
    ['post', '/payment/pay_qr', 'query', PAY_QR_QUERY],
    ...['/chop/chop', '/payment/pay_qr', '/chop/refund', '/payment/refund', '/chop/cancel'].map((path): [string, string, 'header', TObject] => [
      'post',
      path,
      'header',
      IDEMPOTENCY_HEADERS,
    ]),
  ];

  test("the published parameters are the parsers' TypeBox schemas, in their order", () => {
    for (const [method, path, where, schema] of SOURCES) {
      const parameters = doc.paths[path]?.[method]?.parameters?.filter((p) => p.in === where);
      assert.deepEqual(parameters, asParameters(schema, where), `${method} ${path} ${where}`);
    }
  });

  test('the routes take those schemas', () => {
    assert.equal(LIST_TRANSACTIONS_ROUTE.querystring, LIST_QUERY);
    assert.equal(CHOP_ROUTES.list.querystring, CHOP_LIST_QUERY);
    assert.equal(CHOP_ROUTES.payQr.querystring, PAY_QR_QUERY);
    for (const route of [CHOP_ROUTES.charge, CHOP_ROUTES.payQr, CHOP_ROUTES.refund('CHOP API'), CHOP_ROUTES.refund('Online API'), CHOP_ROUTES.cancel]) {
      assert.equal(route.headers, IDEMPOTENCY_HEADERS);
    }
  });
});

describe('schemas and parsers agree', () => {
  /** Log lines of refusals made by a schema alone: there must be none. */
  const warnings: string[] = [];
  const log = { info: () => undefined, error: () => undefined, warn: (_fields: object, message?: string) => void warnings.push(message ?? '') };

  /** The validator a route compiles for one request part: `{}` when it fits, else `{ error }`. */
  const compiled = (compiler: FastifySchemaCompiler<AnySchema>, schema: unknown, httpPart: HttpPart) =>
    compiler({ schema: schema as AnySchema, httpPart, method: 'POST', url: '/' }) as (data: unknown) => { error?: Error };
  const refusal = (parse: () => unknown): Error | null => {
    try {
      parse();
      return null;
    } catch (error) {
      return error as Error;
    }
  };

  test('POS bodies: the route refuses exactly what validate.ts refuses, with its errors; the published schema agrees', () => {
    const validate = compiled(posValidator(log), CREATE_TRANSACTION_ROUTE.body, 'body');
    const fromDoc = published('TransactionRequest');
    const bodies = posBodies();
    let refused = 0;
    for (const body of bodies) {
      const validated = validateTransactionRequest(body);
      const { error } = validate(body);
      assert.equal(error === undefined, validated.ok, `route vs validate.ts: ${JSON.stringify(body)}`);
      if (!validated.ok) {
        refused += 1;
        assert.deepEqual((error as ApiError).items, validated.errors, JSON.stringify(body));
      }
      assert.equal(fromDoc(body), validated.ok, `published schema vs validate.ts: ${JSON.stringify(body)}`);
    }
    assert.ok(refused > 100 && bodies.length - refused > 50, `${refused} of ${bodies.length} refused`);
  });

  const chopRoutes: [string, (params: Params) => unknown][] = [
    ['/chop/chop', (p) => parseChargeParams(p, { methodParam: 'payment_method' })],
    ['/payment/pay_qr', (p) => parseChargeParams(p, { methodParam: 'vendor' })],
    ['/chop/refund', parseRefundParams],
    ['/chop/cancel', parseCancelParams],
    ['/chop/inquire', parseInquireParams],
  ];
  for (const [path, parse] of chopRoutes) {
    test(`${path}: the route refuses exactly what params.ts refuses, with its error`, () => {
      const validate = compiled(chopValidator(log, { body: parse }), {}, 'body');
      let refused = 0;
      for (const body of chopBodies(path)) {
        const parserError = refusal(() => parse(toParams(body)));
        const { error } = validate(body);
        assert.equal(error === undefined, parserError === null, JSON.stringify(body));
        if (error) {
          refused += 1;
          assert.deepEqual([error.message, (error as ChopError).code], [parserError?.message, (parserError as ChopError).code]);
        }
      }
      assert.ok(refused > 0, 'something is refused');
    });
  }

  test('POS list query: the route refuses exactly what list-query.ts refuses, with its errors; the published parameters agree but for the rules beside them', () => {
    const validate = compiled(posValidator(log), LIST_TRANSACTIONS_ROUTE.querystring, 'querystring');
    const fromDoc = publishedParameters('get', '/api/v2/transactions', 'query');
    let refused = 0;
    for (const { query, exact } of listQueries()) {
      const parserError = refusal(() => parseListQuery(query));
      const { error } = validate(query);
      assert.equal(error === undefined, parserError === null, JSON.stringify(query));
      if (error) {
        refused += 1;
        assert.deepEqual((error as ApiError).items, (parserError as ApiError).items, JSON.stringify(query));
      }
      // An empty parameter is absent, as the route's description says.
      const documented = fromDoc(presentQuery(query));
      if (exact) assert.equal(documented, parserError === null, `published vs list-query.ts: ${JSON.stringify(query)}`);
      else if (parserError === null) assert.ok(documented, `published vs list-query.ts: ${JSON.stringify(query)}`);
    }
    assert.ok(refused > 10, `${refused} refused`);
  });

  test('CHOP query strings and the Idempotency-Key: the routes refuse exactly what the parsers refuse, with their errors; the published parameters agree', () => {
    const keys = ['a', 'k'.repeat(255), 'k'.repeat(256), '', 'a\tb', 'a\u0000b', 'a\u007fb', 'é-ünïcode'];
    const cases: ['query' | 'header', string, string, HttpPart, (data: Record<string, unknown>) => unknown, Record<string, unknown>[]][] = [
      ['query', 'get', '/chop/transactions', 'querystring', parseChopListQuery, chopListQueries()],
      [
        'query',
        'post',
        '/payment/pay_qr',
        'querystring',
        parsePayQrQuery,
        [{}, { format: 'json' }, { format: 'png' }, { format: '' }, { format: ['json', 'png'] }],
      ],
      ['header', 'post', '/chop/refund', 'headers', parseIdempotencyKey, [{}, ...keys.map((key) => ({ 'idempotency-key': key }))]],
    ];
    for (const [where, method, path, part, parse, inputs] of cases) {
      const validate = compiled(chopValidator(log, { query: parse }), {}, part);
      const fromDoc = publishedParameters(method, path, where);
      let refused = 0;
      for (const input of inputs) {
        const parserError = refusal(() => parse(input));
        const { error } = validate(input);
        assert.deepEqual(
          [error?.message, (error as ChopError | undefined)?.code],
          [parserError?.message, (parserError as ChopError | null)?.code],
          JSON.stringify(input),
        );
        if (error) refused += 1;
        assert.equal(fromDoc(input), parserError === null, `published vs parser: ${path} ${JSON.stringify(input)}`);
      }
      assert.ok(refused > 0, `${path}: something is refused`);
    }
  });

  test('no refusal above came from a schema alone', () => {
    assert.deepEqual(warnings, []);
  });
});

describe('answers match their documented schemas', () => {
  test('POS: a sale, a list, validation and authentication errors', async () => {
    const id = uniqueId('sale');
    const created = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, 1000) });
    assert.equal(created.status, 201);
    assert.ok(published('TransactionDocument')(created.body), created.text);
    const list = await call(t.url, 'GET', '/api/v2/transactions?page[size]=1', { key: m.apiKey });
    assert.ok(published('TransactionList')(list.body), list.text);
    const bad = await call(t.url, 'POST', '/api/v2/transactions', { key: m.apiKey, body: saleBody(id, -1) });
    assert.equal(bad.status, 400);
    assert.ok(published('PosErrors')(bad.body), bad.text);
    const anonymous = await call(t.url, 'GET', `/api/v2/transactions/${id}`);
    assert.equal(anonymous.status, 401);
    assert.ok(published('PosErrors')(anonymous.body), anonymous.text);
    assert.equal(published('PosErrors')({ errors: [{ status: 400 }] }), false, 'the schema can refuse');
  });

  test('CHOP: a charge, its inquiry and the list, a refusal', async () => {
    const charged = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'alipay', amount: 100, currency: 'USD', reference: uniqueId('order') });
    assert.equal(charged.status, 200, charged.text);
    const inquiry = await chop(t.url, '/chop/inquire', m.apiKey, { q: idFromUrl(charged.body.url) });
    assert.ok(published('ChopTransaction')(inquiry.body), inquiry.text);
    const list = await call(t.url, 'GET', '/chop/transactions?limit=5', { key: m.apiKey });
    assert.ok(list.body.data.length > 0 && list.body.data.every(published('ChopTransaction')), list.text);
    const refused = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'bitcoin' });
    assert.equal(refused.status, 400);
    assert.ok(published('ChopFail')(refused.body), refused.text);
  });

  test('no request was refused by a schema alone (the parsers gave every message)', () => {
    assert.ok(!t.logs.join('').includes('refused by the schema alone'));
  });
});

// The corpora: each attribute or parameter of a valid request replaced by values around every rule.

const POS_VALUES: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'a',
  'x'.repeat(64),
  'x'.repeat(65),
  'k'.repeat(128),
  'k'.repeat(129),
  'd'.repeat(255),
  'd'.repeat(256),
  '😀'.repeat(127),
  '😀'.repeat(128),
  'café',
  'a b',
  'pos-1:sale_0001.a',
  0,
  1,
  -1,
  1.5,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  '100',
  true,
  [],
  ['x'],
  {},
  'CNY',
  'cny',
  'USD',
  'XXX',
  'toString',
];

function posBodies(): unknown[] {
  const bases = {
    sale: { payment_gateway: 'wechatpay_cn_domestic', payment_auth_key: '134567890123456789', amount: 1999, currency: 'CNY', description: 'Two coffees' },
    void: { sale: 'pos-1:sale_0001.a' },
    refund: { sale: 'pos-1:sale_0001.a', amount: 500 },
  };
  const bodies: unknown[] = [null, undefined, [], 'sale', 42, true, {}, { data: null }, { data: [] }, { data: 'x' }, { Data: {} }];
  const names = ['payment_gateway', 'payment_auth_key', 'amount', 'currency', 'description', 'pos_id', 'mch_level_1', 'mch_level_3', 'sale', 'tip'];
  for (const [type, attributes] of Object.entries(bases)) {
    const body = (data: object, attrs: object = attributes) => ({ data: { id: 'pos-1:x', type, attributes: attrs, ...data } });
    bodies.push(body({}));
    for (const value of POS_VALUES) {
      bodies.push(body({ id: value }), body({ type: value }), body({ attributes: value }));
      for (const name of names) bodies.push(body({}, { ...attributes, [name]: value }));
    }
  }
  return bodies;
}

const CHOP_VALUES: unknown[] = [
  undefined,
  null,
  '',
  '   ',
  'wechatpay',
  ' alipay ',
  'bitcoin',
  'cc',
  'kakaopay',
  '1000',
  ' 1000 ',
  '0',
  '00000000000001',
  '9.99',
  '-5',
  '1e3',
  '10000000000000',
  '10000000000001',
  '123456789012345',
  'USD',
  'usd',
  'KRW',
  'ıdr',
  'XYZ',
  'US',
  'https://shop.example/x',
  'HTTP://shop.example/x',
  'ftp://shop.example/x',
  `http://${'a'.repeat(2050)}`,
  'yes',
  'YES',
  'maybe',
  '{"a":1}',
  encodeURIComponent('{"a":1}'),
  '{bad',
  'real',
  'r'.repeat(256),
  'r'.repeat(257),
  '😀'.repeat(129),
  1000,
  12.5,
  0,
  true,
  { a: 1 },
  ['x'],
];
const CHOP_NAMES = [
  'payment_method',
  'vendor',
  'amount',
  'trans_amount',
  'currency',
  'trans_currency',
  'reference',
  'ipn_url',
  'callback_url_success',
  'callback_url',
  'mobile_result_url',
  'ext',
  'allow_duplicates',
  'transaction_id',
  'transaction_reference',
  'trans_reference',
  'reason',
  'q',
  'inquire_method',
  'note',
];

function chopBodies(path: string): Record<string, unknown>[] {
  const base: Record<string, unknown> = {
    '/chop/chop': { payment_method: 'wechatpay', amount: '1000', currency: 'USD', reference: 'order-1' },
    '/payment/pay_qr': { vendor: 'alipay', amount: '1000', currency: 'USD', reference: 'order-1' },
    '/chop/refund': { transaction_id: 'f'.repeat(32), amount: '500', currency: 'USD' },
    '/chop/cancel': { transaction_reference: 'order-1' },
    '/chop/inquire': { q: 'f'.repeat(32) },
  }[path] as Record<string, unknown>;
  return [{}, base, ...CHOP_NAMES.flatMap((name) => CHOP_VALUES.map((value) => ({ ...base, [name]: value })))];
}

function listQueries(): { query: Record<string, unknown>; exact: boolean }[] {
  const exact: [string, unknown[]][] = [
    ['filter[type]', ['sale', 'void', 'refund', 'Sale', 'capture', '', ['sale', 'void']]],
    ['filter[state]', ['pending', 'succeeded', 'failed', 'done', '', ['failed', 'failed']]],
    ['page[size]', ['1', '25', '100', '101', '0', '-1', '1.5', '5.0', '1e1', '0x10', ' 7', 'abc', '', ['5', '6']]],
    ['filter[pos_id]', ['A', '', ['A', 'B']]],
    ['filter[payment_gateway]', ['wechatpay_cn_domestic', ['a', 'b']]],
  ];
  const loose: [string, unknown[]][] = [
    ['filter[created_at][gte]', ['2024-01-31T00:00:00Z', '2024-02-30T00:00:00Z', '2024-01-31', 'yesterday', '', ['2024-01-31', '2024-01-31']]],
    ['page[after]', [encodeCursor(42), 'junk', '']],
    // ajv lets non-finite numbers past minimum/maximum; the parser refuses them.
    ['page[size]', ['Infinity', '1e400']],
  ];
  return [
    { query: {}, exact: true },
    ...exact.flatMap(([name, values]) => values.map((value) => ({ query: { [name]: value }, exact: true }))),
    ...loose.flatMap(([name, values]) => values.map((value) => ({ query: { [name]: value }, exact: false }))),
  ];
}

function chopListQueries(): Record<string, unknown>[] {
  const limits = [undefined, '1', '20', '100', '101', '0', '', '-1', '1.5', 'abc', ' 5', '0x10', ['1', '2']];
  const others = [undefined, '', 'x', ['a', 'b']];
  return [...limits.map((limit) => ({ limit })), ...others.flatMap((value) => [{ starting_after: value }, { reference: value }])];
}
