/**
 * Rate limits of two servers of one deployment (one database, one merchant key):
 * one shared bucket per key through Redis (REDIS_URL); one bucket per server
 * without it; per server again, never failing a request, while Redis is down.
 */
import assert from 'node:assert/strict';
import { type Server, type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type ApiResponse, call } from '../support/client.js';
import type { DbKind } from '../support/databases.js';
import { type TestApp, type TestMerchant, startTestApp } from '../support/harness.js';
import { type PeerApp, startPeerApp } from '../support/shared-db.js';
import { WAIT_LIMIT_MS } from '../support/wait.js';

const REDIS_URL = process.env.CANCAN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const BURST = 5;
const LIMITS = { CANCAN_RATE_LIMIT_PER_SECOND: '1', CANCAN_RATE_LIMIT_BURST: String(BURST) };
const SHARED = 'rate limits are shared by every process through Redis';
const DOWN = 'Redis is unreachable';

interface Pair {
  a: TestApp;
  b: PeerApp;
  m: TestMerchant;
}

async function startPair(kind: DbKind, env: Record<string, string>): Promise<Pair> {
  const a = await startTestApp(kind, { ...LIMITS, ...env });
  const b = await startPeerApp(a, { ...LIMITS, ...env });
  return { a, b, m: await a.merchant() };
}
const closePair = async (pair: Pair | undefined) => {
  await pair?.b.close();
  await pair?.a.close();
};

const mentions = (logs: string[], text: string): number => logs.join('').split(text).length - 1;

