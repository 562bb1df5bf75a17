/**
 * Where deliveries wait between attempts. Two implementations with one contract: memory (retries
 * on timers while the process lives) and Redis (stream + consumer group + delayed set + dead
 * letters; survives crashes).
 */
import { parseTarget, type DeliveryRecord, type Job } from './delivery-record.ts';
import type { AttemptRecord, DeadLetter } from './delivery-service.ts';

export type Settlement =
  | { kind: 'done' }
  /** Try again at `dueAt`; the record's attempt count is already up to date. */
  | { kind: 'retry'; dueAt: number }
  /** Not attempted (breaker open, target queue full): wait until `dueAt` outside this process. */
  | { kind: 'defer'; dueAt: number }
  | { kind: 'dead'; letter: DeadLetter };

/**
 * What a durable write did: `added`; `duplicate` (its id was written within the idempotency
 * window: nothing written); `suppressed` (its cooldown key was held: nothing written).
 */
export type AddOutcome = 'added' | 'duplicate' | 'suppressed';

export interface Outbox {
  readonly mode: 'memory' | 'durable';
  /**
   * Persist and queue a new record; resolves once it is durable (memory: returns nothing, done at
   * once). `dedupe`: refuse an id already written within the idempotency window (durable mode).
   */
  add(record: DeliveryRecord, dedupe?: boolean): Promise<AddOutcome> | void;
  /** Start feeding jobs to `deliver`; `capacity()` is how many more jobs this process takes now. */
  start(deliver: (job: Job) => void, capacity: () => number): Promise<void>;
  /** The deliverer freed capacity (a job finished). */
  wake(): void;
  /** Record an attempt's outcome and its log entry; in durable mode the entry is acknowledged only then. */
  settle(job: Job, settlement: Settlement, attempt: AttemptRecord | undefined): Promise<void> | void;
  /** Hand back jobs taken but never started, so any worker can take them at once. */
  giveBack(jobs: Job[]): Promise<void>;
  /** Retries waiting on a timer in this process (memory mode). */
  scheduledCount(): number;
  /** Stop taking work (no more reads, claims or moves). */
  stopFeeding(): Promise<void>;
  /** Release timers and connections; returns how many scheduled retries were dropped (memory mode). */
  stop(): Promise<number>;
}

/** A job for a record: its URL parsed once into target, path and log form. Throws on a bad URL. */
export function makeJob(record: DeliveryRecord, ref?: string, entrySize = 1): Job {
  const target = parseTarget(record.url);
  const job: Job = { record, target: target.origin, path: target.path, logUrl: target.logUrl };
  if (ref !== undefined) {
    job.ref = ref;
    job.entrySize = entrySize;
  }
  return job;
}
