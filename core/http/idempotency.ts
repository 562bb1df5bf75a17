/**
 * Idempotency keys of ingested events. A sender that retries a request (after a 429, a 503 or a
 * lost answer) sends the same events again; each keeps the key it had, so the deliveries derived
 * from it keep their ids (`webhook-id`) and durable mode writes them once.
 *
 * Per event, the first that applies: its `id` field (scoped by API and event type); the request's
 * `Idempotency-Key` header plus the event's index in the body; else a hash of what it says (API,
 * type, meta, timestamp) and how many identical events came before it in the same body. So a
 * retried body keeps its keys, and identical events of one body stay distinct; two requests with
 * the same events and no id, key or timestamp are one within the idempotency window (a sender
 * that repeats identical events on purpose sends a timestamp or an id).
 */
import { createHash } from 'node:crypto';
import type { IngestEvent } from './parse-events.ts';

/** Longest `Idempotency-Key` header accepted. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** The header's value, or an error message when it is unusable; `undefined` when absent. */
export function readIdempotencyKey(header: string | string[] | undefined): { key: string | undefined } | { error: string } {
  if (header === undefined) return { key: undefined };
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    return { error: `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters` };
  }
  return { key: value };
}

/** The idempotency key of each event of a request body. */
export function eventIdempotencyKeys(events: readonly IngestEvent[], requestKey: string | undefined): string[] {
  const seen = new Map<string, number>();
  return events.map((event, index) => {
    if (event.id !== undefined) return `id\n${event.apiId ?? ''}\n${event.type}\n${event.id}`;
    if (requestKey !== undefined) return `request\n${requestKey}\n${index}`;
    const time = event.time === undefined ? '' : `${event.time.epochMs}.${event.time.nanosOfSecond ?? ''}`;
    const content = createHash('sha256')
      .update(JSON.stringify([event.apiId ?? null, event.type, event.meta, time]))
      .digest('hex');
    // the n-th identical event of one body is its own event; a retry of the body numbers them alike
    const occurrence = seen.get(content) ?? 0;
    seen.set(content, occurrence + 1);
    return `content\n${content}\n${occurrence}`;
  });
}
