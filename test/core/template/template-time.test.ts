import { describe, expect, it } from 'vitest';
import { asRfc3339, asRfc3339FromString } from '../../../core/template/index.ts';

describe('asRfc3339FromString', () => {
  it('converts Go time text to RFC 3339 in its own offset', () => {
    expect(asRfc3339FromString('2015-01-15 17:21:15.111157073 +0000 UTC')).toBe('2015-01-15T17:21:15Z');
    expect(asRfc3339FromString('2015-01-15 17:21:15 +0000 UTC')).toBe('2015-01-15T17:21:15Z');
    expect(asRfc3339FromString('2024-03-10 08:00:01.5 -0700 MST')).toBe('2024-03-10T08:00:01-07:00');
    expect(asRfc3339FromString('2024-03-10 08:00:01 +0530 IST')).toBe('2024-03-10T08:00:01+05:30');
  });

  it('returns the input unchanged when it does not parse', () => {
    expect(asRfc3339FromString('2015-01-15 17:21:15.1 +0000 UTC m=+0.001')).toBe('2015-01-15 17:21:15.1 +0000 UTC m=+0.001');
    expect(asRfc3339FromString('yesterday')).toBe('yesterday');
    expect(asRfc3339FromString('2015-02-30 17:21:15 +0000 UTC')).toBe('2015-02-30 17:21:15 +0000 UTC');
    expect(asRfc3339FromString(undefined)).toBe('');
  });
});

describe('asRfc3339', () => {
  it('accepts Go time text (monotonic suffix ignored), RFC 3339, epoch ms and Date', () => {
    expect(asRfc3339('2015-01-15 17:21:15.1 +0000 UTC m=+0.001')).toBe('2015-01-15T17:21:15Z');
    expect(asRfc3339('2015-01-15T17:21:15.123+02:00')).toBe('2015-01-15T17:21:15+02:00');
    expect(asRfc3339(Date.UTC(2020, 0, 2, 3, 4, 5, 600))).toBe('2020-01-02T03:04:05Z');
    expect(asRfc3339(new Date(Date.UTC(2020, 0, 2, 3, 4, 5)))).toBe('2020-01-02T03:04:05Z');
  });

  it('returns other values as text', () => {
    expect(asRfc3339('not a time')).toBe('not a time');
    expect(asRfc3339(null)).toBe('');
  });
});
