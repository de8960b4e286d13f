import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { decodeCursor, encodeCursor } from '../../src/core/list-transactions.js';
import { ApiError } from '../../src/domain/errors.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { parseListQuery } from '../../src/http/routes/list-query.js';
import { preferredWait } from '../../src/http/routes/transactions.js';
import { providerRules } from '../../src/providers/registry.js';

describe('preferredWait (RFC 7240 Prefer: wait)', () => {
  test('absent header → null', () => {
    assert.equal(preferredWait(undefined), null);
    assert.equal(preferredWait(''), null);
    assert.equal(preferredWait([]), null);
  });

  test('plain wait=N', () => {
    assert.equal(preferredWait('wait=0'), 0);
    assert.equal(preferredWait('wait=1'), 1);
    assert.equal(preferredWait('wait=5'), 5);
    assert.equal(preferredWait('wait=30'), 30);
  });

  test('among other preferences', () => {
    assert.equal(preferredWait('respond-async, wait=10'), 10);
    assert.equal(preferredWait('wait=12, respond-async'), 12);
    assert.equal(preferredWait('return=minimal,wait=4'), 4);
    assert.equal(preferredWait(['respond-async', 'wait=6']), 6);
  });

  test('quoted value and optional whitespace around =', () => {
    assert.equal(preferredWait('wait="5"'), 5);
    assert.equal(preferredWait('wait = 3'), 3);
    assert.equal(preferredWait('respond-async,  wait =  7'), 7);
  });

  test('case-insensitive token', () => {
    assert.equal(preferredWait('WAIT=7'), 7);
    assert.equal(preferredWait('Wait=8'), 8);
    assert.equal(preferredWait('Respond-Async, WaIt=9'), 9);
  });

  test('capped at 30 seconds', () => {
    assert.equal(preferredWait('wait=31'), 30);
    assert.equal(preferredWait('wait=100'), 30);
    assert.equal(preferredWait('wait=99999999999999999999999'), 30);
  });

  test('garbage → null', () => {
    for (const header of [
      'respond-async',
      'wait',
      'wait=',
      'wait=abc',
      'wait=-1',
      'wait=""',
      'nowait=5',
      'x-wait=5',
      'await=5',
      'foo="wait=5"',
      'garbage',
      'return=representation',
    ]) {
      assert.equal(preferredWait(header), null, JSON.stringify(header));
    }
  });
});

