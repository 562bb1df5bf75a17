/**
 * The event model: Tyk's event names, their Meta shapes, and the message handlers receive.
 * Meta keys are Go field names so templates and JS handlers written for Tyk work unchanged.
 */

/** Every event Tyk Gateway fires, spelled as on the wire (note `RatelimitExceeded`). */
export const BUILTIN_EVENT_TYPES = [
  'QuotaExceeded',
  'RatelimitExceeded',
  'RateLimitSmoothingUp',
  'RateLimitSmoothingDown',
  'AuthFailure',
  'KeyExpired',
  'VersionFailure',
  'OrgQuotaExceeded',
  'OrgRateLimitExceeded',
  'TriggerExceeded',
  'BreakerTriggered',
  'BreakerTripped',
  'BreakerReset',
  'HostDown',
  'HostUp',
  'TokenCreated',
  'TokenUpdated',
  'TokenDeleted',
  'UpstreamOAuthError',
  'CertificateExpiringSoon',
  'CertificateExpired',
] as const;

export type BuiltinEventType = (typeof BUILTIN_EVENT_TYPES)[number];
/** A built-in event name, or a custom one (custom names are allowed, as in Tyk). */
export type EventType = BuiltinEventType | (string & {});

const BUILTIN_SET: ReadonlySet<string> = new Set(BUILTIN_EVENT_TYPES);
export function isBuiltinEventType(type: string): type is BuiltinEventType {
  return BUILTIN_SET.has(type);
}

/** Fields every Meta starts with. */
export interface BaseMeta {
  Message: string;
  /** Base64 of the inbound HTTP/1.1 request in wire form; `""` when there is none. */
  OriginatingRequest: string;
}

/** QuotaExceeded, RatelimitExceeded, smoothing, AuthFailure, KeyExpired, Org*. */
export interface KeyFailureMeta extends BaseMeta {
  Path: string;
  Origin: string;
  Key: string;
}

export interface VersionFailureMeta extends KeyFailureMeta {
  Reason: string;
}

export interface BreakerMeta extends BaseMeta {
  Path: string;
  APIID: string;
  /** 0 tripped, 1 reset. */
  CircuitEvent: 0 | 1;
}

export interface HostHealthReport {
  CheckURL: string;
  Protocol: string;
  Timeout: number;
  Method: string;
  Headers: Record<string, string>;
  Body: string;
  MetaData: { target_url: string; api_id: string; host_name: string };
  ResponseCode: number;
  Latency: number;
  IsTCPError: boolean;
}

export interface HostMeta extends BaseMeta {
  HostInfo: HostHealthReport;
}

export interface TriggerMeta extends BaseMeta {
  OrgID: string;
  Key: string;
  TriggerLimit: number;
  UsagePercentage: number;
}

export interface TokenMeta extends BaseMeta {
  Org: string;
  Key: string;
}

export interface CertificateExpiringSoonMeta extends BaseMeta {
  CertID: string;
  CertName: string;
  ExpiresAt: string;
  DaysRemaining: number;
  APIID: string;
  CertRole: string;
}

export interface CertificateExpiredMeta extends BaseMeta {
  CertID: string;
  CertName: string;
  ExpiredAt: string;
  DaysSinceExpiry: number;
  APIID: string;
  CertRole: string;
}

export interface UpstreamOAuthErrorMeta extends BaseMeta {
  APIID: string;
}

/** Meta shape per built-in event type. */
export interface EventMetaMap {
  QuotaExceeded: KeyFailureMeta;
  RatelimitExceeded: KeyFailureMeta;
  RateLimitSmoothingUp: KeyFailureMeta;
  RateLimitSmoothingDown: KeyFailureMeta;
  AuthFailure: KeyFailureMeta;
  KeyExpired: KeyFailureMeta;
  VersionFailure: VersionFailureMeta;
  OrgQuotaExceeded: KeyFailureMeta;
  OrgRateLimitExceeded: KeyFailureMeta;
  TriggerExceeded: TriggerMeta;
  BreakerTriggered: BreakerMeta;
  BreakerTripped: BreakerMeta;
  BreakerReset: BreakerMeta;
  HostDown: HostMeta;
  HostUp: HostMeta;
  TokenCreated: TokenMeta;
  TokenUpdated: TokenMeta;
  TokenDeleted: TokenMeta;
  UpstreamOAuthError: UpstreamOAuthErrorMeta;
  CertificateExpiringSoon: CertificateExpiringSoonMeta;
  CertificateExpired: CertificateExpiredMeta;
}

/** Meta for an event type: the typed shape for built-ins, an open record for custom events. */
export type MetaFor<T extends string> = T extends keyof EventMetaMap ? EventMetaMap[T] : EventMeta;

/** What callers may pass as Meta when firing: the typed shape for built-ins (any subset), open for custom events. */
export type MetaInput<T extends string> = Partial<MetaFor<T>>;

/** Any Meta: `Message` and `OriginatingRequest` plus event-specific fields. */
export interface EventMeta {
  Message?: string;
  OriginatingRequest?: string;
  [field: string]: unknown;
}

/**
 * What a handler receives: Tyk's `{Type, Meta, TimeStamp}` (keys in this order),
 * plus the API context the event was fired for. Frozen once built.
 */
export interface EventMessage<M extends EventMeta = EventMeta> {
  readonly Type: EventType;
  readonly Meta: Readonly<M>;
  /** Go `time.Time.String()` layout, e.g. `2015-01-15 17:21:15.111157073 +0000 UTC`. */
  readonly TimeStamp: string;
  /** The API the event belongs to; `""` for a system (gateway-level) event. */
  readonly apiId: string;
  /** The organisation of that API; `""` when unknown or for system events. */
  readonly orgId: string;
  /** Milliseconds since the epoch at which the event happened. */
  readonly time: number;
  /**
   * Identifies the event across a sender's retries (ingestion: from the event's `id`, the
   * request's `Idempotency-Key`, or derived from its content). Handlers that deliver pass it on
   * (`DeliveryRequest.idempotencyKey`), so a retried event keeps its delivery ids.
   */
  readonly idempotencyKey?: string;
}

/** The JSON view Tyk handlers and templates see: exactly `{Type, Meta, TimeStamp}`. */
export function tykView(event: EventMessage): { Type: string; Meta: EventMeta; TimeStamp: string } {
  return { Type: event.Type, Meta: event.Meta as EventMeta, TimeStamp: event.TimeStamp };
}
