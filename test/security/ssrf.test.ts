/**
 * SSRF guard for merchant URLs: a table of addresses (every spelling URL
 * parsing accepts, IPv4 inside IPv6), refusal at creation in test mode too,
 * and at delivery against the address actually connected to (DNS rebinding),
 * on both databases. Host names resolve through an injected resolver: no DNS,
 * nothing but 127.0.0.1 is ever connected to.
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type AddressKind, judgeAddress, refusalOf } from '../../src/chop/addresses.js';
import { DestinationRefused, HostUnresolved, checkUrl, systemResolver } from '../../src/chop/url-guard.js';
import { createApiKey } from '../../src/store/merchants.js';
import { call, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { CHOP_METHODS, chop, idFromUrl, scan, waitFor } from '../support/chop.js';

/** URL → what its host is. `local` is allowed only with CANCAN_ALLOW_PRIVATE_URLS; `forbidden` never. */
const TABLE: readonly (readonly [string, AddressKind])[] = [
  ['http://8.8.8.8/', 'public'],
  ['http://[2606:4700::1111]/', 'public'],
  ['http://127.0.0.1/', 'local'],
  ['http://127.1/', 'local'],
  ['http://0x7f.1/', 'local'],
  ['http://2130706433/', 'local'],
  ['http://0177.0.0.1/', 'local'],
  ['http://127.0.0.1./', 'local'],
  ['http://10.1.2.3/', 'local'],
  ['http://172.16.0.1/', 'local'],
  ['http://192.168.1.1/', 'local'],
  ['http://100.64.0.1/', 'local'],
  ['http://[::1]/', 'local'],
  ['http://[fd12:3456::1]/', 'local'],
  ['http://[::ffff:127.0.0.1]/', 'local'],
  ['http://[::127.0.0.1]/', 'local'],
  ['http://[::ffff:0:127.0.0.1]/', 'local'],
  ['http://[64:ff9b::7f00:1]/', 'local'],
  ['http://[64:ff9b:1::a00:1]/', 'local'],
  ['http://[2002:7f00:1::]/', 'local'],
  // Teredo: client 127.0.0.1 is stored inverted (80ff:fffe).
  ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'local'],
  ['http://[64:ff9b::808:808]/', 'public'],
  ['http://[2002:808:808::]/', 'public'],
  ['http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/', 'public'],
  ['http://[::ffff:8.8.8.8]/', 'public'],
  ['http://169.254.169.254/', 'forbidden'],
  ['http://169.254.1.1/', 'forbidden'],
  ['http://100.100.100.200/', 'forbidden'],
  ['http://[fd00:ec2::254]/', 'forbidden'],
  ['http://[::ffff:169.254.169.254]/', 'forbidden'],
  ['http://[64:ff9b::a9fe:a9fe]/', 'forbidden'],
  ['http://[2002:a9fe:a9fe::]/', 'forbidden'],
  ['http://[fe80::1]/', 'forbidden'],
  ['http://0.0.0.0/', 'forbidden'],
  ['http://0/', 'forbidden'],
  ['http://224.0.0.1/', 'forbidden'],
  ['http://255.255.255.255/', 'forbidden'],
  ['http://240.0.0.1/', 'forbidden'],
  ['http://192.0.2.1/', 'forbidden'],
  ['http://198.51.100.7/', 'forbidden'],
  ['http://203.0.113.9/', 'forbidden'],
  ['http://198.18.0.1/', 'forbidden'],
  ['http://[::]/', 'forbidden'],
  ['http://[fec0::1]/', 'forbidden'],
  ['http://[ff02::1]/', 'forbidden'],
  ['http://[2001:db8::1]/', 'forbidden'],
  ['http://[::2]/', 'forbidden'],
];

describe('SSRF address table', () => {
  for (const [url, kind] of TABLE) {
    test(`${url} is ${kind}`, () => {
      const host = new URL(url).hostname;
      assert.equal(judgeAddress(host).kind, kind);
      assert.equal(refusalOf(host, false) === null, kind === 'public', 'without CANCAN_ALLOW_PRIVATE_URLS');
      assert.equal(refusalOf(host, true) === null, kind !== 'forbidden', 'with CANCAN_ALLOW_PRIVATE_URLS');
    });
  }

  test('addresses as a resolver returns them (dotted IPv6, zone ids) are judged the same way', () => {
    assert.equal(judgeAddress('::ffff:127.0.0.1').kind, 'local');
    assert.equal(judgeAddress('::FFFF:169.254.169.254').kind, 'forbidden');
    assert.equal(judgeAddress('fe80::1%eth0').kind, 'forbidden');
    assert.equal(judgeAddress('fd00:ec2:0:0:0:0:0:254').kind, 'forbidden');
    assert.equal(judgeAddress('shop.test').kind, 'forbidden');
  });

  test('a zone id in a URL does not parse, so it never reaches the guard', () => {
    assert.throws(() => new URL('http://[fe80::1%25eth0]/'), TypeError);
  });

  test('messages name the address and why', () => {
    assert.equal(
      refusalOf('[::7f00:1]', false),
      '[::7f00:1] is not allowed: IPv4-compatible address of 127.0.0.1, loopback (allowed only with CANCAN_ALLOW_PRIVATE_URLS=on)',
    );
    assert.equal(refusalOf('169.254.169.254', true), '169.254.169.254 is not allowed: cloud metadata');
  });
});

