/**
 * Idempotency keys of ingested events. A sender that retries a request (after a 429, a 503 or a
 * lost answer) sends the same events again; each keeps the key it had, so the deliveries derived
 * from it keep their ids (`webhook-id`) and durable mode writes them once.
 *
 * Per event, the first that applies: its `id` field (scoped by API and event type); the request's
 * `Idempotency-Key` header plus the event's index in the body; else, for an event that carries a
 * `timestamp`, a hash of what it says (API, type, meta, timestamp) and how many identical events
 * came before it in the same body. An event with none of these gets no key: its deliveries get
 * fresh ids, because two such events with the same content may well be two real events, and
 * merging them would drop one that was answered 202.
 */
import { createHash } from 'node:crypto';
import type { IngestEvent } from './parse-events.ts';

/** Longest `Idempotency-Key` header accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** The header's value, or an error message when it is unusable; `undefined` when absent. */
export function readIdempotencyKey(header: string | string[] | undefined): { key: string | undefined } | { error: string } {
  if (header === undefined) return { key: undefined };
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    return { error: `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters` };
  }
  return { key: value };
}

/** The idempotency key of each event of a request body (`undefined`: none, fresh delivery ids). */
export function eventIdempotencyKeys(events: readonly IngestEvent[], requestKey: string | undefined): Array<string | undefined> {
  const seen = new Map<string, number>();
  return events.map((event, index) => {
    if (event.id !== undefined) return `id\n${event.apiId ?? ''}\n${event.type}\n${event.id}`;
    if (requestKey !== undefined) return `request\n${requestKey}\n${index}`;
    if (event.time === undefined) return undefined;
    const time = `${event.time.epochMs}.${event.time.nanosOfSecond ?? ''}`;
    const content = createHash('sha256').update(JSON.stringify([event.apiId ?? null, event.type, event.meta, time])).digest('hex');
    // the n-th identical event of one body is its own event; a retry of the body numbers them alike
    const occurrence = seen.get(content) ?? 0;
    seen.set(content, occurrence + 1);
    return `content\n${content}\n${occurrence}`;
  });
}
