/**
 * SQLite's one writer, shared by the threads of one process without blocking
 * an event loop. SQLite's own busy handler sleeps inside the call (1, 2, 5 …
 * 100 ms steps): the HTTP thread would stop serving while the processing
 * thread commits, and wake up late once it has. Here a transaction first takes
 * this lock, waiting with Atomics.waitAsync (the thread goes on serving) and
 * woken the moment the holder releases it; BEGIN IMMEDIATE then finds the
 * database free. Statements outside transactions still rely on busy_timeout.
 */

/** The lock's memory, shared with the processing thread through its workerData: the holder, then how many wait on each side. */
export const createWriteLockMemory = (): SharedArrayBuffer => new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);

const FREE = 0;
/** Who holds the lock: the HTTP thread's connection, or the processing thread's. */
export const HTTP_THREAD = 1;
export const PROCESSING_THREAD = 2;
type Holder = typeof HTTP_THREAD | typeof PROCESSING_THREAD;
/** A wait re-checks at least this often. */
const RECHECK_MS = 1_000;

// In Node 20 (V8), not yet in the ES2022 library typings.
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * Word 0 holds the holder (or FREE); words 1 and 2 count the transactions
 * waiting on each side. A release hands the lock straight to the other side
 * when it waits: under load the two take turns, so acknowledgements cannot
 * starve processing (the releasing side would otherwise take it back at once).
 */
export class WriteLock {
  private readonly word: Int32Array;
  private readonly other: Holder;

  constructor(
    memory: SharedArrayBuffer,
    private readonly holder: Holder,
  ) {
    this.word = new Int32Array(memory);
    this.other = holder === HTTP_THREAD ? PROCESSING_THREAD : HTTP_THREAD;
  }

  async acquire(): Promise<void> {
    Atomics.add(this.word, this.holder, 1);
    try {
      for (;;) {
        const current = Atomics.compareExchange(this.word, 0, FREE, this.holder);
        // FREE: taken now; this side: handed over by the other side's release.
        if (current === FREE || current === this.holder) return;
        const wait = waitAsync(this.word, 0, current, RECHECK_MS);
        if (wait.async) await wait.value;
      }
    } finally {
      Atomics.sub(this.word, this.holder, 1);
    }
  }

  release(): void {
    const next = Atomics.load(this.word, this.other) > 0 ? this.other : FREE;
    if (Atomics.compareExchange(this.word, 0, this.holder, next) === this.holder) Atomics.notify(this.word, 0);
  }

  /** Frees the lock if `holder` holds it, and forgets its waiters: for a processing thread that ended. */
  static releaseHeldBy(memory: SharedArrayBuffer, holder: Holder): void {
    const word = new Int32Array(memory);
    Atomics.store(word, holder, 0);
    if (Atomics.compareExchange(word, 0, holder, FREE) === holder) Atomics.notify(word, 0);
  }
}
