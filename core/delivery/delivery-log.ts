/**
 * The bounded delivery log: the last N attempts in a ring, filtered by delivery, handler, API or
 * event. (Durable mode also keeps a capped Redis list; see redis-outbox.ts.)
 */
import type { AttemptQuery, AttemptRecord } from './delivery-service.ts';

export class DeliveryLog {
  private readonly ring: (AttemptRecord | undefined)[];
  private next = 0;
  private count = 0;

  constructor(size: number) {
    this.ring = Array.from<AttemptRecord | undefined>({ length: Math.max(1, size) });
  }

  add(record: AttemptRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** Newest first. */
  query(query: AttemptQuery = {}): AttemptRecord[] {
    const limit = query.limit ?? 100;
    const out: AttemptRecord[] = [];
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const record = this.ring[(this.next - i + this.ring.length) % this.ring.length]!;
      if (matchesAttempt(record, query)) out.push(record);
    }
    return out;
  }
}

export function matchesAttempt(record: AttemptRecord, query: AttemptQuery): boolean {
  return (
    (query.deliveryId === undefined || record.deliveryId === query.deliveryId) &&
    (query.handler === undefined || record.handler === query.handler) &&
    (query.apiId === undefined || record.apiId === query.apiId) &&
    (query.eventType === undefined || record.eventType === query.eventType)
  );
}

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

const FIELDS = [
  'deliveryId',
  'attempt',
  'at',
  'durationMs',
  'url',
  'method',
  'apiId',
  'eventType',
  'handler',
  'plugin',
  'outcome',
  'responseCode',
  'error',
  'responseBody',
  'nextAttemptAt',
] as const;

/** Compact JSON for the Redis attempt log: values in a fixed order, no keys (half the bytes). */
export function encodeAttempt(record: AttemptRecord, bodyBytes: number): string {
  const body = record.responseBody === undefined ? null : truncateUtf8(record.responseBody, bodyBytes);
  return JSON.stringify([
    record.deliveryId,
    record.attempt,
    record.at,
    record.durationMs,
    record.url,
    record.method,
    record.apiId,
    record.eventType,
    record.handler,
    record.plugin,
    record.outcome,
    record.responseCode ?? null,
    record.error ?? null,
    body,
    record.nextAttemptAt ?? null,
  ]);
}

/** Read an entry of the Redis attempt log (compact array or, from older writers, an object). */
export function decodeAttempt(text: string): AttemptRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return typeof value === 'object' && value !== null ? (value as AttemptRecord) : undefined;
  const out: Record<string, unknown> = {};
  FIELDS.forEach((name, i) => {
    if (value[i] !== null && value[i] !== undefined) out[name] = value[i];
  });
  return out as unknown as AttemptRecord;
}
