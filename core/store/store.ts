/**
 * The key-value store behind cooldowns, sessions, JS handler storage and monitors.
 * Two implementations share one contract suite: in-memory (default) and Redis.
 * Times are milliseconds; a TTL of 0 or less (or none) means the key does not expire.
 */
export interface Store {
  /** `memory` or `redis`; features such as durable delivery need `redis`. */
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** Set a value, replacing any; `ttlMs` > 0 sets an expiry, otherwise none. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Set only when absent; `true` for exactly one of any number of concurrent claimers. */
  setNX(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /**
   * `setNX` without a round trip, for stores that hold their data in the process (the memory
   * store): the delivery engine claims cooldowns with it on its hot path when a store offers it.
   */
  claimSync?(key: string, value: string, ttlMs: number): boolean;
  /** Delete; `true` when a key was removed. */
  del(key: string): Promise<boolean>;
  /** Delete only while the key still holds `value` (releasing one's own claim); atomic. */
  delIfEquals(key: string, value: string): Promise<boolean>;
  /** Remaining time to live in ms; -1 when the key has no expiry, -2 when it is missing. */
  pttl(key: string): Promise<number>;
  /** Increment an integer counter; `ttlMs` > 0 sets the expiry when the counter is created. */
  incr(key: string, ttlMs?: number): Promise<number>;
  /** Resolve when the store answers; reject with FH_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Release connections and timers; idempotent. */
  close(): Promise<void>;
}

/** Limits applied by both implementations. */
export const STORE_LIMITS = {
  maxKeyBytes: 1024,
  maxValueBytes: 16 * 1024 * 1024,
} as const;
