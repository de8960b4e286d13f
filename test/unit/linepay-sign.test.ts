import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LinePayCredentials } from '../../src/providers/linepay/adapter.js';
import {
  HEADER_AUTHORIZATION,
  HEADER_CHANNEL_ID,
  HEADER_CHANNEL_SECRET,
  HEADER_DEVICE_PROFILE_ID,
  HEADER_DEVICE_TYPE,
  HEADER_NONCE,
  authHeaders,
  constantTimeEqual,
  signV4,
  verifyRequest,
} from '../../src/providers/linepay/sign.js';

// A fixed v4 request: LINE Pay's v4 algorithm, written out step by step below.
const SECRET = 'a917ab6a2367b536f8e5a6e2977e06f4';
const PAY_PATH = '/v4/payments/oneTimeKeys/pay';
const PAY_BODY =
  '{"amount":100.53,"currency":"THB","orderId":"ORDER-20240101-0001","oneTimeKey":"123456789012","packages":[{"id":"1","amount":100.53,"products":[{"name":"Coffee","quantity":1,"price":100.53}]}]}';
const DETAILS_PATH = '/v4/payments';
const DETAILS_QUERY = 'orderId=ORDER-20240101-0001';
const CHECK_PATH = '/v4/payments/orders/ORDER-20240101-0001/check';
const V2_PAY_PATH = '/v2/payments/oneTimeKeys/pay';
const V2_PAY_BODY = '{"productName":"Coffee","amount":100.53,"currency":"THB","orderId":"ORDER-20240101-0001","oneTimeKey":"123456789012","capture":true}';
const NONCE = '3f9c7a1e-5b2d-4c8e-9a6f-0d1e2f3a4b5c';

const V4: LinePayCredentials = { channelId: '1654000001', channelSecret: SECRET, authScheme: 'v4' };
const V2: LinePayCredentials = { channelId: '1654000002', channelSecret: 'v2secret0000000000000000000000v2', authScheme: 'v2' };

/** The documented algorithm, independently of sign.ts: HMAC-SHA256(key = secret, secret + path + body|query + nonce), base64. */
function documentedSignature(secret: string, path: string, bodyOrQuery: string, nonce: string): string {
  const message = secret + path + bodyOrQuery + nonce; // step 1: concatenate, in this order
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')); // step 2: key = the channel secret
  mac.update(Buffer.from(message, 'utf8'));
  return mac.digest().toString('base64'); // step 3: base64 of the raw 32-byte digest
}

