import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GlobalWebhookRegistry } from '../../../core/global-webhooks/registry.ts';
import type { GlobalWebhookRecord } from '../../../core/global-webhooks/global-webhook.ts';
import { RedisWebhookBackend } from '../../../core/global-webhooks/redis-backend.ts';
import { MemoryWebhookBackend, type WebhookBackend } from '../../../core/global-webhooks/backend.ts';
import { createLogger } from '../../../core/logger.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { RedisStore } from '../../../core/store/redis-store.ts';
import { eventually } from '../../helpers/poll.ts';

const logger = createLogger({ level: 'silent' });
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function registry(backend: WebhookBackend, pollIntervalMs = 0): GlobalWebhookRegistry {
  const r = new GlobalWebhookRegistry({ backend, logger, pollIntervalMs });
  open.push(r);
  return r;
}

const prefix = `fh-test:${randomUUID()}:`;
afterAll(async () => {
  const raw = new Redis('redis://127.0.0.1:6379');
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

const backends: [string, () => WebhookBackend][] = [
  ['memory', () => new MemoryWebhookBackend(new MemoryStore())],
  [
    'redis',
    () => {
      const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: `${prefix}${randomUUID()}:` });
      open.push(store);
      return new RedisWebhookBackend(store.client, '');
    },
  ],
];

describe.each(backends)('GlobalWebhookRegistry on the %s backend', (_name, make) => {
  it('creates with revision 1, refuses a duplicate id and bumps the revision on each replace', async () => {
    const r = registry(make());
    await r.start();
    const created = await r.create({ id: 'a', url: 'http://h/a' });
    expect(created).toMatchObject({ id: 'a', revision: 1 });
    await expect(r.create({ id: 'a', url: 'http://h/b' })).rejects.toMatchObject({ code: 'FH_GLOBAL_WEBHOOK_CONFLICT' });
    const { record, created: isNew } = await r.put({ id: 'a', url: 'http://h/b' }, 1);
    expect(isNew).toBe(false);
    expect(record).toMatchObject({ revision: 2, url: 'http://h/b', createdAt: created.createdAt });
    await expect(r.put({ id: 'a', url: 'http://h/c' }, 1)).rejects.toMatchObject({ code: 'FH_GLOBAL_WEBHOOK_CONFLICT' });
    expect((await r.put({ id: 'b', url: 'http://h/b' })).created).toBe(true);
    expect((await r.list()).map((w) => w.id)).toEqual(['a', 'b']);
  });

  it('keeps a tombstone with the last definition on delete, and lets the id be created again', async () => {
    const r = registry(make());
    await r.start();
    await r.create({ id: 'gone', url: 'http://h/last' });
    const tomb = await r.remove('gone');
    expect(tomb).toMatchObject({ deleted: true, revision: 2, url: 'http://h/last' });
    await expect(r.remove('gone')).rejects.toMatchObject({ code: 'FH_GLOBAL_WEBHOOK_NOT_FOUND' });
    expect(await r.list()).toEqual([]);
    expect((await r.list({ includeDeleted: true })).map((w) => w.id)).toEqual(['gone']);
    const again = await r.create({ id: 'gone', url: 'http://h/new' });
    expect(again).toMatchObject({ revision: 3, url: 'http://h/new' });
    expect(again.deleted).toBeUndefined();
  });

  it('tells watchers each newer revision in order and awaits them on a local write', async () => {
    const r = registry(make());
    await r.start();
    await r.create({ id: 'w', url: 'http://h/1' });
    const seen: string[] = [];
    const unwatch = r.watch('w', async (rec) => {
      await new Promise((res) => setTimeout(res, 20));
      seen.push(`${rec.revision}:${rec.deleted ? 'deleted' : rec.url}`);
    });
    await r.put({ id: 'w', url: 'http://h/2' });
    expect(seen).toEqual(['2:http://h/2']);
    await r.remove('w');
    expect(seen).toEqual(['2:http://h/2', '3:deleted']);
    unwatch();
    await r.create({ id: 'w', url: 'http://h/4' });
    expect(seen).toHaveLength(2);
  });
});

describe('GlobalWebhookRegistry across processes sharing Redis', () => {
  function redisRegistry(scope: string, pollIntervalMs: number, announce = true): GlobalWebhookRegistry {
    const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: `${prefix}${scope}:` });
    open.push(store);
    const backend = new RedisWebhookBackend(store.client, `${prefix}${scope}:`);
    if (!announce) backend.subscribe = async () => async () => undefined;
    return registry(backend, pollIntervalMs);
  }

  it('delivers a change made through one registry to the watchers of another by announcement', async () => {
    const scope = randomUUID();
    const a = redisRegistry(scope, 0);
    const b = redisRegistry(scope, 0);
    await Promise.all([a.start(), b.start()]);
    await a.create({ id: 'x', url: 'http://h/1' });
    await eventually(() => b.cached('x'));
    const seen: GlobalWebhookRecord[] = [];
    b.watch('x', (rec) => void seen.push(rec));
    await a.put({ id: 'x', url: 'http://h/2' });
    await eventually(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ revision: 2, url: 'http://h/2' });
    expect(b.cached('x')?.revision).toBe(2);
  });

  it('catches up through the version poll when announcements are missed', async () => {
    const scope = randomUUID();
    const a = redisRegistry(scope, 0);
    const b = redisRegistry(scope, 50, false);
    await Promise.all([a.start(), b.start()]);
    const seen: number[] = [];
    b.watch('y', (rec) => void seen.push(rec.revision));
    await a.create({ id: 'y', url: 'http://h/1' });
    await a.put({ id: 'y', url: 'http://h/2' });
    await eventually(() => b.cached('y')?.revision === 2);
    expect(seen.at(-1)).toBe(2);
  });

  it('starts while Redis is unreachable and reports nothing loaded', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
    open.push(store);
    const r = registry(new RedisWebhookBackend(store.client, ''), 0);
    await r.start();
    expect(r.size()).toBe(0);
  });
});
