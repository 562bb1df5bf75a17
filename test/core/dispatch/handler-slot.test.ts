import { describe, expect, it } from 'vitest';
import { buildEvent } from '../../../core/dispatch/dispatcher.ts';
import { HandlerSlot, type HandlerReport } from '../../../core/dispatch/handler-slot.ts';
import { captureLogger } from '../../helpers/capture-logger.ts';
import { eventually } from '../../helpers/poll.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('HandlerSlot', () => {
  it('drops the oldest queued events when full and counts and reports every drop', async () => {
    const { logger, lines } = captureLogger();
    const g = gate();
    const seen: string[] = [];
    const slot = new HandlerSlot(
      {
        handle: async (e) => {
          await g.opened;
          seen.push(String(e.Meta.n));
        },
      },
      { handler: 'h', plugin: 'p', event: 'AuthFailure', apiId: 'a' },
      logger,
      { queueSize: 3, concurrency: 1, overflow: 'drop-oldest' },
    );
    const reports: HandlerReport[] = [];
    slot.enqueue(buildEvent('AuthFailure', { n: 0 }, 'a', ''));
    await eventually(() => slot.stats().running === 1);
    for (let n = 1; n <= 5; n++) slot.enqueue(buildEvent('AuthFailure', { n }, 'a', ''), (r) => reports.push(r));
    expect(slot.stats()).toMatchObject({ queued: 3, dropped: 2, received: 6 });
    expect(reports.map((r) => r.status)).toEqual(['dropped', 'dropped']);
    g.open();
    await slot.idle();
    expect(seen).toEqual(['0', '3', '4', '5']);
    expect(lines.some((l) => l.code === 'FH_DISPATCH_DROPPED')).toBe(true);
  });

  it('drops the newest events under drop-newest', async () => {
    const { logger } = captureLogger();
    const g = gate();
    const seen: unknown[] = [];
    const slot = new HandlerSlot(
      {
        handle: async (e) => {
          await g.opened;
          seen.push(e.Meta.n);
        },
      },
      { handler: 'h', plugin: 'p', event: 'X', apiId: '' },
      logger,
      { queueSize: 2, concurrency: 1, overflow: 'drop-newest' },
    );
    slot.enqueue(buildEvent('X', { n: 0 }, '', ''));
    await eventually(() => slot.stats().running === 1);
    for (let n = 1; n <= 4; n++) slot.enqueue(buildEvent('X', { n }, '', ''));
    g.open();
    await slot.idle();
    expect(seen).toEqual([0, 1, 2]);
    expect(slot.stats().dropped).toBe(2);
  });

  it('runs at most `concurrency` events at once', async () => {
    const { logger } = captureLogger();
    let active = 0;
    let peak = 0;
    const slot = new HandlerSlot(
      {
        handle: async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active--;
        },
      },
      { handler: 'h', plugin: 'p', event: 'X', apiId: '' },
      logger,
      { queueSize: 100, concurrency: 4, overflow: 'drop-oldest' },
    );
    for (let i = 0; i < 50; i++) slot.enqueue(buildEvent('X', {}, '', ''));
    await slot.idle();
    expect(peak).toBe(4);
    expect(slot.stats().completed).toBe(50);
  });

  it('contains a handler error, logs it with its code and keeps serving', async () => {
    const { logger, lines } = captureLogger();
    const slot = new HandlerSlot(
      {
        handle: (e) => {
          if (e.Meta.bad) throw Object.assign(new Error('boom'), { code: 'FH_TEST_BOOM' });
          return { status: 'ok' as const };
        },
      },
      { handler: 'h', plugin: 'p', event: 'X', apiId: 'a' },
      logger,
      { queueSize: 10, concurrency: 1, overflow: 'drop-oldest' },
    );
    const reports: HandlerReport[] = [];
    slot.enqueue(buildEvent('X', { bad: true }, 'a', ''), (r) => reports.push(r));
    slot.enqueue(buildEvent('X', {}, 'a', ''), (r) => reports.push(r));
    await slot.idle();
    expect(reports.map((r) => [r.status, r.code])).toEqual([
      ['failed', 'FH_TEST_BOOM'],
      ['ok', undefined],
    ]);
    expect(lines.find((l) => l.code === 'FH_TEST_BOOM')).toBeDefined();
    expect(slot.stats()).toMatchObject({ failed: 1, completed: 1 });
  });
});

describe('HandlerSlot error logging', () => {
  it('logs a flood of one error code once a second and counts the rest', async () => {
    const { logger, lines } = captureLogger();
    const slot = new HandlerSlot(
      {
        handle: () => {
          throw Object.assign(new Error('full'), { code: 'FH_DELIVERY_QUEUE_FULL' });
        },
      },
      { handler: 'h', plugin: 'p', event: 'X', apiId: '' },
      logger,
      { queueSize: 1000, concurrency: 8, overflow: 'drop-oldest' },
    );
    for (let i = 0; i < 500; i++) slot.enqueue(buildEvent('X', {}, '', ''));
    await slot.idle();
    expect(slot.stats().failed).toBe(500);
    expect(lines.filter((l) => l.code === 'FH_DELIVERY_QUEUE_FULL')).toHaveLength(1);
  });
});

describe('buildEvent', () => {
  it('starts Meta with Message and OriginatingRequest and formats TimeStamp like Go', () => {
    const e = buildEvent('AuthFailure', { Path: '/p', Key: 'k' }, 'api', 'org', { epochMs: Date.UTC(2015, 0, 15, 17, 21, 15, 111), nanosOfSecond: 111157073 });
    expect(JSON.stringify({ Type: e.Type, Meta: e.Meta, TimeStamp: e.TimeStamp })).toBe(
      '{"Type":"AuthFailure","Meta":{"Message":"","OriginatingRequest":"","Path":"/p","Key":"k"},"TimeStamp":"2015-01-15 17:21:15.111157073 +0000 UTC"}',
    );
    expect(Object.isFrozen(e)).toBe(true);
  });
});
