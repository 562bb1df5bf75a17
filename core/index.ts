/**
 * The embedding door, `firehook`: everything of the plugin door (`firehook/plugin`,
 * core/plugin-api.ts) plus what a program that embeds Firehook uses: the runtime, the ingestion
 * server, the stores, the logger, configuration loading, and the building blocks of the admin side.
 * Nothing here registers or starts anything on import. The one side effect is the metadata
 * polyfill the composition root (tsyringe) needs, so `import ... from 'firehook'` works on its own
 * (in a plugin's tests, say) without the importer knowing about `reflect-metadata`. Before it, the
 * Node.js version check (it exits 2 with a clear line on Node < 24, before any dependency loads).
 */
import './node-version.ts';
// Loaded and run for its side effect exactly like `import 'reflect-metadata'`, but written with an
// (empty) import list so the emitted index.d.ts does not import it: the polyfill's global `Reflect`
// declarations are not part of Firehook's types (test/core/public-declarations.test.ts).
import {} from 'reflect-metadata';
export * from './plugin-api.ts';
// Tyk's webhook checksum and cooldown key belong to the webhook plugin; other plugins that
// suppress duplicates the way webhooks do (firehook-plugin-chat) take them from here.
export {
  certificateChecksum,
  cooldownKey,
  COOLDOWN_KEY_PREFIX,
  createWebhookChecksum,
  goExpiryText,
  goRequestTarget,
  webhookChecksum,
  webhookWireForm,
  type CertificateChecksumInput,
  type WebhookChecksumInput,
} from '../plugins/webhook/checksum.ts';
export {
  createPluginHttpClient,
  DEFAULT_PLUGIN_HTTP_MAX_RESPONSE_BYTES,
  DEFAULT_PLUGIN_HTTP_TIMEOUT_MS,
  type ManagedPluginHttpClient,
  type PluginHttpClientOptions,
} from './plugin-http-client.ts';
export { MemoryStore } from './store/memory-store.ts';
export { RedisStore, type RedisStoreOptions } from './store/redis-store.ts';
export type { RedisConnection } from './store/redis-connection.ts';
export { createLogger } from './logger.ts';
export { createEgressPolicy, parseAllowNetworks, type EgressPolicy, type EgressPolicyOptions } from './net/egress-policy.ts';
export { isPrivateAddress } from './net/ip-address.ts';
export { applyEgressFloor, type GatewayEgress } from './net/egress-floor.ts';
export { createSessionStore, type SessionStoreOptions } from './sessions/create-session-store.ts';
export {
  checkSessionKey,
  copySession,
  DEFAULT_SESSION_LIMITS,
  MAX_SESSION_KEY_BYTES,
  parseSession,
  type SessionLimits,
} from './sessions/session-validation.ts';
export { createQuotaMonitor, type QuotaCheckResult, type QuotaMonitor, type QuotaMonitorOptions } from './monitor/quota-monitor.ts';
export {
  BUILTIN_ERROR_JSON,
  createErrorRenderer,
  errorFormatFor,
  type ErrorRenderer,
  type ErrorRendererOptions,
  type ErrorRenderInput,
  type ErrorResponse,
} from './error-templates/error-renderer.ts';
export { createRuntime, Runtime, type CloseReport, type ReloadResult, type RuntimeOptions, type RuntimeStats } from './runtime.ts';
export { IngestServer, type IngestServerOptions } from './http/server.ts';
export { loadGatewayConfig, EMBEDDED_DEFAULTS, type GatewayOverrides } from './config/load-gateway-config.ts';
export { validateFiles } from './validate-files.ts';
export { createTemplateService, templateFormatFor, TemplateError, type TemplateServiceOptions } from './template/index.ts';
export type { ManagedDeliveryService } from './delivery/index.ts';
export { GlobalWebhookRegistry, type GlobalWebhookRegistryOptions, type WebhookWatcher } from './global-webhooks/registry.ts';
export { globalWebhookSchema, parseGlobalWebhook, maskSecrets, type GlobalWebhookInput } from './global-webhooks/global-webhook.ts';
export { MemoryWebhookBackend, type WebhookBackend } from './global-webhooks/backend.ts';
export { RedisWebhookBackend } from './global-webhooks/redis-backend.ts';
export { readSeeds, seedGlobalWebhooks, type SeedResult } from './global-webhooks/seeds.ts';
export { sampleMeta } from './sample-events.ts';
export { MetricsService, DEFAULT_METRICS_CONFIG, type MetricsConfig, type MetricsSources } from './metrics/metrics-service.ts';
export {
  createDeliveryService,
  DEFAULT_RETRY_SCHEDULE,
  DEFAULT_RETRY_SCHEDULE_MS,
  RedisDeliveryAdmin,
  signWebhook,
  type DeliveryServiceOptions,
  type DeliveryTuning,
} from './delivery/index.ts';
export { AdminHttp, type AdminHttpOptions } from './admin/admin-http.ts';
export { checkAdminAccess, type GateResult } from './admin/admin-auth.ts';
export { EventStream, safeMeta, type StreamFilter } from './dispatch/event-stream.ts';
export type { TestFireInput, TestFireResult } from './test-fire.ts';