describe('RateLimiter', () => {
  test('allows a burst, then refuses with a positive retry-after in whole seconds', () => {
    const limiter = new RateLimiter(1, 5);
    for (let i = 0; i < 5; i++) assert.equal(limiter.take('k', 1_000), 0, `request ${i + 1}`);
    const retry = limiter.take('k', 1_000);
    assert.ok(retry > 0, `retry-after ${retry}`);
    assert.ok(Number.isInteger(retry));
    assert.equal(retry, 1);
    assert.ok(limiter.take('k', 1_000) > 0, 'a refused request does not reset the bucket');
  });

  test('retry-after is the time until the next token, at least 1 s', () => {
    const slow = new RateLimiter(0.25, 1); // one token per 4 s
    assert.equal(slow.take('k', 0), 0);
    assert.equal(slow.take('k', 0), 4);
    assert.equal(slow.take('k', 1_000), 3);
    const fast = new RateLimiter(50, 1);
    assert.equal(fast.take('k', 0), 0);
    assert.equal(fast.take('k', 0), 1);
  });

  test('after waiting the advertised retry-after, a request is allowed', () => {
    for (const [perSecond, burst] of [
      [1, 1],
      [0.5, 2],
      [0.3, 3],
      [2, 10],
      [50, 100],
    ] as const) {
      const limiter = new RateLimiter(perSecond, burst);
      let now = 10_000;
      for (let i = 0; i < burst; i++) assert.equal(limiter.take('k', now), 0);
      const retry = limiter.take('k', now);
      assert.ok(retry >= 1);
      now += retry * 1000;
      assert.equal(limiter.take('k', now), 0, `rate ${perSecond}/s burst ${burst}`);
    }
  });

  test('refills over time at the configured rate', () => {
    const limiter = new RateLimiter(2, 4);
    for (let i = 0; i < 4; i++) assert.equal(limiter.take('k', 0), 0);
    assert.ok(limiter.take('k', 0) > 0);
    assert.ok(limiter.take('k', 400) > 0, '0.8 tokens after 400 ms is not enough');
    assert.equal(limiter.take('k', 500), 0, '1 token after 500 ms');
    assert.ok(limiter.take('k', 500) > 0);
    // 1.5 s later: 3 tokens.
    assert.equal(limiter.take('k', 2_000), 0);
    assert.equal(limiter.take('k', 2_000), 0);
    assert.equal(limiter.take('k', 2_000), 0);
    assert.ok(limiter.take('k', 2_000) > 0);
  });

  test('refill never exceeds the burst', () => {
    const limiter = new RateLimiter(10, 3);
    assert.equal(limiter.take('k', 0), 0);
    const later = 60 * 60 * 1000;
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('k', later), 0);
    assert.ok(limiter.take('k', later) > 0);
  });

  test('separate keys are independent', () => {
    const limiter = new RateLimiter(1, 2);
    assert.equal(limiter.take('a', 0), 0);
    assert.equal(limiter.take('a', 0), 0);
    assert.ok(limiter.take('a', 0) > 0);
    assert.equal(limiter.take('b', 0), 0);
    assert.equal(limiter.take('b', 0), 0);
    assert.ok(limiter.take('b', 0) > 0);
    assert.ok(limiter.take('a', 0) > 0, 'b draining did not refill a');
    assert.equal(limiter.take('c', 0), 0);
  });
});

describe('cursors', () => {
  test('round trip', () => {
    for (const seq of [0, 1, 9, 10, 25, 12345, 2 ** 31, 999_999_999_999_999]) {
      const cursor = encodeCursor(seq);
      assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'URL-safe');
      assert.equal(decodeCursor(cursor), seq);
    }
  });

  test('different seqs give different cursors', () => {
    assert.notEqual(encodeCursor(1), encodeCursor(2));
  });

  test('garbage → null', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    for (const cursor of [
      '',
      'garbage',
      '!!!!',
      's1',
      '1',
      b64('s'),
      b64('x1'),
      b64('s-1'),
      b64('s1.5'),
      b64('s1 '),
      b64(' s1'),
      b64('s1e3'),
      b64(`s${'9'.repeat(16)}`),
      b64('s١'),
      b64('S1'),
    ]) {
      assert.equal(decodeCursor(cursor), null, JSON.stringify(cursor));
    }
  });
});

