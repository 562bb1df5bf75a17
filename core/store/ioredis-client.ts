/**
 * The ioredis client behind a Firehook `RedisConnection`. Internal: the public surface names
 * `RedisConnection`; the Redis-backed subsystems work with ioredis's own types.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from './redis-connection.ts';

export type IoredisClient = Redis | Cluster;

/** Every `RedisConnection` is an ioredis `Redis` or `Cluster` (see its doc); this is the one place that says so to the type checker. */
export function ioredisClient(connection: RedisConnection): IoredisClient {
  return connection as IoredisClient;
}
