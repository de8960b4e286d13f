/**
 * IPN delivery over real HTTP, on both databases: the seed's signature
 * (checked with an independent implementation of its PHP `sign_ipn`), the
 * HMAC header, retries of a receiver that fails or is down, attempts visible
 * through the API, and re-sending.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call, uniqueId } from '../support/client.js';
import { DB_KINDS } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { freePort } from '../support/process.js';
import { CHOP_METHODS, type IpnReceiver, chop, idFromUrl, scan, startIpnReceiver, waitFor } from '../support/chop.js';

/**
 * The seed's verification, step by step as its PHP reads: take `fields`,
 * walk it with strtok(",") collecting $_POST values, ksort, join "k=v&",
 * append "token=<token>", md5.
 */
function phpSignIpn(post: Record<string, string>, token: string): string {
  const data: Record<string, string> = { fields: post.fields ?? '' };
  for (const name of (post.fields ?? '').split(',')) if (name !== '') data[name] = post[name] ?? '';
  const keys = Object.keys(data).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let flat = '';
  for (const key of keys) flat += `${key}=${data[key]}&`;
  flat += `token=${token}`;
  return createHash('md5').update(flat).digest('hex');
}

const SCHEDULE = '0,300ms,300ms,300ms';

for (const kind of DB_KINDS) {
  describe(`CHOP IPN (${kind})`, () => {
    let t: TestApp;
    let m: TestMerchant;
    let receiver: IpnReceiver;
    before(async () => {
      t = await startTestApp(kind, { CANCAN_IPN_RETRY_SCHEDULE: SCHEDULE, CANCAN_IPN_GIVE_UP_MS: '60000' });
      m = await t.merchant(CHOP_METHODS);
      receiver = await startIpnReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    const qrOf = async (id: string) =>
      waitFor(
        async () => (await t.app.deps.store.db.selectFrom('transactions').select('qr_code').where('ref', '=', id).executeTakeFirst())?.qr_code ?? undefined,
      );
    const charge = async (amount: number, ipnUrl: string, method = 'wechatpay') => {
      const reference = uniqueId('ipn');
      const response = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: method, amount, currency: 'USD', reference, ipn_url: ipnUrl });
      return { id: idFromUrl(response.body.url), reference };
    };
    const notificationsOf = async (id: string) => (await call(t.url, 'GET', `/chop/transactions/${id}/notifications`, { key: m.apiKey })).body;

    test("a paid charge is notified with the seed's fields and a sign the seed's algorithm verifies", async () => {
      const { id, reference } = await charge(1000, receiver.url);
      await scan(t.url, await qrOf(id), 'approve');
      const ipn = await waitFor(() => receiver.received.find((r) => r.fields.id === id));
      assert.equal(ipn.headers['content-type'], 'application/x-www-form-urlencoded');
      const f = ipn.fields;
      assert.equal(f.amount, '1000');
      assert.equal(f.notify_status, 'success');
      assert.equal(f.currency, 'USD');
      assert.equal(f.reference, reference);
      assert.match(f.time ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.match(f.notify_id ?? '', /^[0-9a-f]{32}$/);
      assert.equal(f.fields, 'id,amount,notify_status,currency,time,reference,notify_id,livemode');
      assert.equal(f.livemode, 'false');
      assert.equal(f.sign, phpSignIpn(f, m.apiKey));
      assert.notEqual(f.sign, phpSignIpn(f, `${m.apiKey}x`));
      assert.notEqual(phpSignIpn({ ...f, amount: '1001' }, m.apiKey), f.sign);

      // The modern header: HMAC-SHA256 of "t.body" with the merchant's webhook secret.
      const header = String(ipn.headers['cancan-signature'] ?? '');
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      assert.ok(match, header);
      const sealed = (await t.app.deps.store.db.selectFrom('merchants').select('webhook_secret_sealed').where('id', '=', m.id).executeTakeFirstOrThrow())
        .webhook_secret_sealed;
      const secret = t.app.deps.secrets.decrypt(sealed ?? '');
      assert.equal(match[2], createHmac('sha256', secret).update(`${match[1]}.${ipn.raw}`).digest('hex'));
      assert.ok(Math.abs(Number(match[1]) - Date.now() / 1000) < 60);

      // The receiver has the IPN before the worker records its answer: wait for the record.
      const listed = await waitFor(async () => {
        const body = await notificationsOf(id);
        return body.data[0]?.status === 'delivered' ? body : undefined;
      });
      assert.equal(listed.data.length, 1);
      assert.equal(listed.data[0].attempt_log[0].http_status, 200);
      assert.equal(listed.data[0].attempt_log[0].response_excerpt, 'success');
    });

    test('a declined charge is notified with notify_status=fail', async () => {
      const { id } = await charge(1100, receiver.url);
      await scan(t.url, await qrOf(id), 'decline');
      const ipn = await waitFor(() => receiver.received.find((r) => r.fields.id === id));
      assert.equal(ipn.fields.notify_status, 'fail');
      assert.equal(ipn.fields.sign, phpSignIpn(ipn.fields, m.apiKey));
    });

    test('a receiver answering 500 is retried on the schedule, every attempt recorded', async () => {
      const failing = await startIpnReceiver(2);
      try {
        const { id } = await charge(1200, failing.url);
        await scan(t.url, await qrOf(id), 'approve');
        await waitFor(() => failing.received.find((r) => r.fields.id === id));
        const listed = await waitFor(async () => {
          const body = await notificationsOf(id);
          return body.data[0]?.status === 'delivered' ? body : undefined;
        });
        assert.deepEqual(
          listed.data[0].attempt_log.map((a: { http_status: number }) => a.http_status),
          [500, 500, 200],
        );
        assert.equal(listed.data[0].attempts, 3);
        assert.equal(failing.received.length, 1);
      } finally {
        await failing.close();
      }
    });

    test('a receiver that is down at first still gets the notification later', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/ipn`;
      const { id } = await charge(1300, url);
      await scan(t.url, await qrOf(id), 'approve');
      const failed = await waitFor(async () => {
        const body = await notificationsOf(id);
        return body.data[0]?.attempt_log.length >= 1 ? body : undefined;
      });
      assert.equal(failed.data[0].attempt_log[0].http_status, null);
      assert.match(failed.data[0].attempt_log[0].error, /ECONNREFUSED|fetch failed/);
      // The receiver comes up on that port: a later attempt delivers.
      const got: string[] = [];
      const server = createServer((request, response) => {
        let raw = '';
        request.on('data', (c: Buffer) => {
          raw += c.toString();
        });
        request.on('end', () => {
          got.push(raw);
          response.end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      try {
        await waitFor(() => (got.length > 0 ? got : undefined));
        const delivered = await waitFor(async () => {
          const body = await notificationsOf(id);
          return body.data[0]?.status === 'delivered' ? body : undefined;
        });
        assert.ok(delivered.data[0].attempts >= 2);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    test('an ipn_url with credentials is refused at creation; its password reaches neither the answer nor the log', async () => {
      const reference = uniqueId('ipn');
      const response = await chop(t.url, '/chop/chop', m.apiKey, {
        payment_method: 'wechatpay',
        amount: 1400,
        currency: 'USD',
        reference,
        ipn_url: `http://shop:hunter2secret@127.0.0.1:${await freePort()}/ipn`,
      });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { result: 'fail', error: 'ipn_url: credentials (user:password@) are not allowed in the URL', code: 'url_not_allowed' });
      assert.equal(await t.app.deps.store.db.selectFrom('transactions').select('ref').where('reference', '=', reference).executeTakeFirst(), undefined);
      assert.ok(!t.logs.some((line) => line.includes('hunter2secret')));
    });

    test('re-send posts a fresh notification (new notify_id, same charge)', async () => {
      const { id } = await charge(1400, receiver.url);
      await scan(t.url, await qrOf(id), 'approve');
      const first = await waitFor(() => receiver.received.find((r) => r.fields.id === id));
      const resent = await call(t.url, 'POST', `/chop/transactions/${id}/notifications/resend`, { key: m.apiKey });
      assert.equal(resent.status, 202);
      const second = await waitFor(() => receiver.received.find((r) => r.fields.id === id && r.fields.notify_id !== first.fields.notify_id));
      assert.equal(second.fields.sign, phpSignIpn(second.fields, m.apiKey));
      assert.equal((await notificationsOf(id)).data.length, 2);
      const pending = await charge(1500, receiver.url);
      assert.equal((await call(t.url, 'POST', `/chop/transactions/${pending.id}/notifications/resend`, { key: m.apiKey })).status, 409);
      const other = await t.merchant(CHOP_METHODS);
      assert.equal((await call(t.url, 'GET', `/chop/transactions/${id}/notifications`, { key: other.apiKey })).status, 404);
    });

    test('a charge without ipn_url sends nothing', async () => {
      const response = await chop(t.url, '/chop/chop', m.apiKey, { payment_method: 'alipay', amount: 1600, currency: 'USD', reference: uniqueId() });
      const id = idFromUrl(response.body.url);
      await scan(t.url, await qrOf(id), 'approve');
      await waitFor(async () => ((await chop(t.url, '/chop/inquire', m.apiKey, { q: id })).body.notify_result === 'success' ? true : undefined));
      assert.deepEqual((await notificationsOf(id)).data, []);
    });
  });
}
