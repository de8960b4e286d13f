/**
 * The fuzz suite's generators: a valid body mutated (fields dropped, retyped,
 * duplicated, set to hostile values, prototype keys added), encoded under a
 * random content type, with random headers, query strings and path segments.
 * URLs in generated bodies: callbacks at https://shop.example/… (the server
 * only hands them to the browser) and every other URL, the IPN one included,
 * at 127.0.0.1 on a closed port: the server contacts nothing else.
 */
import fc from 'fast-check';
import type { FuzzRequest } from './fuzz-http.js';

/** Callback URLs (only ever sent back to a browser) and the IPN URL (the server posts to it: a closed local port). */
export const SAFE_URLS = ['https://shop.example/return', 'http://127.0.0.1:1/ipn', 'https://shop.example/thanks?x=1#f'] as const;

type Json = unknown;
export type Fields = Record<string, Json>;

/** Defines an own property even for `__proto__`, so JSON.stringify writes it. */
function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const longText = (n: number) => 'é'.repeat(n);
const deepArray = (depth: number): Json => {
  let v: Json = 1;
  for (let i = 0; i < depth; i += 1) v = [v];
  return v;
};

/** Values no field expects: huge, negative, fractional and exponent amounts, hostile text, nesting, prototype keys. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(9007199254740991, 9007199254740992, 1e308, -1, 0, -0, 0.5, 1.005, 1e-7, 2 ** 31, 1e13, 1e14, -9007199254740991),
  fc.constantFrom<Json>(
    '1e3',
    '1E+2',
    '0x10',
    '0b11',
    '00100',
    ' 100 ',
    '١٢٣',
    '１２３',
    '100.00',
    '-5',
    '+5',
    'Infinity',
    'NaN',
    '1_000',
    '9'.repeat(400),
    '',
  ),
  fc.constantFrom<Json>(
    '\u0000',
    'a\u0000b',
    '\u202egnp.exe',
    'مرحبا\u200f',
    '😀💳🏳️‍🌈',
    '\ud800',
    '\udfff\ud800',
    '\r\nSet-Cookie: x=1',
    '<script>alert(1)</script>',
    "' or 1=1 --",
    '%00',
    '%ff',
    '../../etc/passwd',
    '{{7*7}}',
    '${7*7}',
    'null',
    'true',
    '[]',
    '{}',
    ' ',
    '\t',
    '\u00a0',
    '\ufeff',
  ),
  fc.constantFrom(300, 5_000, 70_000).map(longText),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom<Json>(true, false, null, [], {}, [1], [null], ['a', 'b'], { a: { b: { c: [1, { d: 2 }] } } }),
  fc.constantFrom(64, 2_000).map(deepArray),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<Json>(JSON.parse('{"__proto__":{"admin":true,"amount":1}}'), JSON.parse('{"constructor":{"prototype":{"polluted":1}}}')),
  // Only the closed local port here: a value may land in ipn_url, which the server calls when a charge ends.
  fc.constantFrom<Json>('http://127.0.0.1:1/ipn', 'http://127.0.0.1:1/x?y=%ff#z', 'http://user:pw@127.0.0.1:1/'),
);

const KEY_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'length',
  '',
  ' ',
  'data',
  'id',
  'type',
  'amount',
  'a.b',
  'a[b]',
  '\u0000',
  '😀',
];

/** One edit of a body: which nested object (index among them), which key, what to do. */
type Edit = { kind: 'drop' | 'set' | 'add' | 'retype' | 'whole'; at: number; key: number; name: string; value: Json };

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom<Edit['kind']>('drop', 'set', 'set', 'add', 'retype', 'whole'),
  at: fc.nat(),
  key: fc.nat(),
  name: fc.oneof(fc.constantFrom(...KEY_NAMES), fc.string({ maxLength: 12 })),
  value: hostileValue,
});

function clone(value: Json): Json {
  if (Array.isArray(value)) return value.map(clone);
  if (value && typeof value === 'object') {
    const copy: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) setOwn(copy, k, clone(v));
    return copy;
  }
  return value;
}

