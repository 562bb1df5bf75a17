/**
 * Durable-mode inspection and replay straight from Redis: the capped attempt log and the
 * dead-letter stream. Needs no running deliverer, so `firehook deliveries` can use it alone.
 */
import { ioredisClient, type IoredisClient } from '../store/ioredis-client.ts';
import type { RedisConnection } from '../store/redis-connection.ts';
import { FirehookError } from '../errors/firehook-error.ts';
import { replayRecord, type DeliveryRecord } from './delivery-record.ts';
import { decodeAttempt, matchesAttempt } from './delivery-log.ts';
import type { AttemptQuery, AttemptRecord, DeadLetter, DeadLetterQuery, DeliveryAdmin } from './delivery-service.ts';

/** Default prefix of the delivery keys; the hash tag keeps them in one cluster slot. */
export const DEFAULT_DELIVERY_KEY_PREFIX = '{firehook:delivery}:';

export interface DeliveryKeys {
  outbox: string;
  delayed: string;
  dead: string;
  log: string;
  /** Hash: stream entry id -> ids of its deliveries already settled (entries settled piecemeal). */
  done: string;
  /** Prefix of the idempotency keys: `<seen><delivery id>` marks a delivery written within the idempotency window. */
  seen: string;
  /** Hash: consumer name -> Redis time (ms) it last showed it is alive (0: closed, holding work). */
  consumers: string;
}

export function deliveryKeys(prefix: string): DeliveryKeys {
  return {
    outbox: `${prefix}outbox`,
    delayed: `${prefix}delayed`,
    dead: `${prefix}dead`,
    log: `${prefix}log`,
    done: `${prefix}done`,
    seen: `${prefix}seen:`,
    consumers: `${prefix}consumers`,
  };
}

type StreamEntry = [id: string, fields: string[] | null];

/** The value of `name` in a stream entry's flat field list. */
export function field(fields: readonly string[] | null, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

interface DeadEntry {
  entryId: string;
  record: DeliveryRecord;
  letter: DeadLetter;
}

const PAGE = 500;
const STREAM_ID = /^\d+-\d+$/;

export class RedisDeliveryAdmin implements DeliveryAdmin {
  private readonly redis: IoredisClient;
  private readonly keys: DeliveryKeys;

  constructor(options: { redis: RedisConnection; keyPrefix?: string }) {
    this.redis = ioredisClient(options.redis);
    this.keys = deliveryKeys(options.keyPrefix ?? DEFAULT_DELIVERY_KEY_PREFIX);
  }

  async attempts(query: AttemptQuery = {}): Promise<AttemptRecord[]> {
    const limit = query.limit ?? 100;
    const out: AttemptRecord[] = [];
    for (let start = 0; out.length < limit; start += PAGE) {
      const page = await this.redis.lrange(this.keys.log, start, start + PAGE - 1);
      for (const text of page) {
        const record = decodeAttempt(text);
        if (record && matchesAttempt(record, query)) out.push(record);
        if (out.length >= limit) break;
      }
      if (page.length < PAGE) break;
    }
    return out;
  }

  async deadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    const limit = query.limit ?? 100;
    const out: DeadLetter[] = [];
    for await (const entry of this.scanDead()) {
      if (matchesDead(entry.letter, query)) out.push(entry.letter);
      if (out.length >= limit) break;
    }
    return out;
  }

  async deadLetter(id: string): Promise<DeadLetter | undefined> {
    return (await this.findDead(id))?.letter;
  }

  async replay(ids: readonly string[]): Promise<{ replayed: string[]; missing: string[] }> {
    const replayed: string[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const entry = await this.findDead(id);
      if (!entry) {
        missing.push(id);
        continue;
      }
      await this.requeue([entry]);
      replayed.push(entry.letter.id);
    }
    return { replayed, missing };
  }

  async replayAll(query: Omit<DeadLetterQuery, 'limit'> = {}): Promise<{ replayed: number }> {
    let replayed = 0;
    let batch: DeadEntry[] = [];
    for await (const entry of this.scanDead()) {
      if (!matchesDead(entry.letter, query)) continue;
      batch.push(entry);
      if (batch.length >= 100) {
        replayed += await this.requeue(batch);
        batch = [];
      }
    }
    if (batch.length > 0) replayed += await this.requeue(batch);
    return { replayed };
  }

  /** Move dead entries back to the outbox atomically (XADD + XDEL in one transaction). */
  private async requeue(entries: DeadEntry[]): Promise<number> {
    const multi = this.redis.multi();
    const now = Date.now();
    for (const entry of entries) {
      multi.xadd(this.keys.outbox, '*', 'd', JSON.stringify(replayRecord(entry.record, now)));
      multi.xdel(this.keys.dead, entry.entryId);
    }
    const results = await multi.exec();
    if (!results || results.some(([error]) => error)) {
      throw new FirehookError('FH_DELIVERY_PERSIST_FAILED', 'could not re-queue dead letters');
    }
    return entries.length;
  }

  private async findDead(id: string): Promise<DeadEntry | undefined> {
    if (STREAM_ID.test(id)) {
      const entries = (await this.redis.xrange(this.keys.dead, id, id)) as StreamEntry[];
      const first = entries[0];
      return first ? toDeadEntry(first) : undefined;
    }
    for await (const entry of this.scanDead()) if (entry.letter.id === id) return entry;
    return undefined;
  }

  /** Dead letters newest first, page by page. */
  private async *scanDead(): AsyncGenerator<DeadEntry> {
    let end = '+';
    for (;;) {
      const entries = (await this.redis.xrevrange(this.keys.dead, end, '-', 'COUNT', PAGE)) as StreamEntry[];
      for (const raw of entries) {
        const entry = toDeadEntry(raw);
        if (entry) yield entry;
      }
      if (entries.length < PAGE) return;
      end = `(${entries[entries.length - 1]![0]}`;
    }
  }
}

function toDeadEntry([entryId, fields]: StreamEntry): DeadEntry | undefined {
  const record = parse<DeliveryRecord>(field(fields, 'd'));
  const letter = parse<DeadLetter>(field(fields, 'l'));
  return record && letter ? { entryId, record, letter } : undefined;
}

function matchesDead(letter: DeadLetter, query: Omit<DeadLetterQuery, 'limit'>): boolean {
  return (query.handler === undefined || letter.origin.handler === query.handler) && (query.apiId === undefined || letter.origin.apiId === query.apiId);
}

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
