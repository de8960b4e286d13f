/**
 * SQLite's one writer, shared by the threads of one process without blocking
 * an event loop. SQLite's own busy handler sleeps inside the call (1, 2, 5 …
 * 100 ms steps): the HTTP thread would stop serving while the processing
 * thread commits, and wake up late once it has. Here a transaction first takes
 * this lock, waiting with Atomics.waitAsync (the thread goes on serving) and
 * woken the moment the holder releases it; BEGIN IMMEDIATE then finds the
 * database free. Statements outside transactions still rely on busy_timeout.
 */

/** The lock's memory, shared with the processing thread through its workerData. */
export const createWriteLockMemory = (): SharedArrayBuffer => new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);

const FREE = 0;
const HELD = 1;
/** A wait re-checks at least this often (a holder that vanished without releasing cannot hang a waiter forever unnoticed). */
const RECHECK_MS = 1_000;

// In Node 20 (V8), not yet in the ES2022 library typings.
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class WriteLock {
  private readonly word: Int32Array;

  constructor(memory: SharedArrayBuffer) {
    this.word = new Int32Array(memory);
  }

  async acquire(): Promise<void> {
    while (Atomics.compareExchange(this.word, 0, FREE, HELD) !== FREE) {
      const wait = waitAsync(this.word, 0, HELD, RECHECK_MS);
      if (wait.async) await wait.value;
    }
  }

  release(): void {
    Atomics.store(this.word, 0, FREE);
    Atomics.notify(this.word, 0, 1);
  }
}
