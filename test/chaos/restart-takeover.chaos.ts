/**
 * Chaos: the runtime is SIGKILLed while it holds many deliveries (read from the outbox, not yet
 * settled; a slow receiver keeps them waiting) and started again (real CLI, durable delivery on a
 * dedicated Redis). The restarted runtime has a new consumer name (host:pid), and `claim_idle` is
 * 120 s: XAUTOCLAIM could not take the killed runtime's entries before that. They must arrive
 * within seconds through the liveness rule (the killed consumer's stamp goes stale after the
 * liveness period, 10 s), and the killed consumer's name must then leave the group.
 *
 * Bound: duplicated <= the deliveries the killed process held and had not recorded as settled
 * (one of them may have been answered 2xx just before the kill), each under its one `webhook-id`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chaosEnv, type ChaosEnv } from './chaos-env.ts';
import { produce } from './producer.ts';
import { groupConsumers, multiplied, pendingByConsumer, printTally, tally, unsettledInPending, waitSettled } from './tally.ts';
import { eventually } from '../helpers/poll.ts';

const EVENTS = 2_000;
const CLAIM_IDLE_MS = 120_000;

let env: ChaosEnv;
beforeAll(async () => {
  env = await chaosEnv({
    persistentRedis: false,
    receiverDelayMs: 100,
    gateway: {
      webhooks: {
        timeout: '10s',
        retry_schedule: ['100ms', '200ms', '500ms', ...Array<string>(27).fill('1s')],
        max_concurrency_per_target: 16,
        claim_idle: `${CLAIM_IDLE_MS / 1000}s`,
      },
    },
  });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('a restarted runtime takes back the deliveries of its killed predecessor (chaos)', () => {
  it('delivers the killed runtime pending deliveries within seconds, not claim_idle, and removes the dead consumer', async () => {
    const first = await env.startRuntime();
    const production = produce({ url: env.ws.url, total: EVENTS, batch: 50, concurrency: 4, idPrefix: 'takeover' });
    await production.done;
    await eventually(() => env.receiver.delivered.size >= 200, 'deliveries under way', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    const deliveredAtKill = env.receiver.delivered.size;
    const held = await pendingByConsumer(env.redis.client);
    const heldByKilled = await unsettledInPending(env.redis.client);
    expect(heldByKilled, 'the killed runtime held deliveries').toBeGreaterThan(0);
    const deadConsumers = Object.keys(held);

    const second = await env.startRuntime();
    // Everything accepted arrives before claim_idle would have let XAUTOCLAIM take it.
    await eventually(
      () => tally(production.accepted, env.receiver.delivered).lost === 0,
      'every accepted event delivered before claim_idle',
      CLAIM_IDLE_MS - (Date.now() - killedAt),
    );
    const tookMs = Date.now() - killedAt;
    await waitSettled(production.accepted, env.receiver.delivered, env.redis.client, 60_000);
    const t = tally(production.accepted, env.receiver.delivered);
    const renamed = multiplied(env.receiver.webhookIds);
    printTally(
      'restart-takeover',
      t,
      `killed at ${deliveredAtKill} delivered holding ${heldByKilled} unsettled deliveries (${JSON.stringify(held)}); all delivered ${tookMs} ms after the kill (claim_idle ${CLAIM_IDLE_MS} ms); events under >1 webhook-id ${renamed.count}; ${production.rejected.size} not accepted`,
    );
    expect(tookMs).toBeLessThan(CLAIM_IDLE_MS);
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(t.duplicated).toBeLessThanOrEqual(heldByKilled);
    expect(renamed.count, `events delivered under several webhook-ids: ${renamed.sample.join(', ')}`).toBe(0);
    // The killed consumer's name leaves the group once it holds nothing; only the live one stays.
    const live = await eventually(async () => {
      const names = await groupConsumers(env.redis.client);
      return names.length === 1 && !deadConsumers.includes(names[0]!) ? names : undefined;
    }, 'dead consumer removed from the group');
    console.log(`chaos restart-takeover: consumers before ${JSON.stringify(deadConsumers)}, after ${JSON.stringify(live)}`);
    expect(second.child.exitCode).toBeNull();
  });
});
