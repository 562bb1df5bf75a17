/**
 * The durable outbox. Every delivery is XADDed to a stream (batched, pipelined) before it is
 * attempted; workers read it through a consumer group and acknowledge an entry only in the same
 * transaction that records the attempt. Retries and parked deliveries wait in a sorted set of due
 * times and are moved back to the stream when due; exhausted ones go to a dead-letter stream.
 * Entries held by a dead process are taken over with XAUTOCLAIM; live ones are kept fresh with a
 * heartbeat XCLAIM so nobody steals them.
 */
import type { Cluster, Redis } from 'ioredis';
import { FirehookError } from '../errors/firehook-error.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryRecord, Job } from './delivery-record.ts';
import { truncateUtf8 } from './delivery-log.ts';
import type { AttemptRecord } from './delivery-service.ts';
import { makeJob, type Outbox, type Settlement } from './outbox.ts';
import { deliveryKeys, field, type DeliveryKeys } from './redis-admin.ts';

const MOVE_DUE = `local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due do
  redis.call('XADD', KEYS[2], '*', 'd', due[i])
  redis.call('ZREM', KEYS[1], due[i])
end
return #due`;

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
}

type StreamEntry = [id: string, fields: string[] | null];
interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}
interface SettleItem {
  job: Job;
  settlement: Settlement;
  attempt: AttemptRecord | undefined;
}

export class RedisOutbox implements Outbox {
  readonly mode = 'durable' as const;
  private readonly o: RedisOutboxOptions;
  private readonly keys: DeliveryKeys;
  private reader: Redis | Cluster | undefined;
  private deliver: ((job: Job) => void) | undefined;
  private capacity: () => number = () => 0;
  /** Stream ids handed to the deliverer and not yet settled or given back. */
  private readonly held = new Set<string>();
  private adds: Pending<DeliveryRecord>[] = [];
  private settles: Pending<SettleItem>[] = [];
  private addFlushQueued = false;
  private settleFlushQueued = false;
  private readonly flushes = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private feeding = false;
  private readLoop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private claimCursor = '0-0';

  constructor(options: RedisOutboxOptions) {
    this.o = options;
    this.keys = deliveryKeys(options.keyPrefix);
  }

