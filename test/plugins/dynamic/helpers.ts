/** Real parts for plugin tests: a loaded gateway config, the memory store, the session store, a capturing logger. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '../../../core/config/gateway-config.ts';
import { loadGatewayConfig, resolveConfigPath } from '../../../core/config/load-gateway-config.ts';
import { formatGoTime } from '../../../core/go/time.ts';
import type { EventMessage, EventMeta } from '../../../core/event.ts';
import type { DiscoverContext, HandlerContext } from '../../../core/plugin.ts';
import { SharedObjects } from '../../../core/runtime-services.ts';
import { createSessionStore } from '../../../core/sessions/create-session-store.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { captureLogger } from '../../helpers/capture-logger.ts';
import { ProvidedStatsRegistry } from '../../../core/stats-registry.ts';

export interface PluginWorld {
  dir: string;
  gateway: GatewayConfig;
  store: MemoryStore;
  sessions: ReturnType<typeof createSessionStore>;
  shared: SharedObjects;
  stats: ProvidedStatsRegistry;
  lines: Record<string, unknown>[];
  warnings: string[];
  context(options?: { api?: { apiId: string; orgId: string } | null; format?: 'classic' | 'oas' | 'gateway'; event?: string }): HandlerContext;
  discoverContext(): DiscoverContext;
  write(name: string, source: string): Promise<string>;
  close(): Promise<void>;
}

export async function pluginWorld(gatewayExtra: Record<string, unknown> = {}): Promise<PluginWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-dynamic-'));
  await writeFile(
    join(dir, 'gateway.json'),
    JSON.stringify({ event_handlers_path: 'handlers', jsvm_timeout: 1, webhooks: { allow_networks: ['127.0.0.1'] }, ...gatewayExtra }),
  );
  const { config, problems } = await loadGatewayConfig(join(dir, 'gateway.json'));
  if (!config) throw new Error(problems.map((p) => p.message).join('; '));
  const { logger, lines } = captureLogger();
  const store = new MemoryStore();
  const sessions = createSessionStore({ store, fireSystem: () => undefined });
  const shared = new SharedObjects();
  const stats = new ProvidedStatsRegistry();
  const warnings: string[] = [];
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used')) });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'handlers'));
  return {
    dir,
    gateway: config,
    store,
    sessions,
    shared,
    stats,
    lines,
    warnings,
    context(options = {}) {
      const api = options.api === undefined ? { apiId: 'api-a', orgId: 'org-a' } : options.api;
      const format = options.format ?? 'classic';
      return {
        logger,
        store,
        sessions,
        gateway: config,
        api: api ? { ...api, name: 'API' } : undefined,
        source: {
          file: join(dir, 'apps/api.json'),
          pointer: format === 'oas' ? '/x-tyk-api-gateway/server/eventHandlers/0' : '/event_handlers/events/AuthFailure/0/handler_meta',
          format,
        },
        event: options.event ?? 'AuthFailure',
        handlerId: `${api?.apiId ?? 'system'}:AuthFailure:0`,
        templates: unused as HandlerContext['templates'],
        delivery: unused as HandlerContext['delivery'],
        http: unused as HandlerContext['http'],
        shared,
        stats,
        resolvePath: (p) => resolveConfigPath(config, p),
        warn: (pointer, message) => warnings.push(`${pointer}: ${message}`),
        fire: () => undefined,
        fireSystem: () => undefined,
      };
    },
    discoverContext() {
      return { logger, gateway: config, shared, stats, resolvePath: (p) => resolveConfigPath(config, p) };
    },
    async write(name, source) {
      const path = join(dir, 'handlers', name);
      await writeFile(path, source);
      return path;
    },
    async close() {
      await shared.disposeAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function message(type: string, meta: EventMeta = {}, ids: { apiId?: string; orgId?: string } = {}): EventMessage {
  const time = Date.now();
  return Object.freeze({
    Type: type,
    Meta: Object.freeze({ Message: type, OriginatingRequest: '', ...meta }),
    TimeStamp: formatGoTime(time),
    apiId: ids.apiId ?? 'api-a',
    orgId: ids.orgId ?? 'org-a',
    time,
  });
}

/** Log lines the sandbox wrote for `log()` calls. */
export function jsLogs(world: PluginWorld): string[] {
  return world.lines.filter((l) => l.type === 'log-msg').map((l) => String(l.msg));
}
