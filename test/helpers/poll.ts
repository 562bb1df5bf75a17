import { inspect } from 'node:util';

/**
 * How long a poll waits by default. It is a deadline for a condition that should hold in
 * milliseconds, set well past what a loaded two-core machine needs, and under vitest's 20 s
 * test timeout so that the poll's message (naming what was awaited) is the one reported.
 */
export const POLL_TIMEOUT_MS = 15_000;

/**
 * Poll `check` until it returns a truthy value and return that value. Tests synchronise on
 * what they can observe through this one helper, never on a sleep. On the deadline it throws
 * naming `what` (a function is asked only then) and the last value seen.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string | (() => string) = 'condition',
  timeoutMs = POLL_TIMEOUT_MS,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what} (last value: ${inspect(value, { depth: 2, breakLength: Infinity })})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
