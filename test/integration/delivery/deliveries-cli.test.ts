import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDeliveriesCommand } from '../../../core/cli/deliveries.ts';
import { createDeliveryService, RedisDeliveryAdmin } from '../../../core/delivery/index.ts';
import { RedisStore } from '../../../core/store/redis-store.ts';
import { cleanupRedis, options, redisClient, request, silentLogger, startSink, uniquePrefix } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  process.exitCode = undefined;
});

async function cli(prefix: string, args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('firehook').exitOverride();
  registerDeliveriesCommand(
    program,
    async () => {
      const redis = redisClient();
      return { deliveries: new RedisDeliveryAdmin({ redis, keyPrefix: prefix }), close: async () => redis.disconnect() };
    },
    { out: { write: (t: string) => out.push(t) }, err: { write: (t: string) => err.push(t) } },
  );
  process.exitCode = undefined;
  await program.parseAsync(['node', 'firehook', 'deliveries', ...args]);
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out: out.join(''), err: err.join(''), exitCode };
}

describe('firehook deliveries', () => {
  it('lists, shows and replays dead letters from Redis when deliveries failed finally', async () => {
    const prefix = uniquePrefix();
    const redis = redisClient();
    const store = new RedisStore({ keyPrefix: prefix });
    let healthy = false;
    const s = await startSink(() => (healthy ? { status: 200 } : { status: 400, body: 'nope' }));
    const svc = createDeliveryService({
      store,
      logger: silentLogger(),
      defaults: {},
      redis,
      durable: true,
      keyPrefix: prefix,
      tuning: { moverIntervalMs: 20, readBlockMs: 200 },
    });
    cleanups.push(async () => {
      await svc.close(1_000);
      await s.close();
      await cleanupRedis(redis, prefix);
      await store.close();
      redis.disconnect();
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await svc.submit(
        request(`${s.url}/hook`, { body: `{"n":${i}}`, headers: { Authorization: 'Bearer cli-secret' }, options: options({ retryScheduleMs: [] }) }),
      );
      if (r.status === 'queued') ids.push(r.id);
    }
    await eventually(() => svc.stats().failed === 3);

    const list = await cli(prefix, ['list']);
    expect(list.exitCode).toBe(0);
    for (const id of ids) expect(list.out).toContain(id);
    expect(list.out).toContain('rejected');

    const show = await cli(prefix, ['show', ids[0]!]);
    expect(show.exitCode).toBe(0);
    expect(show.out).toContain('Authorization: [redacted]');
    expect(show.out).not.toContain('cli-secret');
    expect(show.out).toContain('response: nope');

    const missing = await cli(prefix, ['show', 'msg_nothing']);
    expect(missing.exitCode).toBe(1);
    expect(missing.err).toContain('FH_DELIVERY_NOT_FOUND');

    healthy = true;
    const one = await cli(prefix, ['replay', ids[0]!, 'msg_nothing']);
    expect(one.exitCode).toBe(1);
    expect(one.out).toContain(`replayed ${ids[0]}`);
    await eventually(() => svc.stats().delivered === 1);

    const all = await cli(prefix, ['replay', '--all', '--json']);
    expect(JSON.parse(all.out)).toEqual({ replayed: 2 });
    await eventually(() => svc.stats().delivered === 3);
    expect((await cli(prefix, ['list'])).out).toBe('no dead letters\n');
  });
});
