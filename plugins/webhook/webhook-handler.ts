/**
 * One webhook handler: render the template, compute Tyk's checksum, submit to the delivery service
 * with a cooldown claim. Everything that depends only on configuration is prepared once here.
 */
import { join } from 'node:path';
import {
  checkTargetUrl,
  ConfigError,
  egressFloorProblems,
  resolveDeliveryOptions,
  toPointer,
  type CompiledTemplate,
  type DeliveryRequest,
  type EventMessage,
  type Handler,
  type HandlerContext,
  type HandlerOutcome,
} from '../../core/plugin-api.ts';
import { followGlobalWebhook, resolveGlobalReference } from './global-reference.ts';
import { webhookHeaders } from './headers.ts';
import type { WebhookOptions } from './options-schema.ts';
import { certificateChecksum, COOLDOWN_KEY_PREFIX, cooldownKey, createWebhookChecksum } from './checksum.ts';

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
    throw new ConfigError([
      { file: ctx.source.file, pointer: ctx.source.pointer + where, message: `${(error as Error).message}${code ? ` [${code}]` : ''}`, severity: 'error' },
    ]);
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

/** Everything a delivery needs that depends only on configuration, prepared once per definition. */
interface Prepared {
  url: string;
  method: WebhookOptions['method'];
  headers: Record<string, string>;
  template: CompiledTemplate;
  deliveryOptions: ReturnType<typeof resolveDeliveryOptions>;
  cooldownMs: number;
  cooldownSeconds: number;
  checksumKey: ((body: string) => string) | undefined;
}

async function prepare(options: WebhookOptions & { target_path: string }, ctx: HandlerContext): Promise<Prepared> {
  const webhooks = ctx.gateway.webhooks ?? {};
  const tykCompatEscaping = options.tyk_compat_escaping ?? webhooks.tyk_compat_escaping ?? false;
  const template = await loadTemplate(options, ctx, tykCompatEscaping);
  const { method, target_path: url } = options;
  const cooldownMs = options.event_timeout * 1000;
  return {
    url,
    method,
    headers: webhookHeaders(options.header_map, template.format, ctx.gateway.ignore_canonical_mime_header_key === true),
    template,
    deliveryOptions: resolveDeliveryOptions(options, webhooks),
    cooldownMs,
    cooldownSeconds: options.event_timeout,
    checksumKey: cooldownMs > 0 ? createWebhookChecksum({ method, url }, { keyPrefix: COOLDOWN_KEY_PREFIX }) : undefined,
  };
}

/**
 * With `deny_private_networks` off (Tyk's behaviour, the default), say so when the target is a
 * loopback, private or otherwise reserved address, so `firehook validate` shows it.
 */
function warnPrivateTarget(p: Prepared, ctx: HandlerContext): void {
  if (p.deliveryOptions.denyPrivateNetworks) return;
  const kind = checkTargetUrl(p.url, { denyPrivateNetworks: false, allowNetworks: p.deliveryOptions.allowNetworks });
  if (kind === undefined) return;
  ctx.warn(
    ctx.source.format === 'oas' ? '/url' : '/target_path',
    `the target is a ${kind} address; set deny_private_networks: true to refuse private targets (off by default, as in Tyk)`,
  );
}

/**
 * The gateway's `deny_private_networks: true` is a floor (core/net/egress-floor.ts): a handler
 * asking to lower it is warned and ignored (API definitions are often shared with gateways that
 * allow private networks, so this is not an error that would disable the handler).
 */
function warnEgressFloor(globalId: string | undefined, options: WebhookOptions, ctx: HandlerContext): void {
  const own = globalId === undefined;
  const problems = egressFloorProblems(
    options,
    ctx.gateway.webhooks ?? {},
    ctx.source.file,
    (key, ...rest) => (own ? toPointer(key, ...rest) : '/id'),
    'warning',
  );
  for (const p of problems)
    ctx.warn(
      p.pointer,
      own
        ? p.message
        : `global webhook "${globalId}" ${p.message.startsWith('"') ? `allow_networks entry ${p.message}` : `deny_private_networks ${p.message}`}`,
    );
}

/** Build a live handler from validated options (resolving a global webhook reference first). */
export async function createWebhookHandler(options: WebhookOptions, ctx: HandlerContext): Promise<Handler> {
  if (options.disabled) return { handle: () => ({ status: 'skipped', detail: 'disabled' }) };
  const binding = await resolveGlobalReference(options, ctx);
  if (binding.kind === 'unresolved') return { handle: () => ({ status: 'skipped', detail: `global webhook "${options.id}" not resolved` }) };
  const state = { current: await prepare(binding.options, ctx) };
  warnPrivateTarget(state.current, ctx);
  warnEgressFloor(binding.kind === 'local' && binding.options === options ? undefined : options.id, binding.options, ctx);
  const handler = ctx.handlerId;
  ctx.logger.debug(
    {
      url: state.current.url.replace(/\?.*$/, ''),
      method: state.current.method,
      template: state.current.template.path,
      cooldown_s: state.current.cooldownSeconds,
      global: binding.kind === 'live' ? options.id : undefined,
    },
    'webhook handler ready',
  );
  const unwatch =
    binding.kind === 'live' ? followGlobalWebhook(options, binding.revision, ctx, async (next) => void (state.current = await prepare(next, ctx))) : undefined;

  return {
    async handle(event: EventMessage): Promise<HandlerOutcome> {
      const p = state.current;
      const body = p.template.render({ Type: event.Type, Meta: event.Meta, TimeStamp: event.TimeStamp, EventType: event.Type, EventMetaData: event.Meta });
      const request: DeliveryRequest = {
        url: p.url,
        method: p.method,
        headers: { ...p.headers },
        body: p.method === 'GET' ? undefined : body,
        options: p.deliveryOptions,
        origin: { apiId: event.apiId, eventType: event.Type, handler, plugin: WEBHOOK_PLUGIN_NAME },
      };
      if (event.idempotencyKey !== undefined) request.idempotencyKey = event.idempotencyKey;
      if (p.checksumKey !== undefined) {
        const expiryField = CERTIFICATE_EXPIRY_FIELD[event.Type];
        const meta = event.Meta;
        const key =
          expiryField === undefined
            ? p.checksumKey(body)
            : cooldownKey(
                certificateChecksum({
                  type: event.Type,
                  certId: text(meta.CertID),
                  certName: text(meta.CertName),
                  expiry: text(meta[expiryField]),
                  apiId: text(meta.APIID),
                }),
              );
        request.cooldown = { key, ttlMs: p.cooldownMs };
      }
      const result = await ctx.delivery.submit(request);
      return result.status === 'queued'
        ? { status: 'queued', detail: `delivery ${result.id}`, deliveryId: result.id }
        : { status: 'suppressed', detail: `duplicate within event_timeout (${p.cooldownSeconds}s)` };
    },
    dispose() {
      unwatch?.();
    },
  };
}
