/**
 * The gateway configuration as Firehook uses it after loading: Tyk's keys (COMPAT.md) plus
 * Firehook's own. Values here are normalised (defaults applied) and the object is frozen.
 */
import type { SigningOptions } from '../delivery/delivery-service.ts';
import type { EventHandlersSection } from './api-definition.ts';

/**
 * Firehook's delivery options as users write them, the same in a webhook handler, a global webhook
 * and the gateway's `webhooks` defaults (their schema: `deliveryOptionProperties`).
 */
export interface HandlerDeliveryConfig {
  /** Go duration, default `"30s"`. */
  timeout?: string;
  /** Go durations: the delay before each retry; `[]` = one attempt only. */
  retry_schedule?: string[];
  signing?: SigningOptions;
  deny_private_networks?: boolean;
  /** Hosts, IPs or CIDRs allowed even when private networks are denied. */
  allow_networks?: string[];
  /** Render templates with Tyk's HTML escaping, byte for byte. */
  tyk_compat_escaping?: boolean;
}

export interface StorageConfig {
  /** `memory` (default) or `redis`. */
  type: 'memory' | 'redis';
  host: string;
  port: number;
  addrs: string[];
  username: string;
  password: string;
  database: number;
  enable_cluster: boolean;
  use_ssl: boolean;
  /** Firehook: a redis:// URL overriding host/port/username/password/database. */
  url?: string;
  /**
   * Firehook: prefix for every key Firehook writes, cooldown keys included; leave it empty for
   * Firehook and Tyk gateways sharing one Redis to suppress each other's duplicate webhooks.
   */
  key_prefix: string;
}

/** The gateway's `webhooks` section: defaults for every webhook's delivery options, and the delivery service's own settings. */
export interface WebhookDefaultsConfig extends HandlerDeliveryConfig {
  /** Max concurrent requests per target origin. */
  max_concurrency_per_target?: number;
  /** `false` keeps deliveries in memory even with a Redis store. */
  durable?: boolean;
  /** Per-target circuit breaker: consecutive failures that open it, and for how long (Go durations). */
  breaker?: { failures?: number; open?: string; max_open?: string };
  /** Durable mode: how long a delivery held by a silent worker waits before another takes it over. */
  claim_idle?: string;
  [key: string]: unknown;
}

export interface MonitorWebhookConfig {
  method?: string;
  target_path?: string;
  template_path?: string;
  header_map?: Record<string, string>;
  event_timeout?: number;
}

export interface MonitorConfig {
  enable_trigger_monitors: boolean;
  configuration: MonitorWebhookConfig;
  global_trigger_limit: number;
  monitor_user_keys: boolean;
  monitor_org_keys: boolean;
  /** Firehook: send an obfuscated key instead of the raw key in monitor payloads. */
  obfuscate_keys?: boolean;
}

/** What a full handler queue does with one more event; every drop is counted and logged. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface DispatchConfig {
  /** Events queued per handler before the overflow policy applies. */
  queue_size: number;
  /** Events a handler processes at once. */
  concurrency: number;
  overflow: OverflowPolicy;
  /** ms a plugin may take to create a handler. */
  setup_timeout_ms: number;
  /** ms close() waits for in-flight work. */
  drain_timeout_ms: number;
}

export interface GatewayConfig {
  /** Absolute path of the file this came from; `<defaults>` when embedded defaults were used. */
  readonly file: string;
  /** Directory relative paths resolve against (the config file's directory, or cwd). */
  readonly base_dir: string;
  event_handlers: EventHandlersSection;
  template_path: string;
  app_path: string;
  monitor: MonitorConfig;
  enable_jsvm: boolean;
  /** Seconds; <= 0 means 5. */
  jsvm_timeout: number;
  /** MB for the shared isolate. */
  jsvm_memory_limit: number;
  jsvm_shared_context: boolean;
  tyk_js_path: string;
  hide_generator_header: boolean;
  track_404_logs: boolean;
  ignore_canonical_mime_header_key: boolean;
  storage: StorageConfig;
  // Firehook's own keys
  listen: string;
  ingest_secret: string;
  ingest_body_limit: number;
  /** Most events in one ingestion request (default 10,000, at most `dispatch.queue_size`). */
  ingest_max_events: number;
  /** Go duration an ingestion request may take to arrive, headers and body (default `"10s"`). */
  ingest_read_timeout: string;
  /** Most open connections to the HTTP server (default 1024). */
  ingest_max_connections: number;
  event_handlers_path: string;
  plugins: string[];
  log_level: string;
  log_transports: LogTransportConfig[];
  webhooks: WebhookDefaultsConfig;
  dispatch: DispatchConfig;
  /** Bearer token for the admin API, console and metrics; empty: served to loopback clients only. */
  admin_secret?: string;
  global_webhooks?: GlobalWebhooksConfig;
  metrics?: MetricsOptionsConfig;
  [key: string]: unknown;
}

/** Firehook: the global webhook registry. */
export interface GlobalWebhooksConfig {
  /** Seed files or directories (JSON/YAML), relative to the config's directory. */
  seed?: string[];
  /** Replace stored definitions that differ from their seed (default false: create missing ones only). */
  seed_overwrite?: boolean;
  /** How often each node checks the registry's version counter (ms, default 2000; 0 = announcements only). */
  poll_interval_ms?: number;
}

/** Firehook: Prometheus metrics at `GET /metrics`. */
export interface MetricsOptionsConfig {
  enabled?: boolean;
  /** Serve /metrics without the admin gate. */
  public?: boolean;
  default_metrics?: boolean;
  max_label_values?: number;
  latency_buckets?: number[];
}

export interface LogTransportConfig {
  target: string;
  level?: string;
  options?: Record<string, unknown>;
}
