/**
 * Chaos: webhook targets that refuse, error, hang and flap during a burst, with durable delivery
 * on a dedicated Redis and the real CLI. One burst; every event goes to five receivers (one per
 * fault plus a healthy control), each counting per event id what it answered 2xx.
 *
 * At-least-once bound: a receiver counts an event delivered only when it answered 2xx, and the
 * runtime acknowledges a delivery only after reading that 2xx. Refusing, erroring and hanging
 * receivers never answer 2xx, so they cannot cause a duplicate: 0 allowed. A flapping receiver
 * drops its open connections at each flip to `refuse`; a 2xx already written but not yet read by
 * the runtime is then retried, so each flip can duplicate at most the attempts in flight to that
 * target (max_concurrency_per_target).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliProcess } from '../helpers/cli.ts';
import { produce } from './producer.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { startRedis, type RedisProcess } from './redis-process.ts';
import { outboxBacklog, printTally, tally, waitSettled } from './tally.ts';
import { createWorkspace, startFirehook, type Workspace } from './workspace.ts';
import { eventually } from '../helpers/poll.ts';

const EVENTS = 3_000;
const CONCURRENCY_PER_TARGET = 16;
const FAULT_MS = 5_000;
const FLAP_PERIOD_MS = 400;

let redis: RedisProcess;
let ws: Workspace;
let cli: CliProcess | undefined;
const receivers: Record<'healthy' | 'refuses' | 'errors' | 'hangs' | 'flaps', Receiver> = {} as never;

beforeAll(async () => {
  redis = await startRedis({ persistent: false });
  for (const name of ['healthy', 'refuses', 'errors', 'hangs', 'flaps'] as const) receivers[name] = await startReceiver();
  ws = await createWorkspace({
    redisUrl: redis.url,
    targets: Object.values(receivers).map((r) => r.url),
    gateway: {
      webhooks: {
        timeout: '1s',
        retry_schedule: ['100ms', '200ms', '500ms', ...Array<string>(27).fill('1s')],
        max_concurrency_per_target: CONCURRENCY_PER_TARGET,
      },
    },
  });
  cli = await startFirehook(ws);
});

afterAll(async () => {
  await cli?.stop('SIGKILL');
  for (const r of Object.values(receivers)) await r?.close();
  await redis?.close();
  await ws?.remove();
});

describe('durable delivery under target faults (chaos)', () => {
  it('loses no accepted event when targets refuse, error, hang and flap during a burst', async () => {
    const production = produce({ url: ws.url, total: EVENTS, batch: 20, concurrency: 4, idPrefix: 'tf' });
    await eventually(() => production.accepted.size >= EVENTS / 5, 'burst under way', 30_000);
    let flips = 0;
    const flapping = (async () => {
      const end = Date.now() + FAULT_MS;
      while (Date.now() < end) {
        await receivers.flaps.setMode(receivers.flaps.mode === 'refuse' ? 'ok' : 'refuse');
        if (receivers.flaps.mode === 'refuse') flips++;
        await new Promise((resolve) => setTimeout(resolve, FLAP_PERIOD_MS));
      }
      await receivers.flaps.setMode('ok');
    })();
    await Promise.all([receivers.refuses.setMode('refuse'), receivers.errors.setMode('error'), receivers.hangs.setMode('hang')]);
    const faultStartedAt = production.sent;
    // the fault lasts FAULT_MS of burst time: a pause that is the fault itself
    await new Promise((resolve) => setTimeout(resolve, FAULT_MS));
    await Promise.all([receivers.refuses.setMode('ok'), receivers.errors.setMode('ok'), receivers.hangs.setMode('ok'), flapping]);
    const faultEndedAt = production.sent;
    await production.done;
    expect(production.rejected.size, `requests failed: ${JSON.stringify([...production.failures])}`).toBe(0);
    expect(faultEndedAt, 'the burst outlasted the faults').toBeGreaterThan(faultStartedAt);

    // A breaker opened by the fault stays open 30 s before its probe: allow for it.
    await Promise.all(Object.values(receivers).map((r) => waitSettled(production.accepted, r.delivered, redis.client, 120_000)));
    const results = Object.fromEntries(Object.entries(receivers).map(([name, r]) => [name, tally(production.accepted, r.delivered)]));
    const retried = (r: Receiver): number => cli!.lines.filter((l) => l.msg === 'webhook attempt failed; will retry' && String(l.url).startsWith(r.url)).length;
    for (const [name, t] of Object.entries(results)) {
      const r = receivers[name as keyof typeof receivers];
      printTally(`target-${name}`, t, `${retried(r)} failed attempts retried, ${r.arrivals} requests reached the receiver`);
    }
    const backlog = await outboxBacklog(redis.client);
    expect(backlog).toEqual({ unread: 0, pending: 0, delayed: 0, dead: 0 });
    for (const [name, t] of Object.entries(results)) {
      expect(t.accepted, name).toBe(EVENTS);
      expect(t.lost, `${name} lost ${t.lostSample.join(', ')}`).toBe(0);
    }
    expect(results.healthy!.duplicated).toBe(0);
    expect(results.refuses!.duplicated).toBe(0);
    expect(results.errors!.duplicated).toBe(0);
    expect(results.hangs!.duplicated).toBe(0);
    expect(results.flaps!.duplicated).toBeLessThanOrEqual(flips * CONCURRENCY_PER_TARGET);
    // the faults were real: the runtime saw failed attempts for every faulty target, none for the healthy one
    expect(retried(receivers.healthy)).toBe(0);
    for (const name of ['refuses', 'errors', 'hangs', 'flaps'] as const) expect(retried(receivers[name]), name).toBeGreaterThan(0);
  });
});
