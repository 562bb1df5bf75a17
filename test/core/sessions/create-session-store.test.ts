import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TokenMeta } from '../../../core/event.ts';
import { createSessionStore, type TokenEventType } from '../../../core/sessions/create-session-store.ts';
import { parseSession } from '../../../core/sessions/session-validation.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { RedisStore } from '../../../core/store/redis-store.ts';
import type { Store } from '../../../core/store/store.ts';

const NOW = 1_700_000_000_000;
const prefix = `fh-test:${randomUUID()}:`;
const opened: Store[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  const raw = new Redis('redis://127.0.0.1:6379');
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

function setup(store: Store = new MemoryStore(), extra: { obfuscateEventKeys?: boolean } = {}) {
  opened.push(store);
  const events: Array<{ type: TokenEventType; meta: TokenMeta }> = [];
  const sessions = createSessionStore({ store, fireSystem: (type, meta) => events.push({ type, meta }), now: () => NOW, ...extra });
  return { store, events, sessions };
}

describe('createSessionStore', () => {
  it('stores sessions under apikey-<key> and fires TokenCreated then TokenUpdated with the raw key', async () => {
    const { store, events, sessions } = setup();
    await sessions.set('abc12345', { org_id: 'org1', quota_max: 10, quota_remaining: 3, quota_renewal_rate: 3600 });
    await sessions.set('abc12345', { org_id: 'org1', quota_max: 10 });
    expect(JSON.parse((await store.get('apikey-abc12345'))!)).toMatchObject({ org_id: 'org1', quota_max: 10 });
    expect(events).toEqual([
      { type: 'TokenCreated', meta: { Message: 'Key generated.', OriginatingRequest: '', Org: 'org1', Key: 'abc12345' } },
      { type: 'TokenUpdated', meta: { Message: 'Key modified.', OriginatingRequest: '', Org: 'org1', Key: 'abc12345' } },
    ]);
  });

  it('resets the quota unless suppressReset, and keeps stored counters with it', async () => {
    const { sessions } = setup();
    await sessions.set('k1', { org_id: 'o', quota_max: 100, quota_remaining: 5, quota_renewal_rate: 60 });
    expect(await sessions.get('k1')).toMatchObject({ quota_remaining: 100, quota_renews: NOW / 1000 + 60, last_updated: String(NOW / 1000) });
    await sessions.write('k1', { ...(await sessions.get('k1'))!, quota_remaining: 40 });
    await sessions.set('k1', { org_id: 'o', quota_max: 100, quota_remaining: 99, quota_renewal_rate: 60, expires: 5 }, { suppressReset: true });
    expect(await sessions.get('k1')).toMatchObject({ quota_remaining: 40, quota_renews: NOW / 1000 + 60, expires: 5 });
  });

  it('resets per-API limits and keeps them with suppressReset', async () => {
    const { sessions } = setup();
    const limit = { quota_max: 10, quota_remaining: 1, quota_renewal_rate: 30 };
    await sessions.set('k2', { org_id: 'o', access_rights: { api1: { api_id: 'api1', limit } } });
    const stored = (await sessions.get('k2'))!;
    expect(stored.access_rights!.api1).toMatchObject({ limit: { quota_remaining: 10, quota_renews: NOW / 1000 + 30 } });
    (stored.access_rights!.api1 as { limit: { quota_remaining: number } }).limit.quota_remaining = 4;
    await sessions.write('k2', stored);
    await sessions.set('k2', { org_id: 'o', access_rights: { api1: { api_id: 'api1', limit } } }, { suppressReset: true });
    expect((await sessions.get('k2'))!.access_rights!.api1).toMatchObject({ limit: { quota_remaining: 4 } });
  });

  it('fires TokenDeleted once when a session existed, and nothing otherwise', async () => {
    const { events, sessions } = setup();
    expect(await sessions.delete('missing')).toBe(false);
    await sessions.set('k3', { org_id: 'o3' });
    const results = await Promise.all([sessions.delete('k3'), sessions.delete('k3')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['TokenCreated', 'TokenDeleted']);
    expect(events[1]!.meta).toEqual({ Message: 'Key deleted.', OriginatingRequest: '', Org: 'o3', Key: 'k3' });
  });

  it('obfuscates keys in token events when asked', async () => {
    const { events, sessions } = setup(new MemoryStore(), { obfuscateEventKeys: true });
    await sessions.set('secretkey1234', { org_id: 'o' });
    expect(events[0]!.meta.Key).toBe('****1234');
  });

  it('fires exactly one TokenCreated when two runtimes create the same key at once on Redis', async () => {
    const a = setup(new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix }));
    const b = setup(new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix }));
    await Promise.all([a.sessions.set('race', { org_id: 'o' }), b.sessions.set('race', { org_id: 'o' })]);
    const types = [...a.events, ...b.events].map((e) => e.type).sort();
    expect(types).toEqual(['TokenCreated', 'TokenUpdated']);
    await a.sessions.delete('race');
  });

  it('scopes access by organisation', async () => {
    const { sessions } = setup();
    await sessions.set('shared', { org_id: 'orgA', quota_max: 1 });
    expect(await sessions.getForOrg('shared', 'orgA')).toMatchObject({ org_id: 'orgA' });
    expect(await sessions.getForOrg('shared', 'orgB')).toBeUndefined();
    await expect(sessions.setForOrg('shared', { quota_max: 2 }, 'orgB')).rejects.toMatchObject({ code: 'FH_SESSION_ORG_MISMATCH' });
    await expect(sessions.setForOrg('shared', { org_id: 'orgB' }, 'orgA')).rejects.toMatchObject({ code: 'FH_SESSION_ORG_MISMATCH' });
    expect(await sessions.deleteForOrg('shared', 'orgB')).toBe(false);
    await sessions.setForOrg('new', { quota_max: 2 }, 'orgB');
    expect(await sessions.get('new')).toMatchObject({ org_id: 'orgB' });
    expect(await sessions.deleteForOrg('shared', 'orgA')).toBe(true);
  });

  it('rejects invalid keys and sessions with coded errors', async () => {
    const { sessions } = setup();
    await expect(sessions.set('', {})).rejects.toMatchObject({ code: 'FH_SESSION_KEY_INVALID' });
    await expect(sessions.get('a\nb')).rejects.toMatchObject({ code: 'FH_SESSION_KEY_INVALID' });
    await expect(sessions.set('x'.repeat(513), {})).rejects.toMatchObject({ code: 'FH_SESSION_KEY_INVALID' });
    await expect(sessions.set('k', { quota_max: '10' } as never)).rejects.toMatchObject({ code: 'FH_SESSION_INVALID' });
    await expect(sessions.set('k', { monitor: { trigger_limits: [50, 'x'] } } as never)).rejects.toMatchObject({ code: 'FH_SESSION_INVALID' });
    await expect(sessions.set('k', [] as never)).rejects.toMatchObject({ code: 'FH_SESSION_INVALID' });
  });
});

describe('parseSession', () => {
  it('refuses __proto__ keys, deep nesting, oversize text and non-objects', () => {
    expect(() => parseSession('{"a":{"__proto__":{"polluted":true}}}')).toThrow(expect.objectContaining({ code: 'FH_SESSION_INVALID' }));
    expect(() => parseSession('['.repeat(40) + ']'.repeat(40))).toThrow(expect.objectContaining({ code: 'FH_SESSION_INVALID' }));
    expect(() => parseSession(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`)).toThrow(expect.objectContaining({ code: 'FH_SESSION_INVALID' }));
    expect(() => parseSession(`{"a":"${'x'.repeat(100)}"}`, { maxBytes: 50, maxDepth: 32 })).toThrow(expect.objectContaining({ code: 'FH_SESSION_INVALID' }));
    expect(() => parseSession('null')).toThrow(expect.objectContaining({ code: 'FH_SESSION_INVALID' }));
    expect(() => parseSession('{bad')).toThrow(expect.objectContaining({ code: 'FH_SESSION_INVALID' }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseSession('{"org_id":"o","meta_data":{"a":[1,2]}}')).toEqual({ org_id: 'o', meta_data: { a: [1, 2] } });
  });
});
