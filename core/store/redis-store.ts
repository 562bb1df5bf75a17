import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { StoreError } from '../errors/firehook-error.ts';
import type { StorageConfig } from '../config/gateway-config.ts';
import { checkKeyValue } from './memory-store.ts';
import { ioredisClient } from './ioredis-client.ts';
import type { RedisConnection } from './redis-connection.ts';
import type { Store } from './store.ts';

const DEL_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const INCR_WITH_TTL = `local v = redis.call('INCR', KEYS[1])
if v == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`;

export interface RedisStoreOptions {
  /** A redis:// or rediss:// URL; overrides the Tyk `storage` host keys. */
  url?: string;
  storage?: Partial<StorageConfig>;
  /** Prefix for every key (tests use a unique one). */
  keyPrefix?: string;
  /** ms before a command fails with FH_STORE_UNAVAILABLE. */
  commandTimeoutMs?: number;
  onError?: (error: Error) => void;
}

type Client = Redis | Cluster;

/** Longest a readiness PING may take. */
const PING_TIMEOUT_MS = 500;

/**
 * The Redis store (ioredis, single node or cluster per Tyk's `storage` keys). When Redis is
 * unreachable, operations fail with FH_STORE_UNAVAILABLE and the client keeps reconnecting.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  /**
   * The connection, for subsystems that need Redis-only features (streams, pub/sub): pass it to
   * `createDeliveryService({ redis })`, `RedisDeliveryAdmin`, `RedisWebhookBackend`.
   */
  readonly client: RedisConnection;
  private closed = false;

  constructor(options: RedisStoreOptions = {}) {
    const storage = options.storage ?? {};
    const common: RedisOptions = {
      keyPrefix: options.keyPrefix ?? storage.key_prefix ?? '',
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
      ...(storage.username ? { username: storage.username } : {}),
      ...(storage.password ? { password: storage.password } : {}),
      ...(storage.use_ssl ? { tls: {} } : {}),
    };
    let client: Client;
    if (storage.enable_cluster && !options.url) {
      const addrs = storage.addrs && storage.addrs.length > 0 ? storage.addrs : [`${storage.host ?? '127.0.0.1'}:${storage.port ?? 6379}`];
      client = new Cluster(
        addrs.map((a) => {
          const [host, port] = splitHostPort(a);
          return { host, port };
        }),
        { redisOptions: common, keyPrefix: common.keyPrefix ?? '' },
      );
    } else if (options.url) {
      client = new Redis(options.url, common);
    } else {
      client = new Redis({ ...common, host: storage.host || '127.0.0.1', port: storage.port || 6379, db: storage.database ?? 0 });
    }
    client.on('error', (error: Error) => options.onError?.(error));
    this.client = client;
  }

  private get redis(): Client {
    return ioredisClient(this.client);
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (/not an integer|out of range|WRONGTYPE/i.test(message)) {
        throw new StoreError('FH_STORE_INVALID_ARGUMENT', message, { cause: error });
      }
      throw new StoreError('FH_STORE_UNAVAILABLE', `redis: ${message}`, { cause: error });
    }
  }

  async get(key: string): Promise<string | null> {
    checkKeyValue(key);
    return this.run(() => this.redis.get(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    checkKeyValue(key, value);
    await this.run(() => (ttlMs !== undefined && ttlMs > 0 ? this.redis.set(key, value, 'PX', Math.ceil(ttlMs)) : this.redis.set(key, value)));
  }

  async setNX(key: string, value: string, ttlMs?: number): Promise<boolean> {
    checkKeyValue(key, value);
    const reply = await this.run(() =>
      ttlMs !== undefined && ttlMs > 0 ? this.redis.set(key, value, 'PX', Math.ceil(ttlMs), 'NX') : this.redis.set(key, value, 'NX'),
    );
    return reply === 'OK';
  }

  async del(key: string): Promise<boolean> {
    checkKeyValue(key);
    return (await this.run(() => this.redis.del(key))) > 0;
  }

  async delIfEquals(key: string, value: string): Promise<boolean> {
    checkKeyValue(key, value);
    return (await this.run(() => this.redis.eval(DEL_IF_EQUALS, 1, key, value))) === 1;
  }

  async pttl(key: string): Promise<number> {
    checkKeyValue(key);
    return this.run(() => this.redis.pttl(key));
  }

  async incr(key: string, ttlMs?: number): Promise<number> {
    checkKeyValue(key);
    return Number(await this.run(() => this.redis.eval(INCR_WITH_TTL, 1, key, String(Math.ceil(ttlMs ?? 0)))));
  }

  /**
   * Readiness: fails at once while the client has lost Redis and is reconnecting (instead of
   * queueing a PING for the command timeout), and within `PING_TIMEOUT_MS` otherwise (first
   * connection under way, or connected but silent).
   */
  async ping(): Promise<void> {
    if (['reconnecting', 'close', 'end'].includes(this.redis.status))
      throw new StoreError('FH_STORE_UNAVAILABLE', `redis: not connected (${this.redis.status})`);
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreError('FH_STORE_UNAVAILABLE', `redis: no answer to PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.run(() => this.redis.ping()), silent]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  if (i <= 0) return [address, 6379];
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1)) || 6379];
}
