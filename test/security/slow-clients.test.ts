/**
 * Slow and greedy clients over raw sockets, with short timeouts set through
 * the settings: a body trickled a byte at a time, a body that never comes,
 * headers that never end, an idle kept-alive connection, and one address
 * holding more connections than the cap. Every wait is on a socket event.
 */
import assert from 'node:assert/strict';
import { type Socket, connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type TestApp, startTestApp } from '../support/harness.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const REQUEST_TIMEOUT_MS = 1_500;
const HEADERS_TIMEOUT_MS = 700;
const KEEP_ALIVE_TIMEOUT_MS = 600;
/** Node checks the timeouts on a period (a tenth of the headers timeout here), and a busy machine is late. */
const SLACK_MS = 1_500;

interface Outcome {
  /** Everything the server wrote. */
  readonly received: string;
  /** From the first byte sent to the close. */
  readonly closedAfterMs: number;
}

/** Opens a socket to the app, runs `drive` once connected, resolves when the server closes it. */
function session(app: TestApp, drive: (socket: Socket) => void): Promise<Outcome> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let started = 0;
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      started = Date.now();
      drive(socket);
    });
    socket.once('close', () => resolve({ received, closedAfterMs: Date.now() - started }));
    socket.setTimeout(30_000, () => reject(new Error('the server never closed the connection')));
  });
}

const statusOf = (received: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(received)?.[1]);
const bodyOf = (received: string) => JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as unknown;

describe('slow clients', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', {
      CANCAN_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      CANCAN_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      CANCAN_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    });
  });
  after(() => t.close());

  test("a body trickled a byte at a time is answered 408 in the path's envelope and closed at the request timeout", async () => {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await session(t, (socket) => {
      socket.write('POST /chop/landing/card HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n');
      // One byte every 100 ms: never idle long, never done.
      timer = setInterval(() => socket.write('a'), 100);
    });
    clearInterval(timer);
    assert.equal(statusOf(outcome.received), 408, outcome.received);
    assert.match(outcome.received, /\r\nConnection: close\r\n/);
    assert.deepEqual(bodyOf(outcome.received), { result: 'fail', error: 'The request did not arrive in time', code: 'request_timeout' });
    assert.ok(outcome.closedAfterMs >= REQUEST_TIMEOUT_MS - 50, `closed after ${outcome.closedAfterMs} ms`);
    assert.ok(outcome.closedAfterMs < REQUEST_TIMEOUT_MS + SLACK_MS, `closed after ${outcome.closedAfterMs} ms`);
    // Printed for the record: how long a slow client held the connection.
    console.log(`# trickled body closed after ${outcome.closedAfterMs} ms (request timeout ${REQUEST_TIMEOUT_MS} ms)`);
  });

  test('a Content-Length whose body never comes is answered 408 (POS envelope) and closed', async () => {
    const outcome = await session(t, (socket) =>
      socket.write('POST /api/v2/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{'),
    );
    assert.equal(statusOf(outcome.received), 408, outcome.received);
    assert.deepEqual(bodyOf(outcome.received), { errors: [{ status: '408', code: 'attribute_error', detail: 'The request did not arrive in time' }] });
    assert.ok(outcome.closedAfterMs < REQUEST_TIMEOUT_MS + SLACK_MS, `closed after ${outcome.closedAfterMs} ms`);
  });

  test('headers that never end are answered 408 and closed at the headers timeout', async () => {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await session(t, (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    });
    clearInterval(timer);
    assert.equal(statusOf(outcome.received), 408, outcome.received);
    assert.ok(outcome.closedAfterMs >= HEADERS_TIMEOUT_MS - 50, `closed after ${outcome.closedAfterMs} ms`);
    assert.ok(outcome.closedAfterMs < HEADERS_TIMEOUT_MS + SLACK_MS, `closed after ${outcome.closedAfterMs} ms`);
  });

  test('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
    const outcome = await session(t, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(statusOf(outcome.received), 200, outcome.received);
    assert.match(outcome.received, /\r\nKeep-Alive: timeout=\d+\r\n/i);
    assert.ok(outcome.closedAfterMs >= KEEP_ALIVE_TIMEOUT_MS - 50, `closed after ${outcome.closedAfterMs} ms`);
    assert.ok(outcome.closedAfterMs < KEEP_ALIVE_TIMEOUT_MS + SLACK_MS, `closed after ${outcome.closedAfterMs} ms`);
  });

  test('a request that completes in time is served as usual, however long its answer takes', async () => {
    // The request timeout covers receiving the request, not the handler (a POS sale may wait up to 30 s).
    const outcome = await session(t, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(statusOf(outcome.received), 200, outcome.received);
  });
});

describe('connections per address', () => {
  const CAP = 3;
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', { CANCAN_MAX_CONNECTIONS_PER_IP: String(CAP) });
  });
  after(() => t.close());

  /** A kept-alive connection that has been served one request (so the server holds it). */
  function held(): Promise<Socket> {
    const { port } = new URL(t.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.once('data', () => resolve(socket));
      socket.once('close', () => reject(new Error('closed before an answer')));
      socket.on('error', () => undefined);
    });
  }

  test('a connection over the cap is closed at once, without an answer; one below it is served', async () => {
    const sockets = [];
    for (let i = 0; i < CAP; i += 1) sockets.push(await held());
    const extra = await session(t, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(extra.received, '', 'not a byte of an answer');
    assert.ok(extra.closedAfterMs < 1_000, `closed after ${extra.closedAfterMs} ms`);
    assert.equal(t.logs.join('').split('connection refused: the address holds the most connections allowed').length - 1, 1, 'logged once');

    // One held connection goes: a new one is served again (once the server has seen the close).
    const first = sockets.shift() as Socket;
    await new Promise((resolve) => {
      first.once('close', resolve);
      first.destroy();
    });
    let served: Socket | null = null;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (!served && Date.now() < deadline) served = await held().catch(() => null);
    assert.ok(served, 'served once below the cap');
    for (const socket of [...sockets, served]) socket.destroy();
  });
});
