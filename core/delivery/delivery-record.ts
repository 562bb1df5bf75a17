/**
 * The unit the outbox stores: a validated request plus its attempt count. Serialised as JSON into
 * the Redis stream in durable mode. Also the redaction used wherever a delivery is shown.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FirehookError } from '../errors/firehook-error.ts';
import type { DeadLetter, DeadLetterReason, DeliveryOptions, DeliveryRequest } from './delivery-service.ts';
import { decodeSigningSecret } from './signing.ts';

export interface DeliveryRecord {
  id: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  options: DeliveryOptions;
  origin: DeliveryRequest['origin'];
  cooldown?: { key: string; ttlMs: number };
  /** The value held in the cooldown key while this delivery owns it. */
  claimId?: string;
  createdAt: number;
  /** Attempts made so far. */
  attempts: number;
}

/** A record being worked on by this process; `ref` is its stream entry id in durable mode. */
export interface Job {
  record: DeliveryRecord;
  /** Origin (`scheme://host:port`): the unit of concurrency caps and breakers. */
  target: string;
  /** Path and query sent. */
  path: string;
  /** The URL as logs show it (no credentials, no query). */
  logUrl: string;
  /** Durable mode: the stream entry holding the record. */
  ref?: string;
  /** Durable mode: how many deliveries that entry holds (it is acknowledged once all are settled). */
  entrySize?: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Dropped from requests: hop-by-hop headers undici refuses, and Host (Go ignores it as a header too). */
const DROPPED_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length']);
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|authorization-.*)$/i;

// Ids are a random per-process prefix plus a counter: unique across processes and restarts (64
// random bits per process), and far cheaper than a UUID per delivery.
const ID_PREFIX = `msg_${randomBytes(8).toString('hex')}`;
let idCounter = 0;

/** A unique delivery id, also sent as `webhook-id`. */
export function newDeliveryId(): string {
  idCounter++;
  return ID_PREFIX + idCounter.toString(36).padStart(8, '0');
}

/**
 * The delivery id of a request with an idempotency key: the same key at the same handler always
 * gives the same id (and `webhook-id`), so a retried event cannot become a second delivery.
 */
export function idempotentDeliveryId(key: string, origin: { handler: string; plugin: string }): string {
  return `msg_${createHash('sha256').update(`${origin.plugin}\n${origin.handler}\n${key}`).digest('hex').slice(0, 32)}`;
}

export interface ParsedTarget {
  /** The URL without credentials. */
  href: string;
  origin: string;
  /** Path and query. */
  path: string;
  /** No credentials, no query: what logs show. */
  logUrl: string;
  /** `Basic ...` from URL credentials, when the URL had any. */
  basicAuth?: string;
}

const targetCache = new Map<string, ParsedTarget>();

/**
 * Parse and check a delivery URL (http or https), cached: webhooks post to a handful of URLs, and
 * parsing is a visible share of a delivery's CPU. Throws FH_DELIVERY_INVALID.
 */
export function parseTarget(text: string): ParsedTarget {
  const cached = targetCache.get(text);
  if (cached) return cached;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FirehookError('FH_DELIVERY_INVALID', 'delivery URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FirehookError('FH_DELIVERY_INVALID', `delivery URL scheme ${url.protocol} is not http or https`);
  }
  let basicAuth: string | undefined;
  if (url.username !== '' || url.password !== '') {
    basicAuth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const parsed: ParsedTarget = { href: url.href, origin: url.origin, path: url.pathname + url.search, logUrl: url.origin + url.pathname };
  if (basicAuth !== undefined) parsed.basicAuth = basicAuth;
  if (targetCache.size >= 1024) targetCache.clear();
  targetCache.set(text, parsed);
  return parsed;
}

/** Validate a request and build its record; throws FH_DELIVERY_INVALID naming the problem. */
export function buildRecord(request: DeliveryRequest, id: string, nowMs: number): DeliveryRecord {
  const target = parseTarget(request.url);
  const method = request.method.toUpperCase();
  if (!METHODS.has(method)) throw new FirehookError('FH_DELIVERY_INVALID', `unsupported method ${JSON.stringify(request.method)}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(String(value))) {
      throw new FirehookError('FH_DELIVERY_INVALID', `invalid header ${JSON.stringify(name)}`);
    }
    if (DROPPED_HEADERS.has(name.toLowerCase())) continue;
    headers[name] = String(value);
  }
  if (target.basicAuth !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    headers.authorization = target.basicAuth;
  }
  // Sent on every attempt: with at-least-once delivery it is the receiver's idempotency key.
  headers['webhook-id'] = id;
  if (request.options.signing) {
    for (const secret of [request.options.signing.secret, ...(request.options.signing.previous_secrets ?? [])]) decodeSigningSecret(secret);
  }
  const record: DeliveryRecord = {
    id,
    url: target.href,
    method,
    headers,
    options: request.options,
    origin: request.origin,
    createdAt: nowMs,
    attempts: 0,
  };
  if (request.body !== undefined && method !== 'GET' && method !== 'HEAD') record.body = request.body;
  if (request.cooldown && request.cooldown.ttlMs > 0) {
    record.cooldown = request.cooldown;
    record.claimId = id;
  }
  return record;
}

/** A URL safe to log: no credentials, no query string, no fragment. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** Headers with credentials replaced by `[redacted]`. */
function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADERS.test(name) ? '[redacted]' : value;
  return out;
}

/** The dead-letter view of a record (no secrets). */
export function toDeadLetter(
  record: DeliveryRecord,
  failure: { reason: DeadLetterReason; failedAt: number; responseCode?: number; error?: string },
): DeadLetter {
  const letter: DeadLetter = {
    id: record.id,
    failedAt: failure.failedAt,
    reason: failure.reason,
    attempts: record.attempts,
    url: redactUrl(record.url),
    method: record.method,
    headers: redactHeaders(record.headers),
    body: record.body,
    origin: record.origin,
    createdAt: record.createdAt,
  };
  if (failure.responseCode !== undefined) letter.lastResponseCode = failure.responseCode;
  if (failure.error !== undefined) letter.lastError = failure.error;
  return letter;
}

/** A fresh copy of a dead record for replay: new attempt count, no cooldown claim. */
export function replayRecord(record: DeliveryRecord, nowMs: number): DeliveryRecord {
  const copy: DeliveryRecord = { ...record, attempts: 0, createdAt: nowMs };
  delete copy.cooldown;
  delete copy.claimId;
  return copy;
}
