/**
 * Chaos: the runtime is SIGKILLed mid-burst and started again (real CLI, durable delivery on a
 * dedicated Redis), while the producer keeps sending.
 *
 * At-least-once bound: the only deliveries that can reach the receiver twice are those the killed
 * process had read from the outbox and not yet recorded as settled (in its pending entries in the
 * consumer group, less those an entry of several notes as settled): one of them may have been
 * answered 2xx just before the kill. The restarted process has a new consumer name (host:pid), so
 * it takes them over with XAUTOCLAIM once they have been idle for claimIdleMs (60 s) and delivers
 * them again. So duplicated <= that count, read from Redis right after the kill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chaosEnv, type ChaosEnv } from './chaos-env.ts';
import { produce } from './producer.ts';
import { pendingByConsumer, printTally, tally, unsettledInPending, waitSettled } from './tally.ts';
import { eventually } from '../helpers/poll.ts';

const EVENTS = 6_000;
const RATE = 500;

let env: ChaosEnv;
beforeAll(async () => {
  env = await chaosEnv({ persistentRedis: false, receiverDelayMs: 20 });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('durable delivery when the runtime is killed (chaos)', () => {
  it('loses no accepted event when the runtime is SIGKILLed mid-burst and restarted', async () => {
    const first = await env.startRuntime();
    const production = produce({ url: env.ws.url, total: EVENTS, batch: 20, concurrency: 4, ratePerSec: RATE, idPrefix: 'kill' });
    await eventually(() => production.accepted.size >= EVENTS / 4 && env.receiver.delivered.size >= 100, 'burst under way', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const acceptedAtKill = production.accepted.size;
    const deliveredAtKill = env.receiver.delivered.size;
    const heldByKilled = await unsettledInPending(env.redis.client);

    const second = await env.startRuntime();
    await production.done;
    expect(production.accepted.size, 'the restarted runtime accepted events').toBeGreaterThan(acceptedAtKill);
    await waitSettled(production.accepted, env.receiver.delivered, env.redis.client, 150_000);
    const t = tally(production.accepted, env.receiver.delivered);
    printTally(
      'runtime-sigkill',
      t,
      `killed at ${acceptedAtKill} accepted / ${deliveredAtKill} delivered, ${heldByKilled} unsettled deliveries held by the killed process, ${production.rejected.size} not accepted while down`,
    );
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(t.duplicated).toBeLessThanOrEqual(heldByKilled);
    // the killed consumer's entries were taken over, not left behind
    expect(await pendingByConsumer(env.redis.client)).toEqual({});
    expect(second.child.exitCode).toBeNull();
  });
});