describe('SSRF URL checks', () => {
  const names: Record<string, readonly string[]> = {
    'public.shop.test': ['93.184.215.14'],
    'mixed.shop.test': ['93.184.215.14', '10.0.0.7'],
    'empty.shop.test': [],
  };
  const resolve = async (host: string) => {
    const found = names[host];
    if (!found) throw new Error('ENOTFOUND');
    return found;
  };
  const refused = async (url: string, allowPrivate: boolean, message: RegExp) =>
    assert.rejects(checkUrl(url, { allowPrivate, resolve }), (e: unknown) => e instanceof DestinationRefused && message.test(e.message));

  test('every resolved address must be allowed', async () => {
    await checkUrl('https://public.shop.test/ipn', { allowPrivate: false, resolve });
    await refused('https://mixed.shop.test/ipn', false, /^mixed\.shop\.test resolves to 10\.0\.0\.7 is not allowed: private/);
    await checkUrl('https://mixed.shop.test/ipn', { allowPrivate: true, resolve });
  });

  test('credentials and local names are refused; an unknown name is unresolved', async () => {
    for (const allowPrivate of [false, true]) await refused('https://user:pw@public.shop.test/ipn', allowPrivate, /credentials/);
    await refused('ftp://public.shop.test/', false, /only http and https/);
    for (const url of ['http://localhost:8080/', 'http://LOCALHOST./', 'http://app.localhost/', 'http://printer.local/', 'http://metadata.google.internal/']) {
      await refused(url, false, /is a local host name/);
    }
    for (const url of ['https://nowhere.shop.test/', 'https://empty.shop.test/']) {
      await assert.rejects(checkUrl(url, { allowPrivate: false, resolve }), HostUnresolved);
    }
  });

  test('the system resolver answers the reserved documentation names itself, without DNS', async () => {
    for (const url of ['https://shop.example/ipn', 'http://x.invalid./']) {
      await assert.rejects(
        checkUrl(url, { allowPrivate: false, resolve: systemResolver }),
        (e: unknown) => e instanceof HostUnresolved && /reserved name/.test(e.message),
      );
    }
  });
});

