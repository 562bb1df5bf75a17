/**
 * The reading side of the durable outbox: takes entries into this consumer's pending list and hands
 * them to the deliverer. Recovers its own pending entries at start, reads new ones (a script while
 * there is a backlog, a blocking XREADGROUP otherwise), takes over entries abandoned by dead workers
 * (XAUTOCLAIM) and keeps its own fresh (heartbeat XCLAIM) so nobody steals them.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { DeliveryRecord, Job } from './delivery-record.ts';
import { makeJob } from './outbox.ts';
import { field, type DeliveryKeys } from './redis-admin.ts';
import { READ_BATCH, runScript } from './redis-scripts.ts';

export type StreamEntry = [id: string, fields: string[] | null];

export interface IntakeOptions {
  redis: Redis | Cluster;
  keys: DeliveryKeys;
  group: string;
  consumer: string;
  logger: Logger;
  claimIdleMs: number;
  readBlockMs: number;
  readBatch: number;
  /** Rate-limited warning about Redis trouble. */
  warn(error: unknown, message: string): void;
  ensureGroup(): Promise<void>;
}

export class RedisIntake {
  /** Stream ids handed to the deliverer and not yet settled or given back. */
  readonly held = new Set<string>();
  private readonly o: IntakeOptions;
  private reader: Redis | Cluster | undefined;
  private deliver: ((job: Job) => void) | undefined;
  private capacity: () => number = () => 0;
  private feeding = false;
  private readLoop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private claimCursor = '0-0';
  private reserved = 0;

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

  /** Deliver a record this process just added and claimed itself (no read back needed). */
  takeOwn(id: string, record: DeliveryRecord): void {
    if (this.held.has(id)) return;
    this.held.add(id);
    this.deliver!(makeJob(record, id));
  }

  /**
   * Take back what this consumer name still holds from a previous run (same `consumerName`), before
   * any new claim: afterwards only new entries (`>`) are read, so nothing is taken twice.
   */
  private async recoverOwn(): Promise<void> {
    let after = '0';
    for (;;) {
      const reply = await this.o.redis.call('XREADGROUP', 'GROUP', this.o.group, this.o.consumer, 'COUNT', this.o.readBatch, 'STREAMS', this.o.keys.outbox, after);
      const entries = streamEntries(reply);
      if (entries.length === 0) return;
      after = entries[entries.length - 1]![0];
      await this.take(entries);
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
          backlog = (ids === '' ? 0 : this.takeJoined(ids, data)) === count;
        } else {
          const reply = await this.reader!.call('XREADGROUP', 'GROUP', this.o.group, this.o.consumer, 'COUNT', count, 'BLOCK', this.o.readBlockMs, 'STREAMS', this.o.keys.outbox, '>');
          this.unreserve(count);
          const entries = streamEntries(reply);
          await this.take(entries);
          backlog = entries.length === count;
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

  /** `take` for script replies: ids joined by ",", records by "\n". Returns how many entries there were. */
  takeJoined(ids: string, data: string): number {
    const idList = ids.split(',');
    const records = data.split('\n');
    void this.take(idList.map((id, i): StreamEntry => [id, records[i] ? ['d', records[i]!] : null])).catch((error: unknown) =>
      this.o.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: errorText(error) }, 'could not drop unreadable outbox entries'),
    );
    return idList.length;
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
      await this.o.redis.multi().xack(this.o.keys.outbox, this.o.group, ...junk).xdel(this.o.keys.outbox, ...junk).exec();
    }
  }

  async claimAbandoned(): Promise<void> {
    const free = this.available();
    if (free <= 0) return;
    const reply = (await this.o.redis.call('XAUTOCLAIM', this.o.keys.outbox, this.o.group, this.o.consumer, this.o.claimIdleMs, this.claimCursor, 'COUNT', Math.min(free, 100))) as [
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

  async heartbeat(): Promise<void> {
    const ids = [...this.held];
    for (let i = 0; i < ids.length; i += 500) {
      await this.o.redis.call('XCLAIM', this.o.keys.outbox, this.o.group, this.o.consumer, 0, ...ids.slice(i, i + 500), 'JUSTID');
    }
  }

  /** Remove this consumer from the group when it holds nothing. */
  async retireConsumer(): Promise<void> {
    const pending = (await this.o.redis.call('XPENDING', this.o.keys.outbox, this.o.group, '-', '+', 1, this.o.consumer)) as unknown[];
    if (pending.length === 0) await this.o.redis.call('XGROUP', 'DELCONSUMER', this.o.keys.outbox, this.o.group, this.o.consumer);
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
