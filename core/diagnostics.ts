/**
 * Firehook's own diagnostics channels (`node:diagnostics_channel`), as undici publishes its own:
 * the engine announces what happened, and observers (metrics, tracing, a test) subscribe by name.
 * Publishing costs nothing while no one subscribes (`hasSubscribers` is checked first). The
 * channels are process-wide: in a process with several runtimes, a subscriber sees them all and
 * tells them apart by `source` (the delivery service that made the attempt).
 */
import { channel } from 'node:diagnostics_channel';

/** `firehook:delivery:attempt`: one HTTP attempt of a webhook delivery finished (answered or not). */
export const DELIVERY_ATTEMPT_CHANNEL = 'firehook:delivery:attempt';

export interface DeliveryAttemptMessage {
  /** The delivery service that made the attempt. */
  source: object;
  /** The delivery id (`webhook-id`) and the attempt's number (1 for the first). */
  deliveryId: string;
  attempt: number;
  /** Target `host:port`. */
  host: string;
  /** `2xx` ... `5xx`, or `error` when no response arrived. */
  outcome: string;
  /** The error code when `outcome` is `error` (`ECONNREFUSED`, `ETIMEDOUT`, `FH_EGRESS_DENIED`, ...). */
  code: string | undefined;
  /** From the attempt's start (waiting for a connection included) to its answer or error. */
  seconds: number;
}

export const deliveryAttemptChannel = channel(DELIVERY_ATTEMPT_CHANNEL);
