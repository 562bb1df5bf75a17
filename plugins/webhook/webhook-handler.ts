/**
 * One webhook handler: render the template, compute Tyk's checksum, submit to the delivery service
 * with a cooldown claim. Everything that depends only on configuration is prepared once here.
 */
import { join } from 'node:path';
import {
  certificateChecksum,
  ConfigError,
  COOLDOWN_KEY_PREFIX,
  cooldownKey,
  createWebhookChecksum,
  resolveDeliveryOptions,
  type CompiledTemplate,
  type DeliveryRequest,
  type EventMessage,
  type Handler,
  type HandlerContext,
  type HandlerOutcome,
} from '../../core/index.ts';
import { webhookHeaders } from './headers.ts';
import type { WebhookOptions } from './options-schema.ts';

export const WEBHOOK_PLUGIN_NAME = 'eh_web_hook_handler';

const CERTIFICATE_EXPIRY_FIELD: Record<string, string> = { CertificateExpiringSoon: 'ExpiresAt', CertificateExpired: 'ExpiredAt' };

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** Load the handler's template: a custom one that cannot be read falls back to the default, as in Tyk. */
async function loadTemplate(options: WebhookOptions, ctx: HandlerContext, tykCompatEscaping: boolean): Promise<CompiledTemplate> {
  const defaultPath = join(ctx.resolvePath(ctx.gateway.template_path), 'default_webhook.json');
  const pointer = ctx.source.format === 'oas' ? '/bodyTemplate' : '/template_path';
  const fail = (error: unknown, where: string): never => {
    const code = (error as { code?: string }).code;
    throw new ConfigError([{ file: ctx.source.file, pointer: ctx.source.pointer + where, message: `${(error as Error).message}${code ? ` [${code}]` : ''}`, severity: 'error' }]);
  };
  if (options.template_path !== '') {
    const custom = ctx.resolvePath(options.template_path);
    try {
      return await ctx.templates.load(custom, { tykCompatEscaping });
    } catch (error) {
      if ((error as { code?: string }).code !== 'FH_TEMPLATE_UNREADABLE') fail(error, pointer);
      ctx.warn(pointer, `${(error as Error).message}; using the default template ${defaultPath}`);
    }
  }
  try {
    return await ctx.templates.load(defaultPath, { tykCompatEscaping });
  } catch (error) {
    return fail(error, '');
  }
}

/** Build a live handler from validated options. */
export async function createWebhookHandler(options: WebhookOptions, ctx: HandlerContext): Promise<Handler> {
  if (options.disabled) return { handle: () => ({ status: 'skipped', detail: 'disabled' }) };
  const webhooks = ctx.gateway.webhooks ?? {};
  const tykCompatEscaping = options.tyk_compat_escaping ?? webhooks.tyk_compat_escaping ?? false;
  const template = await loadTemplate(options, ctx, tykCompatEscaping);
  const { method, target_path: url } = options;
  const headers = webhookHeaders(options.header_map, template.format, ctx.gateway.ignore_canonical_mime_header_key === true);
  const deliveryOptions = resolveDeliveryOptions(options, webhooks);
  const cooldownMs = options.event_timeout * 1000;
  const checksumKey = cooldownMs > 0 ? createWebhookChecksum({ method, url }, { keyPrefix: COOLDOWN_KEY_PREFIX }) : undefined;
  const handler = ctx.handlerId;
  ctx.logger.debug({ url: url.replace(/\?.*$/, ''), method, template: template.path, cooldown_s: options.event_timeout }, 'webhook handler ready');

  return {
    async handle(event: EventMessage): Promise<HandlerOutcome> {
      const body = template.render({ Type: event.Type, Meta: event.Meta, TimeStamp: event.TimeStamp, EventType: event.Type, EventMetaData: event.Meta });
      const request: DeliveryRequest = {
        url,
        method,
        headers: { ...headers },
        body: method === 'GET' ? undefined : body,
        options: deliveryOptions,
        origin: { apiId: event.apiId, eventType: event.Type, handler, plugin: WEBHOOK_PLUGIN_NAME },
      };
      if (checksumKey !== undefined) {
        const expiryField = CERTIFICATE_EXPIRY_FIELD[event.Type];
        const meta = event.Meta;
        const key = expiryField === undefined
          ? checksumKey(body)
          : cooldownKey(certificateChecksum({ type: event.Type, certId: text(meta.CertID), certName: text(meta.CertName), expiry: text(meta[expiryField]), apiId: text(meta.APIID) }));
        request.cooldown = { key, ttlMs: cooldownMs };
      }
      const result = await ctx.delivery.submit(request);
      return result.status === 'queued' ? { status: 'queued', detail: `delivery ${result.id}` } : { status: 'suppressed', detail: `duplicate within event_timeout (${options.event_timeout}s)` };
    },
  };
}
