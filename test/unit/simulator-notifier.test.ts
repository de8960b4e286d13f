/** The simulators' notification sender: resends until acknowledged, gives up after its attempts, calls only allowed hosts. */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SimulatorNotifier, notifyUrlRefusal } from '../../src/simulators/notify-sender.js';
import { waitFor } from '../support/chop.js';

describe('SimulatorNotifier', () => {
  let server: Server;
  let url: string;
  /** Requests per path, and how many of them each path fails before it answers OK. */
  const hits = new Map<string, string[]>();
  const failFirst = new Map<string, number>();
  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const path = request.url ?? '';
        const seen = [...(hits.get(path) ?? []), `${request.headers['content-type']}|${request.headers['x-extra']}|${body}`];
        hits.set(path, seen);
        const failing = seen.length <= (failFirst.get(path) ?? 0);
        response.writeHead(failing ? 500 : 200).end(failing ? 'FAIL' : 'OK');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const outgoing = (path: string) => ({
    provider: 'wechatpay',
    orderNo: `order-${path}`,
    url: `${url}/${path}`,
    contentType: 'text/xml',
    body: `<xml>${path}</xml>`,
    headers: { 'x-extra': 'yes' },
    acknowledged: (status: number, body: string) => status === 200 && body === 'OK',
  });

  test('resends until the answer is the acknowledgement, then stops', async () => {
    const notifier = new SimulatorNotifier({ retryBaseMs: 10, maxAttempts: 8, publicUrl: null });
    failFirst.set('/twice', 2);
    const sent = notifier.send(outgoing('twice'));
    assert.equal(sent.refused, null);
    const done = await waitFor(() => notifier.deliveries().find((d) => d.id === sent.id && d.acknowledged));
    assert.equal(done.attempts, 3);
    assert.equal(done.last_error, null);
    assert.deepEqual(hits.get('/twice'), ['text/xml|yes|<xml>twice</xml>', 'text/xml|yes|<xml>twice</xml>', 'text/xml|yes|<xml>twice</xml>']);
    notifier.close();
  });

  test('gives up after its attempts, keeping the last failure', async () => {
    const notifier = new SimulatorNotifier({ retryBaseMs: 5, maxAttempts: 3, publicUrl: null });
    failFirst.set('/never', 100);
    const sent = notifier.send(outgoing('never'));
    const given = await waitFor(() => notifier.deliveries().find((d) => d.id === sent.id && d.attempts === 3));
    assert.equal(given.acknowledged, false);
    assert.equal(given.last_error, 'HTTP 500: FAIL');
    notifier.close();
    assert.equal(hits.get('/never')?.length, 3);
  });

  test('calls only loopback hosts and the public URL host', () => {
    const publicUrl = 'https://pay.shop.example';
    assert.equal(notifyUrlRefusal('http://10.1.2.3/notify', publicUrl), 'the simulator only calls loopback addresses and CANCAN_PUBLIC_URL');
    assert.equal(
      notifyUrlRefusal('http://pay.shop.example.evil.example/notify', publicUrl),
      'the simulator only calls loopback addresses and CANCAN_PUBLIC_URL',
    );
    assert.equal(notifyUrlRefusal('file:///etc/passwd', publicUrl), 'not an http(s) URL');
    assert.equal(notifyUrlRefusal('not a url', publicUrl), 'not an absolute URL');
    assert.equal(notifyUrlRefusal('https://pay.shop.example/notify/wechatpay', publicUrl), null);
    assert.equal(notifyUrlRefusal('http://[::1]:8080/notify/wechatpay', null), null);
    assert.equal(notifyUrlRefusal('http://localhost:8080/notify/wechatpay', null), null);
    assert.equal(notifyUrlRefusal('https://pay.shop.example/notify/wechatpay', null), 'the simulator only calls loopback addresses and CANCAN_PUBLIC_URL');
  });

  test('a refused URL is logged as refused and never called', () => {
    const notifier = new SimulatorNotifier({ retryBaseMs: 5, maxAttempts: 3, publicUrl: null });
    const refused = notifier.send({ ...outgoing('x'), url: 'http://10.1.2.3/x' });
    assert.equal(refused.refused, 'the simulator only calls loopback addresses and CANCAN_PUBLIC_URL');
    assert.equal(refused.attempts, 0);
    notifier.close();
    assert.equal(hits.has('/x'), false);
  });
});