/** Lower-cased header names, as a server receives them. */
function received(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe('LINE Pay v4 signature', () => {
  test('POST: matches the documented algorithm and the value computed with openssl', () => {
    const independent = documentedSignature(SECRET, PAY_PATH, PAY_BODY, NONCE);
    // `printf '%s' "$SECRET$PATH$BODY$NONCE" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64`
    assert.equal(independent, 'dv6Elu14AhsgRz39crYPb/7Ow9Ipnuj2ER5CKSWW/Vg=');
    assert.equal(signV4(SECRET, PAY_PATH, PAY_BODY, NONCE), independent);
  });

  test('GET: the query string (without "?") takes the place of the body', () => {
    const independent = documentedSignature(SECRET, DETAILS_PATH, DETAILS_QUERY, NONCE);
    assert.equal(independent, 'h+DxuooHtwjSjkDvkFFbnuzonzySblb3XQK68tmyQO0=');
    assert.equal(signV4(SECRET, DETAILS_PATH, DETAILS_QUERY, NONCE), independent);
    assert.notEqual(signV4(SECRET, DETAILS_PATH, `?${DETAILS_QUERY}`, NONCE), independent);
  });

  test('GET without a query string: an empty string', () => {
    assert.equal(documentedSignature(SECRET, CHECK_PATH, '', NONCE), 'eWeF2fTRN3L4NkkMxgOla3jKpPDD5+054GU2+HcmSQI=');
    assert.equal(signV4(SECRET, CHECK_PATH, '', NONCE), 'eWeF2fTRN3L4NkkMxgOla3jKpPDD5+054GU2+HcmSQI=');
  });

  test('every part of the message counts', () => {
    const base = signV4(SECRET, PAY_PATH, PAY_BODY, NONCE);
    assert.notEqual(signV4(`${SECRET}x`, PAY_PATH, PAY_BODY, NONCE), base);
    assert.notEqual(signV4(SECRET, `${PAY_PATH}/`, PAY_BODY, NONCE), base);
    assert.notEqual(signV4(SECRET, PAY_PATH, PAY_BODY.replace('100.53', '100.530'), NONCE), base);
    assert.notEqual(signV4(SECRET, V2_PAY_PATH, PAY_BODY, NONCE), base, 'the version is part of the path');
    assert.notEqual(signV4(SECRET, PAY_PATH, PAY_BODY, NONCE.replace('3f', '3e')), base);
  });

  test('v4 headers: channel id, the nonce, the signature; never the secret', () => {
    const headers = authHeaders(V4, PAY_PATH, PAY_BODY, NONCE);
    assert.deepEqual(headers, {
      [HEADER_CHANNEL_ID]: V4.channelId,
      [HEADER_NONCE]: NONCE,
      [HEADER_AUTHORIZATION]: 'dv6Elu14AhsgRz39crYPb/7Ow9Ipnuj2ER5CKSWW/Vg=',
    });
    assert.ok(!JSON.stringify(headers).includes(SECRET));
  });

  test('v4 headers get a fresh random UUID nonce by default', () => {
    const first = authHeaders(V4, PAY_PATH, PAY_BODY)[HEADER_NONCE] ?? '';
    const second = authHeaders(V4, PAY_PATH, PAY_BODY)[HEADER_NONCE] ?? '';
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(first, second);
  });

  test('v2 headers: channel id and channel secret', () => {
    assert.deepEqual(authHeaders(V2, V2_PAY_PATH, V2_PAY_BODY), { [HEADER_CHANNEL_ID]: V2.channelId, [HEADER_CHANNEL_SECRET]: V2.channelSecret });
  });

  test('device headers go with either version, only as a pair', () => {
    const device = { merchantDeviceProfileId: 'POS-0001', merchantDeviceType: 'POS' };
    assert.deepEqual(authHeaders({ ...V2, ...device }, V2_PAY_PATH, V2_PAY_BODY), {
      [HEADER_CHANNEL_ID]: V2.channelId,
      [HEADER_CHANNEL_SECRET]: V2.channelSecret,
      [HEADER_DEVICE_PROFILE_ID]: 'POS-0001',
      [HEADER_DEVICE_TYPE]: 'POS',
    });
    const v4 = authHeaders({ ...V4, ...device }, PAY_PATH, PAY_BODY, NONCE);
    assert.deepEqual(
      [v4[HEADER_DEVICE_PROFILE_ID], v4[HEADER_DEVICE_TYPE], v4[HEADER_AUTHORIZATION]],
      ['POS-0001', 'POS', 'dv6Elu14AhsgRz39crYPb/7Ow9Ipnuj2ER5CKSWW/Vg='],
    );
    assert.equal(authHeaders({ ...V4, merchantDeviceProfileId: 'POS-0001' }, PAY_PATH, PAY_BODY, NONCE)[HEADER_DEVICE_PROFILE_ID], undefined);
  });
});

describe('LINE Pay request verification (simulator side)', () => {
  const channels = [V4, V2];

  test('accepts a v4-signed request on a v4 path and names the channel', () => {
    const check = verifyRequest(received(authHeaders(V4, PAY_PATH, PAY_BODY, NONCE)), channels, PAY_PATH, PAY_BODY, 'v4');
    assert.ok(check.ok && check.channel.channelId === V4.channelId && check.scheme === 'v4', JSON.stringify(check));
  });

  test('accepts v2 headers on a v2 path, for any known channel', () => {
    const check = verifyRequest(received(authHeaders(V2, V2_PAY_PATH, V2_PAY_BODY)), channels, V2_PAY_PATH, V2_PAY_BODY, 'v2');
    assert.ok(check.ok && check.scheme === 'v2', JSON.stringify(check));
  });

  test('refuses the mixed schemes: v4 headers on a v2 path, v2 headers on a v4 path, both sets at once', () => {
    const v4OnV2 = verifyRequest(received(authHeaders(V4, V2_PAY_PATH, V2_PAY_BODY, NONCE)), channels, V2_PAY_PATH, V2_PAY_BODY, 'v2');
    assert.deepEqual(v4OnV2, { ok: false, reason: 'v2 takes no v4 signature headers' });
    const v2OnV4 = verifyRequest(received(authHeaders(V2, PAY_PATH, PAY_BODY)), channels, PAY_PATH, PAY_BODY, 'v4');
    assert.deepEqual(v2OnV4, { ok: false, reason: 'v4 takes no X-LINE-ChannelSecret' });
    const both = { ...authHeaders(V4, PAY_PATH, PAY_BODY, NONCE), [HEADER_CHANNEL_SECRET]: SECRET };
    assert.equal(verifyRequest(received(both), channels, PAY_PATH, PAY_BODY, 'v4').ok, false);
  });

  const refusals: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
    ['a tampered body', authHeaders(V4, PAY_PATH, PAY_BODY, NONCE), PAY_BODY.replace('100.53', '1.53')],
    ['a signature made with another secret', authHeaders({ ...V4, channelSecret: 'wrong' }, PAY_PATH, PAY_BODY, NONCE), PAY_BODY],
    ['an unknown channel', authHeaders({ ...V4, channelId: '999' }, PAY_PATH, PAY_BODY, NONCE), PAY_BODY],
    ['a signature without its nonce', { [HEADER_CHANNEL_ID]: V4.channelId, [HEADER_AUTHORIZATION]: signV4(SECRET, PAY_PATH, PAY_BODY, NONCE) }, PAY_BODY],
    ['a nonce without a signature', { [HEADER_CHANNEL_ID]: V4.channelId, [HEADER_NONCE]: NONCE }, PAY_BODY],
    ['a wrong v2 secret', { [HEADER_CHANNEL_ID]: V2.channelId, [HEADER_CHANNEL_SECRET]: `${V2.channelSecret}x` }, PAY_BODY],
    ['no credentials at all', { [HEADER_CHANNEL_ID]: V4.channelId }, PAY_BODY],
    ['no channel id', { [HEADER_CHANNEL_SECRET]: V2.channelSecret }, PAY_BODY],
  ];
  for (const [name, headers, body] of refusals) {
    test(`refuses ${name}`, () => {
      const version = HEADER_CHANNEL_SECRET in headers ? 'v2' : 'v4';
      const check = verifyRequest(received(headers), channels, PAY_PATH, body, version);
      assert.equal(check.ok, false);
    });
  }

  test('a v4 signature is bound to its path', () => {
    const headers = received(authHeaders(V4, PAY_PATH, PAY_BODY, NONCE));
    assert.equal(verifyRequest(headers, channels, '/v4/payments/orders/X/refund', PAY_BODY, 'v4').ok, false);
  });

  test('constant-time comparison', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('', 'a'), false);
  });
});
