/**
 * Firehook's name for a Redis connection at its public boundary. The implementation is ioredis
 * (a `Redis` or `Cluster` client); the type is Firehook's own, so the package's declarations do
 * not pull in ioredis's. Get one from `RedisStore.client`, or pass an ioredis client you made.
 */
export interface RedisConnection {
  /** The connection state (`connecting`, `ready`, `reconnecting`, `end`, ...). */
  readonly status: string;
  /** Send QUIT after the pending replies, then close. */
  quit(): Promise<unknown>;
  /** Close the connection now; pending commands are rejected. */
  disconnect(): void;
}