function objectsIn(value: Json, found: Record<string, Json>[] = []): Record<string, Json>[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    found.push(value as Record<string, Json>);
    for (const v of Object.values(value)) objectsIn(v, found);
  }
  return found;
}

/** Numbers become strings, digit strings numbers, other strings arrays, objects their JSON (String() fails on an own `toString` key). */
const retyped = (v: Json): Json =>
  typeof v === 'number'
    ? String(v)
    : typeof v === 'string' && /^\d+$/.test(v)
      ? Number(v)
      : typeof v === 'string'
        ? [v]
        : v === null
          ? 0
          : typeof v === 'object'
            ? (JSON.stringify(v) ?? '')
            : String(v);

export function mutate(base: Fields, edits: readonly Edit[]): Json {
  let body: Json = clone(base);
  for (const edit of edits) {
    if (edit.kind === 'whole') {
      body = edit.value;
      continue;
    }
    const targets = objectsIn(body);
    const target = targets[edit.at % Math.max(targets.length, 1)];
    if (!target) continue;
    const keys = Object.keys(target);
    const key = keys[edit.key % Math.max(keys.length, 1)];
    if (edit.kind === 'add' || key === undefined) setOwn(target, edit.name, edit.value);
    else if (edit.kind === 'drop') delete target[key];
    else if (edit.kind === 'retype') setOwn(target, key, retyped(target[key]));
    else setOwn(target, key, edit.value);
  }
  return body;
}

/** A valid body (mostly) or a mutated one: a third of the cases stay valid so the success paths run too. */
export const bodyArb = (base: () => Fields): fc.Arbitrary<Json> =>
  fc
    .oneof({ arbitrary: fc.constant(null), weight: 1 }, { arbitrary: fc.array(editArb, { minLength: 1, maxLength: 3 }), weight: 2 })
    .map((edits) => (edits === null ? base() : mutate(base(), edits)));

/** Catches a lone surrogate, which encodeURIComponent refuses. */
export function pct(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return Buffer.from(text, 'utf8').toString('hex').replace(/../g, '%$&');
  }
}

const asText = (v: Json): string => (typeof v === 'string' ? v : v === undefined ? '' : (JSON.stringify(v) ?? ''));

function formOf(body: Json, repeat: boolean): string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return pct(asText(body));
  const pairs = Object.entries(body).map(([k, v]) => `${pct(k)}=${pct(asText(v))}`);
  return (repeat && pairs[0] ? [...pairs, pairs[0].replace(/=.*/, '=dup')] : pairs).join('&');
}

function xmlOf(body: Json): string {
  const fields = body && typeof body === 'object' && !Array.isArray(body) ? Object.entries(body) : [['value', body] as const];
  const esc = (s: string) => s.replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'));
  return `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]><xml>${fields.map(([k, v]) => `<${k.replace(/[^A-Za-z_]/g, '_') || 'x'}>${esc(asText(v))}&e;</${k.replace(/[^A-Za-z_]/g, '_') || 'x'}>`).join('')}</xml>`;
}

