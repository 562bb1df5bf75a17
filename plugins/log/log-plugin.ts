import { definePlugin, obfuscateKey, PLUGIN_CONTRACT_VERSION, type HandlerPlugin } from '../../core/plugin-api.ts';

export interface LogOptions {
  prefix: string;
  disabled?: boolean;
  id?: string;
}

/**
 * `eh_log_handler` (OAS `log`): one warn-level line per event, message exactly `<prefix>:<Type>`
 * as Tyk writes it, plus structured fields with the key obfuscated.
 */
export function createLogPlugin(): HandlerPlugin<LogOptions> {
  return definePlugin<LogOptions>({
    name: 'eh_log_handler',
    aliases: ['log'],
    contractVersion: PLUGIN_CONTRACT_VERSION,
    optionsSchema: {
      type: 'object',
      properties: {
        prefix: { type: 'string' },
        disabled: { type: 'boolean' },
        id: { type: 'string' },
      },
    },
    normalize(meta, source) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(meta)) out[k.toLowerCase()] = v;
      if (source.format === 'oas') return { prefix: meta.logPrefix ?? '', ...(meta.id !== undefined ? { id: meta.id } : {}) };
      return { ...out, prefix: out.prefix ?? '' };
    },
    create(options, ctx) {
      const prefix = options.prefix;
      return {
        handle(event) {
          const meta = event.Meta;
          const fields: Record<string, unknown> = { event: event.Type, org_id: event.orgId || undefined };
          if (event.apiId !== '' && ctx.api === undefined) fields.api_id = event.apiId;
          if (typeof meta.Path === 'string') fields.path = meta.Path;
          if (typeof meta.Origin === 'string') fields.origin = meta.Origin;
          if (typeof meta.Key === 'string') fields.key = obfuscateKey(meta.Key);
          ctx.logger.warn(fields, `${prefix}:${event.Type}`);
          return { status: 'ok' };
        },
      };
    },
  });
}
