import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LookupCache } from '../../src/store/lookup-cache.js';

/** A generation source whose reads the test answers one by one. */
function manualReader() {
  const pending: { resolve: (generation: number) => void; reject: (error: Error) => void }[] = [];
  return {
    pending,
    read: () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
    /** Answers the oldest read not yet answered. */
    answer(generation: number) {
      const next = pending.shift();
      assert.ok(next, 'a read is pending');
      next.resolve(generation);
    },
  };
}

/** Lets a few event-loop turns pass (a read starts one turn after it is asked for). */
async function settled(): Promise<void> {
  for (let turn = 0; turn < 3; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('lookup cache', () => {
  test('a value is loaded once per generation; a new generation clears it', async () => {
    let generation = 1;
    let loads = 0;
    const cache = new LookupCache(async () => generation);
    const load = async () => `value ${(loads += 1)}`;
    await cache.refresh();
    assert.equal(await cache.get('k', load), 'value 1');
    await cache.refresh();
    assert.equal(await cache.get('k', load), 'value 1');
    generation = 2;
    await cache.refresh();
    assert.equal(await cache.get('k', load), 'value 2');
    assert.equal(loads, 2);
    assert.equal(cache.reads, 3);
  });

  test('concurrent gets of one key share one load', async () => {
    const cache = new LookupCache(async () => 1);
    await cache.refresh();
    let loads = 0;
    const load = async () => (loads += 1);
    const values = await Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    assert.deepEqual(values, [1, 1, 1]);
    assert.equal(loads, 1);
  });

  test('a refused value and a failed load are not kept', async () => {
    const cache = new LookupCache(async () => 1);
    await cache.refresh();
    let loads = 0;
    const missing = async () => ((loads += 1), undefined);
    assert.equal(await cache.get('k', missing, (v) => v !== undefined), undefined);
    assert.equal(await cache.get('k', missing, (v) => v !== undefined), undefined);
    assert.equal(loads, 2);
    await assert.rejects(
      cache.get('f', async () => {
        throw new Error('database down');
      }),
      /database down/,
    );
    assert.equal(await cache.get('f', async () => 'back'), 'back');
    assert.equal(cache.size, 1);
  });

  test('a load begun before the cache was cleared is not kept', async () => {
    const reader = manualReader();
    const cache = new LookupCache(reader.read);
    const first = cache.refresh();
    await settled();
    reader.answer(1);
    await first;
    let finishLoad: (value: string) => void = () => undefined;
    const stale = cache.get('k', () => new Promise<string>((resolve) => (finishLoad = resolve)));
    const second = cache.refresh();
    await settled();
    reader.answer(2);
    await second;
    finishLoad('before the change');
    assert.equal(await stale, 'before the change');
    assert.equal(await cache.get('k', async () => 'after the change'), 'after the change');
  });

  test('refreshes asked in one turn share one read', async () => {
    let reads = 0;
    const cache = new LookupCache(async () => ((reads += 1), 1));
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    assert.equal(reads, 1);
  });

  test('refreshes share a read, but never one that started before they were asked', async () => {
    const reader = manualReader();
    const cache = new LookupCache(reader.read);
    const a = cache.refresh();
    await settled();
    assert.equal(reader.pending.length, 1);
    // Asked while a read runs: they wait for the next read, which starts once the first ends.
    let bDone = false;
    const b = cache.refresh().then(() => (bDone = true));
    const c = cache.refresh();
    assert.equal(reader.pending.length, 1);
    assert.equal(cache.reads, 1);
    reader.answer(1);
    await a;
    await settled();
    assert.equal(bDone, false);
    assert.equal(reader.pending.length, 1, 'the second read started after the first ended');
    assert.equal(cache.reads, 2);
    // Asked while the second read runs: a third read.
    const d = cache.refresh();
    reader.answer(1);
    await Promise.all([b, c]);
    await settled();
    assert.equal(cache.reads, 3);
    assert.equal(reader.pending.length, 1);
    reader.answer(1);
    await d;
    assert.equal(reader.pending.length, 0);
  });

  test('a failed read fails its callers only; the next call reads again', async () => {
    const reader = manualReader();
    const cache = new LookupCache(reader.read);
    const a = cache.refresh();
    await settled();
    const b = cache.refresh();
    reader.pending.shift()?.reject(new Error('database down'));
    await assert.rejects(a, /database down/);
    await settled();
    reader.answer(3);
    await b;
    assert.equal(cache.reads, 2);
  });

  test('holds at most maxEntries values, dropping the oldest', async () => {
    const cache = new LookupCache(async () => 1, 2);
    await cache.refresh();
    let loads = 0;
    const load = async () => (loads += 1);
    await cache.get('a', load);
    await cache.get('b', load);
    await cache.get('c', load);
    assert.equal(cache.size, 2);
    await cache.get('c', load);
    await cache.get('a', load);
    assert.equal(loads, 4);
  });
});