/** An IPN receiver that counts connections and answers with a secret a leak would show. */
async function startCountingReceiver(status = 200, headers: Record<string, string> = {}) {
  let connections = 0;
  const server: Server = createServer((_request, response) => response.writeHead(status, headers).end('SECRET-internal-answer'));
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startCountingReceiver>>;

for (const kind of DB_KINDS) {
  describe(`SSRF guard without CANCAN_ALLOW_PRIVATE_URLS (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let receiver: Receiver;
    let rebound = false;
    let resolutions = 0;
    // public.shop.test never gets a connection: no charge with it is ever paid.
    const resolveHost = async (host: string): Promise<readonly string[]> => {
      resolutions += 1;
      if (host === 'rebind.shop.test') return rebound ? ['127.0.0.1'] : ['93.184.215.14'];
      if (host === 'public.shop.test') return ['93.184.215.14'];
      if (host === 'mixed.shop.test') return ['93.184.215.14', '127.0.0.1'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    before(async () => {
      t = await startTestApp(kind, { CANCAN_ALLOW_PRIVATE_URLS: 'off', CANCAN_IPN_RETRY_SCHEDULE: '0,200ms', CANCAN_IPN_GIVE_UP_MS: '1000' }, { resolveHost });
      m = await t.merchant(CHOP_METHODS);
      receiver = await startCountingReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    const countCharges = async () =>
      Number(
        (
          await t.app.deps.store.db
            .selectFrom('transactions')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const create = (fields: Record<string, string>, key = m.apiKey) =>
      chop(t.url, '/chop/chop', key, { payment_method: 'wechatpay', amount: 1000, currency: 'USD', reference: uniqueId('ssrf'), ...fields });
    const qrOf = async (id: string) =>
      waitFor(
        async () => (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
      );
    const notificationsOf = async (id: string) => call(t.url, 'GET', `/chop/transactions/${id}/notifications`, { key: m.apiKey });

    test('test mode refuses loopback, private and internal URLs at creation; no charge is stored', async () => {
      const before = await countCharges();
      const port = receiver.port;
      const cases: [string, string, RegExp][] = [
        ['ipn_url', `http://127.0.0.1:${port}/ipn`, /^ipn_url: 127\.0\.0\.1 is not allowed: loopback \(allowed only with CANCAN_ALLOW_PRIVATE_URLS=on\)$/],
        ['ipn_url', `http://0x7f.1:${port}/ipn`, /127\.0\.0\.1 is not allowed: loopback/],
        ['ipn_url', `http://2130706433:${port}/ipn`, /127\.0\.0\.1 is not allowed: loopback/],
        ['ipn_url', `http://[::127.0.0.1]:${port}/ipn`, /IPv4-compatible address of 127\.0\.0\.1, loopback/],
        ['ipn_url', `http://[::ffff:127.0.0.1]:${port}/ipn`, /IPv4-mapped address of 127\.0\.0\.1, loopback/],
        ['ipn_url', `http://[64:ff9b::7f00:1]:${port}/ipn`, /NAT64 address of 127\.0\.0\.1, loopback/],
        ['ipn_url', `http://[2002:7f00:1::]:${port}/ipn`, /6to4 address of 127\.0\.0\.1, loopback/],
        ['ipn_url', 'http://169.254.169.254/latest/meta-data/', /cloud metadata/],
        ['ipn_url', 'http://127.0.0.1:5432/', /loopback/],
        ['ipn_url', `http://localhost:${port}/ipn`, /^ipn_url: localhost is a local host name/],
        ['ipn_url', 'https://mixed.shop.test/ipn', /^ipn_url: mixed\.shop\.test resolves to 127\.0\.0\.1 is not allowed: loopback/],
        ['ipn_url', 'https://user:pw@public.shop.test/ipn', /^ipn_url: credentials/],
        ['callback_url_success', 'http://10.0.0.1/ok', /^callback_url_success: 10\.0\.0\.1 is not allowed: private/],
        ['callback_url_fail', 'http://[fe80::1]/fail', /^callback_url_fail: \[fe80::1\] is not allowed: link-local$/],
        ['mobile_result_url', 'http://100.64.0.1/', /^mobile_result_url: 100\.64\.0\.1 is not allowed: carrier-grade NAT/],
      ];
      for (const [name, url, message] of cases) {
        const response = await create({ [name]: url });
        assert.equal(response.status, 400, url);
        assert.equal(response.body.result, 'fail', url);
        assert.equal(response.body.code, 'url_not_allowed', url);
        assert.match(response.body.error, message, url);
      }
      // A zone id does not even parse as a URL.
      const zoned = await create({ ipn_url: 'http://[fe80::1%25eth0]/' });
      assert.equal(zoned.status, 400);
      assert.equal(zoned.body.code, 'invalid_parameter');
      assert.equal(await countCharges(), before);
      assert.equal(receiver.connections(), 0);
    });

    test('a name that does not resolve is accepted in test mode and refused in live mode', async () => {
      const accepted = await create({ ipn_url: 'https://shop.example/ipn', callback_url_success: 'https://shop.example/thanks' });
      assert.equal(accepted.status, 200, accepted.text);
      const live = await createApiKey(t.app.deps.store.db, t.app.deps.secrets, { merchantId: m.id, mode: 'live', now: Date.now() });
      const refused = await create({ ipn_url: 'https://shop.example/ipn' }, live.apiKey);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, 'url_not_allowed');
      assert.match(refused.body.error, /^ipn_url is not allowed in live mode: shop\.example cannot be resolved/);
    });

    test('DNS rebinding: the name resolved to a public address at creation and to 127.0.0.1 at delivery; nothing connects, every attempt is refused', async () => {
      rebound = false;
      const created = await create({ ipn_url: `http://rebind.shop.test:${receiver.port}/ipn` });
      assert.equal(created.status, 200, created.text);
      const id = idFromUrl(created.body.url);
      rebound = true;
      const resolvedBefore = resolutions;
      await scan(t.url, await qrOf(id), 'approve');
      const listed = await waitFor(async () => {
        const response = await notificationsOf(id);
        return response.body.data?.[0]?.status === 'failed' ? response : undefined;
      });
      const notification = listed.body.data[0];
      assert.ok(notification.attempts >= 2, 'a name that may resolve differently later is retried on the schedule');
      assert.equal(notification.attempt_log.length, notification.attempts);
      for (const attempt of notification.attempt_log) {
        assert.equal(attempt.http_status, null);
        assert.equal(attempt.response_excerpt, null);
        assert.match(attempt.error, /^refused: rebind\.shop\.test resolves to 127\.0\.0\.1 is not allowed: loopback/);
      }
      // Resolved once per attempt, by the connection itself.
      assert.equal(resolutions - resolvedBefore, notification.attempts);
      assert.equal(receiver.connections(), 0);
      assert.ok(!listed.text.includes('SECRET'));
    });

    test('a literal internal address stored before this guard is refused at delivery once and given up at once', async () => {
      const created = await create({ ipn_url: 'https://public.shop.test/ipn' });
      assert.equal(created.status, 200, created.text);
      const id = idFromUrl(created.body.url);
      // As an older CanCan stored it: the checkout JSON now names the internal receiver.
      const { db } = t.app.deps.store;
      const row = await db.selectFrom('transactions').select('checkout').where('ref', '=', id).executeTakeFirstOrThrow();
      const checkout = { ...JSON.parse(row.checkout ?? '{}'), ipnUrl: `http://[::ffff:127.0.0.1]:${receiver.port}/ipn` };
      await db
        .updateTable('transactions')
        .set({ checkout: JSON.stringify(checkout) })
        .where('ref', '=', id)
        .execute();
      await scan(t.url, await qrOf(id), 'approve');
      const listed = await waitFor(async () => {
        const response = await notificationsOf(id);
        return response.body.data?.[0]?.status === 'failed' ? response : undefined;
      });
      const notification = listed.body.data[0];
      assert.equal(notification.attempts, 1);
      assert.deepEqual(
        notification.attempt_log.map((a: Record<string, unknown>) => [a.http_status, a.response_excerpt, a.error]),
        [[null, null, 'refused: [::ffff:7f00:1] is not allowed: IPv4-mapped address of 127.0.0.1, loopback (allowed only with CANCAN_ALLOW_PRIVATE_URLS=on)']],
      );
      assert.equal(receiver.connections(), 0);
      assert.ok(!listed.text.includes('SECRET'));
    });
  });

  describe(`SSRF guard with CANCAN_ALLOW_PRIVATE_URLS (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let receiver: Receiver;
    let redirecting: Receiver;
    // No real DNS knows these names: a delivery that arrives went to the address this resolver gave.
    const resolveHost = async (host: string): Promise<readonly string[]> => {
      if (host === 'ipn.shop.test') return ['127.0.0.1'];
      if (host === 'meta.shop.test') return ['169.254.169.254'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    before(async () => {
      t = await startTestApp(kind, { CANCAN_ALLOW_PRIVATE_URLS: 'on', CANCAN_IPN_RETRY_SCHEDULE: '0,200ms', CANCAN_IPN_GIVE_UP_MS: '1000' }, { resolveHost });
      m = await t.merchant(CHOP_METHODS);
      receiver = await startCountingReceiver();
      redirecting = await startCountingReceiver(302, { location: `http://127.0.0.1:${receiver.port}/ipn` });
    });
    after(async () => {
      await redirecting.close();
      await receiver.close();
      await t.close();
    });

    const create = (ipnUrl: string) =>
      chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'wechatpay', amount: 1000, currency: 'USD', reference: uniqueId('ssrf'), ipn_url: ipnUrl });
    const qrOf = async (id: string) =>
      waitFor(
        async () => (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
      );
    const settled = async (id: string) =>
      waitFor(async () => {
        const response = await call(t.url, 'GET', `/chop/transactions/${id}/notifications`, { key: m.apiKey });
        return ['delivered', 'failed'].includes(response.body.data?.[0]?.status) ? response.body.data[0] : undefined;
      });

    test('delivery connects to the address the guard checked', async () => {
      const created = await create(`http://ipn.shop.test:${receiver.port}/ipn`);
      assert.equal(created.status, 200, created.text);
      const id = idFromUrl(created.body.url);
      await scan(t.url, await qrOf(id), 'approve');
      const notification = await settled(id);
      assert.equal(notification.status, 'delivered');
      assert.deepEqual(
        notification.attempt_log.map((a: Record<string, unknown>) => [a.http_status, a.response_excerpt]),
        [[200, 'SECRET-internal-answer']],
      );
      assert.equal(receiver.connections(), 1);
    });

    test('a name resolving to a metadata address is refused at creation even with the setting', async () => {
      const response = await create('http://meta.shop.test/latest');
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'ipn_url: meta.shop.test resolves to 169.254.169.254 is not allowed: cloud metadata');
    });

    test('a redirect is not followed: the 3xx is a failed attempt', async () => {
      const before = receiver.connections();
      const created = await create(`http://127.0.0.1:${redirecting.port}/ipn`);
      const id = idFromUrl(created.body.url);
      await scan(t.url, await qrOf(id), 'approve');
      const notification = await settled(id);
      assert.equal(notification.status, 'failed');
      assert.ok(notification.attempt_log.length >= 2);
      assert.ok(notification.attempt_log.every((a: Record<string, unknown>) => a.http_status === 302));
      assert.equal(redirecting.connections(), notification.attempt_log.length);
      assert.equal(receiver.connections(), before);
    });
  });
}
