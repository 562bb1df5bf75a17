/**
 * A dispatcher over one API whose `AuthFailure` has `handlers` no-op handlers, built through the
 * real generation builder from `dist/` (run `npm run build` first). Shared by the dispatch benches.
 */
import 'reflect-metadata';
import { loadGatewayConfig } from '../dist/core/config/load-gateway-config.js';
import { Dispatcher } from '../dist/core/dispatch/dispatcher.js';
import { buildGeneration } from '../dist/core/generation.js';
import { createLogger } from '../dist/core/logger.js';
import { definePlugin, PLUGIN_CONTRACT_VERSION } from '../dist/core/plugin.js';
import { SharedObjects } from '../dist/core/runtime-services.js';
import { MemoryStore } from '../dist/core/store/memory-store.js';
import { ProvidedStatsRegistry } from '../core/stats-registry.ts';

export async function noopDispatcher(handlers: number, queueSize: number) {
  const noop = definePlugin({ name: 'eh_noop', contractVersion: PLUGIN_CONTRACT_VERSION, optionsSchema: { type: 'object' }, create: () => ({ handle() {} }) });
  const { config } = await loadGatewayConfig(undefined);
  const gateway = { ...config!, dispatch: { ...config!.dispatch, queue_size: queueSize } };
  const logger = createLogger({ level: 'silent' });
  const api = {
    apiId: 'bench',
    orgId: 'o',
    name: 'bench',
    format: 'classic' as const,
    file: 'bench.json',
    raw: {},
    handlers: Array.from({ length: handlers }, (_, i) => ({
      event: 'AuthFailure',
      handlerName: 'eh_noop',
      meta: {},
      format: 'classic' as const,
      file: 'bench.json',
      pointer: `/h/${i}`,
      metaPointer: `/h/${i}/handler_meta`,
    })),
  };
  const unused = {} as never;
  const { generation } = await buildGeneration({
    number: 1,
    gateway,
    apis: [api],
    plugins: [noop as never],
    services: {
      logger,
      store: new MemoryStore(),
      sessions: unused,
      templates: unused,
      delivery: unused,
      http: unused,
      shared: new SharedObjects(),
      stats: new ProvidedStatsRegistry(),
      fire() {},
      fireSystem() {},
    },
  });
  return { dispatcher: new Dispatcher(logger), generation: generation! };
}

/** Resolve when every handler queue of the generation is empty. */
export async function drainAll(generation: { slots: readonly { idle(): Promise<void> }[] }): Promise<void> {
  await Promise.all(generation.slots.map((s) => s.idle()));
}