function multipartOf(body: Json, boundary: string): string {
  const fields = body && typeof body === 'object' && !Array.isArray(body) ? Object.entries(body) : [['value', body] as const];
  return `${fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${asText(v)}\r\n`).join('')}--${boundary}--\r\n`;
}

function duplicateKeyJson(body: Json): string {
  const text = JSON.stringify(body) ?? 'null';
  if (!body || typeof body !== 'object' || Array.isArray(body)) return text;
  const first = Object.entries(body)[0];
  return first ? `{${JSON.stringify(first[0])}:${JSON.stringify(first[1]) ?? 'null'},${text.slice(1)}` : text;
}

export type Encoding = 'json' | 'json-dup' | 'form' | 'form-dup' | 'text' | 'xml' | 'multipart' | 'none' | 'junk' | 'empty' | 'huge';

/** The body's bytes and content type (or none) for an encoding. */
export function encode(body: Json, encoding: Encoding, variant: number): { contentType?: string; bytes?: Buffer } {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const pick = <T>(list: readonly T[]): T => list[variant % list.length] as T;
  switch (encoding) {
    case 'json':
      return {
        contentType: pick([
          'application/json',
          'application/json; charset=utf-8',
          'application/vnd.api+json',
          'APPLICATION/JSON;charset=ISO-8859-1',
          'application/json; x=',
        ]),
        bytes: utf8(JSON.stringify(body) ?? ''),
      };
    case 'json-dup':
      return { contentType: 'application/json', bytes: utf8(duplicateKeyJson(body)) };
    case 'form':
      return { contentType: pick(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8']), bytes: utf8(formOf(body, false)) };
    case 'form-dup':
      return { contentType: 'application/x-www-form-urlencoded', bytes: utf8(formOf(body, true)) };
    case 'text':
      return { contentType: pick(['text/plain', 'text/plain; charset=utf-8']), bytes: utf8(variant % 2 ? (JSON.stringify(body) ?? '') : formOf(body, false)) };
    case 'xml':
      return { contentType: pick(['application/xml', 'text/xml']), bytes: utf8(xmlOf(body)) };
    case 'multipart':
      return { contentType: 'multipart/form-data; boundary=fz', bytes: utf8(multipartOf(body, 'fz')) };
    case 'none':
      return { bytes: utf8(JSON.stringify(body) ?? '') };
    case 'junk':
      return {
        contentType: pick(['application/octet-stream', 'image/png', ';;;', 'application/json; boundary=', 'x/y', 'application/x-www-form-urlencoded']),
        bytes: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28, variant & 0xff]),
      };
    case 'empty':
      return variant % 2 ? { contentType: 'application/json' } : {};
    case 'huge':
      return { contentType: pick(['application/json', 'application/x-www-form-urlencoded']), bytes: utf8(`{"a":"${'x'.repeat(70_000)}"}`) };
  }
}

export const encodingArb = (usual: Encoding): fc.Arbitrary<{ encoding: Encoding; variant: number }> =>
  fc.record({
    encoding: fc.oneof(
      { arbitrary: fc.constant(usual), weight: 6 },
      { arbitrary: fc.constantFrom<Encoding>('json', 'json-dup', 'form', 'form-dup', 'text', 'xml', 'multipart', 'none', 'junk', 'empty', 'huge'), weight: 4 },
    ),
    variant: fc.nat(255),
  });

/** Header values node's client accepts (tab, printable ASCII, Latin-1). */
const latin1 = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

export const authArb = (key: string): fc.Arbitrary<string | null> =>
  fc.oneof(
    { arbitrary: fc.constant(`Bearer ${key}`), weight: 12 },
    {
      arbitrary: fc.constantFrom(
        key,
        `bearer    ${key}`,
        `Bearer ${key}x`,
        `Bearer ${key.slice(0, -1)}`,
        `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        'Bearer ',
        '',
        `Bearer ${key}, Bearer sk_test_other`,
        `Bearer ${'k'.repeat(5000)}`,
        'Bearer sk_live_0000',
        'Bearer \u00ff\u00fe',
      ),
      weight: 3,
    },
    { arbitrary: latin1, weight: 1 },
    { arbitrary: fc.constant(null), weight: 1 },
  );

