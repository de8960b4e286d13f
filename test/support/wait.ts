/**
 * How long a test waits for a condition before it calls the wait a failure.
 * It guards against a hang; it is not a speed expectation: on a loaded
 * machine a process start or a payment's processing can take many seconds.
 */
export const WAIT_LIMIT_MS = 120_000;
