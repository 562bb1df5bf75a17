/**
 * Durable delivery around failed settles and gone workers: settles that fail while Redis is down
 * are kept and recorded once it is back (nothing re-sent after claim_idle); a worker that is gone
 * has its pending deliveries taken over at once and leaves the group; a live worker's are never
 * taken.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryService, type ManagedDeliveryService } from '../../../core/delivery/index.ts';
import { deliveryKeys } from '../../../core/delivery/redis-admin.ts';
import type { DeliveryTuning } from '../../../core/delivery/tuning.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { startRedis, type RedisProcess } from '../../chaos/redis-process.ts';
import type { Logger } from 'pino';
import {
  capturingLogger,
  cleanupRedis,
  redisClient,
  request,
  silentLogger,
  startSink,
  startDeliveryWorker,
  uniquePrefix,
  type DeliveryWorker,
  type Sink,
} from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function service(redis: Redis, prefix: string, tuning: Partial<DeliveryTuning>, consumerName: string, logger: Logger = silentLogger()): ManagedDeliveryService {
  const store = new MemoryStore();
  const svc = createDeliveryService({
    store,
    logger,
    defaults: {},
    redis,
    durable: true,
    keyPrefix: prefix,
    consumerName,
    tuning: { jitter: 0, moverIntervalMs: 20, readBlockMs: 200, ...tuning },
  });
  cleanups.push(async () => {
    await svc.close(500);
    await store.close();
  });
  return svc;
}

async function sink(delayMs: () => number): Promise<Sink> {
  const s = await startSink(() => ({ status: 200, delayMs: delayMs() }));
  cleanups.push(() => s.close());
  return s;
}

function webhookIds(s: Sink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of s.received) {
    const id = String(r.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function consumers(redis: Redis, prefix: string): Promise<string[]> {
  const list = (await redis.xinfo('CONSUMERS', deliveryKeys(prefix).outbox, 'firehook')) as unknown[][];
  return list.map((c) => String(c[c.indexOf('name') + 1])).sort();
}

async function pending(redis: Redis, prefix: string): Promise<number> {
  return Number(((await redis.xpending(deliveryKeys(prefix).outbox, 'firehook')) as [number])[0]);
}

describe('durable delivery: failed settles and gone workers', () => {
  it('keeps the settles that fail while Redis is down and records them once it is back, sending nothing twice', async () => {
    const server: RedisProcess = await startRedis({ persistent: true });
    const redis = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    cleanups.push(async () => {
      redis.disconnect();
      await server.close();
    });
    // Answers wait until released, so the attempts are in flight when Redis goes away.
    let release!: () => void;
    const released = new Promise<void>((done) => (release = done));
    const s = await sink(() => 0);
    s.reply = () => ({ status: 200, wait: released });
    const prefix = uniquePrefix();
    const claimIdleMs = 1_000;
    const log = capturingLogger();
    const svc = service(redis, prefix, { claimIdleMs, claimIntervalMs: 100, maxConcurrencyPerTarget: 16 }, 'settler', log.logger);
    await svc.ready;
    await Promise.all(Array.from({ length: 16 }, (_, i) => svc.submit(request(`${s.url}/hook`, { body: `{"n":${i}}` }))));
    await eventually(() => s.inFlight === 16, 'every attempt in flight');
    // Redis goes away while the receiver is answering: every settle of these 16 fails.
    await server.stop();
    release();
    await eventually(() => s.received.every((r) => r.respondedAt !== undefined), 'receiver answered all');
    await eventually(() => log.lines.some((l) => /could not record/.test(l)), 'a settle failed for want of Redis');
    expect(svc.stats().delivered).toBe(0);
    // Well past claim_idle with the settles still waiting: the entries stay this worker's.
    await server.start();
    await eventually(() => svc.stats().delivered === 16, 'settles recorded once Redis is back', 30_000);
    await eventually(async () => (await pending(redis, prefix)) === 0, 'outbox acknowledged');
    // Nothing is pending, so nothing can be claimed again; watch past claim_idle anyway.
    const watchUntil = Date.now() + 3 * claimIdleMs;
    await eventually(() => s.received.length !== 16 || Date.now() > watchUntil, 'claim_idle passed with nothing re-sent');
    expect([...webhookIds(s).values()].filter((n) => n > 1)).toEqual([]);
    expect(s.received).toHaveLength(16);
  });

  it('takes over the pending deliveries of a killed worker at once, long before claim_idle, and removes it from the group', async () => {
    const s = await sink(() => 200);
    const prefix = uniquePrefix();
    const redis = redisClient();
    cleanups.push(async () => {
      await cleanupRedis(redis, prefix);
      redis.disconnect();
    });
    const tuning = {
      jitter: 0,
      moverIntervalMs: 20,
      claimIntervalMs: 1_000,
      claimIdleMs: 120_000,
      livenessMs: 500,
      readBlockMs: 200,
      maxConcurrencyPerTarget: 4,
    };
    const first = worker({ mode: 'burst', prefix, consumer: 'crashy', url: `${s.url}/hook`, count: 60, tuning });
    await eventually(() => first.lines.filter((l) => l.startsWith('msg_')).length === 60 && s.received.length >= 4, 'burst persisted and under way');
    first.child.kill('SIGKILL');
    await first.exited;
    const persisted = first.lines.filter((l) => l.startsWith('msg_'));
    expect(await pending(redis, prefix)).toBeGreaterThan(0);
    const killedAt = Date.now();

    const second = worker({ mode: 'work', prefix, consumer: 'successor', url: `${s.url}/hook`, tuning });
    await eventually(() => second.lines.includes('ready'), 'successor ready');
    const delivered = (): Map<string, number> => webhookIds(s);
    // Before claim_idle (120 s) nothing but the liveness rule can hand them over.
    await eventually(
      () => persisted.every((id) => delivered().has(id)) || Date.now() - killedAt > tuning.claimIdleMs,
      'deliveries of the killed worker delivered',
      tuning.claimIdleMs,
    );
    expect(persisted.filter((id) => !delivered().has(id))).toEqual([]);
    expect(Date.now() - killedAt).toBeLessThan(tuning.claimIdleMs);
    await eventually(async () => (await consumers(redis, prefix)).join(',') === 'successor', 'killed worker removed from the group');
    expect(await redis.hkeys(deliveryKeys(prefix).consumers)).toEqual(['successor']);
  });

  it('never takes the deliveries of a live worker, however long they take', async () => {
    const livenessMs = 300;
    const s = await sink(() => 6 * livenessMs);
    const prefix = uniquePrefix();
    const redis = redisClient();
    cleanups.push(async () => {
      await cleanupRedis(redis, prefix);
      redis.disconnect();
    });
    const tuning = { claimIdleMs: 60_000, claimIntervalMs: 100, livenessMs, maxConcurrencyPerTarget: 8 };
    const a = service(redis, prefix, tuning, 'a');
    const b = service(redis, prefix, tuning, 'b');
    await Promise.all([a.ready, b.ready]);
    await Promise.all(Array.from({ length: 24 }, (_, i) => a.submit(request(`${s.url}/hook`, { body: `{"n":${i}}` }))));
    await eventually(() => a.stats().delivered + b.stats().delivered === 24, 'all delivered', 30_000);
    expect([...webhookIds(s).values()].filter((n) => n > 1)).toEqual([]);
    expect(s.received).toHaveLength(24);
    expect(await consumers(redis, prefix)).toContain('a');
  });

  it('leaves the group on close when it holds nothing', async () => {
    const s = await sink(() => 0);
    const prefix = uniquePrefix();
    const redis = redisClient();
    cleanups.push(async () => {
      await cleanupRedis(redis, prefix);
      redis.disconnect();
    });
    const svc = service(redis, prefix, { claimIdleMs: 60_000, livenessMs: 300 }, 'leaver');
    await svc.ready;
    await svc.submit(request(`${s.url}/hook`));
    await eventually(() => svc.stats().delivered === 1, 'delivered');
    expect(await consumers(redis, prefix)).toEqual(['leaver']);
    expect(await svc.close(1_000)).toEqual({ unfinished: 0 });
    expect(await consumers(redis, prefix)).toEqual([]);
    expect(await redis.hkeys(deliveryKeys(prefix).consumers)).toEqual([]);
  });
});

function worker(config: Record<string, unknown>): DeliveryWorker {
  return startDeliveryWorker(config, cleanups);
}
