/**
 * The durable outbox. Every delivery is XADDed to a stream (batched, up to ENTRY_RECORDS_MAX per
 * entry) before it is attempted; workers read it through a consumer group and acknowledge an entry
 * only in the same script that records the attempt of its last delivery (earlier ones are noted in
 * a hash, so a crash re-sends only what was not settled). Retries and parked deliveries wait in a sorted set of due
 * times and are moved back to the stream when due; exhausted ones go to a dead-letter stream.
 * Entries held by a dead process are taken over with XAUTOCLAIM; live ones are kept fresh with a
 * heartbeat XCLAIM so nobody steals them.
 * A settle that fails because Redis is unreachable is not forgotten: its deliveries stay held (the
 * heartbeat keeps their entries claimed) in a bounded retry set and are recorded once Redis answers
 * again, so an outage does not turn into a wave of re-sends after `claim_idle`.
 */
import type { Cluster, Redis } from 'ioredis';
import { FirehookError } from '../errors/firehook-error.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryRecord, Job } from './delivery-record.ts';
import { encodeAttempt } from './delivery-log.ts';
import type { AttemptRecord } from './delivery-service.ts';
import type { AddOutcome, Outbox, Settlement } from './outbox.ts';
import { deliveryKeys, type DeliveryKeys } from './redis-admin.ts';
import { RedisIntake } from './redis-intake.ts';
import { ADD_AND_CLAIM, ENTRY_RECORDS_MAX, MOVE_DUE, runScript, SETTLE, TRIM_ACKED } from './redis-scripts.ts';

/**
 * How long settled attempts gather before one script call records them (or 512 of them, sooner;
 * at once while closing).
 * The delivery itself is done; only its record waits. At 10k deliveries/s, 20 ms instead of 2 ms
 * halved Redis's CPU per delivery (fewer calls, fewer entries settled piecemeal) and raised
 * durable throughput by 10-15%; a crash inside the window re-sends those deliveries (at least once).
 */
const SETTLE_GATHER_MS = 20;

/** Settles per script call when retrying (a first try takes what gathered, 512 at most as well). */
const SETTLE_CHUNK = 512;

export interface RedisOutboxOptions {
  redis: Redis | Cluster;
  keyPrefix: string;
  consumer: string;
  group: string;
  logger: Logger;
  /** An entry pending this long (ms) with no heartbeat belongs to a dead worker and is taken over. */
  claimIdleMs: number;
  claimIntervalMs: number;
  moverIntervalMs: number;
  readBlockMs: number;
  readBatch: number;
  logSize: number;
  logBodyBytes: number;
  deadLetterMax: number;
  /** How long (ms) a written delivery id is remembered, so a second write of it is refused. */
  idempotencyWindowMs: number;
  /**
   * Claim a record's cooldown key in the script that writes the record (single Redis). Off for
   * Redis Cluster, where the cooldown key (Tyk's name, no hash tag) lives in another slot: the
   * caller claims it before the write then.
   */
  atomicCooldown: boolean;
  /** A consumer whose liveness stamp is older than this (ms) is gone: its entries are taken over at once. */
  livenessMs: number;
  /** Settles kept for a retry while Redis is unreachable, at most (the oldest beyond are given up). */
  unsettledMax: number;
}

interface Pending<T, R = void> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}
interface AddItem {
  record: DeliveryRecord;
  /** Refuse the record when its id was written within the idempotency window. */
  dedupe: boolean;
}
interface SettleItem {
  job: Job;
  /** `undefined`: given back (re-appended as a new entry, never attempted here). */
  settlement: Settlement | undefined;
  attempt: AttemptRecord | undefined;
}

export class RedisOutbox implements Outbox {
  readonly mode = 'durable' as const;
  private readonly o: RedisOutboxOptions;
  private readonly keys: DeliveryKeys;
  private readonly intake: RedisIntake;
  private adds: Pending<AddItem, AddOutcome>[] = [];
  private settles: Pending<SettleItem>[] = [];
  private addFlushQueued = false;
  private settleFlushQueued = false;
  private readonly flushes = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastWarn = 0;
  private stopped = false;
  private retryWake: (() => void) | undefined;
  /** Settles that failed for want of Redis, kept (their entries still held) until recorded. */
  private unsettled: Pending<SettleItem>[] = [];
  private unsettledTimer: NodeJS.Timeout | undefined;
  private unsettledRun: Promise<void> | undefined;
  private unsettledRound = 0;
  /** stop() made its last try: what is left now is given up. */
  private final = false;

