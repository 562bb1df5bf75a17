import { afterEach, describe, expect, it } from 'vitest';
import { cleanupRedis, redisClient, startSink, startDeliveryWorker, uniquePrefix, type DeliveryWorker, type Sink } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const TUNING = { jitter: 0, moverIntervalMs: 20, claimIntervalMs: 100, claimIdleMs: 500, readBlockMs: 200, maxConcurrencyPerTarget: 4 };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function startWorker(config: Record<string, unknown>): DeliveryWorker {
  return startDeliveryWorker({ tuning: TUNING, ...config }, cleanups);
}

async function sinkFor(delayMs: number): Promise<Sink> {
  const s = await startSink(() => ({ status: 200, delayMs }));
  cleanups.push(() => s.close());
  return s;
}

function redisPrefix(): string {
  const prefix = uniquePrefix();
  const redis = redisClient();
  cleanups.push(async () => {
    await cleanupRedis(redis, prefix);
    redis.disconnect();
  });
  return prefix;
}

describe('durable delivery across processes', () => {
  it('loses nothing when the delivering process is killed with SIGKILL mid-burst and another starts', async () => {
    const s = await sinkFor(5);
    const prefix = redisPrefix();
    const first = startWorker({ mode: 'burst', prefix, consumer: 'crashy', url: `${s.url}/hook`, count: 400 });
    await eventually(() => s.received.length >= 40 && first.lines.length >= 120, 'burst under way');
    first.child.kill('SIGKILL');
    await first.exited;
    const persisted = first.lines.filter((l) => l.startsWith('msg_'));
    const seenBeforeRestart = new Set(s.received.map((r) => String(r.headers['webhook-id'])));
    expect(persisted.length).toBeGreaterThanOrEqual(120);
    expect(persisted.every((id) => seenBeforeRestart.has(id))).toBe(false);

    const second = startWorker({ mode: 'work', prefix, consumer: 'successor', url: `${s.url}/hook` });
    await eventually(() => second.lines.includes('ready'), 'successor ready');
    const delivered = (): Set<string> => new Set(s.received.map((r) => String(r.headers['webhook-id'])));
    await eventually(() => persisted.every((id) => delivered().has(id)), 'every persisted delivery received', 20_000);
    expect(persisted.filter((id) => !delivered().has(id))).toEqual([]);
  });

  it('delivers exactly once when two processes race for one cooldown key in a shared Redis', async () => {
    const s = await sinkFor(0);
    const prefix = redisPrefix();
    const key = `webhook.cache.${prefix}twoproc`;
    const workers = [1, 2].map((n) => startWorker({ mode: 'cooldown', prefix, consumer: `p${n}`, url: `${s.url}/hook`, count: 100, key }));
    await eventually(() => workers.every((w) => w.lines.includes('ready')), 'both ready');
    for (const w of workers) w.child.stdin!.write('go\n');
    await Promise.all(workers.map((w) => w.exited));
    const summaries = workers.map((w) => JSON.parse(w.lines.at(-1)!) as { queued: number; suppressed: number });
    expect(summaries.reduce((n, x) => n + x.queued, 0)).toBe(1);
    expect(summaries.reduce((n, x) => n + x.suppressed, 0)).toBe(199);
    await eventually(() => s.received.length >= 1);
    expect(s.received).toHaveLength(1);
  });
});
