import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { createDeliveryService, RedisDeliveryAdmin, type ManagedDeliveryService } from '../../../core/delivery/index.ts';
import type { DeliveryTuning } from '../../../core/delivery/tuning.ts';
import { buildRecord } from '../../../core/delivery/delivery-record.ts';
import { RedisStore } from '../../../core/store/redis-store.ts';
import {
  cleanupRedis,
  freePort,
  options,
  redisClient,
  request,
  silentLogger,
  startSink,
  uniquePrefix,
  type Reply,
  type Received,
  type Sink,
} from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const FAST: Partial<DeliveryTuning> = { jitter: 0, moverIntervalMs: 20, claimIntervalMs: 100, claimIdleMs: 1_000, readBlockMs: 200 };

async function sink(reply?: (req: Received) => Reply): Promise<Sink> {
  const s = await startSink(reply);
  cleanups.push(() => s.close());
  return s;
}

function env(): { redis: Redis; prefix: string; store: RedisStore } {
  const prefix = uniquePrefix();
  const redis = redisClient();
  const store = new RedisStore({ keyPrefix: prefix });
  cleanups.push(async () => {
    await cleanupRedis(redis, prefix);
    await store.close();
    redis.disconnect();
  });
  return { redis, prefix, store };
}

function durable(e: { redis: Redis; prefix: string; store: RedisStore }, tuning: Partial<DeliveryTuning> = {}, consumerName?: string): ManagedDeliveryService {
  const svc = createDeliveryService({
    store: e.store,
    logger: silentLogger(),
    defaults: {},
    redis: e.redis,
    durable: true,
    keyPrefix: e.prefix,
    ...(consumerName ? { consumerName } : {}),
    tuning: { ...FAST, ...tuning },
  });
  cleanups.push(() => svc.close(1_000));
  return svc;
}

