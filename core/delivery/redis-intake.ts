/**
 * The reading side of the durable outbox: takes entries into this consumer's pending list and hands
 * them to the deliverer. Recovers its own pending entries at start, reads new ones (a script while
 * there is a backlog, a blocking XREADGROUP otherwise), takes over entries abandoned by dead workers
 * (XAUTOCLAIM) and keeps its own fresh (heartbeat XCLAIM) so nobody steals them. An entry may hold
 * several deliveries; one taken over after a crash hands out only those not yet settled.
 * Liveness (see redis-consumers.ts): the consumer stamps itself alive several times per liveness
 * period; entries of consumers whose stamp went stale are taken over at once, and gone consumers are
 * removed from the group. It judges others only after its own stamps have gone through for a whole
 * period, so after a Redis outage (when every stamp is stale) each live worker has had time to
 * stamp again before anyone takes its entries.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { DeliveryRecord, Job } from './delivery-record.ts';
import { makeJob } from './outbox.ts';
import { field, type DeliveryKeys } from './redis-admin.ts';
import { RETIRE_CONSUMER, STAMP_CONSUMER, TAKE_OVER_GONE } from './redis-consumers.ts';
import { ENTRY_RECORDS_MAX, READ_BATCH, runScript } from './redis-scripts.ts';

export type StreamEntry = [id: string, fields: string[] | null];

/** An entry's deliveries: `pending` are those to hand out (all of them unless some were settled before). */
interface TakenEntry {
  id: string;
  records: DeliveryRecord[];
  pending: DeliveryRecord[];
}

/** The records of an entry's payload: one record's JSON, or a JSON array of records. */
function parsePayload(text: string): DeliveryRecord[] {
  const value = JSON.parse(text) as DeliveryRecord | DeliveryRecord[];
  const records = Array.isArray(value) ? value : [value];
  if (records.length === 0 || records.some((r) => typeof r !== 'object' || r === null || typeof r.id !== 'string')) throw new Error('entry holds no delivery');
  return records;
}

export interface IntakeOptions {
  redis: Redis | Cluster;
  keys: DeliveryKeys;
  group: string;
  consumer: string;
  logger: Logger;
  claimIdleMs: number;
  /** A consumer not stamped alive for this long (ms) is gone. */
  livenessMs: number;
  readBlockMs: number;
  readBatch: number;
  /** Rate-limited warning about Redis trouble. */
  warn(error: unknown, message: string): void;
  ensureGroup(): Promise<void>;
  /** Redis answers again after the liveness stamp failed. */
  reconnected(): void;
}

export class RedisIntake {
  /** Stream entries with deliveries handed to the deliverer and not yet settled or given back: id -> how many. */
  readonly held = new Map<string, number>();
  private readonly o: IntakeOptions;
  private reader: Redis | Cluster | undefined;
  private deliver: ((job: Job) => void) | undefined;
  private capacity: () => number = () => 0;
  private feeding = false;
  private readLoop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private claimCursor = '0-0';
  private reserved = 0;
  /** When the current run of successful liveness stamps began (undefined: the last one failed). */
  private stampedSince: number | undefined;

  constructor(options: IntakeOptions) {
    this.o = options;
  }

  get running(): boolean {
    return this.feeding;
  }

  /** Room for more entries now, minus what claims already under way may bring. */
  available(): number {
    return this.capacity() - this.reserved;
  }

