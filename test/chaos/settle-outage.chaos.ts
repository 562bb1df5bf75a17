/**
 * Chaos: Redis is killed while the runtime is settling deliveries (real CLI, durable delivery,
 * a dedicated Redis with an append-only file fsynced on every write) and started again.
 *
 * Attempts answered 2xx while Redis is down cannot be acknowledged. The runtime keeps those
 * settles (their entries stay held by it) and records them once Redis is back, so they are not
 * taken over and sent again `claim_idle` later. The receiver answers after 100 ms, the timeout is
 * 2 s and Redis stays down 4 s (settings under which delivery was once reported to stall). Bound:
 * every accepted event delivered, every event under one `webhook-id`; duplicated no more than the
 * attempts that ended without an answer (a timed-out attempt the receiver did answer is sent
 * again, under the same `webhook-id`; no settle is re-sent, nothing crashed); and no late wave:
 * nothing more arrives for two `claim_idle` after everything settled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chaosEnv, type ChaosEnv } from './chaos-env.ts';
import { produce } from './producer.ts';
import { outboxBacklog, pendingByConsumer, answered, multiplied, printTally, tally, waitSettled } from './tally.ts';
import { eventually } from '../helpers/poll.ts';

const EVENTS = 4_000;
const RATE = 400;
const CLAIM_IDLE_MS = 5_000;
const DOWN_MS = 4_000;

let env: ChaosEnv;
beforeAll(async () => {
  env = await chaosEnv({
    persistentRedis: true,
    receiverDelayMs: 100,
    gateway: {
      webhooks: {
        timeout: '2s',
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

describe('durable delivery when Redis stops while deliveries are settled (chaos)', () => {
  it('records the settles kept during the outage: every accepted event delivered once, no late wave after claim_idle', async () => {
    const cli = await env.startRuntime();
    const production = produce({ url: env.ws.url, total: EVENTS, batch: 20, concurrency: 4, ratePerSec: RATE, idPrefix: 'settle' });
    await eventually(() => production.accepted.size >= EVENTS / 4 && env.receiver.delivered.size >= 200, 'burst under way', 60_000);
    const answeredBefore = answered(env.receiver.delivered);
    await env.redis.stop(true);
    const kept = await cli.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('could not record settled deliveries'), 30_000);
    // The outage itself (a fault pattern, not synchronisation).
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    const answeredDuringOutage = answered(env.receiver.delivered) - answeredBefore;
    await env.redis.start();
    const restartedAt = Date.now();
    await eventually(async () => (await fetch(`${env.ws.url}/readyz`).catch(() => undefined))?.status === 200, 'runtime reconnected to Redis', 30_000);
    await production.done;
    try {
      await waitSettled(production.accepted, env.receiver.delivered, env.redis.client, 150_000);
    } catch (e) {
      // What the runtime still holds, for the failure report.
      console.log(
        'DEBUG',
        env.receiver.arrivals,
        env.receiver.failedAnswers,
        JSON.stringify(tally(production.accepted, env.receiver.delivered)),
        JSON.stringify(await outboxBacklog(env.redis.client)),
        JSON.stringify(await pendingByConsumer(env.redis.client)),
      );
      const m = await (await fetch(`${env.ws.url}/metrics`)).text().catch(() => '');
      console.log(
        'METRICS',
        m
          .split('\n')
          .filter((x) => /firehook_delivery_queue|deliveries_total/.test(x) && !x.startsWith('#'))
          .join(' | '),
      );
      const p = (await env.redis.client.xpending('{firehook:delivery}:outbox', 'firehook', '-', '+', 10)) as unknown[];
      console.log(
        'PENDING',
        JSON.stringify(p),
        JSON.stringify(await env.redis.client.xinfo('CONSUMERS', '{firehook:delivery}:outbox', 'firehook')),
        JSON.stringify(await env.redis.client.hgetall('{firehook:delivery}:consumers')),
        await env.redis.client.hlen('{firehook:delivery}:done'),
      );
      for (const l of cli.lines.filter((x) => Number(x.level) >= 30 && x.msg !== 'listening').slice(-40)) console.log('LOG', JSON.stringify(l).slice(0, 400));
      throw e;
    }

    // A late wave would come claim_idle after the entries were last refreshed: watch two of them.
    const settledAnswers = answered(env.receiver.delivered);
    const watchUntil = Math.max(Date.now(), restartedAt) + 2 * CLAIM_IDLE_MS;
    await eventually(() => answered(env.receiver.delivered) !== settledAnswers || Date.now() > watchUntil, 'two claim_idle passed', 4 * CLAIM_IDLE_MS + 15_000);
    const lateWave = answered(env.receiver.delivered) - settledAnswers;

    const t = tally(production.accepted, env.receiver.delivered);
    const metrics = await (await fetch(`${env.ws.url}/metrics`)).text();
    const unanswered = metrics
      .split('\n')
      .filter((line) => line.startsWith('firehook_delivery_attempt_errors_total'))
      .reduce((n, line) => n + Number(line.split(' ').at(-1)), 0);
    const renamed = multiplied(env.receiver.webhookIds);
    printTally(
      'settle-outage',
      t,
      `Redis down ${DOWN_MS} ms (claim_idle ${CLAIM_IDLE_MS} ms, AOF fsync always); ${answeredDuringOutage} answered 2xx while down, first kept batch ${String(kept.unsettled)} settles; late wave ${lateWave}; ${unanswered} attempts without an answer; events under >1 webhook-id ${renamed.count}; ${production.rejected.size} not accepted: ${JSON.stringify(Object.fromEntries(production.failures))}`,
    );
    expect(answeredDuringOutage, 'attempts were answered while Redis was down').toBeGreaterThan(0);
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(lateWave, 'nothing sent again after claim_idle').toBe(0);
    expect(renamed.count, `events delivered under several webhook-ids: ${renamed.sample.join(', ')}`).toBe(0);
    expect(t.duplicated, 'duplicates only from attempts that ended without an answer').toBeLessThanOrEqual(unanswered);
  });
});
