/**
 * Duplicate absorption: how many identical webhook events per second one core turns into
 * "suppressed" with the in-memory store. The hot path is render (default template) -> Tyk checksum
 * -> cooldown claim (MemoryStore.claimSync). Baseline, same run: a bare md5 of the same body text.
 * Also measured: the whole handler (`handle()` through the real delivery engine's submit).
 */
import 'reflect-metadata';
import { hash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { report, timeLoop, type BenchResult } from '../../bench-format.ts';
import { COOLDOWN_KEY_PREFIX, createWebhookChecksum } from '../../../plugins/webhook/checksum.ts';
import type { EventMessage } from '../../../core/event.ts';
import { formatGoTime } from '../../../core/go/time.ts';
import { createLogger } from '../../../core/logger.ts';
import type { HandlerContext } from '../../../core/plugin.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { createTemplateService } from '../../../core/template/index.ts';
import type { WebhookOptions } from '../../../plugins/webhook/index.ts';

const TEMPLATE = fileURLToPath(new URL('../../../templates/default_webhook.json', import.meta.url));
const URL_ = 'http://127.0.0.1:9999/hook';
const ITERATIONS = 500_000;
const ROUNDS = 5;
const TARGET = 500_000;

function events(n: number): EventMessage[] {
  const now = Date.now();
  return Array.from({ length: n }, () => ({
    Type: 'AuthFailure',
    Meta: { Message: 'Key not authorised', OriginatingRequest: '', Path: '/get', Origin: '203.0.113.7', Key: '5a8c3e2f9b1d4c6e8a0f2b4d6c8e0a1b' },
    TimeStamp: formatGoTime(now),
    apiId: 'bench',
    orgId: 'org',
    time: now,
  }));
}

const perSecond = (ns: number): number => 1e9 / ns;

export async function run(): Promise<BenchResult[]> {
  const logger = createLogger({ level: 'silent' });
  const templates = createTemplateService({ logger });
  const template = await templates.load(TEMPLATE);
  const pool = events(1024);
  const data = (e: EventMessage): unknown => ({ Type: e.Type, Meta: e.Meta, TimeStamp: e.TimeStamp, EventType: e.Type, EventMetaData: e.Meta });
  const body = template.render(data(pool[0]!));
  const results: BenchResult[] = [];

  // Baseline: md5 of the same text, nothing else.
  let sink = 0;
  const md5Ns = timeLoop(ITERATIONS, ROUNDS, () => {
    sink += hash('md5', body, 'hex').length;
  });

  const measurePath = (cacheSize: number | undefined): { ns: number; suppressed: number } => {
    const store = new MemoryStore();
    const cooldownKeyOf = createWebhookChecksum({ method: 'POST', url: URL_ }, { cacheSize, keyPrefix: COOLDOWN_KEY_PREFIX });
    let suppressed = 0;
    const ns = timeLoop(ITERATIONS, ROUNDS, (i) => {
      const rendered = template.render(data(pool[i & 1023]!));
      if (!store.claimSync(cooldownKeyOf(rendered), '1', 60_000)) suppressed++;
    });
    void store.close();
    return { ns, suppressed };
  };

  const hot = measurePath(undefined);
  results.push({
    name: 'duplicates absorbed: render + checksum + claim',
    value: perSecond(hot.ns),
    unit: 'events/s',
    baseline: { name: 'md5 of the same body (events/s)', value: perSecond(md5Ns) },
    ratio: perSecond(hot.ns) / perSecond(md5Ns),
    target: `>= ${TARGET.toLocaleString('en-US')} events/s per core`,
    met: perSecond(hot.ns) >= TARGET,
  });
  const cold = measurePath(0);
  results.push({
    name: 'same, checksum memo off (every body hashed)',
    value: perSecond(cold.ns),
    unit: 'events/s',
    baseline: { name: 'md5 of the same body (events/s)', value: perSecond(md5Ns) },
    ratio: perSecond(cold.ns) / perSecond(md5Ns),
  });
  const renderNs = timeLoop(ITERATIONS, ROUNDS, (i) => {
    sink += template.render(data(pool[i & 1023]!)).length;
  });
  results.push({
    name: 'render only (default_webhook.json, AuthFailure)',
    value: renderNs,
    unit: 'ns/event',
    baseline: { name: 'md5 of the same body (ns)', value: md5Ns },
    ratio: renderNs / md5Ns,
  });

  // The whole handler: handle() -> delivery engine submit -> claim (suppressed, no network). The
  // plugin imports the package entry, which Node runs only compiled: this part needs `npm run build`.
  const whole = await wholeHandler(pool).catch((error: unknown) => {
    process.stderr.write(`whole-handler figure skipped (run npm run build first): ${(error as Error).message.split('\n')[0]}\n`);
    return undefined;
  });
  if (whole !== undefined) {
    results.push({
      name: 'whole handler: handle() via delivery submit (suppressed)',
      value: perSecond(whole),
      unit: 'events/s',
      baseline: { name: 'md5 of the same body (events/s)', value: perSecond(md5Ns) },
      ratio: perSecond(whole) / perSecond(md5Ns),
    });
  }
  if (sink < 0 || hot.suppressed === 0) throw new Error('nothing was absorbed');
  return results;
}

async function wholeHandler(pool: EventMessage[]): Promise<number> {
  const dist = new URL('../../../dist/', import.meta.url).href;
  const { createDeliveryService } = (await import(`${dist}core/delivery/index.js`)) as typeof import('../../../core/delivery/index.ts');
  const { createTemplateService: distTemplates } = (await import(`${dist}core/template/index.js`)) as typeof import('../../../core/template/index.ts');
  const { loadGatewayConfig } = (await import(`${dist}core/config/load-gateway-config.js`)) as typeof import('../../../core/config/load-gateway-config.ts');
  const { MemoryStore: DistStore } = (await import(`${dist}core/store/memory-store.js`)) as typeof import('../../../core/store/memory-store.ts');
  const { createWebhookPlugin } = (await import(`${dist}plugins/webhook/index.js`)) as typeof import('../../../plugins/webhook/index.ts');
  const logger = createLogger({ level: 'silent' });
  const store = new DistStore();
  const delivery = createDeliveryService({ store, logger, defaults: {} });
  const { config } = await loadGatewayConfig(undefined);
  const ctx = {
    logger,
    store,
    gateway: { ...config!, template_path: fileURLToPath(new URL('../../../templates', import.meta.url)) },
    api: undefined,
    source: { file: 'bench', pointer: '', format: 'classic' },
    event: 'AuthFailure',
    handlerId: 'bench',
    templates: distTemplates({ logger }),
    delivery,
    resolvePath: (p: string) => p,
    warn() {},
    fire() {},
    fireSystem() {},
  } as unknown as HandlerContext;
  const plugin = createWebhookPlugin();
  const handler = await plugin.create(
    plugin.normalize!({ method: 'POST', target_path: URL_, event_timeout: 3600 }, ctx.source, ctx.gateway) as unknown as WebhookOptions,
    ctx,
  );
  await handler.handle(pool[0]!);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) await handler.handle(pool[i & 1023]!);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 100_000);
  }
  if (delivery.stats().suppressed < 100_000) throw new Error('the handler did not absorb the duplicates');
  await delivery.close(1_000);
  await store.close();
  return best;
}

if (import.meta.main) report('plugins/webhook/absorption', await run());
