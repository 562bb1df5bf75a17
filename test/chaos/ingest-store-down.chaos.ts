/**
 * The ingestion contract in durable mode, without the burst: `202` means every webhook delivery of
 * the request is in Redis. With Redis unreachable the delivery cannot be persisted, so the runtime
 * must not answer 202 (the producer would drop events it believes are safe); it answers 503 with
 * FH_STORE_UNAVAILABLE so the producer retries. Once Redis is back, the same request is accepted
 * and delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chaosEnv, type ChaosEnv } from './chaos-env.ts';
import { eventually } from '../helpers/poll.ts';

let env: ChaosEnv;
beforeAll(async () => {
  env = await chaosEnv({ persistentRedis: false });
});
afterAll(async () => {
  await env?.cleanup();
});

const post = (id: string): Promise<Response> =>
  fetch(`${env.ws.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_id: 'chaos', type: 'AuthFailure', meta: { Key: id, EventId: id } }),
  });

describe('durable ingestion with Redis down (chaos)', () => {
  it('answers 503, not 202, when the deliveries of a request could not be persisted', async () => {
    await env.startRuntime();
    expect((await post('before')).status).toBe(202);
    await eventually(() => env.receiver.delivered.has('before'), 'first event delivered');

    await env.redis.stop(true);
    const during = await post('during');
    expect(during.status).toBe(503);
    expect(during.headers.get('x-firehook-error-code')).toBe('FH_STORE_UNAVAILABLE');
    expect(during.headers.get('retry-after')).not.toBeNull();

    await env.redis.start();
    await eventually(async () => (await post('after')).status === 202, 'accepted again once Redis is back', 20_000);
    await eventually(() => env.receiver.delivered.has('after'), 'delivered after recovery');
  });
});
