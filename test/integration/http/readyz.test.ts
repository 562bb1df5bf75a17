/**
 * `/readyz` while Redis is away: its own redis-server, paused (connected but silent) and killed.
 * Readiness must never wait for the store's command timeout: with Redis paused, the answer (503)
 * comes before a store command sent just before it has timed out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../../chaos/redis-process.ts';
import { eventually } from '../../helpers/poll.ts';
import { startHarness, workspace, type AdminHarness, type Workspace } from '../admin/helpers.ts';

describe('/readyz with Redis down', () => {
  let redis: RedisProcess;
  let ws: Workspace;
  let h: AdminHarness;
  beforeAll(async () => {
    redis = await startRedis({ persistent: false });
    ws = await workspace({ memory: true, gateway: { storage: { type: 'redis', host: '127.0.0.1', port: redis.port, key_prefix: 'fh-readyz:' } } });
    h = await startHarness(ws.config);
  }, 30_000);
  afterAll(async () => {
    if (redis?.pid) process.kill(redis.pid, 'SIGCONT');
    await h?.close();
    await redis?.close();
    await ws?.cleanup();
  });

  const readyz = async (): Promise<{ status: number; body: { status: string } }> => {
    const res = await fetch(`${h.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { status: string } };
  };

  it('answers 503 before the store command timeout while Redis is paused, and 200 once it is back', async () => {
    expect((await readyz()).status).toBe(200);
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      const command = h.runtime.store.get('readyz-probe').then(
        () => 'store command',
        () => 'store command',
      );
      const ready = readyz().then((r) => r);
      const first = await Promise.race([command, ready]);
      expect(first).toEqual({ status: 503, body: expect.objectContaining({ status: 'not ready' }) });
      await command;
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    await eventually(async () => (await readyz()).status === 200, 'ready again after SIGCONT');
  });

  it('answers 503 at once while the client reconnects to a killed Redis, and 200 after a restart', async () => {
    await redis.stop(true);
    const answer = await eventually(async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    }, '/readyz reporting not ready');
    expect(answer.body).toMatchObject({ status: 'not ready' });
    await redis.start();
    await eventually(async () => (await readyz()).status === 200, 'ready again after restart');
  });
});
