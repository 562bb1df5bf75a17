export { createDeliveryService, type DeliveryServiceOptions, type ManagedDeliveryService } from './create-delivery-service.ts';
export { RedisDeliveryAdmin } from './redis-admin.ts';
export { DEFAULT_RETRY_SCHEDULE, DEFAULT_RETRY_SCHEDULE_MS } from './retry-policy.ts';
export { signWebhook } from './signing.ts';
export { type DeliveryTuning } from './tuning.ts';
export type * from './delivery-service.ts';
