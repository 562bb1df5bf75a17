import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../core/store/memory-store.ts';
import { ioredisClient } from '../../core/store/ioredis-client.ts';
import { RedisStore } from '../../core/store/redis-store.ts';
import type { Store } from '../../core/store/store.ts';
import { storageKey } from '../../sandbox/index.ts';
import { event, loadHandler, logged, runOne, startSandbox, type TestSandbox } from './helpers.ts';

let t: TestSandbox;

beforeAll(() => {
  t = startSandbox();
});

afterAll(async () => {
  await t.close();
});

describe('TykJS object model', () => {
  it('passes the event with Tyk keys in order plus non-enumerable EventType/EventMetaData aliases when a handler runs', async () => {
    const file = await loadHandler(
      t,
      `log(JSON.stringify(event)); log(event.EventType + '|' + JSON.stringify(event.EventMetaData) + '|' + Object.keys(event).join(',')); log(JSON.stringify(context) + '|' + Object.keys(context).join(','));`,
    );
    const result = await runOne(t, event(file, { Path: '/x', Origin: '1.2.3.4', Key: 'abcd1234' }, { apiId: 'api-1', orgId: 'org-1' }));
    expect(result.ok).toBe(true);
    const [json, aliases, ctx] = logged(t, file);
    expect(json).toBe(
      '{"Type":"AuthFailure","Meta":{"Message":"Auth Failure","OriginatingRequest":"","Path":"/x","Origin":"1.2.3.4","Key":"abcd1234"},"TimeStamp":"2015-01-15 17:21:15.111157073 +0000 UTC"}',
    );
    expect(aliases).toBe('AuthFailure|{"Message":"Auth Failure","OriginatingRequest":"","Path":"/x","Origin":"1.2.3.4","Key":"abcd1234"}|Type,Meta,TimeStamp');
    expect(ctx).toBe('{"APIID":"api-1","OrgID":"org-1"}|APIID,OrgID');
  });

  it('loads middleware-style files and calls an overridden DoProcessEvent when a file defines one', async () => {
    const path = `/virtual/mw-${randomUUID()}.js`;
    const source = `var mw = new TykJS.TykMiddleware.NewMiddleware({});
      mw.NewProcessRequest(function (request, session) { return mw.ReturnData(request, session.meta_data); });
      var custom = { DoProcessEvent: function (event, context) { log('custom ' + event.Type + ' ' + typeof TykJS.TykMiddleware.NewMiddleware); } };`;
    const report = await t.sandbox.load([{ path, source }], { activate: false });
    expect(report.ok).toBe(true);
    expect(report.files[0]!.handlers).toEqual(['custom']);
    const [result] = await t.sandbox.run([event(path, {}, { name: 'custom' })], { generation: report.generation });
    expect(result!.ok).toBe(true);
    expect(logged(t, path)).toEqual(['custom AuthFailure function']);
  });
});

describe('base64 bindings', () => {
  it('encode and decode like Go when given ASCII, multi-byte and astral text', async () => {
    const inputs = ['', 'f', 'fo', 'foo', 'héllo wörld', '日本語', 'emoji 😀!', 'a\u0000b'];
    const file = await loadHandler(
      t,
      `var inputs = ${JSON.stringify(inputs)}; for (var i = 0; i < inputs.length; i++) { var s = inputs[i]; log(JSON.stringify([b64enc(s), rawb64enc(s), b64dec(b64enc(s)), rawb64dec(rawb64enc(s)), b64dec(rawb64enc(s))])); }`,
    );
    expect((await runOne(t, event(file))).ok).toBe(true);
    const lines = logged(t, file).map((l) => JSON.parse(l) as string[]);
    inputs.forEach((s, i) => {
      const padded = Buffer.from(s, 'utf8').toString('base64');
      expect(lines[i]).toEqual([padded, padded.replace(/=+$/, ''), s, s, s]);
    });
  });

  it('return undefined for invalid input and reject padding in rawb64dec', async () => {
    const file = await loadHandler(
      t,
      `log(JSON.stringify([typeof b64dec('!!!'), typeof b64dec('abc=d'), typeof rawb64dec('Zm8='), rawb64dec('Zm8'), b64dec('Zm8\\r\\n='), typeof b64dec('Z')]));`,
    );
    await runOne(t, event(file));
    expect(JSON.parse(logged(t, file)[0]!)).toEqual(['undefined', 'undefined', 'undefined', 'fo', 'fo', 'undefined']);
  });

  it('decode invalid UTF-8 bytes to one replacement character each', async () => {
    const file = await loadHandler(t, `log(JSON.stringify(b64dec('${Buffer.from([0x61, 0xff, 0xc3, 0x62]).toString('base64')}')));`);
    await runOne(t, event(file));
    expect(JSON.parse(logged(t, file)[0]!)).toBe('a\ufffd\ufffdb');
  });
});

