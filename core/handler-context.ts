import type { GatewayConfig } from './config/gateway-config.ts';
import { resolveConfigPath } from './config/load-gateway-config.ts';
import type { ConfigProblem } from './errors/firehook-error.ts';
import type { Logger } from './logger.ts';
import type { ApiContext, HandlerContext, HandlerSource } from './plugin.ts';
import type { RuntimeServices } from './runtime-services.ts';

/** The one way a handler's context is built: from the runtime's services and where it was declared. */
export function createHandlerContext(p: {
  services: RuntimeServices;
  gateway: GatewayConfig;
  api: ApiContext | undefined;
  source: HandlerSource;
  event: string;
  handlerId: string;
  logger: Logger;
  /** Warnings raised through `ctx.warn` land here, pointers relative to `source.pointer`. */
  problems: ConfigProblem[];
}): HandlerContext {
  const { services, gateway, source, problems } = p;
  return {
    logger: p.logger,
    store: services.store,
    sessions: services.sessions,
    gateway,
    api: p.api,
    source,
    event: p.event,
    handlerId: p.handlerId,
    templates: services.templates,
    delivery: services.delivery,
    http: services.http,
    shared: services.shared,
    stats: services.stats,
    ...(services.globalWebhooks ? { globalWebhooks: services.globalWebhooks } : {}),
    resolvePath: (path) => resolveConfigPath(gateway, path),
    warn: (pointer, message) => problems.push({ file: source.file, pointer: source.pointer + pointer, message, severity: 'warning' }),
    fire: (apiId, type, meta) => services.fire(apiId, type, meta),
    fireSystem: (type, meta) => services.fireSystem(type, meta),
  };
}