  /** Reserve room for up to `wanted` entries a claim in flight may bring; returns what was granted. */
  reserve(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.available()));
    this.reserved += granted;
    return granted;
  }

  unreserve(granted: number): void {
    this.reserved -= granted;
  }

  async start(deliver: (job: Job) => void, capacity: () => number): Promise<void> {
    this.deliver = deliver;
    this.capacity = capacity;
    if (!this.reader) {
      const reader: Redis | Cluster = (this.o.redis as Redis).duplicate();
      this.reader = reader;
      reader.on('error', (error: Error) => this.o.logger.debug({ err: error.message }, 'delivery reader connection error'));
    }
    // Stamped alive before anything is read: nobody takes what this consumer is about to hold.
    await this.stamp();
    await this.recoverOwn();
    this.feeding = true;
    this.readLoop = this.runReader();
  }

  async stop(): Promise<void> {
    this.feeding = false;
    this.wake();
    this.reader?.disconnect();
    await this.readLoop;
  }

  /** Capacity was freed: let a waiting read go on. */
  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Deliver the records of an entry this process just added and claimed itself (no read back needed). */
  takeOwn(id: string, records: DeliveryRecord[]): void {
    if (this.held.has(id)) return;
    this.handOut({ id, records, pending: records });
  }

  /** One delivery of entry `ref` was settled (or given back). */
  release(ref: string): void {
    const left = (this.held.get(ref) ?? 1) - 1;
    if (left > 0) this.held.set(ref, left);
    else this.held.delete(ref);
  }

  private handOut(entry: TakenEntry): void {
    this.held.set(entry.id, entry.pending.length);
    for (const record of entry.pending) this.deliver!(makeJob(record, entry.id, entry.records.length));
  }

  /**
   * Take back what this consumer name still holds from a previous run (same `consumerName`), before
   * any new claim: afterwards only new entries (`>`) are read, so nothing is taken twice.
   */
  private async recoverOwn(): Promise<void> {
    let after = '0';
    for (;;) {
      const reply = await this.o.redis.call(
        'XREADGROUP',
        'GROUP',
        this.o.group,
        this.o.consumer,
        'COUNT',
        this.o.readBatch,
        'STREAMS',
        this.o.keys.outbox,
        after,
      );
      const entries = streamEntries(reply);
      if (entries.length === 0) return;
      after = entries[entries.length - 1]![0];
      await this.take(entries, true);
    }
  }

  private async runReader(): Promise<void> {
    // While a backlog lasts, read with a script (joined reply, cheap to decode); once reads come back
    // short, block on XREADGROUP for new entries.
    let backlog = true;
    while (this.feeding) {
      const free = this.available();
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, 250).unref();
        });
        continue;
      }
      const count = this.reserve(Math.min(free, this.o.readBatch));
      try {
        if (backlog) {
          const [ids, data] = (await runScript(this.reader!, READ_BATCH, [this.o.keys.outbox], [this.o.group, this.o.consumer, count])) as [string, string];
          this.unreserve(count);
          backlog = (ids === '' ? 0 : this.takeJoined(ids, data)) >= count;
        } else {
          const entriesWanted = Math.ceil(count / ENTRY_RECORDS_MAX);
          const reply = await this.reader!.call(
            'XREADGROUP',
            'GROUP',
            this.o.group,
            this.o.consumer,
            'COUNT',
            entriesWanted,
            'BLOCK',
            this.o.readBlockMs,
            'STREAMS',
            this.o.keys.outbox,
            '>',
          );
          this.unreserve(count);
          const entries = streamEntries(reply);
          await this.take(entries, false);
          backlog = entries.length === entriesWanted;
        }
      } catch (error) {
        this.unreserve(count);
        if (!this.feeding) break;
        if (/NOGROUP/.test(errorText(error))) await this.o.ensureGroup().catch(() => undefined);
        else this.o.warn(error, 'delivery outbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500).unref());
      }
    }
  }

  /**
   * `take` for script replies of never-read entries: ids joined by ",", payloads by "\n". Hands
   * them out at once; returns how many deliveries they held.
   */
  takeJoined(ids: string, data: string): number {
    const payloads = data.split('\n');
    const { taken, junk } = this.parse(ids.split(',').map((id, i): StreamEntry => [id, payloads[i] ? ['d', payloads[i]!] : null]));
    this.handOutAll(taken, junk);
    return taken.reduce((n, entry) => n + entry.records.length, 0);
  }

  /**
   * Hand entries to the deliverer; drop (acknowledge) deleted or unreadable ones. `recovered`:
   * entries read before (own pending ones at start, taken over from a dead worker), whose
   * deliveries may be partly settled already; only the rest are handed out.
   */
  private async take(entries: StreamEntry[], recovered: boolean): Promise<void> {
    const { taken, junk } = this.parse(entries);
    const several = recovered ? taken.filter((e) => e.records.length > 1) : [];
    if (several.length > 0) {
      const settled = await this.o.redis.hmget(this.o.keys.done, ...several.map((e) => e.id));
      several.forEach((entry, i) => {
        const done = settled[i];
        if (done) {
          const ids = new Set(done.split(','));
          entry.pending = entry.records.filter((r) => !ids.has(r.id));
        }
      });
    }
    this.handOutAll(taken, junk);
  }

  /** Hand out what is not held yet; entries with nothing left to deliver join the junk, which is dropped. */
  private handOutAll(taken: TakenEntry[], junk: string[]): void {
    for (const entry of taken) {
      if (entry.pending.length === 0) junk.push(entry.id);
      else if (!this.held.has(entry.id)) this.handOut(entry);
    }
    if (junk.length > 0) this.dropJunk(junk);
  }

  private parse(entries: StreamEntry[]): { taken: TakenEntry[]; junk: string[] } {
    const taken: TakenEntry[] = [];
    const junk: string[] = [];
    for (const [id, fields] of entries) {
      if (this.held.has(id)) continue;
      try {
        const text = field(fields, 'b') ?? field(fields, 'd');
        if (text === undefined) throw new Error('entry has no delivery');
        const records = parsePayload(text);
        taken.push({ id, records, pending: records });
      } catch (error) {
        if (fields !== null) this.o.logger.error({ code: 'FH_DELIVERY_INVALID', entry: id, err: errorText(error) }, 'unreadable outbox entry dropped');
        junk.push(id);
      }
    }
    return { taken, junk };
  }

  /** Acknowledge and delete entries with nothing (left) to deliver. */
  private dropJunk(ids: string[]): void {
    this.o.redis
      .multi()
      .xack(this.o.keys.outbox, this.o.group, ...ids)
      .xdel(this.o.keys.outbox, ...ids)
      .hdel(this.o.keys.done, ...ids)
      .exec()
      .catch((error: unknown) => this.o.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: errorText(error) }, 'could not drop unreadable outbox entries'));
  }

  /** Stamp this consumer alive (Redis time); tracks how long stamps have gone through without a break. */
  private async stamp(): Promise<boolean> {
    try {
      await runScript(this.o.redis, STAMP_CONSUMER, [this.o.keys.consumers], [this.o.consumer]);
    } catch (error) {
      this.stampedSince = undefined;
      throw error;
    }
    const recovered = this.stampedSince === undefined;
    if (recovered) this.stampedSince = Date.now();
    return recovered;
  }

  /** This process has been in touch with Redis for a whole liveness period: it may judge others. */
  private mayJudge(): boolean {
    return this.stampedSince !== undefined && Date.now() - this.stampedSince >= this.o.livenessMs;
  }

  /**
   * The liveness tick: stamp; after a break, refresh the hold on held entries at once and let the
   * outbox retry what it could not settle; then take over the entries of gone consumers.
   */
  async liveness(): Promise<void> {
    if (await this.stamp()) {
      this.o.reconnected();
      await this.heartbeat();
    }
    await this.takeOverGone();
  }

  /** Take the pending entries of consumers that are gone (stale stamp) and remove gone, empty consumers. */
  async takeOverGone(): Promise<void> {
    if (!this.mayJudge()) return;
    const count = this.reserve(Math.min(Math.ceil(Math.max(0, this.available()) / ENTRY_RECORDS_MAX), 100));
    let reply: [StreamEntry[], string[]];
    try {
      reply = (await runScript(
        this.o.redis,
        TAKE_OVER_GONE,
        [this.o.keys.outbox, this.o.keys.consumers],
        [this.o.group, this.o.consumer, this.o.livenessMs, this.o.claimIdleMs, count],
      )) as typeof reply;
    } finally {
      this.unreserve(count);
    }
    const [taken, removed] = reply;
    if (taken.length > 0) {
      this.o.logger.info({ count: taken.length }, 'took over deliveries of a worker that is gone');
      await this.take(taken, true);
    }
    if (removed.length > 0) this.o.logger.info({ consumers: removed }, 'removed gone workers from the delivery group');
  }

  async claimAbandoned(): Promise<void> {
    // Right after an outage every entry looks idle: give live workers a period to refresh theirs.
    if (!this.mayJudge()) return;
    const free = this.available();
    if (free <= 0) return;
    const count = Math.min(Math.ceil(free / ENTRY_RECORDS_MAX), 100);
    const reply = (await this.o.redis.call(
      'XAUTOCLAIM',
      this.o.keys.outbox,
      this.o.group,
      this.o.consumer,
      this.o.claimIdleMs,
      this.claimCursor,
      'COUNT',
      count,
    )) as [string, StreamEntry[], string[]?];
    this.claimCursor = reply[0];
    if (reply[1].length > 0) {
      this.o.logger.info({ count: reply[1].length }, 'took over deliveries abandoned by another worker');
      await this.take(reply[1], true);
    }
  }

  async heartbeat(): Promise<void> {
    const ids = [...this.held.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      await this.o.redis.call('XCLAIM', this.o.keys.outbox, this.o.group, this.o.consumer, 0, ...ids.slice(i, i + 500), 'JUSTID');
    }
  }

  /** On close: leave the group when holding nothing, else mark this consumer gone so others take its entries at once. */
  async retireConsumer(): Promise<void> {
    await runScript(this.o.redis, RETIRE_CONSUMER, [this.o.keys.outbox, this.o.keys.consumers], [this.o.group, this.o.consumer]);
  }
}

/** Entries of a one-stream XREAD(GROUP) reply: `[[key, entries]]`, or `[key, entries]` as ioredis' generic `call` unwraps it. */
function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const single = (typeof reply[0] === 'string' ? reply : reply[0]) as [string, StreamEntry[]] | undefined;
  return Array.isArray(single?.[1]) ? single[1] : [];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
