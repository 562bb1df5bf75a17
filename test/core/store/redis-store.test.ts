import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../core/store/redis-store.ts';
import { storeContract } from './store-contract.ts';

const prefix = `fh-test:${randomUUID()}:`;
const opened: RedisStore[] = [];

afterAll(async () => {
  const raw = new Redis('redis://127.0.0.1:6379');
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

storeContract('RedisStore', async () => {
  const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
  opened.push(store);
  return store;
});

describe('RedisStore', () => {
  it('fails operations with FH_STORE_UNAVAILABLE when Redis is unreachable, without crashing', async () => {
    const errors: Error[] = [];
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300, onError: (e) => errors.push(e) });
    try {
      await expect(store.get('k')).rejects.toMatchObject({ code: 'FH_STORE_UNAVAILABLE' });
      await expect(store.ping()).rejects.toMatchObject({ code: 'FH_STORE_UNAVAILABLE' });
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('writes keys under the configured prefix only', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: `${prefix}scoped:` });
    const raw = new RedisStore({ url: 'redis://127.0.0.1:6379' });
    try {
      await store.set('k', 'v', 10_000);
      expect(await raw.get(`${prefix}scoped:k`)).toBe('v');
    } finally {
      await store.close();
      await raw.close();
    }
  });
});
