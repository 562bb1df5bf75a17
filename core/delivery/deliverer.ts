/**
 * Makes one attempt for a job and decides what follows: delivered, retry at a time, or dead. Signs
 * each attempt afresh (Standard Webhooks timestamps must be current), records the attempt, logs
 * without secrets.
 */
import type { Dispatcher } from 'undici';
import { deliveryAttemptChannel, type DeliveryAttemptMessage } from '../diagnostics.ts';
import type { Logger } from '../logger.ts';
import { toDeadLetter, type Job } from './delivery-record.ts';
import { truncateUtf8 } from './delivery-log.ts';
import type { AttemptRecord, DeadLetterReason } from './delivery-service.ts';
import { sendAttempt } from './http-attempt.ts';
import type { Settlement } from './outbox.ts';
import { judgeError, judgeResponse, retryDelay, type Verdict } from './retry-policy.ts';
import { signatureHeaders } from './signing.ts';
import type { Health } from './target-gate.ts';

export interface AttemptDecision {
  settlement: Settlement;
  attempt: AttemptRecord;
  health: Health;
  /** Set when the delivery ended in the dead letters. */
  deadReason?: DeadLetterReason;
}

export interface DelivererOptions {
  logger: Logger;
  responseBodyLimit: number;
  jitter: number;
  maxRetryAfterMs: number;
  dispatcherFor(job: Job): Dispatcher;
  /** Who makes the attempts, as `firehook:delivery:attempt` messages name it (core/diagnostics.ts). */
  source: object;
}

const DONE: Settlement = Object.freeze({ kind: 'done' });

function logContext(attempt: AttemptRecord): Record<string, unknown> {
  return {
    delivery: attempt.deliveryId,
    handler: attempt.handler,
    api_id: attempt.apiId,
    event: attempt.eventType,
    url: attempt.url,
    attempt: attempt.attempt,
  };
}

/** Attempt `job` once (its attempt count goes up by one) and decide what happens next. */
export async function attemptDelivery(job: Job, o: DelivererOptions): Promise<AttemptDecision> {
  const record = job.record;
  record.attempts++;
  // The record's headers already carry `webhook-id`; signing adds a fresh timestamp and signature.
  const headers = record.options.signing ? { ...record.headers, ...signatureHeaders(record.id, record.body, record.options.signing) } : record.headers;
  const at = Date.now();
  const response = await sendAttempt(
    o.dispatcherFor(job),
    { origin: job.target, path: job.path, method: record.method, headers, body: record.body },
    record.options.timeoutMs,
    o.responseBodyLimit,
  );
  const now = Date.now();
  if (deliveryAttemptChannel.hasSubscribers) publishAttempt(job, response, o.source);
  const verdict: Verdict = response.error ? judgeError(response.error.code) : judgeResponse(response.statusCode!, response.headers?.['retry-after'], now);

  // One object shape for every attempt (fields absent are undefined, which JSON and logs omit).
  const attempt: AttemptRecord = {
    deliveryId: record.id,
    attempt: record.attempts,
    at,
    durationMs: Math.round(response.durationMs * 10) / 10,
    url: job.logUrl,
    method: record.method,
    apiId: record.origin.apiId,
    eventType: record.origin.eventType,
    handler: record.origin.handler,
    plugin: record.origin.plugin,
    outcome: 'delivered',
    responseCode: response.statusCode,
    error: response.error ? `${response.error.code}: ${response.error.message}` : undefined,
    responseBody: response.body ? truncateUtf8(response.body, o.responseBodyLimit) : undefined,
    nextAttemptAt: undefined,
  };

  if (verdict.kind === 'delivered') {
    if (o.logger.isLevelEnabled('debug')) o.logger.debug({ ...logContext(attempt), status: response.statusCode, ms: attempt.durationMs }, 'webhook delivered');
    return { settlement: DONE, attempt, health: 'ok' };
  }

  let reason: DeadLetterReason;
  if (verdict.kind === 'retryable') {
    const delay = retryDelay(record.options.retryScheduleMs, record.attempts, verdict.retryAfterMs, { jitter: o.jitter, maxRetryAfterMs: o.maxRetryAfterMs });
    if (delay !== undefined) {
      attempt.outcome = 'retrying';
      attempt.nextAttemptAt = now + delay;
      o.logger.info(
        { ...logContext(attempt), status: response.statusCode, error: response.error?.code, retry_in_ms: delay },
        'webhook attempt failed; will retry',
      );
      return { settlement: { kind: 'retry', dueAt: now + delay }, attempt, health: 'fail' };
    }
    reason = 'exhausted';
  } else {
    reason = verdict.reason;
  }
  attempt.outcome = reason === 'gone' ? 'gone' : 'failed';
  const failure: { reason: DeadLetterReason; failedAt: number; responseCode?: number; error?: string } = { reason, failedAt: now };
  if (attempt.responseCode !== undefined) failure.responseCode = attempt.responseCode;
  if (attempt.error !== undefined) failure.error = attempt.error;
  const code = reason === 'gone' ? 'FH_DELIVERY_TARGET_GONE' : 'FH_DELIVERY_FAILED';
  o.logger.warn(
    { ...logContext(attempt), code, reason, status: response.statusCode, error: response.error?.code },
    reason === 'gone' ? 'webhook target is gone (410); delivery stopped' : 'webhook delivery failed',
  );
  const health: Health = verdict.kind === 'retryable' ? 'fail' : reason === 'denied' || reason === 'invalid' ? 'neutral' : 'ok';
  return { settlement: { kind: 'dead', letter: toDeadLetter(record, failure) }, attempt, health, deadReason: reason };
}

function publishAttempt(job: Job, response: Awaited<ReturnType<typeof sendAttempt>>, source: object): void {
  let host: string;
  try {
    host = new URL(job.target).host;
  } catch {
    host = 'unknown';
  }
  const message: DeliveryAttemptMessage = {
    source,
    deliveryId: job.record.id,
    attempt: job.record.attempts,
    host,
    outcome: response.error ? 'error' : `${Math.floor(response.statusCode! / 100)}xx`,
    code: response.error?.code,
    seconds: response.durationMs / 1000,
  };
  deliveryAttemptChannel.publish(message);
}
