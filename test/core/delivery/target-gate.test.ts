import { describe, expect, it, vi } from 'vitest';
import { TargetGate, type GateOptions } from '../../../core/delivery/target-gate.ts';
import type { Job } from '../../../core/delivery/delivery-record.ts';
import { DeliveryLog, decodeAttempt, encodeAttempt, truncateUtf8 } from '../../../core/delivery/delivery-log.ts';
import type { AttemptRecord } from '../../../core/delivery/delivery-service.ts';

const OPTIONS: GateOptions = {
  maxConcurrencyPerTarget: 2,
  breakerThreshold: 3,
  breakerOpenMs: 60_000,
  breakerMaxOpenMs: 60_000,
  maxLocalWaitMs: 2_000,
  maxQueuedPerTarget: 100,
};

function job(target: string, n: number): Job {
  return { record: { id: `d${n}` } as Job['record'], target, path: '/', logUrl: target };
}

describe('TargetGate', () => {
  it('runs at most the cap per target and the next queued job when one finishes', () => {
    const ran: string[] = [];
    const gate = new TargetGate(OPTIONS, { run: (j) => ran.push(j.record.id) });
    for (let i = 0; i < 5; i++) gate.offer(job('http://a', i));
    gate.offer(job('http://b', 9));
    expect(ran).toEqual(['d0', 'd1', 'd9']);
    expect(gate.queued).toBe(3);
    gate.finished('http://a', 'ok');
    expect(ran).toEqual(['d0', 'd1', 'd9', 'd2']);
  });

  it('opens after consecutive failures and holds queued jobs without dropping them', () => {
    const ran: string[] = [];
    const states: string[] = [];
    const gate = new TargetGate(OPTIONS, { run: (j) => ran.push(j.record.id), onBreaker: (_t, s) => states.push(s) });
    for (let i = 0; i < 6; i++) gate.offer(job('http://a', i));
    gate.finished('http://a', 'fail');
    gate.finished('http://a', 'fail');
    gate.finished('http://a', 'fail');
    expect(states).toEqual(['open']);
    expect(gate.openTargets()).toEqual(['http://a']);
    const before = ran.length;
    gate.offer(job('http://a', 7));
    expect(ran.length).toBe(before);
    expect(gate.queued).toBeGreaterThan(0);
  });

  it('parks jobs when parking exists and the breaker is open', () => {
    const parked: string[] = [];
    const gate = new TargetGate(OPTIONS, { run: () => undefined, park: (j) => (parked.push(j.record.id), true) });
    gate.offer(job('http://a', 0));
    gate.offer(job('http://a', 1));
    for (let i = 0; i < 3; i++) gate.finished('http://a', 'fail');
    gate.offer(job('http://a', 5));
    expect(parked).toContain('d5');
    expect(gate.queued).toBe(0);
  });

  it('parks a job expected to wait long behind a slow target when parking exists', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const parked: string[] = [];
      const gate = new TargetGate({ ...OPTIONS, maxConcurrencyPerTarget: 1 }, { run: () => undefined, park: (j) => (parked.push(j.record.id), true) });
      gate.offer(job('http://slow', 0));
      gate.offer(job('http://slow', 1));
      vi.setSystemTime(1_002_000);
      gate.finished('http://slow', 'ok'); // one completion in two seconds: 0.5/s
      for (let i = 2; i <= 40; i++) gate.offer(job('http://slow', i));
      expect(parked.length).toBeGreaterThan(0);
      expect(gate.queued).toBeLessThanOrEqual(16);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a long queue locally when the target drains it fast', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const parked: string[] = [];
      const gate = new TargetGate(
        { ...OPTIONS, maxConcurrencyPerTarget: 1, maxQueuedPerTarget: 100_000, maxLocalWaitMs: 10_000 },
        { run: () => undefined, park: (j) => (parked.push(j.record.id), true) },
      );
      gate.offer(job('http://fast', 0));
      for (let i = 1; i <= 2_000; i++) gate.offer(job('http://fast', i));
      for (let step = 1; step <= 10; step++) {
        vi.setSystemTime(1_000_000 + step * 100);
        for (let i = 0; i < 100; i++) gate.finished('http://fast', 'ok'); // 1000/s
      }
      for (let i = 2_001; i <= 3_000; i++) gate.offer(job('http://fast', i));
      expect(parked).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('delivery log', () => {
  const record: AttemptRecord = {
    deliveryId: 'msg_1',
    attempt: 2,
    at: 1,
    durationMs: 3.5,
    url: 'http://x/y',
    method: 'POST',
    apiId: 'a',
    eventType: 'E',
    handler: 'h',
    plugin: 'p',
    outcome: 'retrying',
    responseCode: 503,
    responseBody: 'é'.repeat(10),
    nextAttemptAt: 9,
  };

  it('round-trips an attempt through the compact Redis form with the body cut to the byte limit', () => {
    const back = decodeAttempt(encodeAttempt(record, 5))!;
    expect(back).toEqual({ ...record, responseBody: 'éé' });
    expect(decodeAttempt('not json')).toBeUndefined();
  });

  it('returns the newest attempts first and filters by handler when the ring wrapped', () => {
    const log = new DeliveryLog(3);
    for (let i = 0; i < 5; i++) log.add({ ...record, attempt: i, handler: i % 2 ? 'odd' : 'even' });
    expect(log.query().map((r) => r.attempt)).toEqual([4, 3, 2]);
    expect(log.query({ handler: 'odd' }).map((r) => r.attempt)).toEqual([3]);
  });

  it('never splits a UTF-8 character when truncating', () => {
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});
