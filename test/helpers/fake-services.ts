import { SharedObjects, type RuntimeServices } from '../../core/runtime-services.ts';
import { MemoryStore } from '../../core/store/memory-store.ts';
import type { Logger } from '../../core/logger.ts';
import { ProvidedStatsRegistry } from '../../core/stats-registry.ts';

/**
 * Runtime services for unit tests of the generation builder: a real memory store and logger;
 * the template, delivery and session services fail loudly if a test's handlers reach them.
 */
export function unitServices(logger: Logger): RuntimeServices {
  const unused = (name: string) =>
    new Proxy(
      {},
      {
        get: (_t, prop) =>
          prop === 'then'
            ? undefined
            : () => {
                throw new Error(`${name}.${String(prop)} is not available in this unit test`);
              },
      },
    );
  return {
    logger,
    store: new MemoryStore(),
    sessions: unused('sessions') as RuntimeServices['sessions'],
    templates: unused('templates') as RuntimeServices['templates'],
    delivery: unused('delivery') as RuntimeServices['delivery'],
    http: unused('http') as RuntimeServices['http'],
    shared: new SharedObjects(),
    stats: new ProvidedStatsRegistry(),
    fire: () => {},
    fireSystem: () => {},
  };
}
