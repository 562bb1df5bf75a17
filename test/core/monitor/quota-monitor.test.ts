import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { MonitorConfig } from '../../../core/config/gateway-config.ts';
import type { TriggerMeta } from '../../../core/event.ts';
import { createQuotaMonitor } from '../../../core/monitor/quota-monitor.ts';
import type { Session } from '../../../core/sessions/session-store.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import type { Store } from '../../../core/store/store.ts';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const BASE: MonitorConfig = {
  enable_trigger_monitors: true,
  configuration: {},
  global_trigger_limit: 0,
  monitor_user_keys: true,
  monitor_org_keys: false,
};

function setup(config: Partial<MonitorConfig> = {}, store: Store = new MemoryStore()) {
  stores.push(store);
  let clock = 1_700_000_000_000;
  const events: TriggerMeta[] = [];
  const monitor = createQuotaMonitor({
    config: { ...BASE, ...config },
    store,
    fireSystem: (type, meta) => {
      expect(type).toBe('TriggerExceeded');
      events.push(meta);
    },
    logger: pino({ level: 'silent' }),
    now: () => clock,
  });
  return { monitor, events, advance: (ms: number) => (clock += ms), nowSeconds: () => Math.floor(clock / 1000) };
}

function session(remaining: number, renews: number, limits: number[], extra: Partial<Session> = {}): Session {
  return { org_id: 'org1', quota_max: 100, quota_remaining: remaining, quota_renews: renews, monitor: { trigger_limits: limits }, ...extra };
}

describe('createQuotaMonitor', () => {
  for (const limits of [
    [90, 75, 50],
    [50, 75, 90],
  ]) {
    it(`fires 50, 75 and 90 once each as usage climbs when the list is ${JSON.stringify(limits)}`, async () => {
      const { monitor, events, nowSeconds } = setup();
      const renews = nowSeconds() + 3600;
      const fired: number[] = [];
      for (let used = 1; used <= 100; used++) fired.push(...(await monitor.check(session(100 - used, renews, limits), 'key-1')).fired);
      expect(fired).toEqual([50, 75, 90]);
      expect(events.map((e) => e.TriggerLimit)).toEqual([50, 75, 90]);
      expect(events[0]).toEqual({
        Message: 'Quota trigger reached',
        OriginatingRequest: '',
        OrgID: 'org1',
        Key: 'key-1',
        TriggerLimit: 50,
        UsagePercentage: 50,
      });
    });
  }

  it('fires every crossed threshold at once when usage jumps, with integer percentages', async () => {
    const { monitor, events, nowSeconds } = setup({ global_trigger_limit: 80 });
    const result = await monitor.check({ ...session(0, nowSeconds() + 60, [33.3, 50]), quota_max: 3, quota_remaining: 0 }, 'k');
    expect(result.fired).toEqual([33, 50, 80]);
    expect(events.map((e) => [e.TriggerLimit, e.UsagePercentage])).toEqual([
      [33, 100],
      [50, 100],
      [80, 100],
    ]);
  });

  it('fires again in the next quota period', async () => {
    const { monitor, nowSeconds, advance } = setup();
    const first = nowSeconds() + 10;
    expect((await monitor.check(session(40, first, [50]), 'k')).fired).toEqual([50]);
    expect((await monitor.check(session(30, first, [50]), 'k')).fired).toEqual([]);
    advance(11_000);
    expect((await monitor.check(session(30, first, [50]), 'k')).fired).toEqual([]); // renewal passed: skipped
    expect((await monitor.check(session(30, nowSeconds() + 3600, [50]), 'k')).fired).toEqual([50]);
  });

  it('never fires for unlimited quotas, missing renewal or disabled monitors', async () => {
    const a = setup();
    expect((await a.monitor.check(session(0, a.nowSeconds() + 60, [50], { quota_max: -1 }), 'k')).fired).toEqual([]);
    expect((await a.monitor.check(session(0, 0, [50]), 'k')).fired).toEqual([]);
    const b = setup({ enable_trigger_monitors: false });
    expect((await b.monitor.check(session(0, b.nowSeconds() + 60, [50]), 'k')).fired).toEqual([]);
    const c = setup({ monitor_user_keys: false });
    expect((await c.monitor.check(session(0, c.nowSeconds() + 60, [50]), 'k')).fired).toEqual([]);
  });

  it('checks organisation sessions with an empty key only when monitor_org_keys is on', async () => {
    const off = setup();
    expect((await off.monitor.check(session(0, off.nowSeconds() + 60, [50]), '')).fired).toEqual([]);
    const on = setup({ monitor_org_keys: true, monitor_user_keys: false });
    expect((await on.monitor.check(session(10, on.nowSeconds() + 60, [50]), '')).fired).toEqual([50]);
    expect(on.events[0]).toMatchObject({ OrgID: 'org1', Key: '' });
  });

  it('keeps keys and organisations apart and obfuscates keys when asked', async () => {
    const { monitor, events, nowSeconds } = setup({ obfuscate_keys: true });
    const renews = nowSeconds() + 60;
    await monitor.check(session(0, renews, [50]), 'key-aaaa');
    await monitor.check(session(0, renews, [50]), 'key-bbbb');
    await monitor.check(session(0, renews, [50], { org_id: 'org2' }), 'key-aaaa');
    expect(events.map((e) => [e.OrgID, e.Key])).toEqual([
      ['org1', '****aaaa'],
      ['org1', '****bbbb'],
      ['org2', '****aaaa'],
    ]);
  });

  it('uses per-API limits when the session quota is unlimited', async () => {
    const { monitor, nowSeconds } = setup();
    const limit = { quota_max: 10, quota_remaining: 2, quota_renews: nowSeconds() + 60 };
    const s: Session = {
      org_id: 'o',
      quota_max: -1,
      monitor: { trigger_limits: [50] },
      access_rights: { a1: { limit }, a2: { limit: { ...limit, quota_remaining: 9 } } },
    };
    expect((await monitor.check(s, 'k')).fired).toEqual([50]);
    expect((await monitor.check(s, 'k')).fired).toEqual([]);
  });

  it('reads the current config on every check when given a getter (hot reload)', async () => {
    let config: MonitorConfig = { ...BASE, enable_trigger_monitors: false };
    const store = new MemoryStore();
    stores.push(store);
    const events: TriggerMeta[] = [];
    const monitor = createQuotaMonitor({ config: () => config, store, fireSystem: (_t, meta) => events.push(meta), logger: pino({ level: 'silent' }) });
    const s = session(0, Math.floor(Date.now() / 1000) + 60, [50]);
    expect((await monitor.check(s, 'k')).fired).toEqual([]);
    config = { ...BASE, global_trigger_limit: 20 };
    expect((await monitor.check(s, 'k')).fired).toEqual([20, 50]);
  });

  it('does not fire and retries later when the store fails', async () => {
    const broken = new MemoryStore();
    const setNX = broken.setNX.bind(broken);
    let fail = true;
    broken.setNX = async (...args) => {
      if (fail) throw new Error('down');
      return setNX(...args);
    };
    const { monitor, nowSeconds } = setup({}, broken);
    expect((await monitor.check(session(0, nowSeconds() + 60, [50]), 'k')).fired).toEqual([]);
    fail = false;
    expect((await monitor.check(session(0, nowSeconds() + 60, [50]), 'k')).fired).toEqual([50]);
  });
});