describe('parseListQuery', () => {
  function refused(query: Record<string, unknown>): ApiError {
    try {
      parseListQuery(query);
    } catch (error) {
      assert.ok(error instanceof ApiError, String(error));
      assert.equal(error.status, 400);
      for (const item of error.items) {
        assert.equal(item.code, 'attribute_error');
        assert.ok(item.detail.length > 0);
        assert.equal(item.pointer, undefined);
      }
      return error;
    }
    assert.fail(`expected ${JSON.stringify(query)} to be refused`);
  }
  const refusedParameters = (query: Record<string, unknown>) => refused(query).items.map((i) => i.parameter);

  test('defaults', () => {
    assert.deepEqual(parseListQuery({}), {
      type: null,
      state: null,
      gateway: null,
      posId: null,
      createdGte: null,
      createdLt: null,
      size: 25,
      after: null,
    });
  });

  test('empty values count as absent', () => {
    assert.deepEqual(parseListQuery({ 'filter[type]': '', 'page[size]': '', 'page[after]': '', 'filter[created_at][gte]': '' }), parseListQuery({}));
  });

  test('every valid parameter is parsed', () => {
    const cursor = encodeCursor(42);
    assert.deepEqual(
      parseListQuery({
        'filter[type]': 'refund',
        'filter[state]': 'succeeded',
        'filter[payment_gateway]': 'wechatpay',
        'filter[pos_id]': 'till-1',
        'filter[created_at][gte]': '2024-01-31T00:00:00Z',
        'filter[created_at][lt]': '2024-02-01T12:30:00+01:00',
        'page[size]': '100',
        'page[after]': cursor,
      }),
      {
        type: 'refund',
        state: 'succeeded',
        gateway: 'wechatpay',
        posId: 'till-1',
        createdGte: Date.UTC(2024, 0, 31),
        createdLt: Date.UTC(2024, 1, 1, 11, 30),
        size: 100,
        after: cursor,
      },
    );
  });

  test('every type and state is accepted', () => {
    for (const type of ['sale', 'void', 'refund']) assert.equal(parseListQuery({ 'filter[type]': type }).type, type);
    for (const state of ['pending', 'succeeded', 'failed']) assert.equal(parseListQuery({ 'filter[state]': state }).state, state);
  });

  test('page[size] from 1 to 100', () => {
    assert.equal(parseListQuery({ 'page[size]': '1' }).size, 1);
    assert.equal(parseListQuery({ 'page[size]': '100' }).size, 100);
    for (const size of ['0', '101', '-1', '2.5', 'abc', 'NaN', 'Infinity']) {
      assert.deepEqual(refusedParameters({ 'page[size]': size }), ['page[size]'], size);
    }
  });

  test('each invalid parameter is reported with its name', () => {
    const cases: Array<[string, string]> = [
      ['filter[type]', 'Sale'],
      ['filter[type]', 'capture'],
      ['filter[state]', 'done'],
      ['filter[state]', 'PENDING'],
      ['page[after]', 'not-a-cursor'],
      ['filter[created_at][gte]', 'yesterday'],
      ['filter[created_at][gte]', '2024-01-31 garbage'],
      ['filter[created_at][lt]', '1706659200000'],
      ['filter[created_at][lt]', '31/01/2024'],
      ['filter[created_at][lt]', '2024-01-31T25:00:00Z'],
    ];
    for (const [name, value] of cases) assert.deepEqual(refusedParameters({ [name]: value }), [name], `${name}=${value}`);
  });

  test('a parameter given more than once is refused', () => {
    for (const name of ['filter[type]', 'filter[state]', 'filter[payment_gateway]', 'filter[pos_id]', 'page[size]', 'page[after]', 'filter[created_at][gte]']) {
      assert.deepEqual(refusedParameters({ [name]: ['a', 'b'] }), [name], name);
    }
  });

  test('all invalid parameters are reported together', () => {
    const params = refusedParameters({
      'filter[type]': 'x',
      'filter[state]': 'y',
      'page[size]': '0',
      'page[after]': 'z',
      'filter[created_at][gte]': 'w',
      'filter[created_at][lt]': 'v',
    });
    assert.deepEqual(
      new Set(params),
      new Set(['filter[type]', 'filter[state]', 'page[size]', 'page[after]', 'filter[created_at][gte]', 'filter[created_at][lt]']),
    );
    assert.equal(params.length, 6);
  });

  // Date.parse('2024-02-30T00:00:00Z') is 2024-03-01T00:00:00Z in V8: the parser must refuse the date, not roll it over.
  test('impossible calendar dates are refused', () => {
    for (const value of ['2024-02-30T00:00:00Z', '2023-02-29', '2024-04-31T00:00:00Z']) {
      assert.deepEqual(refusedParameters({ 'filter[created_at][gte]': value }), ['filter[created_at][gte]'], value);
    }
  });
});

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    // Unset timing settings mean each provider's documented rules.
    assert.equal(config.confirmWindowMs, null);
    assert.equal(config.pollIntervalMs, null);
    assert.equal(config.providerTimeoutMs, null);
    assert.deepEqual(providerRules('wechatpay', config), {
      confirmWindowMs: 45_000,
      pollIntervalMs: 5_000,
      timeoutMs: 10_000,
      reverseNotBeforeMs: 15_000,
      reverseWindowMs: 7 * 86_400_000,
    });
    assert.deepEqual(providerRules('alipay', config), { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 15_000 });
    assert.deepEqual(providerRules('linepay', config), { confirmWindowMs: 60_000, pollIntervalMs: 3_000, timeoutMs: 40_000 });
    assert.equal(config.linePayTimeoutMs, null);
    assert.equal(config.liveUrls.wechatpay, 'https://api.mch.weixin.qq.com');
    assert.equal(config.simConfirmDelayMs, 2_000);
    assert.equal(config.databaseUrl, null);
    assert.equal(config.publicUrl, null);
    assert.equal(config.simulatorUrl, null);
    assert.equal(config.simulators, true);
    assert.equal(config.demo, true);
    assert.equal(config.jobLeaseMs, 120_000, 'three of the longest provider timeout (LINE Pay, 40 s)');
    assert.equal(config.workerConcurrency, 16);
    assert.equal(config.rateLimitPerSecond, 50);
    assert.equal(config.rateLimitBurst, 100);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dataDir, resolve('./data'));
  });

  test('empty strings count as unset', () => {
    assert.deepEqual(
      loadConfig({ PORT: '', HOST: '', DATABASE_URL: '', CANCAN_SIMULATORS: '', CANCAN_CONFIRM_WINDOW_MS: '', CANCAN_PUBLIC_URL: '' }),
      loadConfig({}),
    );
  });

  test('overrides', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '0.0.0.0',
      CANCAN_DATA_DIR: '/tmp/cancan-data',
      DATABASE_URL: 'postgres://u:p@db:5432/cancan',
      CANCAN_PUBLIC_URL: 'https://pay.example.com//',
      CANCAN_CONFIRM_WINDOW_MS: '60000',
      CANCAN_POLL_INTERVAL_MS: '7000',
      CANCAN_PROVIDER_TIMEOUT_MS: '20000',
      CANCAN_SIM_CONFIRM_DELAY_MS: '0',
      CANCAN_SIMULATORS: 'off',
      CANCAN_SIMULATOR_URL: 'http://sim:9000/',
      CANCAN_JOB_LEASE_MS: '90000',
      CANCAN_WORKER_CONCURRENCY: '4',
      CANCAN_RATE_LIMIT_PER_SECOND: '5',
      CANCAN_RATE_LIMIT_BURST: '10',
      LOG_LEVEL: 'debug',
      CANCAN_DEMO: 'no',
    });
    assert.equal(config.port, 9090);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.dataDir, '/tmp/cancan-data');
    assert.equal(config.databaseUrl, 'postgres://u:p@db:5432/cancan');
    assert.equal(config.publicUrl, 'https://pay.example.com');
    assert.equal(config.confirmWindowMs, 60_000);
    assert.equal(config.pollIntervalMs, 7_000);
    assert.equal(config.providerTimeoutMs, 20_000);
    assert.deepEqual(providerRules('wechatpay', config), {
      confirmWindowMs: 60_000,
      pollIntervalMs: 7_000,
      timeoutMs: 20_000,
      reverseNotBeforeMs: 15_000,
      reverseWindowMs: 7 * 86_400_000,
    });
    assert.equal(config.simConfirmDelayMs, 0);
    assert.equal(config.simulators, false);
    assert.equal(config.simulatorUrl, 'http://sim:9000');
    assert.equal(config.jobLeaseMs, 90_000);
    assert.equal(config.workerConcurrency, 4);
    assert.equal(config.rateLimitPerSecond, 5);
    assert.equal(config.rateLimitBurst, 10);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.demo, false);
  });

  test('the job lease defaults to three provider timeouts, at least 30 s', () => {
    assert.equal(loadConfig({ CANCAN_PROVIDER_TIMEOUT_MS: '20000' }).jobLeaseMs, 60_000);
    assert.equal(loadConfig({ CANCAN_PROVIDER_TIMEOUT_MS: '1000' }).jobLeaseMs, 30_000);
    assert.equal(loadConfig({ CANCAN_LINEPAY_TIMEOUT_MS: '50000' }).jobLeaseMs, 150_000);
  });

  test("LINE Pay's read timeout: 40 s as documented, its own setting first, then the providers' one", () => {
    const rules = (env: Record<string, string>): number => providerRules('linepay', loadConfig(env)).timeoutMs;
    assert.equal(rules({}), 40_000);
    assert.equal(rules({ CANCAN_PROVIDER_TIMEOUT_MS: '500' }), 500);
    assert.equal(rules({ CANCAN_PROVIDER_TIMEOUT_MS: '500', CANCAN_LINEPAY_TIMEOUT_MS: '45000' }), 45_000);
    assert.equal(providerRules('alipay', loadConfig({ CANCAN_LINEPAY_TIMEOUT_MS: '45000' })).timeoutMs, 15_000);
    assert.throws(() => loadConfig({ CANCAN_LINEPAY_TIMEOUT_MS: 'soon' }), /CANCAN_LINEPAY_TIMEOUT_MS/);
  });

  test('postgresql:// is accepted too', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://localhost/x' }).databaseUrl, 'postgresql://localhost/x');
  });

  test('on/off flags in their spellings, case-insensitive', () => {
    for (const on of ['1', 'true', 'yes', 'on', 'ON', 'True', 'YES']) assert.equal(loadConfig({ CANCAN_SIMULATORS: on }).simulators, true, on);
    for (const off of ['0', 'false', 'no', 'off', 'OFF', 'False', 'No']) assert.equal(loadConfig({ CANCAN_DEMO: off }).demo, false, off);
  });

  test('ConfigError for bad integers', () => {
    const cases: Array<[string, string]> = [
      ['PORT', 'abc'],
      ['PORT', '-1'],
      ['PORT', '80.5'],
      ['PORT', '8o8o'],
      ['PORT', '9007199254740993'],
      ['CANCAN_CONFIRM_WINDOW_MS', '0'],
      ['CANCAN_POLL_INTERVAL_MS', '0'],
      ['CANCAN_PROVIDER_TIMEOUT_MS', '0'],
      ['CANCAN_SIM_CONFIRM_DELAY_MS', '-5'],
      ['CANCAN_WORKER_CONCURRENCY', '0'],
      ['CANCAN_RATE_LIMIT_BURST', '1.5'],
      ['CANCAN_JOB_LEASE_MS', 'soon'],
      ['CANCAN_RATE_LIMIT_PER_SECOND', 'Infinity'],
    ];
    for (const [name, value] of cases) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, `${name}=${value}: ${String(error)}`);
          assert.match(error.message, new RegExp(name.replace(/[[\]]/g, '\\$&')));
          return true;
        },
        `${name}=${value}`,
      );
    }
  });

  // Number() would read '   ' as 0 (a random port), '0x50' as 80, '0b101' as 5 and '1e3' as 1000.
  test('integers must be written as plain decimal digits', () => {
    for (const value of ['   ', '0x50', '0b101', '0o17', '1e3']) {
      assert.throws(() => loadConfig({ PORT: value }), ConfigError, JSON.stringify(value));
    }
  });

  test('ConfigError for a DATABASE_URL that is not postgres', () => {
    for (const url of ['mysql://localhost/x', 'sqlite:./data.db', 'http://localhost', 'postgres:/x', ' postgres://x', 'file:./x']) {
      assert.throws(() => loadConfig({ DATABASE_URL: url }), ConfigError, url);
    }
  });

  test('ConfigError for a bad on/off flag, naming the variable', () => {
    for (const [name, value] of [
      ['CANCAN_SIMULATORS', 'maybe'],
      ['CANCAN_DEMO', 'enabled'],
      ['CANCAN_SIMULATORS', '2'],
      ['CANCAN_DEMO', ' on'],
    ]) {
      assert.throws(
        () => loadConfig({ [name as string]: value }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.ok(error.message.includes(name as string));
          return true;
        },
        `${name}=${value}`,
      );
    }
  });
});