  add(record: DeliveryRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.adds.push({ item: record, resolve, reject });
      if (this.adds.length >= 512) this.track(this.flushAdds());
      else if (!this.addFlushQueued) {
        this.addFlushQueued = true;
        setImmediate(() => this.track(this.flushAdds()));
      }
    });
  }

  async start(deliver: (job: Job) => void, capacity: () => number): Promise<void> {
    this.deliver = deliver;
    this.capacity = capacity;
    await this.ensureGroup();
    const reader: Redis | Cluster = (this.o.redis as Redis).duplicate();
    this.reader = reader;
    reader.on('error', (error: Error) => this.o.logger.debug({ err: error.message }, 'delivery reader connection error'));
    this.feeding = true;
    this.readLoop = this.runReader();
    const every = (ms: number, fn: () => Promise<unknown>): void => {
      let running = false;
      const timer = setInterval(() => {
        if (running || !this.feeding) return;
        running = true;
        fn()
          .catch((error: unknown) => this.o.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: errorText(error) }, 'delivery outbox maintenance failed'))
          .finally(() => (running = false));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.o.moverIntervalMs, () => this.moveDue());
    every(this.o.claimIntervalMs, () => this.claimAbandoned());
    every(Math.max(50, Math.floor(this.o.claimIdleMs / 3)), () => this.heartbeat());
  }

  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  settle(job: Job, settlement: Settlement, attempt: AttemptRecord | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settles.push({ item: { job, settlement, attempt }, resolve, reject });
      if (this.settles.length >= 512) this.track(this.flushSettles());
      else if (!this.settleFlushQueued) {
        this.settleFlushQueued = true;
        setImmediate(() => this.track(this.flushSettles()));
      }
    });
  }

  async giveBack(jobs: Job[]): Promise<void> {
    const owned = jobs.filter((job) => job.ref !== undefined);
    if (owned.length === 0) return;
    const multi = this.o.redis.multi();
    for (const job of owned) {
      multi.xadd(this.keys.outbox, '*', 'd', JSON.stringify(job.record));
      multi.xack(this.keys.outbox, this.o.group, job.ref!);
      multi.xdel(this.keys.outbox, job.ref!);
    }
    await execOrThrow(multi);
    for (const job of owned) this.held.delete(job.ref!);
  }

  scheduledCount(): number {
    return 0;
  }

  async stopFeeding(): Promise<void> {
    this.feeding = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.wake();
    this.reader?.disconnect();
    await this.readLoop;
  }

  async stop(): Promise<number> {
    await this.stopFeeding();
    while (this.flushes.size > 0 || this.adds.length > 0 || this.settles.length > 0) {
      if (this.adds.length > 0) this.track(this.flushAdds());
      if (this.settles.length > 0) this.track(this.flushSettles());
      await Promise.allSettled(this.flushes);
    }
    await this.retireConsumer().catch(() => undefined);
    return 0;
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
    try {
      const pipeline = this.o.redis.pipeline();
      for (const p of batch) pipeline.xadd(this.keys.outbox, '*', 'd', JSON.stringify(p.item));
      const results = (await pipeline.exec()) ?? [];
      batch.forEach((p, i) => {
        const error = results[i]?.[0];
        if (results[i] && !error) p.resolve();
        else p.reject(persistError(error ?? 'no reply'));
      });
    } catch (error) {
      for (const p of batch) p.reject(persistError(error));
    }
  }

  private async flushSettles(): Promise<void> {
    this.settleFlushQueued = false;
    const batch = this.settles;
    this.settles = [];
    if (batch.length === 0) return;
    const multi = this.o.redis.multi();
    let logged = false;
    for (const { item } of batch) {
      const { job, settlement, attempt } = item;
      if (attempt) {
        logged = true;
        const compact = attempt.responseBody === undefined ? attempt : { ...attempt, responseBody: truncateUtf8(attempt.responseBody, this.o.logBodyBytes) };
        multi.lpush(this.keys.log, JSON.stringify(compact));
      }
      if (settlement.kind === 'retry' || settlement.kind === 'defer') {
        multi.zadd(this.keys.delayed, settlement.dueAt, JSON.stringify(job.record));
      } else if (settlement.kind === 'dead') {
        multi.xadd(this.keys.dead, 'MAXLEN', '~', this.o.deadLetterMax, '*', 'id', job.record.id, 'd', JSON.stringify(job.record), 'l', JSON.stringify(settlement.letter));
      }
      if (job.ref !== undefined) {
        multi.xack(this.keys.outbox, this.o.group, job.ref);
        multi.xdel(this.keys.outbox, job.ref);
      }
    }
    if (logged) multi.ltrim(this.keys.log, 0, this.o.logSize - 1);
    try {
      await execOrThrow(multi);
      for (const p of batch) {
        if (p.item.job.ref !== undefined) this.held.delete(p.item.job.ref);
        p.resolve();
      }
    } catch (error) {
      // Unacknowledged entries stay pending; once their heartbeat stops they are claimed again.
      for (const p of batch) {
        if (p.item.job.ref !== undefined) this.held.delete(p.item.job.ref);
        p.reject(persistError(error));
      }
    }
  }

  private async runReader(): Promise<void> {
    let own = '0';
    while (this.feeding) {
      const free = this.capacity();
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, 250).unref();
        });
        continue;
      }
      try {
        // First our own pending entries (a restart under the same consumer name), then new ones.
        const args = own === '>' ? ['BLOCK', this.o.readBlockMs] : [];
        const reply = await this.reader!.call('XREADGROUP', 'GROUP', this.o.group, this.o.consumer, 'COUNT', Math.min(free, this.o.readBatch), ...args, 'STREAMS', this.keys.outbox, own);
        const entries = streamEntries(reply);
        if (own !== '>') own = entries.length === 0 ? '>' : entries[entries.length - 1]![0];
        await this.take(entries);
      } catch (error) {
        if (!this.feeding) break;
        if (/NOGROUP/.test(errorText(error))) await this.ensureGroup().catch(() => undefined);
        else this.o.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: errorText(error) }, 'delivery outbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500).unref());
      }
    }
  }

  /** Hand entries to the deliverer; drop (acknowledge) deleted or unreadable ones. */
  private async take(entries: StreamEntry[]): Promise<void> {
    const junk: string[] = [];
    for (const [id, fields] of entries) {
      if (this.held.has(id)) continue;
      let job: Job;
      try {
        const text = field(fields, 'd');
        if (text === undefined) throw new Error('entry has no delivery');
        job = makeJob(JSON.parse(text) as DeliveryRecord, id);
      } catch (error) {
        if (fields !== null) this.o.logger.error({ code: 'FH_DELIVERY_INVALID', entry: id, err: errorText(error) }, 'unreadable outbox entry dropped');
        junk.push(id);
        continue;
      }
      this.held.add(id);
      this.deliver!(job);
    }
    if (junk.length > 0) {
      await this.o.redis.multi().xack(this.keys.outbox, this.o.group, ...junk).xdel(this.keys.outbox, ...junk).exec();
    }
  }

  private async moveDue(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const moved = Number(await this.o.redis.eval(MOVE_DUE, 2, this.keys.delayed, this.keys.outbox, Date.now(), 500));
      if (moved < 500) return;
    }
  }

  private async claimAbandoned(): Promise<void> {
    const free = this.capacity();
    if (free <= 0) return;
    const reply = (await this.o.redis.call('XAUTOCLAIM', this.keys.outbox, this.o.group, this.o.consumer, this.o.claimIdleMs, this.claimCursor, 'COUNT', Math.min(free, 100))) as [
      string,
      StreamEntry[],
      string[]?,
    ];
    this.claimCursor = reply[0];
    if (reply[1].length > 0) {
      this.o.logger.info({ count: reply[1].length }, 'took over deliveries abandoned by another worker');
      await this.take(reply[1]);
    }
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.held];
    for (let i = 0; i < ids.length; i += 500) {
      await this.o.redis.call('XCLAIM', this.keys.outbox, this.o.group, this.o.consumer, 0, ...ids.slice(i, i + 500), 'JUSTID');
    }
  }

  /** Remove this consumer from the group when it holds nothing. */
  private async retireConsumer(): Promise<void> {
    const pending = (await this.o.redis.call('XPENDING', this.keys.outbox, this.o.group, '-', '+', 1, this.o.consumer)) as unknown[];
    if (pending.length === 0) await this.o.redis.call('XGROUP', 'DELCONSUMER', this.keys.outbox, this.o.group, this.o.consumer);
  }
}

/** Entries of a one-stream XREAD(GROUP) reply: `[[key, entries]]`, or `[key, entries]` as ioredis' generic `call` unwraps it. */
function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const single = (typeof reply[0] === 'string' ? reply : reply[0]) as [string, StreamEntry[]] | undefined;
  return Array.isArray(single?.[1]) ? single[1] : [];
}

async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  if (!results) throw new Error('transaction aborted');
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
}

function persistError(cause: unknown): FirehookError {
  return new FirehookError('FH_DELIVERY_PERSIST_FAILED', `delivery outbox write failed: ${errorText(cause)}`, { cause });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
