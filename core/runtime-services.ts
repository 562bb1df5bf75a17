import type { GlobalWebhookRegistry } from './global-webhooks/registry.ts';
import type { DeliveryService } from './delivery/delivery-service.ts';
import type { EventType, MetaInput } from './event.ts';
import type { Logger } from './logger.ts';
import type { FirehookSessionStore } from './sessions/create-session-store.ts';
import type { SharedScope, StatsRegistry } from './plugin.ts';
import type { PluginHttpClient } from './plugin-http-client.ts';
import type { Store } from './store/store.ts';
import type { TemplateService } from './template/template-service.ts';

/** Runtime-lifetime services handed to every generation's handlers. */
export interface RuntimeServices {
  logger: Logger;
  store: Store;
  sessions: FirehookSessionStore;
  templates: TemplateService;
  delivery: DeliveryService;
  /** `ctx.http`: one client per runtime, following the gateway's `webhooks` egress policy. */
  http: PluginHttpClient;
  shared: SharedScope;
  /** `ctx.stats`: runtime-long statistics plugins offer to the metrics. */
  stats: StatsRegistry;
  globalWebhooks?: GlobalWebhookRegistry;
  fire<T extends EventType>(apiId: string, type: T, meta: MetaInput<T>): void;
  fireSystem<T extends EventType>(type: T, meta: MetaInput<T>): void;
}

/** A SharedScope: created on first use, disposed in reverse order when the runtime closes. */
export class SharedObjects implements SharedScope {
  private readonly entries = new Map<string, { value: unknown; dispose: ((value: never) => Promise<void> | void) | undefined }>();

  getOrCreate<T>(key: string, create: () => T, dispose?: (value: T) => Promise<void> | void): T {
    const existing = this.entries.get(key);
    if (existing !== undefined) return existing.value as T;
    const value = create();
    this.entries.set(key, { value, dispose: dispose as ((value: never) => Promise<void> | void) | undefined });
    return value;
  }

  async disposeAll(): Promise<void> {
    for (const [key, entry] of [...this.entries].reverse()) {
      this.entries.delete(key);
      try {
        await entry.dispose?.(entry.value as never);
      } catch {
        // keep disposing the rest
      }
    }
  }
}
