/** The pooled HTTP client providers are called through: kept-alive connections, timeouts and refusals as the adapters report them. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { describeCallError } from '../../src/providers/call-errors.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createWeChatPayAdapter, WECHATPAY_SANDBOX_CREDENTIALS } from '../../src/providers/wechatpay/adapter.js';

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}

/** A port nothing listens on: one a server held and gave back. */
async function closedPort(): Promise<number> {
  const { server } = await listen(() => undefined);
  const { port } = server.address() as AddressInfo;
  await stop(server);
  return port;
}

describe('pooled provider HTTP client', () => {
  const client = createHttpClient({ connectTimeoutMs: 2_000 });
  after(() => client.close());

  test('20 calls share one connection, whatever the status, and every body arrives whole', async () => {
    const big = 'x'.repeat(200_000);
    const { server, url } = await listen((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const failing = request.url === '/fail';
        response.writeHead(failing ? 503 : 200, { 'content-type': 'text/plain', 'x-echo': body.slice(0, 10) });
        response.end(failing ? 'busy' : `${body}:${big}`);
      });
    });
    let connections = 0;
    server.on('connection', () => connections++);
    try {
      for (let i = 0; i < 20; i++) {
        const failing = i % 5 === 4;
        const response = await client.fetch(`${url}${failing ? '/fail' : '/ok'}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: `call-${i}`,
        });
        assert.equal(response.status, failing ? 503 : 200);
        assert.equal(response.ok, !failing);
        assert.equal(response.headers.get('X-Echo'), `call-${i}`);
        assert.equal(response.headers.get('absent'), null);
        assert.equal(await response.text(), failing ? 'busy' : `call-${i}:${big}`);
        // undici hands a kept-alive socket back one event-loop turn after the answer (it guards against servers that
        // close anyway); a call made in that same turn opens a second connection, so the next call waits for the turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(connections, 1);
    } finally {
      await stop(server);
    }
  });

  test('arrayBuffer gives the bytes as sent', async () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x00, 0xff, 0x41]);
    const { server, url } = await listen((_request, response) => response.end(bytes));
    try {
      const response = await client.fetch(url);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
    } finally {
      await stop(server);
    }
  });

  test("a server that never answers: the client's own timeout rejects as a TimeoutError", async () => {
    const { server, url } = await listen(() => undefined);
    const timed = createHttpClient({ connectTimeoutMs: 2_000, timeoutMs: 150 });
    try {
      const error = await timed.fetch(url, { method: 'POST', body: 'hello' }).then(
        () => assert.fail('answered'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'TimeoutError');
      assert.equal(describeCallError(error, 150), 'no answer within 150 ms');
    } finally {
      await timed.close();
      await stop(server);
    }
  });

  test('a refused connection keeps its cause', async () => {
    const port = await closedPort();
    const error = await client.fetch(`http://127.0.0.1:${port}/`).then(
      () => assert.fail('answered'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof Error);
    assert.equal((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal(describeCallError(error, 1_000), `Error: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});

describe('an adapter on the pooled client (its default)', () => {
  test('no answer within the timeout is an unknown outcome, so the engine queries', async () => {
    const { server, url } = await listen(() => undefined);
    try {
      const adapter = createWeChatPayAdapter({ baseUrl: url, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: 150 });
      const { outcome, trace } = await adapter.query('T-never-answered');
      assert.deepEqual(outcome, { kind: 'unknown', reason: 'no answer within 150 ms' });
      assert.equal(trace.httpStatus, null);
      assert.equal(trace.message, 'no answer within 150 ms');
    } finally {
      await stop(server);
    }
  });

  test('a refused connection is an unknown outcome naming ECONNREFUSED', async () => {
    const port = await closedPort();
    const adapter = createWeChatPayAdapter({ baseUrl: `http://127.0.0.1:${port}`, credentials: WECHATPAY_SANDBOX_CREDENTIALS, timeoutMs: 2_000 });
    const { outcome } = await adapter.query('T-refused');
    assert.deepEqual(outcome, { kind: 'unknown', reason: `Error: connect ECONNREFUSED 127.0.0.1:${port}` });
  });
});
