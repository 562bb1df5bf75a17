export { createWebhookPlugin } from './webhook-plugin.ts';
export { normalizeWebhookOptions } from './normalize-options.ts';
export { webhookOptionsSchema, type WebhookOptions } from './options-schema.ts';
