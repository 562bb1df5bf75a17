/**
 * Firehook's public surface: everything embedding code and plugin packages may import.
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
export { BUILTIN_EVENT_TYPES, isBuiltinEventType, tykView } from './event.ts';
export type * from './event.ts';
export { formatGoTime, parseGoDuration, parseRfc3339 } from './go/time.ts';
export { canonicalMimeHeaderKey } from './go/http.ts';
export { deliveryOptionProblems } from './config/delivery-option-checks.ts';
export { deliveryOptionProperties, GO_DURATION_PATTERN, goDuration, headerValue, HTTP_HEADER_VALUE_PATTERN, HTTP_TOKEN_PATTERN, SIGNING_SECRET_PATTERN } from './config/schema-fragments.ts';
export { ERROR_CODES, type ErrorCode } from './errors/codes.ts';
export { ConfigError, FirehookError, formatProblem, HandlerError, StoreError, toPointer, type ConfigProblem } from './errors/firehook-error.ts';
export { definePlugin, HANDLER_PLUGIN, PLUGIN_CONTRACT_VERSION } from './plugin.ts';
export type * from './plugin.ts';
export { createPluginHttpClient, DEFAULT_PLUGIN_HTTP_MAX_RESPONSE_BYTES, DEFAULT_PLUGIN_HTTP_TIMEOUT_MS, type ManagedPluginHttpClient, type PluginHttpClient, type PluginHttpClientOptions, type PluginHttpRequestInit, type PluginHttpResponse } from './plugin-http-client.ts';
export type { Store } from './store/store.ts';
export { MemoryStore } from './store/memory-store.ts';
export { RedisStore, type RedisStoreOptions } from './store/redis-store.ts';
export type { RedisConnection } from './store/redis-connection.ts';
export type { Session, SessionStore } from './sessions/session-store.ts';
export type * from './template/template-service.ts';
export type * from './delivery/delivery-service.ts';
export type * from './config/gateway-config.ts';
export type * from './config/api-definition.ts';
export { createLogger, obfuscateKey, type Logger } from './logger.ts';
export type { HandlerReport } from './dispatch/handler-slot.ts';
export { checkTargetUrl, createEgressPolicy, EgressDeniedError, parseAllowNetworks, type EgressPolicy, type EgressPolicyOptions } from './net/egress-policy.ts';
export { isPrivateAddress } from './net/ip-address.ts';
export { createEgressDispatcher, type EgressDispatcher, type EgressDispatcherOptions } from './net/egress-dispatcher.ts';
export { applyEgressFloor, egressFloorProblems, type GatewayEgress } from './net/egress-floor.ts';
export { createSessionStore, type FirehookSessionStore, type SessionStoreOptions, type SetSessionOptions, type TokenEventType } from './sessions/create-session-store.ts';
export { checkSessionKey, copySession, DEFAULT_SESSION_LIMITS, MAX_SESSION_KEY_BYTES, parseSession, type SessionLimits } from './sessions/session-validation.ts';
export { createQuotaMonitor, type QuotaCheckResult, type QuotaMonitor, type QuotaMonitorOptions } from './monitor/quota-monitor.ts';
export { BUILTIN_ERROR_JSON, createErrorRenderer, errorFormatFor, type ErrorRenderer, type ErrorRendererOptions, type ErrorRenderInput, type ErrorResponse } from './error-templates/error-renderer.ts';
export * from './originating-request/index.ts';
export { createRuntime, Runtime, type CloseReport, type ReloadResult, type RuntimeOptions, type RuntimeStats } from './runtime.ts';
export { IngestServer, type IngestServerOptions } from './http/server.ts';
export { loadGatewayConfig, EMBEDDED_DEFAULTS, type GatewayOverrides } from './config/load-gateway-config.ts';
export { validateFiles } from './config/validate-files.ts';
export { createTemplateService, templateFormatFor, TemplateError, type TemplateServiceOptions } from './template/index.ts';
export { certificateChecksum, cooldownKey, COOLDOWN_KEY_PREFIX, createWebhookChecksum, goExpiryText, goRequestTarget, webhookChecksum, webhookWireForm, type CertificateChecksumInput, type WebhookChecksumInput } from './delivery/checksum.ts';
export { resolveDeliveryOptions, type HandlerDeliveryConfig } from './delivery/index.ts';
export type { ManagedDeliveryService } from './delivery/index.ts';
export { validateAgainst as validateOptions, showValue, dedupeProblems } from './config/validate.ts';
export { GlobalWebhookRegistry, type GlobalWebhookRegistryOptions, type WebhookWatcher } from './global-webhooks/registry.ts';
export { globalWebhookAsOasHandler, globalWebhookSchema, parseGlobalWebhook, maskSecrets, type GlobalWebhookInput, type GlobalWebhookRecord } from './global-webhooks/global-webhook.ts';
export { MemoryWebhookBackend, type WebhookBackend } from './global-webhooks/backend.ts';
export { RedisWebhookBackend } from './global-webhooks/redis-backend.ts';
export { readSeeds, seedGlobalWebhooks, type SeedResult } from './global-webhooks/seeds.ts';
export { sampleMeta } from './admin/sample-events.ts';
export { MetricsService, DEFAULT_METRICS_CONFIG, type MetricsConfig, type MetricsSources } from './metrics/metrics-service.ts';
export { createDeliveryService, DEFAULT_RETRY_SCHEDULE, DEFAULT_RETRY_SCHEDULE_MS, RedisDeliveryAdmin, signWebhook, type DeliveryServiceOptions, type DeliveryTuning } from './delivery/index.ts';
export { AdminHttp, type AdminHttpOptions } from './admin/admin-http.ts';
export { checkAdminAccess, type GateResult } from './admin/admin-auth.ts';
export { EventStream, safeMeta, type StreamFilter } from './admin/event-stream.ts';
export type { TestFireInput, TestFireResult } from './admin/test-fire.ts';