/** Optional extra headers: idempotency keys, Prefer, request ids, languages, cookies, forwarding, some of them junk or huge. */
export const extraHeadersArb: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      'idempotency-key': fc.oneof(latin1, fc.constant('x'.repeat(3000))),
      // A wait that applies holds the answer until the transaction is final: a few only, to keep the run short.
      prefer: fc.oneof(
        { arbitrary: fc.constantFrom('wait=0', 'wait=1', 'wait=2', 'wait=99999999999999999999999', 'respond-async, wait=1', 'wait="1"'), weight: 1 },
        { arbitrary: fc.oneof(fc.constantFrom('wait=abc', 'wait=-1', 'wait', 'return=minimal', 'wait=1e3', 'wait=0x10'), latin1), weight: 4 },
      ),
      'x-request-id': fc.oneof(latin1, fc.constantFrom('a'.repeat(300), 'req-1', '', '../../x', '\u00ff')),
      'accept-language': fc.oneof(latin1, fc.constantFrom('zh-CN,zh;q=0.9', '*;q=-1', 'en;q=abc', ',,,')),
      accept: fc.oneof(latin1, fc.constantFrom('application/xml', '*/*', 'text/html;q=0')),
      'x-forwarded-for': fc.oneof(latin1, fc.constantFrom('1.2.3.4, ::1', '999.999.1.1')),
      'x-forwarded-proto': fc.constantFrom('https', 'ftp', 'http,https'),
      'content-encoding': fc.constantFrom('gzip', 'br', 'identity'),
    },
    { requiredKeys: [] },
  )
  .chain((headers) =>
    // Rarely, a header larger than node's 16 KiB limit: a 431 before any route runs.
    fc.oneof({ arbitrary: fc.constant(headers), weight: 40 }, { arbitrary: fc.constant({ ...headers, 'x-padding': 'p'.repeat(20_000) }), weight: 1 }),
  );

/** A path segment where an id or ref goes: the real one mostly, else dots, bad escapes, NUL, very long. */
export const segmentArb = (real: string): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constant(real), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2E',
        '%ff',
        '%fe%ff',
        '%00',
        `${real}%00`,
        '%2f',
        '%252f',
        'a;b=c',
        '%',
        '%zz',
        'x'.repeat(5_000),
        '%e2%80%ae',
        '%F0%9F%98%80',
        real.toUpperCase(),
        ' '.replace(' ', '%20'),
      ),
      weight: 3,
    },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(pct), weight: 2 },
  );

/** A query string from known parameter names and junk: bad escapes, repeats, brackets, very long values. */
export const queryArb = (names: readonly string[], good: Readonly<Record<string, string>> = {}): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(...names),
          fc.constantFrom('__proto__', 'constructor[prototype]', 'a[b][c]', 'page[size][]', '%ff', '', '%00'),
          fc.string({ maxLength: 8 }).map(pct),
        ),
        fc.oneof(
          fc.constantFrom('%ff', '%', '%zz', '%00', '-1', '0', '1.5', '1e3', '99999999999999999999', '', 'x'.repeat(3_000), 'true', '%0d%0aSet-Cookie:%20x=1'),
          fc.string({ unit: 'binary', maxLength: 20 }).map(pct),
          fc.constantFrom(...(Object.values(good).length ? Object.values(good) : ['x'])),
        ),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => {
      const base = Object.entries(good).map(([k, v]) => `${pct(k)}=${pct(v)}`);
      const all = [...base, ...pairs.map(([k, v]) => `${k}=${v}`)];
      return all.length ? `?${all.join('&')}` : '';
    });

/** The request an endpoint's generated parts make. */
export function assemble(
  label: string,
  method: string,
  path: string,
  body: Json | undefined,
  enc: { encoding: Encoding; variant: number },
  headers: Record<string, string>,
): FuzzRequest {
  const all: Record<string, string> = { ...headers };
  if (body === undefined) return { label, method, path, headers: all };
  const { contentType, bytes } = encode(body, enc.encoding, enc.variant);
  if (contentType !== undefined) all['content-type'] = contentType;
  return { label, method, path, headers: all, ...(bytes !== undefined ? { body: bytes } : {}) };
}

/** Refuses a request whose body names a URL host other than shop.example or 127.0.0.1 (the server might call it). */
export function onlyLocalUrls(text: string): boolean {
  // Bounded repeats: a long run of letters must not make the scan quadratic.
  for (const match of text.matchAll(/([a-z][a-z0-9+.-]{0,30}):\/\/([^/?#\s"'&<\\]{0,300})/gi)) {
    const host = (match[2] ?? '').toLowerCase().replace(/^.*@/, '');
    if ((match[1] ?? '').toLowerCase() !== 'file' && host !== 'shop.example' && !/^127\.0\.0\.1(:|$)/.test(host)) return false;
  }
  return true;
}
