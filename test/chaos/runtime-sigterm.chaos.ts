/**
 * Chaos: SIGTERM mid-burst drains (real CLI, durable delivery on a dedicated Redis). The stopping
 * runtime stops intake, lets attempts in flight finish and record, hands queued deliveries back to
 * the stream and retires its consumer; a new runtime then delivers the rest at once (no 60 s
 * XAUTOCLAIM wait, since nothing is left pending for the stopped process).
 *
 * At-least-once bound: none needed here. Every attempt either finished and was recorded before
 * the process exited, or was never started; so duplicated must be 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chaosEnv, type ChaosEnv } from './chaos-env.ts';
import { produce } from './producer.ts';
import { pendingByConsumer, printTally, tally, waitSettled } from './tally.ts';
import { eventually } from '../helpers/poll.ts';

const EVENTS = 4_000;
const RATE = 800;

let env: ChaosEnv;
beforeAll(async () => {
  env = await chaosEnv({ persistentRedis: false, receiverDelayMs: 20 });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('graceful shutdown under load (chaos)', () => {
  it('drains on SIGTERM mid-burst: nothing lost, nothing duplicated, the next runtime resumes at once', async () => {
    const first = await env.startRuntime();
    const production = produce({ url: env.ws.url, total: EVENTS, batch: 20, concurrency: 4, ratePerSec: RATE, idPrefix: 'term' });
    await eventually(() => production.accepted.size >= EVENTS / 4 && env.receiver.delivered.size >= 100, 'burst under way', 60_000);
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const stopMs = Date.now() - signalled;
    const stopped = first.lines.find((l) => l.msg === 'stopped');
    expect(code).toBe(0);
    expect(stopped).toMatchObject({ unfinished: 0, undelivered: 0 });
    expect(await pendingByConsumer(env.redis.client)).toEqual({});

    const restarted = Date.now();
    await env.startRuntime();
    await production.done;
    await waitSettled(production.accepted, env.receiver.delivered, env.redis.client, 60_000);
    const recoveryMs = Date.now() - restarted;
    const t = tally(production.accepted, env.receiver.delivered);
    printTally(
      'runtime-sigterm',
      t,
      `stopped in ${stopMs} ms, rest delivered ${recoveryMs} ms after the restart, ${production.rejected.size} not accepted while down`,
    );
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(t.duplicated).toBe(0);
    expect(recoveryMs, 'no wait for abandoned entries').toBeLessThan(30_000);
  });
});
