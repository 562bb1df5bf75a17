// @ts-check
/**
 * firehook-plugin-chat: `fh_chat_notifier` (OAS `type: "chat"`) posts each event as a
 * Slack-compatible incoming-webhook message. Delivery goes through Firehook's delivery service,
 * so it has exactly the webhook handler's guarantees: atomic cooldown claim (Tyk's checksum of
 * method, URL and body), retries with backoff, per-target limits and breaker, the egress policy,
 * dead letters and replay, and durable mode on Redis.
 */
import { ConfigError, definePlugin, parseGoDuration, PLUGIN_CONTRACT_VERSION, resolveDeliveryOptions } from 'firehook/plugin';
// Tyk's webhook checksum belongs to the webhook plugin; firehook re-exports it for plugins that
// suppress duplicates the way webhooks do.
import { COOLDOWN_KEY_PREFIX, createWebhookChecksum } from 'firehook';
import { formatChatMessage } from './lib/format-message.js';
import { chatOptionsSchema, normalizeChatOptions } from './lib/options.js';

export const CHAT_PLUGIN_NAME = 'fh_chat_notifier';
export { formatChatMessage } from './lib/format-message.js';

/** @typedef {import('./lib/options.js').ChatOptions} ChatOptions */

export const plugin = definePlugin({
  name: CHAT_PLUGIN_NAME,
  aliases: ['chat'],
  contractVersion: PLUGIN_CONTRACT_VERSION,
  optionsSchema: chatOptionsSchema,
  normalize: normalizeChatOptions,
  /**
   * @param {ChatOptions} options
   * @param {import('firehook').HandlerContext} ctx
   */
  async create(options, ctx) {
    /** @param {string} key @param {unknown} error @returns {never} */
    const invalid = (key, error) => {
      const code = /** @type {{code?: string}} */ (error).code;
      throw new ConfigError([
        {
          file: ctx.source.file,
          pointer: `${ctx.source.pointer}/${key}`,
          message: `${/** @type {Error} */ (error).message}${code ? ` [${code}]` : ''}`,
          severity: 'error',
        },
      ]);
    };
    const cooldownMs = Math.ceil(parseGoDuration(options.cooldown ?? '0') ?? 0);
    let deliveryOptions;
    try {
      deliveryOptions = resolveDeliveryOptions(options, ctx.gateway.webhooks);
    } catch (error) {
      return invalid('retry_schedule', error);
    }
    /** @type {import('firehook').CompiledTemplate | undefined} */
    let template;
    if (options.template_path !== undefined) {
      try {
        template = await ctx.templates.load(ctx.resolvePath(options.template_path));
      } catch (error) {
        return invalid('template_path', error);
      }
      if (template.format !== 'json') return invalid('template_path', new Error('must be a .json template (chat services take JSON)'));
    }
    const url = options.url;
    const checksumKey = cooldownMs > 0 ? createWebhookChecksum({ method: 'POST', url }, { keyPrefix: COOLDOWN_KEY_PREFIX }) : undefined;
    const format = { title: options.title, channel: options.channel, username: options.username, icon_emoji: options.icon_emoji, handlerId: ctx.handlerId };
    ctx.logger.debug({ target: new URL(url).origin, cooldown_ms: cooldownMs, template: template?.path }, 'chat notifier ready');

    return {
      async handle(event) {
        const body = template
          ? template.render({ Type: event.Type, Meta: event.Meta, TimeStamp: event.TimeStamp, EventType: event.Type, EventMetaData: event.Meta, API: ctx.api })
          : JSON.stringify(formatChatMessage(event, ctx.api, format));
        /** @type {import('firehook').DeliveryRequest} */
        const request = {
          url,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          options: deliveryOptions,
          origin: { apiId: event.apiId, eventType: event.Type, handler: ctx.handlerId, plugin: CHAT_PLUGIN_NAME },
        };
        if (checksumKey) request.cooldown = { key: checksumKey(body), ttlMs: cooldownMs };
        const result = await ctx.delivery.submit(request);
        return result.status === 'queued'
          ? { status: 'queued', detail: `delivery ${result.id}` }
          : { status: 'suppressed', detail: `same message within cooldown ${options.cooldown}` };
      },
    };
  },
});