describe('log bindings', () => {
  it('send log and rawlog lines with the event attribution and escaped control characters', async () => {
    const file = await loadHandler(
      t,
      `log('line\\nbreak\\u001b[31m'); rawlog({ toString: function () { return 'raw value'; } }); console.log('via', 'console');`,
    );
    await runOne(t, { ...event(file, {}, { apiId: 'api-log' }), label: 'api-log:AuthFailure:0' });
    const lines = t.logs.filter((l) => l.file === file);
    expect(lines.map((l) => [l.kind, l.message])).toEqual([
      ['log', 'line\\nbreak\\x1b[31m'],
      ['raw', 'raw value'],
      ['log', 'via console'],
    ]);
    expect(lines[0]).toMatchObject({ apiId: 'api-log', label: 'api-log:AuthFailure:0', eventType: 'AuthFailure', handler: 'h' });
  });

  it('truncate long lines and drop lines past the per-invocation cap with one notice', async () => {
    const file = await loadHandler(t, `log(new Array(10000).join('x')); for (var i = 0; i < 500; i++) log('n' + i);`);
    await runOne(t, event(file));
    const lines = t.logs.filter((l) => l.file === file);
    expect(lines[0]!.message.length).toBeLessThan(4200);
    expect(lines[0]!.message.endsWith('[truncated]')).toBe(true);
    expect(lines.filter((l) => l.kind === 'log')).toHaveLength(100);
    expect(lines.filter((l) => l.kind === 'warn').map((l) => l.message)).toEqual([expect.stringContaining('log line limit')]);
  });
});

const STORAGE_SCRIPT = `
  TykStorageSet('k', 'v1', 0);
  TykStorageSet('short', 'gone soon', 0.05);
  var out = {
    get: TykStorageGet('k'),
    missing: TykStorageGet('nope'),
    nx1: TykStorageSetNX('claim', 'a', 60),
    nx2: TykStorageSetNX('claim', 'b', 60),
    ttlNone: TykStorageTTL('k'),
    ttlSet: TykStorageTTL('claim'),
    ttlMissing: TykStorageTTL('nope'),
    incr1: TykStorageIncr('counter', 60),
    incr2: TykStorageIncr('counter'),
    del: TykStorageDel('k'),
    delAgain: TykStorageDel('k'),
    afterDel: TykStorageGet('k')
  };
  try { TykStorageSet('', 'x'); } catch (e) { out.emptyKey = e.message; }
  try { TykStorageSet(new Array(300).join('k'), 'x'); } catch (e) { out.longKey = e.message; }
  try { TykStorageSet('big', new Array(70000).join('v')); } catch (e) { out.bigValue = e.message; }
  try { TykStorageSet('neg', 'x', -1); } catch (e) { out.badTtl = e.message; }
  log(JSON.stringify(out));
`;

const STORES: Array<[string, () => Store]> = [
  ['memory', () => new MemoryStore()],
  ['redis', () => new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: `fh-test:${randomUUID()}:` })],
];

/** A sandbox over a fresh store for one describe block; Redis keys (unique prefix) removed after. */
function sandboxOver(makeStore: () => Store): () => TestSandbox {
  let s: TestSandbox;
  beforeAll(() => {
    s = startSandbox({ store: makeStore() });
  });
  afterAll(async () => {
    const store = s.store;
    await s.close();
    if (store instanceof RedisStore) {
      const redis = ioredisClient(store.client);
      const prefix = (redis.options as { keyPrefix?: string }).keyPrefix ?? '';
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    }
    await store.close();
  });
  return () => s;
}