  constructor(options: RedisOutboxOptions) {
    this.o = options;
    this.keys = deliveryKeys(options.keyPrefix);
    this.intake = new RedisIntake({
      redis: options.redis,
      keys: this.keys,
      group: options.group,
      consumer: options.consumer,
      logger: options.logger,
      claimIdleMs: options.claimIdleMs,
      livenessMs: options.livenessMs,
      readBlockMs: options.readBlockMs,
      readBatch: options.readBatch,
      warn: (error, message) => this.warnRedis(error, message),
      ensureGroup: () => this.ensureGroup(),
      reconnected: () => this.retryUnsettledNow(),
    });
  }

  add(record: DeliveryRecord, dedupe = false): Promise<AddOutcome> {
    return new Promise((resolve, reject) => {
      this.adds.push({ item: { record, dedupe }, resolve, reject });
      if (this.adds.length >= 512) this.track(this.flushAdds());
      else if (!this.addFlushQueued) {
        this.addFlushQueued = true;
        setImmediate(() => this.track(this.flushAdds()));
      }
    });
  }

  /**
   * Create the group and start reading. While Redis is unreachable this keeps retrying (submits fail
   * with FH_DELIVERY_PERSIST_FAILED meanwhile) until it succeeds or the outbox is stopped.
   */
  async start(deliver: (job: Job) => void, capacity: () => number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      try {
        await this.ensureGroup();
        if (this.stopped) return;
        await this.intake.start(deliver, capacity);
        break;
      } catch (error) {
        this.warnRedis(error, 'delivery outbox cannot start (Redis unreachable?); retrying');
        await new Promise<void>((resolve) => {
          this.retryWake = resolve;
          setTimeout(resolve, Math.min(250 * 2 ** attempt, 5_000)).unref();
        });
      }
    }
    const every = (ms: number, fn: () => Promise<unknown>): void => {
      let running = false;
      const timer = setInterval(() => {
        if (running || !this.intake.running) return;
        running = true;
        fn()
          .catch((error: unknown) => this.warnRedis(error, 'delivery outbox maintenance failed'))
          .finally(() => (running = false));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.o.moverIntervalMs, () => this.moveDue());
    every(1_000, () => runScript(this.o.redis, TRIM_ACKED, [this.keys.outbox], [this.o.group]));
    every(this.o.claimIntervalMs, () => this.intake.claimAbandoned());
    every(Math.max(50, Math.floor(this.o.claimIdleMs / 3)), () => this.intake.heartbeat());
    every(Math.max(50, Math.floor(this.o.livenessMs / 5)), () => this.intake.liveness());
  }

  wake(): void {
    this.intake.wake();
  }

  settle(job: Job, settlement: Settlement, attempt: AttemptRecord | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settles.push({ item: { job, settlement, attempt }, resolve, reject });
      // Closing: no gather window, so close() does not wait on it.
      if (this.settles.length >= 512 || this.stopped) this.track(this.flushSettles());
      else if (!this.settleFlushQueued) {
        this.settleFlushQueued = true;
        // A gather window: one script call then settles many attempts (fewer round trips).
        setTimeout(() => this.track(this.flushSettles()), SETTLE_GATHER_MS);
      }
    });
  }

  async giveBack(jobs: Job[]): Promise<void> {
    const owned = jobs.filter((job) => job.ref !== undefined);
    if (owned.length === 0) return;
    // Re-appended as new entries and settled in their old ones, in one script.
    const items = owned.map((job) => ({ job, settlement: undefined, attempt: undefined }));
    try {
      await this.runSettle(items);
    } finally {
      this.releaseAll(items);
    }
  }

  /** Settles kept for a retry because Redis was unreachable (their deliveries are still held). */
  unsettledCount(): number {
    return this.unsettled.length;
  }

  scheduledCount(): number {
    return 0;
  }

  async stopFeeding(): Promise<void> {
    this.stopped = true;
    this.retryWake?.();
    if (this.settles.length > 0) this.track(this.flushSettles());
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await this.intake.stop();
  }

  /**
   * Returns how many settles could not be recorded even by a last try (Redis unreachable): their
   * entries stay pending, and their deliveries are sent again (same `webhook-id`) once taken over.
   */
  async stop(): Promise<number> {
    await this.stopFeeding();
    while (this.flushes.size > 0 || this.adds.length > 0 || this.settles.length > 0) {
      if (this.adds.length > 0) this.track(this.flushAdds());
      if (this.settles.length > 0) this.track(this.flushSettles());
      await Promise.allSettled(this.flushes);
    }
    await this.unsettledRun;
    clearTimeout(this.unsettledTimer);
    this.unsettledTimer = undefined;
    this.final = true;
    if (this.unsettled.length > 0) await this.retryUnsettled();
    const left = this.unsettled.splice(0);
    if (left.length > 0) {
      this.o.logger.warn(
        { code: 'FH_DELIVERY_PERSIST_FAILED', unsettled: left.length },
        'closing with settled deliveries not recorded in Redis (unreachable); they will be sent again, with the same webhook-id, once another worker takes them over',
      );
      const error = new FirehookError('FH_DELIVERY_PERSIST_FAILED', 'delivery outbox closed before the settle could be recorded');
      for (const p of left) p.reject(error);
      this.releaseAll(left.map((p) => p.item));
    }
    await this.intake.retireConsumer().catch(() => undefined);
    return left.length;
  }

  /** Redis trouble is logged at most every 10 s (the client reconnects on its own). */
  private warnRedis(error: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarn < 10_000) return;
    this.lastWarn = now;
    this.o.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: errorText(error) }, message);
  }

  private track(flush: Promise<void>): void {
    this.flushes.add(flush);
    void flush.finally(() => this.flushes.delete(flush));
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.o.redis.xgroup('CREATE', this.keys.outbox, this.o.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(errorText(error))) throw error;
    }
  }

  private async flushAdds(): Promise<void> {
    this.addFlushQueued = false;
    const batch = this.adds;
    this.adds = [];
    if (batch.length === 0) return;
    // Persist the batch in one script call, several deliveries per entry, and, while this process
    // has room, claim entries into its own pending list in the same step: its own new deliveries
    // then need no read back or parse. Cooldown claims and the refusal of ids already written are
    // part of the same call (see ADD_AND_CLAIM).
    const claim = this.intake.running ? this.intake.reserve(batch.length) : 0;
    const keys = [this.keys.outbox, this.keys.seen];
    const records: (string | number)[] = [];
    for (const {
      item: { record, dedupe },
    } of batch) {
      let cooldownIndex = 0;
      let ttl = 0;
      if (this.o.atomicCooldown && record.cooldown && record.claimId !== undefined) {
        keys.push(record.cooldown.key);
        cooldownIndex = keys.length;
        ttl = Math.max(1, Math.ceil(record.cooldown.ttlMs));
      }
      records.push(record.id, JSON.stringify(record), dedupe ? 1 : 0, cooldownIndex, ttl);
    }
    let reply: [string, string, string, string, string];
    try {
      const args: (string | number)[] = [this.o.group, this.o.consumer, claim, this.o.idempotencyWindowMs, batch.length, ...records];
      reply = (await runScript(this.o.redis, ADD_AND_CLAIM, keys, args)) as typeof reply;
    } catch (error) {
      for (const p of batch) p.reject(persistError(error));
      return;
    } finally {
      this.intake.unreserve(claim);
    }
    const [added, mine, others, data, status] = reply;
    const kept: DeliveryRecord[] = [];
    batch.forEach((p, i) => {
      const s = status[i];
      if (s === 'a') kept.push(p.item.record);
      p.resolve(s === 'd' ? 'duplicate' : s === 's' ? 'suppressed' : 'added');
    });
    if (mine !== '') {
      const index = new Map<string, DeliveryRecord[]>();
      added.split(',').forEach((id, i) => index.set(id, kept.slice(i * ENTRY_RECORDS_MAX, (i + 1) * ENTRY_RECORDS_MAX)));
      for (const id of mine.split(',')) {
        const entry = index.get(id);
        if (entry) this.intake.takeOwn(id, entry);
      }
    }
    if (others !== '') this.intake.takeJoined(others, data);
  }

  private async flushSettles(): Promise<void> {
    this.settleFlushQueued = false;
    const batch = this.settles;
    this.settles = [];
    if (batch.length === 0) return;
    try {
      await this.runSettle(batch.map((p) => p.item));
    } catch (error) {
      if (!this.final && redisUnreachable(error)) {
        this.keepUnsettled(batch, error);
        return;
      }
      // Redis refused the script: the entries stay pending and are claimed again once idle.
      this.giveUp(batch, error);
      return;
    }
    this.releaseAll(batch.map((p) => p.item));
    for (const p of batch) p.resolve();
  }

  /**
   * Keep settles Redis could not take (their deliveries stay held, so the heartbeat keeps their
   * entries claimed) and retry them with a backoff, or at once when Redis answers again. Beyond
   * `unsettledMax` the oldest are given up (sent again once taken over: at least once).
   */
  private keepUnsettled(batch: Pending<SettleItem>[], error: unknown): void {
    // Once per outage (the kept set was empty), whatever else was warned about lately.
    if (this.unsettled.length === 0 && !this.unsettledRun) {
      this.o.logger.warn(
        { code: 'FH_STORE_UNAVAILABLE', err: errorText(error), unsettled: batch.length },
        'could not record settled deliveries (Redis unreachable); keeping them held and retrying',
      );
    }
    this.unsettled.push(...batch);
    const over = this.unsettled.length - this.o.unsettledMax;
    if (over > 0) {
      this.o.logger.warn(
        { code: 'FH_DELIVERY_PERSIST_FAILED', dropped: over, kept: this.o.unsettledMax },
        'too many settles waiting for Redis; the oldest are given up and will be sent again',
      );
      this.giveUp(this.unsettled.splice(0, over), error);
    }
    this.scheduleUnsettled();
  }

  private giveUp(batch: Pending<SettleItem>[], error: unknown): void {
    this.releaseAll(batch.map((p) => p.item));
    for (const p of batch) p.reject(persistError(error));
  }

  private scheduleUnsettled(delayMs?: number): void {
    if (this.final || this.unsettledTimer || this.unsettledRun || this.unsettled.length === 0) return;
    // Closing: retry often, the drain time is short.
    const delay = delayMs ?? (this.stopped ? 100 : Math.min(100 * 2 ** this.unsettledRound, 2_000));
    this.unsettledTimer = setTimeout(() => {
      this.unsettledTimer = undefined;
      this.unsettledRun = this.retryUnsettled().finally(() => {
        this.unsettledRun = undefined;
        this.scheduleUnsettled();
      });
    }, delay);
    this.unsettledTimer.unref();
  }

  /** Redis answered again (liveness refreshed after failing): retry the kept settles now. */
  private retryUnsettledNow(): void {
    this.unsettledRound = 0;
    if (this.unsettledRun) return;
    clearTimeout(this.unsettledTimer);
    this.unsettledTimer = undefined;
    this.scheduleUnsettled(0);
  }

  /** One pass over the kept settles; what Redis still cannot take stays kept. */
  private async retryUnsettled(): Promise<void> {
    while (this.unsettled.length > 0) {
      const batch = this.unsettled.splice(0, SETTLE_CHUNK);
      try {
        // Safe to repeat: SETTLE skips what an earlier try (whose reply was lost) recorded.
        await this.runSettle(batch.map((p) => p.item));
      } catch (error) {
        if (redisUnreachable(error)) {
          this.unsettled.unshift(...batch);
          this.unsettledRound++;
          return;
        }
        this.giveUp(batch, error);
        continue;
      }
      this.releaseAll(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
    }
    this.unsettledRound = 0;
    this.o.logger.info('settles kept during a Redis outage are recorded');
  }

  private releaseAll(items: SettleItem[]): void {
    for (const { job } of items) if (job.ref !== undefined) this.intake.release(job.ref);
  }

  /**
   * One script call for settled (or given back) deliveries, grouped by entry: per delivery its
   * outcome (done, retry or park, dead letter, re-append) and log line. The jobs keep their hold on
   * their entries: the caller releases them once this is recorded (or given up).
   */
  private async runSettle(items: SettleItem[]): Promise<void> {
    const byEntry = new Map<string, { size: number; values: (string | number)[]; k: number }>();
    for (const { job, settlement, attempt } of items) {
      const ref = job.ref ?? '';
      let entry = byEntry.get(ref);
      if (!entry) byEntry.set(ref, (entry = { size: job.entrySize ?? 1, values: [], k: 0 }));
      const line = attempt ? encodeAttempt(attempt, this.o.logBodyBytes) : '';
      const id = job.record.id;
      entry.k++;
      if (settlement === undefined) entry.values.push(id, 'a', JSON.stringify(job.record), '', line);
      else if (settlement.kind === 'retry' || settlement.kind === 'defer') entry.values.push(id, 'r', settlement.dueAt, JSON.stringify(job.record), line);
      else if (settlement.kind === 'dead') entry.values.push(id, 'x', JSON.stringify(job.record), JSON.stringify(settlement.letter), line);
      else entry.values.push(id, 'd', '', '', line);
    }
    const args: (string | number)[] = [this.o.group, this.o.logSize, this.o.deadLetterMax, byEntry.size];
    for (const [ref, { size, values, k }] of byEntry) args.push(ref, size, k, ...values);
    const keys = [this.keys.outbox, this.keys.delayed, this.keys.log, this.keys.dead, this.keys.done];
    await runScript(this.o.redis, SETTLE, keys, args);
  }

  private async moveDue(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const moved = Number(await runScript(this.o.redis, MOVE_DUE, [this.keys.delayed, this.keys.outbox], [Date.now(), 500]));
      if (moved < 500) return;
    }
  }
}

function persistError(cause: unknown): FirehookError {
  return new FirehookError('FH_DELIVERY_PERSIST_FAILED', `delivery outbox write failed: ${errorText(cause)}`, { cause });
}

/**
 * The error says Redis could not be reached or could not answer now (connection lost, retries
 * exhausted, loading, failing over), as opposed to Redis refusing the command.
 */
function redisUnreachable(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return true;
  return /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MISCONF)\b/.test(error.message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
