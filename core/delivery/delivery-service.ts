/**
 * Outbound HTTP delivery shared by every handler that posts somewhere (webhooks, the quota monitor,
 * plugins): cooldown claims, outbox (memory or Redis stream), retries, per-target limits, breaker,
 * signing and the private-network policy. (Contract; the implementation lives beside this file.)
 */

export interface SigningOptions {
  /** `whsec_` + base64 secret. */
  secret: string;
  previous_secrets?: string[];
}

export interface DeliveryOptions {
  timeoutMs: number;
  /** Delay before each retry, ms; `[]` = a single attempt. */
  retryScheduleMs: number[];
  signing?: SigningOptions;
  /** Under the gateway's floor: `false` is raised to `true` when the gateway config denies private networks. */
  denyPrivateNetworks: boolean;
  /** Exceptions; while the gateway denies private networks only its own `allow_networks` apply. */
  allowNetworks: string[];
  /** Set by the delivery service (the gateway's `allow_networks`: the only entries that open cloud-metadata addresses). */
  metadataAllowNetworks?: string[];
}

export interface DeliveryRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** `undefined` sends no body (GET). */
  body: string | undefined;
  /** Claim this key for `ttlMs` before sending; skip (suppressed) when already claimed. */
  cooldown?: { key: string; ttlMs: number };
  options: DeliveryOptions;
  /** Who asked, for logs, metrics and the delivery log. */
  origin: { apiId: string; eventType: string; handler: string; plugin: string };
  /**
   * The event's idempotency key (see docs/delivery.md). With one, the delivery id (`webhook-id`)
   * is derived from it and the handler, and durable mode writes that delivery once per idempotency
   * window: a retried event finds its delivery already written.
   */
  idempotencyKey?: string;
}

export type SubmitResult = { status: 'queued'; id: string } | { status: 'suppressed' };

export interface DeliveryService {
  /** Claim the cooldown, persist the delivery (durable mode) and queue it. */
  submit(request: DeliveryRequest): Promise<SubmitResult>;
}

/** What happened on one attempt, as the delivery log keeps it. */
export type AttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'gone';

/** One attempt in the delivery log (memory ring; in durable mode also a capped Redis list). */
export interface AttemptRecord {
  deliveryId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Epoch ms the attempt started. */
  at: number;
  durationMs: number;
  /** Target URL without credentials or query string. */
  url: string;
  method: string;
  apiId: string;
  eventType: string;
  handler: string;
  plugin: string;
  outcome: AttemptOutcome;
  responseCode?: number;
  /** `<code>: <message>` for network errors, timeouts, refusals. */
  error?: string;
  /** The start of the response body (bounded). */
  responseBody?: string;
  /** Epoch ms of the next attempt when retrying. */
  nextAttemptAt?: number;
}

/** Why a delivery ended in the dead letters. */
export type DeadLetterReason = 'exhausted' | 'rejected' | 'redirected' | 'gone' | 'denied' | 'invalid';

/** A delivery that failed finally; replayable. Secrets are never part of this view. */
export interface DeadLetter {
  id: string;
  failedAt: number;
  reason: DeadLetterReason;
  attempts: number;
  lastResponseCode?: number;
  lastError?: string;
  url: string;
  method: string;
  /** Request headers with credentials redacted. */
  headers: Record<string, string>;
  body: string | undefined;
  origin: DeliveryRequest['origin'];
  createdAt: number;
}

export interface AttemptQuery {
  deliveryId?: string;
  handler?: string;
  apiId?: string;
  eventType?: string;
  /** Newest first; default 100. */
  limit?: number;
}

export interface DeadLetterQuery {
  handler?: string;
  apiId?: string;
  /** Newest first; default 100. */
  limit?: number;
}

/** Inspection and replay, for the admin API and `firehook deliveries`. */
export interface DeliveryAdmin {
  attempts(query?: AttemptQuery): Promise<AttemptRecord[]>;
  deadLetters(query?: DeadLetterQuery): Promise<DeadLetter[]>;
  deadLetter(id: string): Promise<DeadLetter | undefined>;
  /** Re-queue dead letters by id (fresh attempt count, no cooldown claim); unknown ids come back in `missing`. */
  replay(ids: readonly string[]): Promise<{ replayed: string[]; missing: string[] }>;
  /** Re-queue every dead letter (optionally only a handler's or an API's). */
  replayAll(query?: Omit<DeadLetterQuery, 'limit'>): Promise<{ replayed: number }>;
}

/** Counters since start, plus current queue sizes. */
export interface DeliveryStats {
  mode: 'memory' | 'durable';
  submitted: number;
  /** Duplicates absorbed by a cooldown claim. */
  suppressed: number;
  /** Submits whose delivery (same idempotency key and handler) was already written: nothing new queued. */
  deduplicated: number;
  delivered: number;
  attempts: number;
  retries: number;
  /** Deliveries that failed finally (dead-lettered). */
  failed: number;
  inFlight: number;
  /** Waiting locally for a target slot or a closed breaker. */
  queued: number;
  /** Waiting for a retry time (memory mode; durable retries live in Redis). */
  scheduled: number;
  /** Targets (origins) whose breaker is open or half-open. */
  openBreakers: string[];
  /** Targets that answered 410 Gone, with the time. */
  goneTargets: Record<string, number>;
}
