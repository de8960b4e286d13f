/** A clock the test moves by hand: the engine reads it, nothing else advances it. */
import type { Clock } from '../../src/domain/clock.js';

export class FakeClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 0, 15, 3, 0, 0)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    if (ms < 0) throw new Error(`a clock does not run backwards (${ms} ms)`);
    this.current += ms;
    return this.current;
  }

  /** Moves to `at`, or stays where it is when `at` is already past. */
  advanceTo(at: number): number {
    this.current = Math.max(this.current, at);
    return this.current;
  }
}
