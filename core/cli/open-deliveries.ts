import { ConfigError, FirehookError } from '../errors/firehook-error.ts';
import { loadGatewayConfig } from '../config/load-gateway-config.ts';
import { RedisDeliveryAdmin } from '../delivery/index.ts';
import { RedisStore } from '../store/redis-store.ts';
import type { DeliveriesHandle } from './deliveries.ts';

/** Reach the durable delivery records in the configured Redis (for `firehook deliveries`). */
export async function openDeliveries(options: { config?: string; redis?: string }): Promise<DeliveriesHandle> {
  const { config, problems } = await loadGatewayConfig(options.config ?? process.env.FIREHOOK_CONFIG, options.redis ? { redisUrl: options.redis } : {});
  if (config === undefined) throw new ConfigError(problems);
  if (config.storage.type !== 'redis') {
    throw new FirehookError(
      'FH_DELIVERY_INVALID',
      'delivery records are kept only in durable mode: configure storage.type "redis" (or pass --config with a Redis storage section)',
    );
  }
  const store = new RedisStore({ url: config.storage.url, storage: config.storage });
  return { deliveries: new RedisDeliveryAdmin({ redis: store.client }), close: () => store.close() };
}
