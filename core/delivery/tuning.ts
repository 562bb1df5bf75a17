/** Knobs of the delivery service, with the defaults used in production. Tests shorten the times. */
export interface DeliveryTuning {
  /** Attempts in flight per target origin (also the undici connections per origin). */
  maxConcurrencyPerTarget: number;
  /** Jobs this process holds at once (in flight + queued locally); durable mode reads no more. */
  maxInFlight: number;
  /** Memory mode: queued + scheduled deliveries before `submit` refuses with FH_DELIVERY_QUEUE_FULL. */
  maxQueued: number;
  /** Durable mode: a job expected to wait longer than this (ms) behind its target's local queue is parked back in Redis. */
  maxLocalWaitMs: number;
  /** Durable mode: hard limit of the local queue per target. */
  maxQueuedPerTarget: number;
  breakerThreshold: number;
  breakerOpenMs: number;
  breakerMaxOpenMs: number;
  /** Response bytes read and kept for the delivery log. */
  responseBodyLimit: number;
  /** Attempts kept in the memory ring. */
  logSize: number;
  /** Attempts kept in the Redis list (durable mode) and the response bytes each keeps there. */
  durableLogSize: number;
  durableLogBodyBytes: number;
  deadLetterMax: number;
  /** ±fraction of each retry delay chosen at random. */
  jitter: number;
  maxRetryAfterMs: number;
  claimIdleMs: number;
  /**
   * Durable mode: a worker not stamped alive for this long (ms; at most `claimIdleMs`) is gone, and
   * its pending deliveries are taken over at once instead of after `claimIdleMs`. Workers stamp
   * five times per period.
   */
  livenessMs: number;
  claimIntervalMs: number;
  moverIntervalMs: number;
  readBlockMs: number;
  readBatch: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Durable mode: how long a delivery id with an idempotency key is remembered, so a retried write of it is refused. */
  idempotencyWindowMs: number;
}

export const DEFAULT_TUNING: DeliveryTuning = {
  maxConcurrencyPerTarget: 32,
  maxInFlight: 4096,
  maxQueued: 100_000,
  maxLocalWaitMs: 10_000,
  maxQueuedPerTarget: 8_192,
  breakerThreshold: 5,
  breakerOpenMs: 30_000,
  breakerMaxOpenMs: 300_000,
  responseBodyLimit: 64 * 1024,
  logSize: 1000,
  durableLogSize: 10_000,
  durableLogBodyBytes: 4096,
  deadLetterMax: 10_000,
  jitter: 0.1,
  maxRetryAfterMs: 3_600_000,
  claimIdleMs: 60_000,
  livenessMs: 10_000,
  claimIntervalMs: 5_000,
  moverIntervalMs: 250,
  readBlockMs: 1_000,
  readBatch: 256,
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
  idempotencyWindowMs: 600_000,
};
