/**
 * The pieces under the processing thread: a thread that dies shows as lost
 * (not running, onLost called); wake-ups and metrics cross between threads,
 * batched; SQLite transactions take the write lock when they begin; WAL
 * checkpoints run on request only (the automatic one is off).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { Notifier } from '../../src/core/notifier.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { MetricCall, WakeMessage } from '../../src/processing/messages.js';
import { replayMetricCall } from '../../src/processing/messages.js';
import { RelayedMetrics, WakeRelay } from '../../src/processing/relay.js';
import { ProcessingThread } from '../../src/processing/thread.js';
import { type Store, openStore } from '../../src/store/db.js';
import { HTTP_THREAD, PROCESSING_THREAD, WriteLock, createWriteLockMemory } from '../../src/store/write-lock.js';
import { loadConfig } from '../../src/config.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('processing thread host', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cancan-thread-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a thread that dies by an uncaught error is reported lost and not running', async () => {
    const entry = join(dir, 'dies.mjs');
    writeFileSync(
      entry,
      [
        "import { parentPort } from 'node:worker_threads';",
        "parentPort.postMessage({ type: 'running', running: true });",
        "parentPort.once('message', () => { throw new Error('boom in processing'); });",
      ].join('\n'),
    );
    let lost: unknown = null;
    const reported = new Promise<void>((resolve) => {
      const thread = new ProcessingThread({
        data: { config: loadConfig({ CANCAN_DATA_DIR: dir }), masterKey: '00'.repeat(32), listeningUrl: 'http://127.0.0.1:1' },
        notifier: new Notifier(),
        metrics: new Metrics(),
        log: quietLog,
        writeLog: () => undefined,
        onDatabaseError: () => undefined,
        onLost: (error) => {
          lost = error;
          assert.equal(thread.isRunning, false);
          resolve();
        },
        entry: pathToFileURL(entry),
      });
      const started = setInterval(() => {
        if (!thread.isRunning) return;
        clearInterval(started);
        thread.start();
      }, 5);
    });
    await reported;
    assert.ok(lost instanceof Error);
    assert.equal(lost.message, 'boom in processing');
  });
});

describe('relays between threads', () => {
  test('wake-ups: one message per event-loop turn, jobs coalesced, changes kept unless not wanted', async () => {
    const sent: WakeMessage[] = [];
    const notifier = new Notifier();
    notifier.relay(new WakeRelay((message) => sent.push(message)));
    const jobsOnly: WakeMessage[] = [];
    notifier.relay(new WakeRelay((message) => jobsOnly.push(message), false));
    let heard = 0;
    notifier.onJobEnqueued(() => (heard += 1));
    notifier.jobEnqueued();
    notifier.jobEnqueued();
    notifier.transactionChanged(7);
    notifier.transactionChanged(8);
    notifier.transactionChanged(7);
    assert.deepEqual(sent, [], 'nothing sent within the turn');
    await nextTurn();
    assert.deepEqual(sent, [{ type: 'wake', job: true, seqs: [7, 8] }]);
    assert.deepEqual(jobsOnly, [{ type: 'wake', job: true, seqs: [] }]);
    // Heard from the other side: wakes listeners here, is not sent back.
    notifier.heardJobEnqueued();
    notifier.heardTransactionChanged(9);
    await nextTurn();
    assert.equal(sent.length, 1);
    assert.equal(heard, 3);
  });

  test('metrics counted in the thread show on the HTTP thread', async () => {
    const target = new Metrics();
    const batches: (readonly MetricCall[])[] = [];
    const relayed = new RelayedMetrics((calls) => batches.push(structuredClone(calls)));
    const trace = { provider: 'wechatpay', call: 'micropay', latencyMs: 120, httpStatus: 200, code: null, message: null } as const;
    relayed.providerCall(trace, 'paid');
    relayed.providerCall(trace, 'paid');
    relayed.ipnDelivery('delivered');
    await nextTurn();
    assert.equal(batches.length, 1);
    for (const call of batches[0] ?? []) replayMetricCall(target, call);
    const text = (await target.exposition()).body;
    assert.match(text, /^cancan_provider_calls_total\{provider="wechatpay",call="micropay",outcome="paid"\} 2$/m);
    assert.match(text, /^cancan_ipn_deliveries_total\{outcome="delivered"\} 1$/m);
    assert.doesNotMatch((await relayed.exposition()).body, /^cancan_provider_calls_total\{/m, 'the thread records nothing itself');
  });
});

describe('SQLite with two connections', () => {
  let dir: string;
  let store: Store;
  let other: BetterSqlite3.Database;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cancan-sqlite-'));
    store = openStore({ databaseUrl: null, dataDir: dir, autoCheckpoint: false });
    await sql`create table t (id integer primary key, v text)`.execute(store.db);
    other = new BetterSqlite3(join(dir, 'cancan.sqlite'));
    other.pragma('busy_timeout = 0');
  });
  after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a transaction holds the write lock from its start (BEGIN IMMEDIATE): a read-then-write never meets a newer snapshot', async () => {
    await store.db.transaction().execute(async (trx) => {
      await sql`select count(*) from t`.execute(trx);
      assert.throws(() => other.prepare("insert into t (v) values ('other')").run(), { code: 'SQLITE_BUSY' });
      await sql`insert into t (v) values ('mine')`.execute(trx);
    });
    other.prepare("insert into t (v) values ('other')").run();
    assert.deepEqual(other.prepare('select v from t order by id').pluck().all(), ['mine', 'other']);
  });

  test('no automatic checkpoint: the WAL grows until checkpoint() copies it; TRUNCATE empties it', async () => {
    const wal = join(dir, 'cancan.sqlite-wal');
    // A row a page: 1,200 pages, more than the 1,000 after which SQLite would have checkpointed by itself.
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1200; i += 1) await sql`insert into t (v) values (${'x'.repeat(4000)})`.execute(trx);
    });
    const file = join(dir, 'cancan.sqlite');
    assert.ok(statSync(wal).size > 1200 * 4096, `WAL of ${statSync(wal).size} bytes`);
    assert.ok(statSync(file).size < 1200 * 4096, 'not copied into the database file by the commit');
    store.checkpoint?.('PASSIVE');
    assert.ok(statSync(file).size > 1200 * 4000, 'copied by the checkpoint');
    store.checkpoint?.('TRUNCATE');
    assert.equal(statSync(wal).size, 0);
  });
});

describe('the write lock shared by two SQLite connections', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cancan-lock-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a second transaction waits for the first without blocking its thread, and then commits', async () => {
    const memory = createWriteLockMemory();
    const first = openStore({ databaseUrl: null, dataDir: dir, writeLock: { memory, holder: HTTP_THREAD } });
    const second = openStore({ databaseUrl: null, dataDir: dir, writeLock: { memory, holder: PROCESSING_THREAD } });
    try {
      await sql`create table t (id integer primary key, v text)`.execute(first.db);
      let release: () => void = () => undefined;
      const holding = new Promise<void>((resolve) => (release = resolve));
      let firstBegun: () => void = () => undefined;
      const begun = new Promise<void>((resolve) => (firstBegun = resolve));
      const one = first.db.transaction().execute(async (trx) => {
        await sql`insert into t (v) values ('first')`.execute(trx);
        firstBegun();
        await holding;
      });
      await begun;
      let secondDone = false;
      const two = second.db
        .transaction()
        .execute(async (trx) => void (await sql`insert into t (v) values ('second')`.execute(trx)))
        .then(() => (secondDone = true));
      // The event loop still turns while the second waits (SQLite's busy handler would have blocked it).
      for (let turn = 0; turn < 20; turn += 1) await nextTurn();
      assert.equal(secondDone, false, 'waits while the first holds the lock');
      release();
      await Promise.all([one, two]);
      assert.deepEqual((await sql<{ v: string }>`select v from t order by id`.execute(second.db)).rows, [{ v: 'first' }, { v: 'second' }]);
      // Freed for a holder that is gone, and only for that holder.
      const word = new Int32Array(memory);
      await new WriteLock(memory, PROCESSING_THREAD).acquire();
      WriteLock.releaseHeldBy(memory, HTTP_THREAD);
      assert.equal(Atomics.load(word, 0), PROCESSING_THREAD);
      WriteLock.releaseHeldBy(memory, PROCESSING_THREAD);
      assert.equal(Atomics.load(word, 0), 0);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

test('the write lock goes to the other side when it waits: a releasing side cannot take it straight back', async () => {
  const memory = createWriteLockMemory();
  const http = new WriteLock(memory, HTTP_THREAD);
  const processing = new WriteLock(memory, PROCESSING_THREAD);
  const order: string[] = [];
  await http.acquire();
  const processingTurn = processing.acquire().then(() => order.push('processing'));
  await nextTurn();
  http.release();
  const httpAgain = http.acquire().then(() => order.push('http'));
  await processingTurn;
  assert.deepEqual(order, ['processing']);
  processing.release();
  await httpAgain;
  assert.deepEqual(order, ['processing', 'http']);
  http.release();
  assert.equal(Atomics.load(new Int32Array(memory), 0), 0, 'free, nobody waiting');
});
