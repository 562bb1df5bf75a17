/**
 * What an attempt's result means: delivered, retry later (and when), or failed for good.
 * Only 2xx succeeds. Network errors, timeouts, 429 and 5xx retry along the schedule with jitter,
 * honouring `Retry-After` within bounds; 3xx (never followed) and other 4xx fail at once; 410
 * marks the target gone.
 */
import type { DeadLetterReason } from './delivery-service.ts';

/** Svix's schedule: the first attempt at once, then retries after these delays. */
export const DEFAULT_RETRY_SCHEDULE: readonly string[] = ['5s', '5m', '30m', '2h', '5h', '10h', '10h'];
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export type Verdict =
  | { kind: 'delivered' }
  /** `countsForBreaker`: a target health failure (network, timeout, 5xx, 429). */
  | { kind: 'retryable'; retryAfterMs: number | undefined; countsForBreaker: true }
  | { kind: 'final'; reason: DeadLetterReason };

const DELIVERED: Verdict = Object.freeze({ kind: 'delivered' });

/** Error codes that mean the request itself is wrong or refused, never worth retrying. */
const FINAL_ERROR_CODES: Record<string, DeadLetterReason> = {
  FH_EGRESS_DENIED: 'denied',
  FH_DELIVERY_INVALID: 'invalid',
  UND_ERR_INVALID_ARG: 'invalid',
  UND_ERR_NOT_SUPPORTED: 'invalid',
  ERR_INVALID_URL: 'invalid',
};

/** Judge an HTTP response. */
export function judgeResponse(statusCode: number, retryAfter: string | string[] | undefined, nowMs = Date.now()): Verdict {
  if (statusCode >= 200 && statusCode < 300) return DELIVERED;
  if (statusCode === 429 || statusCode >= 500) {
    return { kind: 'retryable', retryAfterMs: parseRetryAfter(retryAfter, nowMs), countsForBreaker: true };
  }
  if (statusCode === 410) return { kind: 'final', reason: 'gone' };
  if (statusCode >= 300 && statusCode < 400) return { kind: 'final', reason: 'redirected' };
  return { kind: 'final', reason: 'rejected' };
}

/** Judge a thrown error (no response): refusals and invalid requests are final, the rest retry. */
export function judgeError(code: string | undefined): Verdict {
  const reason = code === undefined ? undefined : FINAL_ERROR_CODES[code];
  if (reason) return { kind: 'final', reason };
  return { kind: 'retryable', retryAfterMs: undefined, countsForBreaker: true };
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from now; `undefined` when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface BackoffOptions {
  /** Fraction of each delay added or removed at random (0.1 = ±10%). */
  jitter: number;
  /** The most a `Retry-After` may push a retry out. */
  maxRetryAfterMs: number;
  random?: () => number;
}

/**
 * Delay before the next attempt after `attemptsMade` attempts, or `undefined` when the schedule
 * is exhausted. A `Retry-After` can lengthen the scheduled delay (up to `maxRetryAfterMs`), never
 * shorten it.
 */
export function retryDelay(scheduleMs: readonly number[], attemptsMade: number, retryAfterMs: number | undefined, options: BackoffOptions): number | undefined {
  const base = scheduleMs[attemptsMade - 1];
  if (base === undefined) return undefined;
  const random = options.random ?? Math.random;
  let delay = base + base * options.jitter * (random() * 2 - 1);
  if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, options.maxRetryAfterMs));
  return Math.max(0, Math.round(delay));
}
