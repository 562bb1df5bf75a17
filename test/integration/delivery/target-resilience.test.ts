import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryService, type ManagedDeliveryService } from '../../../core/delivery/index.ts';
import type { DeliveryTuning } from '../../../core/delivery/tuning.ts';
import type { WebhookDefaultsConfig } from '../../../core/config/gateway-config.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { freePort, options, request, silentLogger, startSink, type Reply, type Received, type Sink } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sink(reply?: (req: Received) => Reply, port?: number): Promise<Sink> {
  const s = await startSink(reply, port);
  cleanups.push(() => s.close());
  return s;
}

function service(tuning: Partial<DeliveryTuning>, defaults: WebhookDefaultsConfig = {}): ManagedDeliveryService {
  const store = new MemoryStore();
  const svc = createDeliveryService({ store, logger: silentLogger(), defaults, tuning: { jitter: 0, ...tuning } });
  cleanups.push(() => store.close());
  cleanups.push(() => svc.close(1_000));
  return svc;
}

describe('DeliveryService targets', () => {
  it('delivers everything once when the target comes back after being down', async () => {
    const port = await freePort();
    const svc = service({ breakerThreshold: 3, breakerOpenMs: 200, breakerMaxOpenMs: 400 });
    const ids = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const r = await svc.submit(request(`http://127.0.0.1:${port}/hook`, { body: `{"n":${i}}`, options: options({ retryScheduleMs: Array(40).fill(100) }) }));
      if (r.status === 'queued') ids.add(r.id);
    }
    await eventually(() => svc.stats().retries >= 3, 'failed attempts while down');
    const s = await sink(undefined, port);
    await eventually(() => svc.stats().delivered === 25, 'all delivered');
    expect(new Set(s.received.map((r) => String(r.headers['webhook-id'])))).toEqual(ids);
    expect(new Set(s.received.map((r) => r.body)).size).toBe(25);
    expect(s.received).toHaveLength(25);
    expect(svc.stats().failed).toBe(0);
  });

  it('opens the breaker after sustained failure, sends nothing while open, then probes once before resuming', async () => {
    let healthy = false;
    const s = await sink(() => (healthy ? { status: 200, delayMs: 30 } : { status: 503, delayMs: 30 }));
    const openMs = 600;
    // The breaker as the gateway config's `webhooks.breaker` sets it.
    const svc = service({ maxConcurrencyPerTarget: 1 }, { breaker: { failures: 3, open: '600ms', max_open: '600ms' } });
    for (let i = 0; i < 6; i++) await svc.submit(request(`${s.url}/hook`, { options: options({ retryScheduleMs: Array(20).fill(20) }) }));
    await eventually(() => svc.stats().openBreakers.includes(s.url), 'breaker open');
    const openedAt = s.received[2]!.respondedAt!;
    expect(s.received).toHaveLength(3);
    healthy = true;
    await eventually(() => svc.stats().delivered === 6, 'all delivered after recovery');
    const probe = s.received[3]!;
    // Nothing was sent while the breaker was open; the probe went alone, the rest followed its answer.
    expect(probe.arrivedAt - openedAt).toBeGreaterThanOrEqual(openMs - 50);
    expect(s.received[4]!.arrivedAt).toBeGreaterThanOrEqual(probe.respondedAt!);
    expect(svc.stats().openBreakers).toEqual([]);
    expect(svc.stats().failed).toBe(0);
  });

  it('reopens for longer when the half-open probe fails', async () => {
    const s = await sink(() => ({ status: 500 }));
    const svc = service({ breakerThreshold: 2, breakerOpenMs: 300, breakerMaxOpenMs: 5_000, maxConcurrencyPerTarget: 1 });
    await svc.submit(request(`${s.url}/hook`, { options: options({ retryScheduleMs: Array(10).fill(10) }) }));
    await eventually(() => s.received.length === 4, 'two probes');
    const [, second, probe1, probe2] = s.received;
    expect(probe1!.arrivedAt - second!.respondedAt!).toBeGreaterThanOrEqual(280);
    expect(probe2!.arrivedAt - probe1!.respondedAt!).toBeGreaterThanOrEqual(560);
  });

  it('caps concurrency per target so a slow receiver does not starve a fast one', async () => {
    const slow = await sink(() => ({ status: 200, delayMs: 300 }));
    const fast = await sink(() => ({ status: 200 }));
    const svc = service({ maxConcurrencyPerTarget: 2 });
    for (let i = 0; i < 10; i++) await svc.submit(request(`${slow.url}/slow`));
    for (let i = 0; i < 5; i++) await svc.submit(request(`${fast.url}/fast`));
    await eventually(() => fast.received.length === 5, 'fast target served');
    expect(slow.received.length).toBeLessThanOrEqual(4);
    await eventually(() => svc.stats().delivered === 15);
    expect(slow.maxInFlight).toBe(2);
  });
});
