import { definePlugin, PLUGIN_CONTRACT_VERSION, type HandlerPlugin } from '../../core/plugin-api.ts';
import { normalizeWebhookOptions } from './normalize-options.ts';
import { webhookOptionsSchema, type WebhookOptions } from './options-schema.ts';
import { createWebhookHandler, WEBHOOK_PLUGIN_NAME } from './webhook-handler.ts';

/**
 * `eh_web_hook_handler` (Tyk OAS `webhook`): renders the event through a Tyk-compatible template
 * and hands it to the delivery service, with Tyk's cooldown checksum as the claim key.
 */
export function createWebhookPlugin(): HandlerPlugin<WebhookOptions> {
  return definePlugin<WebhookOptions>({
    name: WEBHOOK_PLUGIN_NAME,
    aliases: ['webhook'],
    contractVersion: PLUGIN_CONTRACT_VERSION,
    optionsSchema: webhookOptionsSchema,
    normalize: (meta, source) => normalizeWebhookOptions(meta, source) as unknown as Record<string, unknown>,
    create: (options, ctx) => createWebhookHandler(options, ctx),
  });
}
