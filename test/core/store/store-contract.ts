import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../core/store/store.ts';
import { eventually } from '../../helpers/poll.ts';

/** The contract every Store implementation passes. */
export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
      await store.close();
    });

    it('returns null for a missing key and the value after set', async () => {
      expect(await store.get('missing')).toBeNull();
      await store.set('a', 'one');
      expect(await store.get('a')).toBe('one');
      await store.set('a', 'two');
      expect(await store.get('a')).toBe('two');
    });

    it('reports -2 for missing, -1 without expiry and the remaining ms with a TTL', async () => {
      expect(await store.pttl('nope')).toBe(-2);
      await store.set('forever', 'x');
      expect(await store.pttl('forever')).toBe(-1);
      await store.set('brief', 'x', 5_000);
      const ttl = await store.pttl('brief');
      expect(ttl).toBeGreaterThan(4_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
    });

    it('expires keys after their TTL', async () => {
      await store.set('short', 'x', 50);
      await eventually(async () => (await store.get('short')) === null);
      expect(await store.pttl('short')).toBe(-2);
    });

    it('grants setNX to exactly one of many concurrent claimers', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setNX('claim', `c${i}`, 10_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get('claim')).toBe(`c${winner}`);
    });

    it('lets a claim be taken again once it expires', async () => {
      expect(await store.setNX('window', 'first', 50)).toBe(true);
      expect(await store.setNX('window', 'second', 50)).toBe(false);
      await eventually(async () => store.setNX('window', 'third', 50));
    });

    it('deletes only while the value still matches with delIfEquals', async () => {
      await store.set('owned', 'mine');
      expect(await store.delIfEquals('owned', 'theirs')).toBe(false);
      expect(await store.get('owned')).toBe('mine');
      expect(await store.delIfEquals('owned', 'mine')).toBe(true);
      expect(await store.get('owned')).toBeNull();
    });

    it('reports whether del removed a key', async () => {
      await store.set('gone', 'x');
      expect(await store.del('gone')).toBe(true);
      expect(await store.del('gone')).toBe(false);
    });

    it('increments counters atomically and sets the TTL only on creation', async () => {
      const values = await Promise.all(Array.from({ length: 20 }, () => store.incr('counter', 10_000)));
      expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const ttl = await store.pttl('counter');
      expect(ttl).toBeGreaterThan(0);
      expect(await store.incr('plain')).toBe(1);
      expect(await store.pttl('plain')).toBe(-1);
    });

    it('rejects incrementing a non-integer with FH_STORE_INVALID_ARGUMENT', async () => {
      await store.set('word', 'hello');
      await expect(store.incr('word')).rejects.toMatchObject({ code: 'FH_STORE_INVALID_ARGUMENT' });
    });

    it('rejects empty keys with FH_STORE_INVALID_ARGUMENT', async () => {
      await expect(store.get('')).rejects.toMatchObject({ code: 'FH_STORE_INVALID_ARGUMENT' });
      await expect(store.set('', 'x')).rejects.toMatchObject({ code: 'FH_STORE_INVALID_ARGUMENT' });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
