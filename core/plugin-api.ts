/**
 * The plugin door, `firehook/plugin`: everything a handler plugin imports. The plugin contract, the
 * event model, errors, the interfaces of the services a plugin is handed (store, sessions,
 * templates, delivery, HTTP client, logger), and pure helpers (Go-compatible time, durations and
 * header names, option validation, the originating-request codec). Nothing here
 * starts or loads a runtime, and importing it has no side effect beyond the Node version check.
 *
 * The embedding door, `firehook` (core/index.ts), re-exports all of this and adds the runtime, the
 * ingestion server and the stores.
 */
import './node-version.ts';
export { BUILTIN_EVENT_TYPES, isBuiltinEventType, tykView } from './event.ts';
export type * from './event.ts';
export { definePlugin, HANDLER_PLUGIN, PLUGIN_CONTRACT_VERSION } from './plugin.ts';
export type * from './plugin.ts';
export { ERROR_CODES, type ErrorCode } from './errors/codes.ts';
export { ConfigError, FirehookError, formatProblem, HandlerError, StoreError, toPointer, type ConfigProblem } from './errors/firehook-error.ts';

// services a plugin is handed: their interfaces
export type { Store } from './store/store.ts';
export type { Session, SessionStore } from './sessions/session-store.ts';
export type { FirehookSessionStore, SetSessionOptions, TokenEventType } from './sessions/create-session-store.ts';
export type * from './template/template-service.ts';
export type * from './delivery/delivery-service.ts';
export type { PluginHttpClient, PluginHttpRequestInit, PluginHttpResponse } from './plugin-http-client.ts';
export type { Logger, LogFn } from './logger.ts';
export type * from './config/gateway-config.ts';
export type * from './config/api-definition.ts';
export type { GlobalWebhookRecord } from './global-webhooks/global-webhook.ts';

// pure helpers
export { obfuscateKey } from './logger.ts';
export { formatGoTime, parseGoDuration, parseRfc3339 } from './go/time.ts';
export { canonicalMimeHeaderKey } from './go/http.ts';
export * from './originating-request/index.ts';
export { resolveDeliveryOptions, type HandlerDeliveryConfig } from './delivery/delivery-options.ts';
export { globalWebhookAsOasHandler } from './global-webhooks/global-webhook.ts';

// validating a plugin's options the way Firehook validates its own configuration
export { validateAgainst as validateOptions, showValue, dedupeProblems } from './config/validate.ts';
export { deliveryOptionProblems } from './config/delivery-option-checks.ts';
export {
  deliveryOptionProperties,
  GO_DURATION_PATTERN,
  goDuration,
  headerValue,
  HTTP_HEADER_VALUE_PATTERN,
  HTTP_TOKEN_PATTERN,
  SIGNING_SECRET_PATTERN,
} from './config/schema-fragments.ts';

// egress: the private-network policy every outbound request of a plugin obeys
export { checkTargetUrl, EgressDeniedError } from './net/egress-policy.ts';
export { createEgressDispatcher, type EgressDispatcher, type EgressDispatcherOptions } from './net/egress-dispatcher.ts';
export { egressFloorProblems } from './net/egress-floor.ts';
