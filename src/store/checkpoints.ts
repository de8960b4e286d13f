/**
 * WAL checkpoints off the request path. The stores the server opens run with
 * SQLite's automatic checkpoint off (the commit that crosses 1000 WAL pages
 * would copy them while its request waits); instead, a timer in the thread that
 * does the processing copies the WAL into the database file. PASSIVE never
 * waits for a writer, so the WAL stays bounded without holding anyone up.
 */
import type { Store } from './db.js';

export const CHECKPOINT_EVERY_MS = 1_000;

export interface Checkpoints {
  /** Stops the timer and, on a clean shutdown, empties the WAL (TRUNCATE). */
  stop(options?: { truncate?: boolean }): void;
}

export function startCheckpoints(store: Store, onError: (error: unknown) => void, everyMs = CHECKPOINT_EVERY_MS): Checkpoints {
  const checkpoint = store.checkpoint?.bind(store);
  if (!checkpoint) return { stop: () => undefined };
  const run = (mode: 'PASSIVE' | 'TRUNCATE') => {
    try {
      checkpoint(mode);
    } catch (error) {
      onError(error);
    }
  };
  const timer = setInterval(() => run('PASSIVE'), everyMs);
  timer.unref();
  return {
    stop(options = {}) {
      clearInterval(timer);
      if (options.truncate) run('TRUNCATE');
    },
  };
}
