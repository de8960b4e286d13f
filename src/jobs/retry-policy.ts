/**
 * How a step waits before asking its provider again while the outcome stays
 * open. Pure: no clock, no store; randomness comes in as an argument so tests
 * are exact.
 *
 * The wait grows exponentially (about doubling) up to a ceiling. It is computed
 * from the time already spent retrying rather than from a counter: waiting as
 * long as has already passed doubles the total each time, and the schedule
 * survives restarts and changes of worker without storing anything but when
 * the retrying began. Once the deadline passes, the transaction needs an
 * operator's attention and the step slows to the long cadence (never stops:
 * the outcome must still be found).
 */

/** A random number in [0, 1), as Math.random gives. */
export type RandomSource = () => number;

export interface RetryPolicy {
  /** The first wait, and the smallest. */
  readonly firstDelayMs: number;
  /** The longest wait before the deadline. */
  readonly ceilingMs: number;
  /** How long the outcome may stay open before the transaction needs attention. */
  readonly deadlineMs: number;
  /** Up to this fraction of each wait is taken off at random, so retries of many transactions spread out. */
  readonly jitter: number;
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly delayMs: number }
  /** The deadline passed: mark the transaction and ask again at the long cadence. */
  | { readonly kind: 'needs_attention'; readonly delayMs: number };

/** The wait after `elapsedMs` of retrying, before jitter: doubling from the first delay, capped. */
export function baseDelay(policy: RetryPolicy, elapsedMs: number): number {
  return Math.min(policy.ceilingMs, Math.max(policy.firstDelayMs, elapsedMs));
}

/** The wait with jitter taken off; never below 1 ms, so a retry is never "now". */
export function jittered(delayMs: number, jitter: number, random: RandomSource): number {
  const fraction = Math.min(Math.max(jitter, 0), 1) * Math.min(Math.max(random(), 0), 1);
  return Math.max(1, Math.round(delayMs * (1 - fraction)));
}

/**
 * What to do after an open outcome: `elapsedMs` is how long the step has been
 * retrying (0 on its first open outcome), `attentionCadenceMs` the long cadence.
 */
export function decideRetry(policy: RetryPolicy, elapsedMs: number, attentionCadenceMs: number, random: RandomSource): RetryDecision {
  if (elapsedMs >= policy.deadlineMs) return { kind: 'needs_attention', delayMs: jittered(attentionCadenceMs, policy.jitter, random) };
  return { kind: 'retry', delayMs: jittered(baseDelay(policy, elapsedMs), policy.jitter, random) };
}

/** The wait before retry number `attempt` (1 for the first) where no start time is kept: doubling, capped, jittered. */
export function delayForAttempt(policy: RetryPolicy, attempt: number, random: RandomSource): number {
  const doubled = policy.firstDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  return jittered(Math.min(policy.ceilingMs, doubled), policy.jitter, random);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The steps whose outcome can stay open, each with its policy built from the
 * provider's poll interval. Steps bounded by a provider rule (a sale's
 * confirmation window, a checkout page's expiry) keep the provider's cadence
 * until that rule moves them on, so they are not listed here.
 */
export type RetryingStep =
  /** Reversing a sale (after the confirmation window, or for a void). Money may be held until it goes through. */
  | 'reverse'
  /** Sending a refund, then asking about it. Refunds may take a while to settle at some providers. */
  | 'refund'
  /** Closing an expired or cancelled checkout order. */
  | 'close'
  /** Asking about a card sale whose answer never came. */
  | 'card_query'
  /** A step that failed with an error (no adapter, credentials unreadable, a bug). */
  | 'error';

export function retryPolicy(step: RetryingStep, pollIntervalMs: number): RetryPolicy {
  const first = Math.max(1, pollIntervalMs);
  switch (step) {
    case 'reverse':
    case 'close':
    case 'card_query':
      return { firstDelayMs: first, ceilingMs: Math.max(first, MINUTE), deadlineMs: 15 * MINUTE, jitter: 0.2 };
    case 'refund':
      return { firstDelayMs: first, ceilingMs: Math.max(first, 5 * MINUTE), deadlineMs: 24 * HOUR, jitter: 0.2 };
    case 'error':
      return { firstDelayMs: first, ceilingMs: Math.max(first, MINUTE), deadlineMs: 15 * MINUTE, jitter: 0.2 };
    default: {
      const unreachable: never = step;
      throw new Error(`no retry policy for ${String(unreachable)}`);
    }
  }
}