describe('DeliveryService (durable mode)', () => {
  it('refuses submits while Redis is unreachable, then starts and delivers once Redis comes up', async () => {
    const port = await freePort();
    const redis = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    redis.on('error', () => undefined);
    const store = new MemoryStore();
    const s = await sink();
    const svc = createDeliveryService({ store, logger: silentLogger(), defaults: {}, redis, durable: true, keyPrefix: uniquePrefix(), tuning: FAST });
    let server: ChildProcess | undefined;
    cleanups.push(async () => {
      await svc.close(500);
      await store.close();
      redis.disconnect();
      server?.kill('SIGKILL');
    });
    await expect(svc.submit(request(`${s.url}/hook`, { cooldown: { key: 'webhook.cache.down', ttlMs: 60_000 } }))).rejects.toMatchObject({
      code: 'FH_DELIVERY_PERSIST_FAILED',
    });
    expect(await store.get('webhook.cache.down')).toBeNull();
    // A private, throw-away Redis on that port (nothing on disk).
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await svc.ready;
    await svc.submit(request(`${s.url}/hook`));
    await eventually(() => svc.stats().delivered === 1, 'delivered after Redis came up');
  });

  it('persists the delivery in the stream before submit resolves and acknowledges it once delivered', async () => {
    const e = env();
    let release = false;
    const s = await sink(() => ({ status: 200, delayMs: release ? 0 : 300 }));
    const svc = durable(e);
    await svc.ready;
    const r = await svc.submit(request(`${s.url}/hook`));
    expect(r.status).toBe('queued');
    expect(await e.redis.xlen(`${e.prefix}outbox`)).toBe(1);
    release = true;
    await eventually(() => svc.stats().delivered === 1);
    const pending = async (): Promise<number> => ((await e.redis.xpending(`${e.prefix}outbox`, 'firehook')) as [number, ...unknown[]])[0];
    await eventually(async () => (await pending()) === 0, 'entry acknowledged');
    // Acknowledged entries are trimmed in bulk; the last delivered one may stay as the trim mark.
    await eventually(async () => (await e.redis.xlen(`${e.prefix}outbox`)) <= 1, 'acknowledged entries trimmed');
    const [attempt] = await svc.admin.attempts();
    expect(attempt).toMatchObject({ deliveryId: r.status === 'queued' ? r.id : '', outcome: 'delivered', responseCode: 200 });
  });

  it('keeps retries in Redis and delivers when the target recovers', async () => {
    const e = env();
    let calls = 0;
    const s = await sink(() => (++calls <= 2 ? { status: 503 } : { status: 200 }));
    const svc = durable(e);
    await svc.submit(request(`${s.url}/hook`, { options: options({ retryScheduleMs: [50, 50, 50] }) }));
    await eventually(async () => (await svc.admin.attempts()).length === 3, 'three attempts recorded');
    expect(s.received).toHaveLength(3);
    const outcomes = (await svc.admin.attempts()).map((a) => a.outcome);
    expect(outcomes).toEqual(['delivered', 'retrying', 'retrying']);
    expect(await e.redis.zcard(`${e.prefix}delayed`)).toBe(0);
  });

  it('dead-letters an exhausted delivery and replays it from another process view', async () => {
    const e = env();
    let healthy = false;
    const s = await sink(() => (healthy ? { status: 200 } : { status: 500 }));
    const svc = durable(e);
    const r = await svc.submit(request(`${s.url}/hook`, { headers: { Authorization: 'Bearer secret-token' }, options: options({ retryScheduleMs: [20] }) }));
    await eventually(() => svc.stats().failed === 1);
    const id = r.status === 'queued' ? r.id : '';
    const admin = new RedisDeliveryAdmin({ redis: e.redis, keyPrefix: e.prefix });
    const letter = await admin.deadLetter(id);
    expect(letter).toMatchObject({ id, reason: 'exhausted', attempts: 2, lastResponseCode: 500 });
    expect(letter!.headers.Authorization).toBe('[redacted]');
    expect(await admin.deadLetters({ handler: 'other' })).toEqual([]);
    healthy = true;
    expect(await admin.replay([id])).toEqual({ replayed: [id], missing: [] });
    await eventually(() => svc.stats().delivered === 1);
    expect(s.received.at(-1)!.headers.authorization).toBe('Bearer secret-token');
    expect(await admin.deadLetters()).toEqual([]);
  });

  it('delivers exactly once when many submits race for one cooldown key in Redis', async () => {
    const e = env();
    const s = await sink();
    const a = durable(e, {}, 'a');
    const b = durable(e, {}, 'b');
    const key = `webhook.cache.${e.prefix}race`;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).submit(request(`${s.url}/hook`, { cooldown: { key, ttlMs: 60_000 } }))),
    );
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(1);
    await eventually(() => a.stats().delivered + b.stats().delivered === 1);
    expect(s.received).toHaveLength(1);
  });

  it('shares a burst between two workers with each delivery sent once', async () => {
    const e = env();
    const s = await sink(() => ({ status: 200, delayMs: 2 }));
    const a = durable(e, {}, 'a');
    const b = durable(e, {}, 'b');
    for (let i = 0; i < 200; i++) await (i % 2 ? a : b).submit(request(`${s.url}/hook`, { body: `{"n":${i}}` }));
    await eventually(() => a.stats().delivered + b.stats().delivered === 200);
    expect(new Set(s.received.map((x) => x.body)).size).toBe(200);
    expect(s.received).toHaveLength(200);
    expect(a.stats().delivered).toBeGreaterThan(0);
    expect(b.stats().delivered).toBeGreaterThan(0);
  });

  it('leaves unfinished work in Redis on close and delivers it after a restart', async () => {
    const e = env();
    const s = await sink(() => ({ status: 200, delayMs: 100 }));
    const first = durable(e, { maxConcurrencyPerTarget: 1 }, 'first');
    await first.ready;
    // Submitted together: one stream entry holds all 20.
    await Promise.all(Array.from({ length: 20 }, (_, i) => first.submit(request(`${s.url}/hook`, { body: `{"n":${i}}` }))));
    expect(await e.redis.xlen(`${e.prefix}outbox`)).toBe(1);
    await eventually(() => s.received.length >= 2);
    const { unfinished } = await first.close(10);
    expect(unfinished).toBeLessThanOrEqual(1);
    const second = durable(e, { maxConcurrencyPerTarget: 4 }, 'second');
    await eventually(() => new Set(s.received.map((x) => x.body)).size === 20, 'all 20 delivered');
    expect(second.stats().delivered).toBeGreaterThan(0);
    // The queued ones went back as new entries; the first entry is acknowledged once the one left
    // in flight is settled (taken over after claimIdleMs): at most that one is sent twice.
    await eventually(async () => ((await e.redis.xpending(`${e.prefix}outbox`, 'firehook')) as [number])[0] === 0, 'nothing pending');
    expect(s.received.length).toBeLessThanOrEqual(21);
    expect(await e.redis.hlen(`${e.prefix}done`)).toBe(0);
  });

  it('stores a burst several deliveries per stream entry and acknowledges an entry once its last delivery is settled', async () => {
    const e = env();
    // The first five deliveries of the burst are answered late; the rest at once.
    const s = await sink((req) => (Number(JSON.parse(req.body).n) < 5 ? { status: 200, delayMs: 1_500 } : { status: 200 }));
    const svc = durable(e, { maxConcurrencyPerTarget: 64 });
    await svc.ready;
    await Promise.all(Array.from({ length: 64 }, (_, i) => svc.submit(request(`${s.url}/hook`, { body: `{"n":${i}}` }))));
    expect(await e.redis.xlen(`${e.prefix}outbox`)).toBe(2);
    await eventually(() => svc.stats().delivered === 59, 'the quick 59 delivered');
    // The second entry is acknowledged; the first waits for its five, its 27 settled ones noted.
    const pending = async (): Promise<number> => ((await e.redis.xpending(`${e.prefix}outbox`, 'firehook')) as [number, ...unknown[]])[0];
    expect(await pending()).toBe(1);
    const noted = Object.values(await e.redis.hgetall(`${e.prefix}done`));
    expect(noted).toHaveLength(1);
    expect(noted[0]!.split(',')).toHaveLength(27);
    await eventually(() => svc.stats().delivered === 64, 'all 64 delivered');
    await eventually(async () => (await pending()) === 0, 'first entry acknowledged');
    expect(await e.redis.hlen(`${e.prefix}done`)).toBe(0);
    expect(s.received).toHaveLength(64);
  });

  it('takes over an entry of a dead worker and sends only its deliveries not yet settled', async () => {
    const e = env();
    const s = await sink();
    const outbox = `${e.prefix}outbox`;
    const records = [1, 2, 3].map((n) => buildRecord(request(`${s.url}/hook`, { body: `{"n":${n}}` }), `msg_takeover_${n}`, Date.now()));
    await e.redis.xgroup('CREATE', outbox, 'firehook', '0', 'MKSTREAM');
    const entry = await e.redis.xadd(outbox, '*', 'n', '3', 'b', JSON.stringify(records));
    await e.redis.xreadgroup('GROUP', 'firehook', 'crashed-worker', 'COUNT', 10, 'STREAMS', outbox, '>');
    const readAt = Date.now();
    await e.redis.hset(`${e.prefix}done`, entry!, 'msg_takeover_1,msg_takeover_2');
    // How long an entry must sit idle before it is taken over, as the gateway config sets it.
    const svc = createDeliveryService({
      store: e.store,
      logger: silentLogger(),
      defaults: { claim_idle: '1s' },
      redis: e.redis,
      durable: true,
      keyPrefix: e.prefix,
      consumerName: 'survivor',
    });
    cleanups.push(() => svc.close(1_000));
    await eventually(() => svc.stats().delivered === 1, 'the unsettled delivery sent');
    expect(s.received[0]!.arrivedAt - readAt).toBeGreaterThanOrEqual(950);
    await eventually(async () => ((await e.redis.xpending(outbox, 'firehook')) as [number])[0] === 0, 'entry acknowledged');
    expect(s.received.map((r) => r.body)).toEqual(['{"n":3}']);
    expect(await e.redis.hlen(`${e.prefix}done`)).toBe(0);
  });

  it('parks deliveries in Redis while the breaker is open and delivers them after recovery', async () => {
    const e = env();
    let healthy = false;
    const s = await sink(() => (healthy ? { status: 200 } : { status: 503 }));
    const svc = durable(e, { breakerThreshold: 2, breakerOpenMs: 300, breakerMaxOpenMs: 300, maxConcurrencyPerTarget: 1 });
    for (let i = 0; i < 10; i++) await svc.submit(request(`${s.url}/hook`, { body: `{"n":${i}}`, options: options({ retryScheduleMs: Array(30).fill(50) }) }));
    await eventually(() => svc.stats().openBreakers.length === 1, 'breaker open');
    await eventually(async () => (await e.redis.zcard(`${e.prefix}delayed`)) >= 8, 'parked in Redis');
    expect(svc.stats().queued).toBe(0);
    healthy = true;
    await eventually(() => new Set(s.received.filter((x) => x.respondedAt).map((x) => x.body)).size === 10 && svc.stats().delivered === 10, 'all delivered');
  });
});
