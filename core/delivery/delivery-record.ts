/**
 * The unit the outbox stores: a validated request plus its attempt count. Serialised as JSON into
 * the Redis stream in durable mode. Also the redaction used wherever a delivery is shown.
 */
import { randomUUID } from 'node:crypto';
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
  ref?: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Dropped from requests: hop-by-hop headers undici refuses, and Host (Go ignores it as a header too). */
const DROPPED_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length']);
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|authorization-.*)$/i;

/** A unique delivery id, also sent as `webhook-id`. */
export function newDeliveryId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

/** Validate a request and build its record; throws FH_DELIVERY_INVALID naming the problem. */
export function buildRecord(request: DeliveryRequest, id: string, nowMs: number): DeliveryRecord {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new FirehookError('FH_DELIVERY_INVALID', 'delivery URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FirehookError('FH_DELIVERY_INVALID', `delivery URL scheme ${url.protocol} is not http or https`);
  }
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
  if (url.username !== '' && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  if (request.options.signing) {
    for (const secret of [request.options.signing.secret, ...(request.options.signing.previous_secrets ?? [])]) decodeSigningSecret(secret);
  }
  url.username = '';
  url.password = '';
  const record: DeliveryRecord = {
    id,
    url: url.href,
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

/** `scheme://host:port`, lower-cased: the target a breaker and a concurrency cap apply to. */
export function targetOf(url: string): string {
  return new URL(url).origin;
}

/** A URL safe to log: no credentials, no query string, no fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** Headers with credentials replaced by `[redacted]`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
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
