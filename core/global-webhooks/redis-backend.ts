/**
 * Global webhooks in Redis: one hash (id -> record JSON) and a version counter under one hash tag
 * (so Redis Cluster keeps them together), written by a compare-and-set script that also bumps the
 * version and publishes the id on a channel. Keys get the store's `key_prefix` through the client;
 * the channel name carries it explicitly.
 */
import type { Redis } from 'ioredis';
import { ioredisClient, type IoredisClient } from '../store/ioredis-client.ts';
import type { RedisConnection } from '../store/redis-connection.ts';
import type { GlobalWebhookRecord } from './global-webhook.ts';
import type { WebhookBackend } from './backend.ts';

const TAG = '{firehook:global-webhooks}';

const WRITE = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
local rev = 0
if cur then rev = tonumber(cjson.decode(cur).revision) or 0 end
if rev ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1`;

export class RedisWebhookBackend implements WebhookBackend {
  readonly kind = 'redis' as const;
  private readonly hash = `${TAG}:defs`;
  private readonly counter = `${TAG}:version`;
  private readonly channel: string;
  private readonly redis: IoredisClient;

  /** `redis`: the store's connection (`RedisStore.client`); `keyPrefix`: the store's key prefix (for the channel name). */
  constructor(redis: RedisConnection, keyPrefix: string) {
    this.redis = ioredisClient(redis);
    this.channel = `${keyPrefix}${TAG}:changed`;
  }

  async all(): Promise<GlobalWebhookRecord[]> {
    const entries = await this.redis.hgetall(this.hash);
    return Object.values(entries).map((text) => JSON.parse(text) as GlobalWebhookRecord);
  }

  async get(id: string): Promise<GlobalWebhookRecord | undefined> {
    const text = await this.redis.hget(this.hash, id);
    return text === null ? undefined : (JSON.parse(text) as GlobalWebhookRecord);
  }

  async write(record: GlobalWebhookRecord, expectedRevision: number): Promise<boolean> {
    const done = await this.redis.eval(WRITE, 2, this.hash, this.counter, record.id, String(expectedRevision), JSON.stringify(record), this.channel);
    return done === 1;
  }

  async version(): Promise<number> {
    return Number((await this.redis.get(this.counter)) ?? 0);
  }

  async subscribe(onChange: (id: string) => void): Promise<() => Promise<void>> {
    const subscriber = (this.redis as Redis).duplicate();
    subscriber.on('error', () => undefined); // reconnects on its own; the version poll covers the gap
    subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.channel) onChange(id);
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      subscriber.disconnect();
    };
  }
}