describe.each(STORES)('storage bindings on the %s store', (_kind, makeStore) => {
  const current = sandboxOver(makeStore);
  let s: TestSandbox;
  beforeAll(() => {
    s = current();
  });

  it('set, get, setNX, TTL, incr and del with Tyk-style results when a handler uses them', async () => {
    const file = await loadHandler(s, STORAGE_SCRIPT);
    expect((await runOne(s, event(file, {}, { orgId: 'org-s' }))).ok).toBe(true);
    const out = JSON.parse(logged(s, file)[0]!) as Record<string, unknown>;
    expect(out).toMatchObject({
      get: 'v1',
      missing: null,
      nx1: true,
      nx2: false,
      ttlNone: -1,
      ttlMissing: -2,
      incr1: '1',
      incr2: '2',
      del: true,
      delAgain: false,
      afterDel: null,
    });
    expect(out.ttlSet).toBeGreaterThan(55);
    expect(out.ttlSet).toBeLessThanOrEqual(60);
    expect(out.emptyKey).toMatch(/TykStorageSet: the key must be 1 to 256 bytes/);
    expect(out.longKey).toMatch(/TykStorageSet/);
    expect(out.bigValue).toMatch(/TykStorageSet/);
    expect(out.badTtl).toMatch(/ttl/);
    expect(await s.store.get(storageKey('counter', { kind: 'org', orgId: 'org-s' }))).toBe('2');
    expect(await s.store.get(storageKey('claim', { kind: 'org', orgId: 'org-s' }))).toBe('a');
  });

  it('keeps each organisation in its own namespace when two tenants use the same key', async () => {
    const file = await loadHandler(s, `if (event.Meta.write) TykStorageSet('shared', event.Meta.write); log(String(TykStorageGet('shared')));`);
    await runOne(s, event(file, { write: 'secret-of-a' }, { orgId: 'tenant-a' }));
    await runOne(s, event(file, {}, { orgId: 'tenant-b' }));
    await runOne(s, event(file, {}, { orgId: 'tenant-a' }));
    await runOne(s, event(file, {}, { scope: { kind: 'gateway' } }));
    expect(logged(s, file)).toEqual(['secret-of-a', 'null', 'secret-of-a', 'null']);
  });
});

describe.each(STORES)('session bindings on the %s store', (_kind, makeStore) => {
  const current = sandboxOver(makeStore);
  let t: TestSandbox;
  beforeAll(() => {
    t = current();
  });

  it('read and write sessions of the handler organisation and keep quota counters with suppressReset "1"', async () => {
    await t.sessions.write('key-own', { org_id: 'org-a', quota_max: 10, quota_remaining: 3, expires: 0 });
    const file = await loadHandler(
      t,
      `var s = JSON.parse(TykGetKeyData(event.Meta.Key, context.APIID)); log(String(s.quota_remaining)); s.meta_data = { touched: true }; s.quota_remaining = 9; TykSetKeyData(event.Meta.Key, JSON.stringify(s), '1');`,
    );
    expect((await runOne(t, event(file, { Key: 'key-own' }))).ok).toBe(true);
    expect(logged(t, file)).toEqual(['3']);
    const stored = await t.sessions.get('key-own');
    expect(stored).toMatchObject({ org_id: 'org-a', meta_data: { touched: true }, quota_remaining: 3 });
  });

  it('answers Key not found for another organisation and refuses to write or move its key', async () => {
    await t.sessions.write('key-other', { org_id: 'org-z', quota_max: 5 });
    const file = await loadHandler(
      t,
      `log(TykGetKeyData('key-other', 'api')); TykSetKeyData('key-other', JSON.stringify({ org_id: 'org-a', hacked: true })); TykSetKeyData('key-new', JSON.stringify({ org_id: 'org-z' })); TykSetKeyData('key-mine', '{"quota_max": 1, "__proto__": {"polluted": true}}');`,
    );
    expect((await runOne(t, event(file))).ok).toBe(true);
    expect(logged(t, file)).toEqual(['{"status":"error","message":"Key not found"}']);
    expect(await t.sessions.get('key-other')).toEqual({ org_id: 'org-z', quota_max: 5 });
    expect(await t.sessions.get('key-new')).toBeUndefined();
    const mine = await t.sessions.get('key-mine');
    expect(mine).toMatchObject({ org_id: 'org-a', quota_max: 1 });
    expect(Object.keys(mine!)).not.toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(t.logs.filter((l) => l.file === file && l.kind === 'warn').length).toBeGreaterThanOrEqual(2);
  });

  it('answers Key not found for a key the session store refuses', async () => {
    const file = await loadHandler(t, `log(TykGetKeyData('bad\\nkey', 'api')); log(TykGetKeyData(new Array(2000).join('k'), 'api'));`);
    await runOne(t, event(file, {}, { scope: { kind: 'gateway' } }));
    expect(logged(t, file)).toEqual(['{"status":"error","message":"Key not found"}', '{"status":"error","message":"Key not found"}']);
  });

  it('reads any organisation when the handler is gateway-level but never changes org_id', async () => {
    await t.sessions.write('key-any', { org_id: 'org-q', quota_max: 2 });
    const file = await loadHandler(
      t,
      `log(JSON.parse(TykGetKeyData('key-any', '')).org_id); TykSetKeyData('key-any', JSON.stringify({ org_id: 'org-other', quota_max: 7 }));`,
    );
    await runOne(t, event(file, {}, { scope: { kind: 'gateway' } }));
    expect(logged(t, file)).toEqual(['org-q']);
    expect(await t.sessions.get('key-any')).toMatchObject({ org_id: 'org-q', quota_max: 2 });
  });
});
