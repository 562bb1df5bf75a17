export { createDeliveryService, type DeliveryServiceOptions, type ManagedDeliveryService } from './create-delivery-service.ts';
export { DEFAULT_TIMEOUT_MS, resolveDeliveryOptions, type HandlerDeliveryConfig } from './delivery-options.ts';
export { DEFAULT_DELIVERY_KEY_PREFIX, RedisDeliveryAdmin } from './redis-admin.ts';
export { DEFAULT_RETRY_SCHEDULE, DEFAULT_RETRY_SCHEDULE_MS, judgeError, judgeResponse, parseRetryAfter, retryDelay } from './retry-policy.ts';
export { decodeSigningSecret, signatureHeaders, signWebhook } from './signing.ts';
export { DEFAULT_TUNING, type DeliveryTuning } from './tuning.ts';
export type * from './delivery-service.ts';
