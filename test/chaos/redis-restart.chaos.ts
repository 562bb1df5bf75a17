/**
 * Chaos: Redis is killed and restarted mid-burst under durable delivery (real CLI). This Redis
 * runs with an append-only file fsynced on every write (its own temp dir), so whatever Redis
 * acknowledged survives the restart; a Redis without persistence would lose by design every
 * delivery persisted only in Redis and not yet done (see docs/performance.md).
 *
 * "Accepted" = the producer got 202. In durable mode the 202 promises the deliveries are in Redis.
 * While Redis is down the runtime must not promise that: lost must be 0.
 *
 * At-least-once bound: an attempt answered 2xx whose acknowledgement could not be written (Redis
 * unreachable) stays pending and is delivered again once it is claimed back (XAUTOCLAIM after
 * claimIdleMs, 60 s). So duplicated <= the 2xx answers given from the kill until the runtime's
 * Redis connection is back (its /readyz answers 200 again), plus one in-flight window before the
 * kill (max_concurrency_per_target, 16: answered, acknowledgement not yet written).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chaosEnv, type ChaosEnv } from './chaos-env.ts';
import { produce } from './producer.ts';
import { printTally, tally, waitSettled } from './tally.ts';
import { eventually } from '../helpers/poll.ts';

const EVENTS = 6_000;
const RATE = 500;
const DOWN_MS = 1_500;

let env: ChaosEnv;
beforeAll(async () => {
  env = await chaosEnv({ persistentRedis: true, receiverDelayMs: 20 });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('durable delivery when Redis restarts (chaos)', () => {
  it('loses no accepted event when Redis is killed and restarted mid-burst', async () => {
    await env.startRuntime();
    const production = produce({ url: env.ws.url, total: EVENTS, batch: 20, concurrency: 4, ratePerSec: RATE, idPrefix: 'redis' });
    await eventually(() => production.accepted.size >= EVENTS / 4 && env.receiver.delivered.size >= 100, 'burst under way', 60_000);
    const deliveredBefore = [...env.receiver.delivered.values()].reduce((a, b) => a + b, 0);
    const acceptedBefore = production.accepted.size;
    await env.redis.restart(DOWN_MS, true);
    await eventually(async () => (await fetch(`${env.ws.url}/readyz`).catch(() => undefined))?.status === 200, 'runtime reconnected to Redis', 30_000);
    const answeredDuringOutage = [...env.receiver.delivered.values()].reduce((a, b) => a + b, 0) - deliveredBefore;
    const acceptedDuringOutage = production.accepted.size - acceptedBefore;
    await production.done;
    await waitSettled(production.accepted, env.receiver.delivered, env.redis.client, 150_000);
    const t = tally(production.accepted, env.receiver.delivered);
    printTally(
      'redis-restart',
      t,
      `Redis down ${DOWN_MS} ms (AOF, fsync always); until reconnected ${acceptedDuringOutage} accepted, ${answeredDuringOutage} answered; ${production.rejected.size} not accepted: ${JSON.stringify(Object.fromEntries(production.failures))}`,
    );
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(t.duplicated).toBeLessThanOrEqual(answeredDuringOutage + 16);
  });
});
