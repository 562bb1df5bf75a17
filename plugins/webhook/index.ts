export { createWebhookPlugin } from './webhook-plugin.ts';
export { webhookHeaders } from './headers.ts';
export { normalizeWebhookOptions } from './normalize-options.ts';
export { WEBHOOK_METHODS, webhookOptionsSchema, type WebhookOptions } from './options-schema.ts';
export { createWebhookHandler, WEBHOOK_PLUGIN_NAME } from './webhook-handler.ts';
