/**
 * The developers page's "send test IPN" over plain HTTP on both databases:
 * a sample IPN reaches the receiver signed as real IPNs are (the seed's
 * `sign` with the test key, `CanCan-Signature` with the webhook secret), and
 * every way it cannot go out is said on the page with a 4xx for bad input:
 * no URL, not http(s), a forbidden address, a receiver that refuses or is
 * down, no test key. Staff see no form and cannot post one.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { webhookSecret } from '../../src/chop/ipn.js';
import { type IpnReceiver, startIpnReceiver } from '../support/chop.js';
import { DB_KINDS } from '../support/databases.js';
import { type DashUser, HttpSession, csrfOf, useDashboardApp } from '../support/dashboard.js';
import { freePort } from '../support/process.js';

/** The seed's verification, written independently: md5 of the sorted `k=v&` of the named fields and `fields`, then `token=`. */
function seedSign(post: Record<string, string>, token: string): string {
  const data: Record<string, string> = { fields: post.fields ?? '' };
  for (const name of (post.fields ?? '').split(',')) if (name !== '') data[name] = post[name] ?? '';
  const flat = Object.keys(data)
    .sort()
    .map((key) => `${key}=${data[key]}&`)
    .join('');
  return createHash('md5').update(`${flat}token=${token}`).digest('hex');
}

const resultOf = (page: string): string | undefined => /data-test-ipn-result="([a-z_]+)"/.exec(page)?.[1];

for (const kind of DB_KINDS) {
  describe(`dashboard: send test IPN (${kind})`, () => {
    // The receiver listens on 127.0.0.1.
    const fx = useDashboardApp(kind, { CANCAN_ALLOW_PRIVATE_URLS: 'on' });
    let receiver: IpnReceiver;
    before(async () => {
      receiver = await startIpnReceiver();
    });
    after(() => receiver.close());

    async function send(user: DashUser, url: string): Promise<{ status: number; text: string }> {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(user), 303);
      const page = await session.get('/dashboard/developers');
      return session.post('/dashboard/developers/test-ipn', { _csrf: csrfOf(page.text), url });
    }

    test('the sample IPN arrives signed with the test key and the webhook secret', async () => {
      const answer = await send(fx().owner, receiver.url);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(resultOf(answer.text), 'delivered');
      assert.match(answer.text, new RegExp(`Delivered to ${receiver.url}: your receiver answered HTTP 200 in \\d+ ms\\.`));
      assert.equal(receiver.received.length, 1);
      const ipn = receiver.received[0];
      assert.ok(ipn);
      assert.deepEqual(Object.keys(ipn.fields), ['id', 'amount', 'notify_status', 'currency', 'time', 'reference', 'notify_id', 'livemode', 'fields', 'sign']);
      assert.equal(ipn.fields.fields, 'id,amount,notify_status,currency,time,reference,notify_id,livemode');
      assert.equal(ipn.fields.livemode, 'false');
      assert.equal(ipn.fields.notify_status, 'success');
      assert.equal(ipn.fields.reference, 'cancan-test-ipn');
      assert.equal(ipn.fields.sign, seedSign(ipn.fields, fx().merchant.apiKey));
      const secret = await webhookSecret(fx().app.app.deps, fx().merchant.id);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(ipn.headers['cancan-signature'])) ?? [];
      assert.equal(v1, createHmac('sha256', secret).update(`${t}.${ipn.raw}`).digest('hex'));
      const audited = await fx()
        .app.app.deps.store.db.selectFrom('audit_log')
        .select('detail')
        .where('action', '=', 'ipn.test_sent')
        .where('merchant_id', '=', fx().merchant.id)
        .execute();
      assert.deepEqual(JSON.parse(audited.at(-1)?.detail ?? '{}'), { host: new URL(receiver.url).host, outcome: 'delivered' });
    });

    test('a receiver that answers 500, and one that is down, are said on the page', async () => {
      receiver.failFirst = receiver.hits + 1;
      const rejected = await send(fx().owner, receiver.url);
      assert.equal(rejected.status, 200);
      assert.equal(resultOf(rejected.text), 'rejected');
      assert.match(rejected.text, /answered HTTP 500; a receiver must answer 2xx\. Its answer began: try later/);
      const down = `http://127.0.0.1:${await freePort()}/ipn`;
      const unreachable = await send(fx().owner, down);
      assert.equal(unreachable.status, 200);
      assert.equal(resultOf(unreachable.text), 'unreachable');
      assert.match(unreachable.text, /Could not deliver to http:\/\/127\.0\.0\.1:\d+\/ipn: .*ECONNREFUSED/);
    });

    test('bad input is a 400 saying why, and nothing is sent', async () => {
      const hits = receiver.hits;
      const cases: [string, string, RegExp][] = [
        ['', 'no_url', /enter the URL of your IPN receiver/],
        ['ftp://shop.example/ipn', 'bad_url', /is not an http\(s\) URL/],
        ['not a url', 'bad_url', /is not an http\(s\) URL/],
        ['http://169.254.169.254/latest', 'refused', /169\.254\.169\.254 is not allowed: cloud metadata/],
      ];
      for (const [url, outcome, message] of cases) {
        const answer = await send(fx().owner, url);
        assert.equal(answer.status, 400, url);
        assert.equal(resultOf(answer.text), outcome, url);
        assert.match(answer.text, message);
      }
      assert.equal(receiver.hits, hits);
    });

    test('staff see no form and cannot send; a merchant without a test key is told to create one', async () => {
      const session = new HttpSession(fx().url);
      assert.equal(await session.signIn(fx().staff), 303);
      const page = await session.get('/dashboard/developers');
      assert.match(page.text, /data-test-ipn/);
      assert.doesNotMatch(page.text, /action="\/dashboard\/developers\/test-ipn"/);
      const refused = await session.post('/dashboard/developers/test-ipn', { _csrf: csrfOf(page.text), url: receiver.url });
      assert.equal(refused.status, 403);

      const db = fx().app.app.deps.store.db;
      await db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('merchant_id', '=', fx().other.id).where('mode', '=', 'test').execute();
      const hits = receiver.hits;
      const none = await send(fx().otherOwner, receiver.url);
      assert.equal(none.status, 409);
      assert.equal(resultOf(none.text), 'no_test_key');
      assert.equal(receiver.hits, hits);
    });
  });
}
