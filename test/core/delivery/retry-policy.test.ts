import { describe, expect, it } from 'vitest';
import { judgeError, judgeResponse, parseRetryAfter, retryDelay } from '../../../core/delivery/retry-policy.ts';
import { resolveDeliveryOptions } from '../../../core/delivery/delivery-options.ts';

describe('judgeResponse', () => {
  it('succeeds only when the status is 2xx', () => {
    expect(judgeResponse(200, undefined).kind).toBe('delivered');
    expect(judgeResponse(204, undefined).kind).toBe('delivered');
    expect(judgeResponse(302, undefined)).toEqual({ kind: 'final', reason: 'redirected' });
    expect(judgeResponse(400, undefined)).toEqual({ kind: 'final', reason: 'rejected' });
    expect(judgeResponse(410, undefined)).toEqual({ kind: 'final', reason: 'gone' });
  });

  it('retries when the status is 429 or 5xx and reads Retry-After', () => {
    expect(judgeResponse(503, undefined)).toMatchObject({ kind: 'retryable', retryAfterMs: undefined });
    expect(judgeResponse(429, '7')).toMatchObject({ kind: 'retryable', retryAfterMs: 7000 });
  });
});

describe('judgeError', () => {
  it('fails at once when the egress policy refused and retries network errors', () => {
    expect(judgeError('FH_EGRESS_DENIED')).toEqual({ kind: 'final', reason: 'denied' });
    expect(judgeError('ECONNREFUSED').kind).toBe('retryable');
    expect(judgeError('UND_ERR_HEADERS_TIMEOUT').kind).toBe('retryable');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('retryDelay', () => {
  const opts = { jitter: 0.1, maxRetryAfterMs: 60_000, random: () => 0.5 };

  it('follows the schedule and ends when it is exhausted', () => {
    expect(retryDelay([100, 200], 1, undefined, opts)).toBe(100);
    expect(retryDelay([100, 200], 2, undefined, opts)).toBe(200);
    expect(retryDelay([100, 200], 3, undefined, opts)).toBeUndefined();
    expect(retryDelay([], 1, undefined, opts)).toBeUndefined();
  });

  it('keeps jitter within the configured fraction', () => {
    expect(retryDelay([1000], 1, undefined, { ...opts, random: () => 0 })).toBe(900);
    expect(retryDelay([1000], 1, undefined, { ...opts, random: () => 0.999999 })).toBe(1100);
  });

  it('lengthens the delay to Retry-After up to the bound, never shortens it', () => {
    expect(retryDelay([100], 1, 5_000, opts)).toBe(5_000);
    expect(retryDelay([100], 1, 600_000, opts)).toBe(60_000);
    expect(retryDelay([10_000], 1, 1_000, opts)).toBe(10_000);
  });
});

describe('resolveDeliveryOptions', () => {
  it('applies Svix defaults when nothing is configured and parses Go durations otherwise', () => {
    expect(resolveDeliveryOptions({}).retryScheduleMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(resolveDeliveryOptions({}).timeoutMs).toBe(30_000);
    const o = resolveDeliveryOptions({ timeout: '1.5s', retry_schedule: ['100ms', '1m'] }, { deny_private_networks: true, allow_networks: ['10.0.0.0/8'] });
    expect(o).toMatchObject({ timeoutMs: 1500, retryScheduleMs: [100, 60_000], denyPrivateNetworks: true, allowNetworks: ['10.0.0.0/8'] });
  });

  it('throws FH_DELIVERY_INVALID when a duration is not a Go duration', () => {
    expect(() => resolveDeliveryOptions({ retry_schedule: ['5 minutes'] })).toThrow(expect.objectContaining({ code: 'FH_DELIVERY_INVALID' }));
  });
});
