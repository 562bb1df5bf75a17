/**
 * The handler-plugin contract. Built-in handlers (webhook, log, dynamic) and npm plugin packages
 * implement exactly this; there is no private back door.
 */
import type { ApiFormat } from './config/api-definition.ts';
import type { JsonSchema } from './config/json-schema.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import type { DeliveryService } from './delivery/delivery-service.ts';
import type { EventMessage, EventType, MetaInput } from './event.ts';
import type { Logger } from './logger.ts';
import type { PluginHttpClient } from './plugin-http-client.ts';
import type { GlobalWebhookRegistry } from './global-webhooks/registry.ts';
import type { FirehookSessionStore } from './sessions/create-session-store.ts';
import type { Store } from './store/store.ts';
import type { TemplateService } from './template/template-service.ts';

/** Token under which handler plugins are registered in the container. */
export const HANDLER_PLUGIN: unique symbol = Symbol.for('firehook.handler-plugin') as never;

/** Version of this contract; a plugin declaring another major is refused at load. */
export const PLUGIN_CONTRACT_VERSION = 1;

export type { JsonSchema } from './config/json-schema.ts';

/** What happened to one event at one handler. */
export interface HandlerReport {
  handler: string;
  plugin: string;
  status: HandlerOutcome['status'] | 'dropped';
  detail?: string;
  code?: string;
}

/** What a handler did with one event. */
export interface HandlerOutcome {
  status: 'ok' | 'suppressed' | 'queued' | 'skipped' | 'failed';
  /** Short human detail for `firehook fire` and logs. */
  detail?: string;
  /** `queued`: the id of the delivery the handler submitted (its `webhook-id`), for test-fire and tools. */
  deliveryId?: string;
}

/** A live handler, built once per configuration generation. */
export interface Handler {
  /**
   * Events this handler takes at once; default the gateway's `dispatch.concurrency`. Handlers
   * that batch internally (the JS sandbox) ask for more so whole batches can form.
   */
  readonly concurrency?: number;
  /** Handle one event. Throwing or rejecting marks this event failed for this handler only. */
  handle(event: EventMessage): Promise<HandlerOutcome | void> | HandlerOutcome | void;
  /** Release resources; called once, after in-flight events finish. */
  dispose?(): Promise<void> | void;
}

/** Where a handler was declared, for errors `<file>#<pointer>`. */
export interface HandlerSource {
  file: string;
  pointer: string;
  format: ApiFormat | 'gateway';
}

/** The API a handler serves; `undefined` for gateway-level (system) handlers. */
export interface ApiContext {
  apiId: string;
  orgId: string;
  name: string;
}

/**
 * Runtime-lifetime objects plugins may share across generations (a sandbox process, a pool).
 * Created on first use, disposed when the runtime closes.
 */
/** What the JS sandbox reports about its activity, as a plugin offers it to metrics (`ctx.stats`). */
export interface SandboxActivityStats {
  restarts: number;
  generations: number;
  queued: number;
  inflightCrossings: number;
  crossings: number;
  events: number;
}

/** Runtime-long statistics a plugin may offer, by name. */
export interface ProvidedStats {
  sandbox: SandboxActivityStats;
}

/**
 * `ctx.stats`: a plugin offers runtime-long statistics to the runtime's metrics explicitly, by
 * name, instead of the metrics guessing at the objects it created.
 */
export interface StatsRegistry {
  /** Offer `read` under `name` (a later offer replaces it); returns the function that withdraws it. */
  provide<K extends keyof ProvidedStats>(name: K, read: () => ProvidedStats[K]): () => void;
}

export interface SharedScope {
  getOrCreate<T>(key: string, create: () => T, dispose?: (value: T) => Promise<void> | void): T;
}

