import { GlobalWebhookRegistry } from './global-webhooks/registry.ts';
import { seedGlobalWebhooks } from './global-webhooks/seeds.ts';
import { RedisWebhookBackend } from './global-webhooks/redis-backend.ts';
import { resolveConfigPath } from './config/load-gateway-config.ts';
import { MemoryWebhookBackend } from './global-webhooks/backend.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import { createDeliveryService, type ManagedDeliveryService } from './delivery/index.ts';
import type { DeliveryService } from './delivery/delivery-service.ts';
import type { EventType, MetaInput } from './event.ts';
import type { Logger } from './logger.ts';
import { createQuotaMonitor, type QuotaMonitor } from './monitor/quota-monitor.ts';
import { createPluginHttpClient, type PluginHttpClient } from './plugin-http-client.ts';
import { createSessionStore, type FirehookSessionStore } from './sessions/create-session-store.ts';
import { MemoryStore } from './store/memory-store.ts';
import { RedisStore } from './store/redis-store.ts';
import type { Store } from './store/store.ts';
import { createTemplateService } from './template/index.ts';
import type { TemplateService } from './template/template-service.ts';

/** Services embedding code may supply instead of the defaults. */
export interface ServiceOverrides {
  store?: Store;
  templates?: TemplateService;
  delivery?: DeliveryService;
  sessions?: FirehookSessionStore;
  globalWebhooks?: GlobalWebhookRegistry;
}

/** The runtime-lifetime services, whoever built them, and how to close the ones the runtime owns. */
export interface OwnedServices {
  store: Store;
  templates: TemplateService;
  delivery: DeliveryService;
  sessions: FirehookSessionStore;
  /** `ctx.http` for handler plugins (egress policy of the config in force). */
  http: PluginHttpClient;
  /** The delivery engine the runtime created (undefined when embedding code supplied `delivery`). */
  deliveryEngine: ManagedDeliveryService | undefined;
  /** The quota monitor (`check(session, key)` after each quota decrement). */
  monitor: QuotaMonitor;
  /** Global webhooks (in the store; webhook handlers resolve `id` references through it). */
  globalWebhooks: GlobalWebhookRegistry;
  /** Stop delivery and close what the runtime created (not what was passed in). */
  closeServices(deadlineMs: number): Promise<{ undelivered: number }>;
}

/** Build the default services for a gateway config. */
export async function createDefaultServices(
  config: GatewayConfig,
  logger: Logger,
  overrides: ServiceOverrides,
  events: { fire<T extends EventType>(apiId: string, type: T, meta: MetaInput<T>): void; fireSystem<T extends EventType>(type: T, meta: MetaInput<T>): void },
  /** The gateway config in force (it changes on hot reload). */
  current: () => GatewayConfig = () => config,
): Promise<OwnedServices> {
  const ownStore = overrides.store === undefined;
  const store = overrides.store ?? createStore(config, logger);
  const durable = store instanceof RedisStore && config.webhooks.durable !== false;
  const deliveryEngine =
    overrides.delivery === undefined
      ? createDeliveryService({
          store,
          logger: logger.child({ component: 'delivery' }),
          defaults: config.webhooks,
          egress: () => current().webhooks,
          ...(durable ? { redis: (store as RedisStore).client, durable: true } : {}),
        })
      : undefined;
  const http = createPluginHttpClient({ gateway: current });
  const ownRegistry = overrides.globalWebhooks === undefined;
  const globalWebhooks = overrides.globalWebhooks ?? createGlobalWebhookRegistry(config, store, logger);
  await globalWebhooks.start();
  const seeds = config.global_webhooks?.seed ?? [];
  if (ownRegistry && seeds.length > 0) {
    const seeded = await seedGlobalWebhooks(
      globalWebhooks,
      seeds.map((p) => resolveConfigPath(config, p)),
      config.global_webhooks?.seed_overwrite === true,
      config.webhooks,
    );
    if (seeded.created.length + seeded.updated.length > 0) logger.info({ created: seeded.created, updated: seeded.updated }, 'global webhooks seeded');
  }
  return {
    globalWebhooks,
    store,
    http,
    deliveryEngine,
    templates:
      overrides.templates ??
      createTemplateService({ logger: logger.child({ component: 'templates' }), tykCompatEscaping: config.webhooks.tyk_compat_escaping === true }),
    delivery: overrides.delivery ?? deliveryEngine!,
    sessions: overrides.sessions ?? createSessionStore({ store, fireSystem: events.fireSystem, logger }),
    monitor: createQuotaMonitor({ config: () => current().monitor, store, fireSystem: events.fireSystem, logger }),
    async closeServices(deadlineMs) {
      try {
        const { unfinished } = deliveryEngine ? await deliveryEngine.close(deadlineMs) : { unfinished: 0 };
        return { undelivered: unfinished };
      } finally {
        if (ownRegistry) await globalWebhooks.close();
        await http.close();
        if (ownStore) await store.close();
      }
    },
  };
}

function createStore(config: GatewayConfig, logger: Logger): Store {
  if (config.storage.type !== 'redis') return new MemoryStore();
  let lastLog = 0;
  return new RedisStore({
    url: config.storage.url,
    storage: config.storage,
    onError: (error) => {
      const now = Date.now();
      if (now - lastLog < 5_000) return;
      lastLog = now;
      logger.error({ code: 'FH_STORE_UNAVAILABLE', err: { message: error.message } }, 'redis connection error; reconnecting');
    },
  });
}

/**
 * The registry lives beside the store: a Redis hash when the store is Redis, process memory
 * otherwise. A memory store standing in for a configured Redis (as `firehook validate` does)
 * cannot see the shared set, so the registry says it is incomplete.
 */
function createGlobalWebhookRegistry(config: GatewayConfig, store: Store, logger: Logger): GlobalWebhookRegistry {
  const redis = store instanceof RedisStore;
  return new GlobalWebhookRegistry({
    backend: redis ? new RedisWebhookBackend(store.client, config.storage.key_prefix) : new MemoryWebhookBackend(store),
    logger: logger.child({ component: 'global-webhooks' }),
    pollIntervalMs: config.global_webhooks?.poll_interval_ms ?? 2_000,
    complete: redis || config.storage.type !== 'redis',
  });
}
