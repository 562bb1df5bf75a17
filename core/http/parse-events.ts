import { parseRfc3339 } from '../go-time.ts';
import type { EventTime } from '../dispatcher.ts';
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

/** A rejected request: which event (index) and field, and why. */
export class IngestProblem extends Error {
  constructor(
    message: string,
    readonly index: number | undefined,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 32;
const ALLOWED = new Set(['id', 'api_id', 'type', 'meta', 'timestamp']);
/** Longest event `id` accepted. */
export const MAX_EVENT_ID_LENGTH = 256;

/**
 * Parse a request body: one event object, a JSON array of them, or NDJSON. Every event is
 * checked before any is accepted, so a rejected batch is never half-accepted.
 */
export function parseEvents(body: string, contentType: string): IngestEvent[] {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const raw: unknown[] = [];
  if (mediaType === 'application/x-ndjson' || mediaType === 'application/jsonl') {
    const lines = body.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      raw.push(parseJson(line, raw.length, `line ${i + 1}`));
    });
  } else if (mediaType === 'application/json' || mediaType === '') {
    const value = parseJson(body, undefined, 'body');
    if (Array.isArray(value)) raw.push(...value);
    else raw.push(value);
  } else {
    throw new IngestProblem(`unsupported content type "${mediaType}"; use application/json or application/x-ndjson`, undefined, undefined);
  }
  if (raw.length === 0) throw new IngestProblem('no events in request', undefined, undefined);
  return raw.map((value, index) => toEvent(value, index));
}

function parseJson(text: string, index: number | undefined, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new IngestProblem(`invalid JSON in ${where}: ${(error as Error).message}`, index, undefined);
  }
}

function toEvent(value: unknown, index: number): IngestEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new IngestProblem('an event must be a JSON object', index, undefined);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!ALLOWED.has(key)) throw new IngestProblem(`unknown field "${key}"`, index, key);
  if (typeof v.type !== 'string' || v.type.length === 0 || v.type.length > 128) throw new IngestProblem('type must be a non-empty string (at most 128 characters)', index, 'type');
  if (v.api_id !== undefined && (typeof v.api_id !== 'string' || v.api_id.length === 0)) throw new IngestProblem('api_id must be a non-empty string when present', index, 'api_id');
  if (v.meta !== undefined && (v.meta === null || typeof v.meta !== 'object' || Array.isArray(v.meta))) throw new IngestProblem('meta must be a JSON object', index, 'meta');
  if (v.meta !== undefined && depth(v.meta) > MAX_DEPTH) throw new IngestProblem(`meta is nested deeper than ${MAX_DEPTH} levels`, index, 'meta');
  let time: EventTime | undefined;
  if (v.timestamp !== undefined) {
    time = typeof v.timestamp === 'string' ? parseRfc3339(v.timestamp) : undefined;
    if (time === undefined) throw new IngestProblem('timestamp must be an RFC 3339 date-time', index, 'timestamp');
  }
  if (v.id !== undefined && (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > MAX_EVENT_ID_LENGTH)) throw new IngestProblem(`id must be a non-empty string (at most ${MAX_EVENT_ID_LENGTH} characters) when present`, index, 'id');
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
