import { parseRfc3339 } from '../go/time.ts';
import type { EventTime } from '../dispatch/dispatcher.ts';
import type { EventMeta } from '../event.ts';

/** One event as posted to `POST /v1/events`. */
export interface IngestEvent {
  apiId: string | undefined;
  type: string;
  meta: EventMeta;
  time: EventTime | undefined;
  /** The sender's event id (optional): the event's idempotency key (see core/http/idempotency.ts). */
  id?: string;
}

/** A rejected request: which event (index) and field, and why; `status` 413 for a batch over the events cap. */
export class IngestProblem extends Error {
  constructor(
    message: string,
    readonly index: number | undefined,
    readonly field: string | undefined,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

/** What a request body holds, by its media type; undefined for a type ingestion does not read. */
export type IngestFormat = 'json' | 'ndjson';

export interface ParseLimits {
  /** Most events one body may hold (`ingest_max_events`); more is a 413. */
  maxEvents?: number;
}

const MAX_DEPTH = 32;
/** Longest `api_id` and `type` (an API id or event name longer than this is a mistake or an attack on label cardinality). */
const MAX_API_ID_LENGTH = 256;
const MAX_TYPE_LENGTH = 128;
const ALLOWED = new Set(['id', 'api_id', 'type', 'meta', 'timestamp']);
/** Longest event `id` accepted. */
const MAX_EVENT_ID_LENGTH = 256;

/**
 * The format of a body from its `Content-Type`: `application/json` or any `+json` type, NDJSON
 * (`application/x-ndjson`, `application/jsonl`). A missing type reads as JSON only when
 * `missingIsJson` (with `ingest_secret`: no browser can send the bearer token cross-site).
 */
export function ingestFormat(contentType: string | undefined, missingIsJson = true): IngestFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-ndjson' || mediaType === 'application/jsonl') return 'ndjson';
  if (mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === '' && missingIsJson) return 'json';
  return undefined;
}

/**
 * Parse a request body: one event object, a JSON array of them, or NDJSON. Every event is
 * checked before any is accepted, so a rejected batch is never half-accepted. Arrays are walked
 * in a loop (a body of hundreds of thousands of elements is a 413 or a 400, never a stack overflow).
 */
export function parseEvents(body: string, contentType: string, limits: ParseLimits = {}): IngestEvent[] {
  const format = ingestFormat(contentType);
  if (format === undefined) {
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    throw new IngestProblem(`unsupported content type "${mediaType}"; use application/json or application/x-ndjson`, undefined, undefined);
  }
  const maxEvents = limits.maxEvents ?? Number.POSITIVE_INFINITY;
  const tooMany = (): IngestProblem =>
    new IngestProblem(`more than ${maxEvents} events in one request (ingest_max_events); split the batch`, undefined, undefined, 413);
  let raw: unknown[];
  if (format === 'ndjson') {
    raw = [];
    let line = 0;
    for (let start = 0; start <= body.length; line++) {
      let end = body.indexOf('\n', start);
      if (end < 0) end = body.length;
      const text = body.slice(start, end);
      start = end + 1;
      if (text.trim() === '') continue;
      if (raw.length >= maxEvents) throw tooMany();
      raw.push(parseJson(text, raw.length, `line ${line + 1}`));
    }
  } else {
    const value = parseJson(body, undefined, 'body');
    raw = Array.isArray(value) ? value : [value];
    if (raw.length > maxEvents) throw tooMany();
  }
  if (raw.length === 0) throw new IngestProblem('no events in request', undefined, undefined);
  const events: IngestEvent[] = [];
  for (let index = 0; index < raw.length; index++) events.push(toEvent(raw[index], index));
  return events;
}

function parseJson(text: string, index: number | undefined, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new IngestProblem(`invalid JSON in ${where}: ${(error as Error).message}`, index, undefined);
  }
}

function toEvent(value: unknown, index: number): IngestEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new IngestProblem(
      `an event must be a JSON object (got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value})`,
      index,
      undefined,
    );
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v))
    if (!ALLOWED.has(key)) throw new IngestProblem(`unknown field "${key.length > 64 ? `${key.slice(0, 64)}…` : key}"`, index, key);
  if (typeof v.type !== 'string' || v.type.length === 0 || v.type.length > MAX_TYPE_LENGTH)
    throw new IngestProblem(`type must be a non-empty string (at most ${MAX_TYPE_LENGTH} characters)`, index, 'type');
  if (v.api_id !== undefined && (typeof v.api_id !== 'string' || v.api_id.length === 0 || v.api_id.length > MAX_API_ID_LENGTH))
    throw new IngestProblem(`api_id must be a non-empty string (at most ${MAX_API_ID_LENGTH} characters) when present`, index, 'api_id');
  if (v.meta !== undefined && (v.meta === null || typeof v.meta !== 'object' || Array.isArray(v.meta)))
    throw new IngestProblem('meta must be a JSON object', index, 'meta');
  if (v.meta !== undefined && depth(v.meta) > MAX_DEPTH) throw new IngestProblem(`meta is nested deeper than ${MAX_DEPTH} levels`, index, 'meta');
  let time: EventTime | undefined;
  if (v.timestamp !== undefined) {
    time = typeof v.timestamp === 'string' ? parseRfc3339(v.timestamp) : undefined;
    if (time === undefined) throw new IngestProblem('timestamp must be an RFC 3339 date-time', index, 'timestamp');
  }
  if (v.id !== undefined && (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > MAX_EVENT_ID_LENGTH))
    throw new IngestProblem(`id must be a non-empty string (at most ${MAX_EVENT_ID_LENGTH} characters) when present`, index, 'id');
  const meta = Object.freeze({ ...((v.meta ?? {}) as EventMeta) });
  const event: IngestEvent = { apiId: v.api_id as string | undefined, type: v.type, meta, time };
  if (v.id !== undefined) event.id = v.id as string;
  return event;
}

function depth(value: unknown, level = 0): number {
  if (level > MAX_DEPTH) return level;
  if (value === null || typeof value !== 'object') return level;
  let max = level + 1;
  for (const child of Object.values(value as Record<string, unknown>)) max = Math.max(max, depth(child, level + 1));
  return max;
}
