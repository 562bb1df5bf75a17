/**
 * JSON Schemas for the documents Firehook loads. Tyk documents keep their extra fields;
 * Firehook's own sections reject unknown keys.
 */
import type { JsonSchema } from '../plugin.ts';
import { deliveryOptionProperties, goDuration, headerValue, HTTP_TOKEN_PATTERN } from './schema-fragments.ts';

const handlerEntry = {
  type: 'object',
  required: ['handler_name'],
  properties: {
    handler_name: { type: 'string', minLength: 1 },
    handler_meta: { type: 'object' },
  },
} as const;

/** `event_handlers` in Classic definitions and the gateway config. */
const eventHandlersSchema = {
  type: 'object',
  properties: {
    events: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { type: 'array', items: handlerEntry },
    },
  },
} as const;

export const gatewayConfigSchema: JsonSchema = {
  type: 'object',
  properties: {
    event_handlers: eventHandlersSchema,
    template_path: { type: 'string' },
    app_path: { type: 'string' },
    monitor: {
      type: 'object',
      properties: {
        enable_trigger_monitors: { type: 'boolean' },
        configuration: {
          type: 'object',
          properties: {
            method: { type: 'string' },
            target_path: { type: 'string' },
            template_path: { type: 'string' },
            header_map: {
              type: 'object',
              propertyNames: { pattern: HTTP_TOKEN_PATTERN, errorMessage: 'must be a valid HTTP header name' },
              additionalProperties: headerValue(),
            },
            event_timeout: { type: 'integer', minimum: 0 },
          },
        },
        global_trigger_limit: { type: 'number', minimum: 0, maximum: 100 },
        monitor_user_keys: { type: 'boolean' },
        monitor_org_keys: { type: 'boolean' },
        obfuscate_keys: { type: 'boolean' },
      },
    },
    enable_jsvm: { type: 'boolean' },
    jsvm_timeout: { type: 'number' },
    jsvm_memory_limit: { type: 'integer', minimum: 8, maximum: 16384 },
    jsvm_shared_context: { type: 'boolean' },
    tyk_js_path: { type: 'string' },
    hide_generator_header: { type: 'boolean' },
    track_404_logs: { type: 'boolean' },
    ignore_canonical_mime_header_key: { type: 'boolean' },
    storage: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['memory', 'redis'] },
        host: { type: 'string' },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        addrs: { type: 'array', items: { type: 'string' } },
        username: { type: 'string' },
        password: { type: 'string' },
        database: { type: 'integer', minimum: 0 },
        enable_cluster: { type: 'boolean' },
        use_ssl: { type: 'boolean' },
        url: { type: 'string', pattern: '^rediss?://', errorMessage: 'must be a redis:// or rediss:// URL' },
        key_prefix: { type: 'string' },
      },
    },
    listen: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):\\d{1,5}$', errorMessage: 'must be host:port (IPv6 in brackets)' },
    ingest_secret: { type: 'string' },
    ingest_body_limit: { type: 'integer', minimum: 1 },
    ingest_max_events: { type: 'integer', minimum: 1 },
    ingest_read_timeout: goDuration('"10s" or "30s"'),
    ingest_max_connections: { type: 'integer', minimum: 1 },
    event_handlers_path: { type: 'string' },
    plugins: { type: 'array', items: { type: 'string', minLength: 1 } },
    log_level: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    log_transports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['target'],
        additionalProperties: false,
        properties: { target: { type: 'string', minLength: 1 }, level: { type: 'string' }, options: { type: 'object' } },
      },
    },
    webhooks: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...deliveryOptionProperties(),
        max_concurrency_per_target: { type: 'integer', minimum: 1 },
        durable: { type: 'boolean' },
        breaker: {
          type: 'object',
          additionalProperties: false,
          properties: {
            failures: { type: 'integer', minimum: 1 },
            open: goDuration('"30s" or "1m"'),
            max_open: goDuration('"5m" or "1h"'),
          },
        },
        claim_idle: goDuration('"60s" or "2m"'),
      },
    },
    admin_secret: { type: 'string' },
    global_webhooks: {
      type: 'object',
      additionalProperties: false,
      properties: {
        seed: { type: 'array', items: { type: 'string', minLength: 1 } },
        seed_overwrite: { type: 'boolean' },
        poll_interval_ms: { type: 'integer', minimum: 0 },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        public: { type: 'boolean' },
        default_metrics: { type: 'boolean' },
        max_label_values: { type: 'integer', minimum: 1 },
        latency_buckets: { type: 'array', minItems: 1, items: { type: 'number', exclusiveMinimum: 0 } },
      },
    },
    dispatch: {
      type: 'object',
      additionalProperties: false,
      properties: {
        queue_size: { type: 'integer', minimum: 1 },
        concurrency: { type: 'integer', minimum: 1 },
        overflow: { type: 'string', enum: ['drop-oldest', 'drop-newest'] },
        setup_timeout_ms: { type: 'integer', minimum: 1 },
        drain_timeout_ms: { type: 'integer', minimum: 0 },
      },
    },
  },
};

/** Tyk Classic API definition (only what Firehook reads is constrained). */
export const classicApiSchema: JsonSchema = {
  type: 'object',
  required: ['api_id'],
  properties: {
    api_id: { type: 'string', minLength: 1 },
    org_id: { type: 'string' },
    name: { type: 'string' },
    event_handlers: eventHandlersSchema,
  },
};

const oasEventHandler = {
  type: 'object',
  required: ['type', 'trigger'],
  properties: {
    enabled: { type: 'boolean' },
    trigger: { type: 'string', minLength: 1 },
    type: { type: 'string', minLength: 1 },
    id: { type: 'string' },
    name: { type: 'string' },
  },
} as const;

/** Tyk OAS API definition: the `x-tyk-api-gateway` extension. */
export const oasApiSchema: JsonSchema = {
  type: 'object',
  required: ['openapi', 'x-tyk-api-gateway'],
  properties: {
    openapi: { type: 'string' },
    'x-tyk-api-gateway': {
      type: 'object',
      required: ['info'],
      properties: {
        info: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1 }, orgId: { type: 'string' }, name: { type: 'string' } },
        },
        server: {
          type: 'object',
          properties: { eventHandlers: { type: 'array', items: oasEventHandler } },
        },
      },
    },
  },
};

/** Tyk Operator `ApiDefinition` manifest; `spec` is a Classic definition (api_id optional). */
export const operatorManifestSchema: JsonSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'spec'],
  properties: {
    apiVersion: { type: 'string', pattern: '^tyk\\.tyk\\.io/' },
    kind: { const: 'ApiDefinition' },
    metadata: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' } } },
    spec: {
      type: 'object',
      properties: {
        api_id: { type: 'string', minLength: 1 },
        org_id: { type: 'string' },
        name: { type: 'string' },
        event_handlers: eventHandlersSchema,
      },
    },
  },
};
