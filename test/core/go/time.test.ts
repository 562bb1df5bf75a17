import { describe, expect, it } from 'vitest';
import { formatGoTime, parseGoDuration, parseRfc3339 } from '../../../core/go/time.ts';

describe('formatGoTime', () => {
  it('trims trailing fraction zeros and omits the dot for whole seconds', () => {
    const t = Date.UTC(2024, 0, 1, 23, 59, 59);
    expect(formatGoTime(t)).toBe('2024-01-01 23:59:59 +0000 UTC');
    expect(formatGoTime(t + 120)).toBe('2024-01-01 23:59:59.12 +0000 UTC');
    expect(formatGoTime(t, 111157073)).toBe('2024-01-01 23:59:59.111157073 +0000 UTC');
    expect(formatGoTime(t, 100)).toBe('2024-01-01 23:59:59.0000001 +0000 UTC');
  });
});

describe('parseRfc3339', () => {
  it('keeps nanoseconds and honours offsets', () => {
    expect(parseRfc3339('2015-01-15T17:21:15.111157073Z')).toEqual({ epochMs: Date.UTC(2015, 0, 15, 17, 21, 15, 111), nanosOfSecond: 111157073 });
    expect(parseRfc3339('2015-01-15T19:21:15+02:00')!.epochMs).toBe(Date.UTC(2015, 0, 15, 17, 21, 15));
    expect(parseRfc3339('yesterday')).toBeUndefined();
    expect(parseRfc3339('2015-13-45T99:00:00Z')).toBeUndefined();
  });
});

describe('parseGoDuration', () => {
  it('parses Go duration strings to milliseconds', () => {
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('')).toBe(0);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('-2s')).toBe(-2_000);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('1d')).toBeUndefined();
  });
});