async function until(probe: () => boolean, what: string, timeoutMs = WAIT_LIMIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests alternating between the servers: the POS list on the first, the CHOP list on the second. */
async function alternate(pair: Pair, count: number): Promise<{ responses: ApiResponse[]; refilled: number }> {
  const started = Date.now();
  const responses: ApiResponse[] = [];
  for (let i = 0; i < count; i += 1) {
    const path = i % 2 === 0 ? `${pair.a.url}/api/v2/transactions` : `${pair.b.url}/chop/transactions`;
    const url = new URL(path);
    responses.push(await call(url.origin, 'GET', url.pathname, { key: pair.m.apiKey }));
  }
  // Tokens that came back (1 per second) while the requests ran.
  return { responses, refilled: Math.floor((Date.now() - started) / 1000) };
}

function assertRefusals(responses: ApiResponse[]): void {
  const refusals = responses.filter((r) => r.status === 429);
  assert.ok(refusals.length > 0, 'some requests were refused');
  for (const refusal of refusals) {
    assert.ok(Number(refusal.headers.get('retry-after')) >= 1, 'Retry-After in whole seconds');
    if (refusal.body.errors) assert.equal(refusal.body.errors[0].code, 'rate_limit_error');
    else assert.deepEqual([refusal.body.result, refusal.body.code], ['fail', 'rate_limited']);
  }
}

/** Both servers allowed the first BURST requests, and together no more than one burst (plus refills). */
function assertShared({ responses, refilled }: { responses: ApiResponse[]; refilled: number }): void {
  const statuses = responses.map((r) => r.status);
  assert.deepEqual(statuses.slice(0, BURST), Array(BURST).fill(200), String(statuses));
  const allowed = statuses.filter((s) => s === 200).length;
  assert.ok(allowed <= BURST + refilled, `${allowed} allowed (${statuses}); per server it would be ${2 * BURST}`);
  assertRefusals(responses);
  assert.ok(responses.some((r, i) => i % 2 === 0 && r.status === 429) && responses.some((r, i) => i % 2 === 1 && r.status === 429), 'both servers refuse');
}

/** Each server allowed its own burst. */
async function assertPerServer(pair: Pair): Promise<void> {
  const { responses } = await alternate(pair, 2 * BURST);
  assert.deepEqual(
    responses.map((r) => r.status),
    Array(2 * BURST).fill(200),
  );
  const more = await alternate(pair, 6);
  assertRefusals(more.responses);
}

describe('with REDIS_URL', () => {
  let pair: Pair | undefined;
  before(async () => {
    pair = await startPair('postgres', { REDIS_URL });
  });
  after(() => closePair(pair));

  test('the servers share one bucket per key: 429 with Retry-After after one burst, from both', async () => {
    const { a, b, m } = pair as Pair;
    await until(() => mentions(a.logs, SHARED) >= 1 && mentions(b.logs, SHARED) >= 1, 'both servers to reach Redis');
    assertShared(await alternate(pair as Pair, 12));

    // The bucket lives as long as it takes to refill, no longer.
    const key = await a.app.deps.store.db.selectFrom('api_keys').select('id').where('merchant_id', '=', m.id).executeTakeFirstOrThrow();
    const redis = new Redis(REDIS_URL);
    try {
      const ttl = await redis.pttl(`cancan:rate-limit:${key.id}`);
      assert.ok(ttl > 0 && ttl <= BURST * 1000 + 1000, `PTTL ${ttl}`);
    } finally {
      redis.disconnect();
    }
  });
});

describe('without REDIS_URL', () => {
  let pair: Pair | undefined;
  before(async () => {
    pair = await startPair('sqlite', {});
  });
  after(() => closePair(pair));

  test('each server has its own bucket', async () => {
    await assertPerServer(pair as Pair);
    assert.equal(mentions([...(pair as Pair).a.logs, ...(pair as Pair).b.logs], 'Redis'), 0);
  });
});

describe('REDIS_URL at a closed port', () => {
  let pair: Pair | undefined;
  before(async () => {
    const port = await closedPort();
    pair = await startPair('sqlite', { REDIS_URL: `redis://127.0.0.1:${port}/0` });
  });
  after(() => closePair(pair));

  test('requests are served with per-server limits; each server says so once', async () => {
    const { a, b } = pair as Pair;
    await assertPerServer(pair as Pair);
    await until(() => mentions(a.logs, DOWN) === 1 && mentions(b.logs, DOWN) === 1, 'the fallback to be logged');
    assert.equal(mentions([...a.logs, ...b.logs], SHARED), 0);
  });
});

describe('Redis going away and coming back', () => {
  let pair: Pair | undefined;
  let proxy: Proxy | undefined;
  before(async () => {
    proxy = await startProxy(new URL(REDIS_URL));
    const url = new URL(REDIS_URL);
    url.port = String(proxy.port);
    pair = await startPair('sqlite', { REDIS_URL: url.toString() });
  });
  after(async () => {
    await closePair(pair);
    await proxy?.close();
  });

  test('falls back to per-server limits while Redis is away, shares again when it is back; one log line per change', async () => {
    const { a, b } = pair as Pair;
    const relay = proxy as Proxy;
    const logs = { a: a.logs, b: b.logs };
    const count = (text: string) => ({ a: mentions(logs.a, text), b: mentions(logs.b, text) });
    await until(() => count(SHARED).a >= 1 && count(SHARED).b >= 1, 'both servers to reach Redis');

    const downBefore = count(DOWN);
    relay.cut();
    await until(() => count(DOWN).a > downBefore.a && count(DOWN).b > downBefore.b, 'the outage to be noticed');
    const noticed = count(DOWN);
    await assertPerServer(pair as Pair);
    // Several reconnection attempts fail, each an error event: no new log line.
    await until(() => relay.refused >= 4, 'reconnection attempts');
    assert.deepEqual(count(DOWN), noticed);
    assert.deepEqual(noticed, { a: downBefore.a + 1, b: downBefore.b + 1 });

    const sharedBefore = count(SHARED);
    relay.restore();
    await until(() => count(SHARED).a > sharedBefore.a && count(SHARED).b > sharedBefore.b, 'both servers to reach Redis again');
    assertShared(await alternate(pair as Pair, 12));
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Proxy {
  readonly port: number;
  /** Connections refused since the last cut. */
  readonly refused: number;
  /** Cuts every connection and refuses new ones: Redis is unreachable. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay to Redis that the test can cut and restore. */
async function startProxy(target: URL): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const state = { relaying: true, refused: 0 };
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (!state.relaying) {
      state.refused += 1;
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    state.relaying = false;
    state.refused = 0;
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    get refused() {
      return state.refused;
    },
    cut,
    restore: () => {
      state.relaying = true;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
