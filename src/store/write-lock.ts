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
/** Who holds the lock: the HTTP thread's connection, or the processing thread's. */
export const HTTP_THREAD = 1;
export const PROCESSING_THREAD = 2;
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

  constructor(
    memory: SharedArrayBuffer,
    private readonly holder: typeof HTTP_THREAD | typeof PROCESSING_THREAD,
  ) {
    this.word = new Int32Array(memory);
  }

  async acquire(): Promise<void> {
    for (;;) {
      const current = Atomics.compareExchange(this.word, 0, FREE, this.holder);
      if (current === FREE) return;
      const wait = waitAsync(this.word, 0, current, RECHECK_MS);
      if (wait.async) await wait.value;
    }
  }

  release(): void {
    WriteLock.releaseHeldBy(this.word.buffer as SharedArrayBuffer, this.holder);
  }

  /** Frees the lock if `holder` holds it: also for a processing thread that ended in the middle of a transaction. */
  static releaseHeldBy(memory: SharedArrayBuffer, holder: number): void {
    const word = new Int32Array(memory);
    if (Atomics.compareExchange(word, 0, holder, FREE) === holder) Atomics.notify(word, 0, 1);
  }
}
