/** The webhook plugin through the real delivery engine to a real HTTP server on 127.0.0.1. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryService } from '../../../core/delivery/index.ts';
import { ioredisClient } from '../../../core/store/ioredis-client.ts';
import {
  createLogger,
  formatGoTime,
  MemoryStore,
  RedisStore,
  webhookChecksum,
  type EventMessage,
  type EventMeta,
  type Handler,
  type Store,
} from '../../../core/index.ts';
import { createWebhookPlugin, type WebhookOptions } from '../../../plugins/webhook/index.ts';
import { gatewayConfig, handlerContext } from './webhook-context.ts';
import { eventually } from '../../helpers/poll.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sink(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function event(type: string, meta: EventMeta): EventMessage {
  const now = Date.now();
  return { Type: type, Meta: meta, TimeStamp: formatGoTime(now), apiId: 'api1', orgId: 'org1', time: now };
}

async function webhook(meta: Record<string, unknown>, store: Store, gateway: Record<string, unknown> = {}): Promise<Handler> {
  const logger = createLogger({ level: 'silent' });
  const config = await gatewayConfig(gateway);
  const delivery = createDeliveryService({ store, logger, defaults: config.webhooks });
  cleanups.push(() => delivery.close(1_000));
  const ctx = handlerContext(config, { delivery });
  const plugin = createWebhookPlugin();
  return plugin.create(plugin.normalize!(meta, ctx.source, ctx.gateway) as unknown as WebhookOptions, ctx);
}

function memoryStore(): Store {
  const store = new MemoryStore();
  cleanups.push(() => store.close());
  return store;
}

const HOSTILE = 'q"uote \\ back\nline\u0000 </script> é 😀 +1 &amp;';

describe('eh_web_hook_handler with the delivery engine', () => {
  it('posts valid JSON with Tyk headers to a real server, whatever the metadata holds', async () => {
    const target = await sink();
    const handler = await webhook({ method: 'POST', target_path: `${target.url}/hook?x=1`, header_map: { 'x-tyk-secret': 's' } }, memoryStore());
    await handler.handle(event('AuthFailure', { Message: HOSTILE, Path: HOSTILE, Origin: '127.0.0.1', Key: HOSTILE }));
    await eventually(() => target.received.length === 1, 'the delivery');
    const [got] = target.received;
    expect(got!.method).toBe('POST');
    expect(got!.url).toBe('/hook?x=1');
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['user-agent']).toBe('Tyk-Hookshot');
    expect(got!.headers['x-tyk-secret']).toBe('s');
    expect(JSON.parse(got!.body)).toEqual({ event: 'AuthFailure', message: HOSTILE, path: HOSTILE, origin: '127.0.0.1', key: HOSTILE });
  });

  it('signs with the gateway-wide secret when a handler sets none, and with its own when it does', async () => {
    const gatewaySecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ownSecret = 'whsec_c2VjcmV0LW9mLWl0cy1vd24=';
    const gateway = { webhooks: { signing: { secret: gatewaySecret } } };
    const target = await sink();
    const plain = await webhook({ method: 'POST', target_path: `${target.url}/plain` }, memoryStore(), gateway);
    const own = await webhook({ method: 'POST', target_path: `${target.url}/own`, signing: { secret: ownSecret } }, memoryStore(), gateway);
    await plain.handle(event('AuthFailure', { Message: 'a' }));
    await own.handle(event('AuthFailure', { Message: 'b' }));
    await eventually(() => target.received.length === 2, 'both deliveries');
    const byPath = Object.fromEntries(target.received.map((r) => [r.url, r]));
    const verify = (secret: string, r: Received): unknown => new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    expect(() => verify(gatewaySecret, byPath['/plain']!)).not.toThrow();
    expect(() => verify(ownSecret, byPath['/own']!)).not.toThrow();
    expect(() => verify(gatewaySecret, byPath['/own']!)).toThrow();
  });

  it('delivers one of a burst of identical events inside event_timeout', async () => {
    const target = await sink();
    const handler = await webhook({ method: 'POST', target_path: `${target.url}/hook`, event_timeout: 10 }, memoryStore());
    const meta = { Message: 'Key not authorised', Path: '/get', Origin: '10.0.0.1', Key: 'k1' };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => handler.handle(event('AuthFailure', meta))));
    expect(outcomes.filter((o) => o?.status === 'queued')).toHaveLength(1);
    expect(outcomes.filter((o) => o?.status === 'suppressed')).toHaveLength(19);
    await handler.handle(event('AuthFailure', { ...meta, Key: 'k2' }));
    await eventually(() => target.received.length === 2, 'two deliveries');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(target.received).toHaveLength(2);
  });

  it('sends GET without a body', async () => {
    const target = await sink();
    const handler = await webhook({ method: 'get', target_path: `${target.url}/ping` }, memoryStore());
    await handler.handle(event('AuthFailure', { Message: 'x' }));
    await eventually(() => target.received.length === 1, 'the delivery');
    expect(target.received[0]!.method).toBe('GET');
    expect(target.received[0]!.body).toBe('');
  });

  it('claims the cooldown in Redis under the key Tyk uses, shared by two delivery engines', async () => {
    const target = await sink();
    const prefix = `fh-test-${randomUUID()}:`;
    const stores = [new RedisStore({ keyPrefix: prefix }), new RedisStore({ keyPrefix: prefix })];
    cleanups.push(async () => {
      const redis = ioredisClient(stores[0]!.client);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
      await Promise.all(stores.map((s) => s.close()));
    });
    const url = `${target.url}/hook`;
    const handlers = await Promise.all(stores.map((store) => webhook({ method: 'POST', target_path: url, event_timeout: 10 }, store)));
    const meta = { Message: 'Key not authorised', Path: '/get', Origin: '10.0.0.1', Key: 'k1' };
    const outcomes = await Promise.all(handlers.flatMap((h) => Array.from({ length: 10 }, () => h.handle(event('AuthFailure', meta)))));
    expect(outcomes.filter((o) => o?.status === 'queued')).toHaveLength(1);
    await eventually(() => target.received.length === 1, 'the delivery');
    const key = `webhook.cache.${webhookChecksum({ method: 'POST', url, body: target.received[0]!.body })}`;
    const ttl = await stores[0]!.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });
});