/** Everything a handler may use. Built-ins get nothing more than this. */
export interface HandlerContext {
  /** Child logger with `{plugin, api_id, handler}` bound. */
  readonly logger: Logger;
  readonly store: Store;
  /** Key sessions (TykGetKeyData / TykSetKeyData); handlers scope access by organisation themselves. */
  readonly sessions: FirehookSessionStore;
  readonly gateway: Readonly<GatewayConfig>;
  /** Offer runtime-long statistics (the JS sandbox's) to the runtime's metrics. */
  readonly stats: StatsRegistry;
  readonly api: ApiContext | undefined;
  readonly source: HandlerSource;
  /** Event type this handler instance is registered for. */
  readonly event: EventType;
  /** Stable id of this handler: `<api_id or "system">:<event>:<index>` unless configured. */
  readonly handlerId: string;
  readonly templates: TemplateService;
  readonly delivery: DeliveryService;
  /**
   * HTTP for plugins that call out themselves (lookups, enrichment): obeys the private-network
   * policy of the gateway's `webhooks` settings, never follows redirects, has a deadline and a
   * response-body cap. Posting notifications should go through `delivery` instead (retries,
   * cooldown, breaker, dead letters).
   */
  readonly http: PluginHttpClient;
  readonly shared: SharedScope;
  /** Webhook definitions shared by id across APIs (Tyk Dashboard's global webhooks); absent when the host keeps none. */
  readonly globalWebhooks?: GlobalWebhookRegistry;
  /** Resolve a configured path: absolute stays, relative resolves against the config's base dir. */
  resolvePath(path: string): string;
  /** Report a non-fatal problem at load (e.g. a fallback); printed as `<file>#<pointer>: warning: ...`. */
  warn(pointer: string, message: string): void;
  /** Fire an event of one's own (custom events must be declared in `events`). */
  fire<T extends EventType>(apiId: string, type: T, meta: MetaInput<T>): void;
  fireSystem<T extends EventType>(type: T, meta: MetaInput<T>): void;
}

/** A handler type. `O` is the options type after `normalize` and schema validation. */
export interface HandlerPlugin<O = Record<string, unknown>> {
  /** The Classic `handler_name` users write, e.g. `eh_web_hook_handler`. */
  readonly name: string;
  /** Other names accepted, e.g. the OAS `type` (`webhook`). */
  readonly aliases?: readonly string[];
  /** Must equal {@link PLUGIN_CONTRACT_VERSION}. */
  readonly contractVersion: number;
  /** Schema for the normalised options; validated at load, problems reported with pointers. */
  readonly optionsSchema: JsonSchema;
  /** Custom event names this plugin fires, so validation accepts them. */
  readonly events?: readonly string[];
  /**
   * Map raw `handler_meta` (Classic keys match case-insensitively; OAS fields by name) to the
   * options the schema validates. Defaults to lower-casing Classic keys.
   */
  normalize?(meta: Readonly<Record<string, unknown>>, source: HandlerSource, gateway: Readonly<GatewayConfig>): Record<string, unknown>;
  /**
   * Build a handler. May be async (it runs under the setup timeout). Throw a ConfigError with
   * pointers for invalid options that the schema cannot express.
   */
  create(options: O, ctx: HandlerContext): Handler | Promise<Handler>;
  /**
   * Contribute handlers that no API definition names (e.g. JS files in `event_handlers_path`
   * that register themselves). Called once per generation, before handlers are created; each
   * result is then normalised, validated and created like a configured handler.
   */
  discover?(ctx: DiscoverContext): Promise<DiscoveredHandler[]>;
  /** Files this generation's handlers read (e.g. JS handler files), watched for hot reload. */
  watchPaths?(): readonly string[];
  /** Release plugin-wide resources for this generation; idempotent. */
  dispose?(): Promise<void> | void;
}

/** What `discover` may use. */
export interface DiscoverContext {
  readonly logger: Logger;
  readonly gateway: Readonly<GatewayConfig>;
  readonly shared: SharedScope;
  readonly stats: StatsRegistry;
  resolvePath(path: string): string;
}

/** A handler a plugin found by itself. */
export interface DiscoveredHandler {
  /** Event types it handles. */
  events: readonly string[];
  /** API ids it serves; `'*'` for every API. Gateway-level (system events) when `system` is true. */
  apis: readonly string[] | '*';
  system?: boolean;
  /** Raw options, as a Classic `handler_meta` would hold them. */
  meta: Record<string, unknown>;
  /** Where it came from, for errors (`file`, and a pointer if any). */
  file: string;
}

/**
 * What a plugin module exports: a plugin, or a factory called once per configuration generation
 * (so plugin-wide state starts fresh with each generation and `dispose` ends it).
 */
export type PluginExport = HandlerPlugin<never> | (() => HandlerPlugin<never>);

/** Identity helper with full types for plugin authors. */
export function definePlugin<O>(plugin: HandlerPlugin<O>): HandlerPlugin<O> {
  return plugin;
}
