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
  denyPrivateNetworks: boolean;
  allowNetworks: string[];
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
}

export type SubmitResult = { status: 'queued'; id: string } | { status: 'suppressed' };

export interface DeliveryService {
  /** Claim the cooldown, persist the delivery (durable mode) and queue it. */
  submit(request: DeliveryRequest): Promise<SubmitResult>;
}
