/**
 * fire() with the runtime's metrics observer attached (events counted by API and type, handler
 * outcomes), against fire() without it and EventEmitter.emit, in the same run. Targets are the
 * dispatcher's (bench/core/dispatcher.bench.ts): <= 3x emit with no handler, < 1 µs per matched
 * handler enqueue.
 */
import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { loadGatewayConfig } from '../../../dist/core/config/load-gateway-config.js';
import { Dispatcher } from '../../../dist/core/dispatcher.js';
import { buildGeneration } from '../../../dist/core/generation.js';
import { createLogger } from '../../../dist/core/logger.js';
import { MetricsService } from '../../../dist/core/metrics/metrics-service.js';
import { SharedObjects } from '../../../dist/core/runtime-services.js';
import { MemoryStore } from '../../../dist/core/store/memory-store.js';
import { definePlugin, PLUGIN_CONTRACT_VERSION } from '../../../dist/core/plugin.js';
import { report, timeLoop, type BenchResult } from '../../bench-format.ts';

const BATCH = 5_000;
const ROUNDS = 7;

async function dispatcherWith(handlers: number, observed: boolean) {
  const noop = definePlugin({ name: 'eh_noop', contractVersion: PLUGIN_CONTRACT_VERSION, optionsSchema: { type: 'object' }, create: () => ({ handle() {} }) });
  const { config } = await loadGatewayConfig(undefined);
  const gateway = { ...config!, dispatch: { ...config!.dispatch, queue_size: BATCH * 2 } };
  const logger = createLogger({ level: 'silent' });
  const api = {
    apiId: 'bench', orgId: 'o', name: 'bench', format: 'classic' as const, file: 'bench.json', raw: {},
    handlers: Array.from({ length: handlers }, (_, i) => ({ event: 'AuthFailure', handlerName: 'eh_noop', meta: {}, format: 'classic' as const, file: 'bench.json', pointer: `/h/${i}`, metaPointer: `/h/${i}/handler_meta` })),
  };
  const unused = {} as never;
  const { generation } = await buildGeneration({
    number: 1, gateway, apis: [api], plugins: [noop as never],
    services: { logger, store: new MemoryStore(), sessions: unused, templates: unused, delivery: unused, http: unused, shared: new SharedObjects(), fire() {}, fireSystem() {} },
  });
  const dispatcher = new Dispatcher(logger);
  const metrics = observed ? new MetricsService({ dispatch: () => undefined, generation: () => undefined, deliveries: () => undefined, sandbox: () => undefined, globalWebhooks: () => undefined }, { default_metrics: false }) : undefined;
  if (metrics) dispatcher.observe(metrics.fired, metrics.slots);
  dispatcher.use(generation!);
  return { dispatcher, generation: generation!, metrics };
}

export async function run(): Promise<BenchResult[]> {
  const meta = { Message: 'Auth failure', Path: '/p', Origin: '1.2.3.4', Key: 'k' };
  const results: BenchResult[] = [];
  const plain = await dispatcherWith(1, false);
  const observed = await dispatcherWith(1, true);
  const emitter = new EventEmitter();
  emitter.on('AuthFailure', () => {});
  const emitNone = timeLoop(1_000_000, ROUNDS, () => emitter.emit('HostDown', meta));
  const plainNone = timeLoop(1_000_000, ROUNDS, () => plain.dispatcher.fire('bench', 'HostDown', meta));
  const observedNone = timeLoop(1_000_000, ROUNDS, () => observed.dispatcher.fire('bench', 'HostDown', meta));
  results.push({ name: 'fire() with no handler, metrics on', value: observedNone, unit: 'ns/event', baseline: { name: 'EventEmitter.emit, no listener', value: emitNone }, ratio: observedNone / emitNone, target: `<= 3x (metrics off: ${plainNone.toFixed(1)} ns)`, met: observedNone / emitNone <= 3 });

  for (const n of [1, 16]) {
    const a = await dispatcherWith(n, false);
    const b = await dispatcherWith(n, true);
    let offNs = Number.POSITIVE_INFINITY;
    let onNs = Number.POSITIVE_INFINITY;
    for (let r = 0; r < ROUNDS * 3; r++) {
      offNs = Math.min(offNs, timeLoop(BATCH, 1, () => a.dispatcher.fire('bench', 'AuthFailure', meta)));
      await Promise.all(a.generation.slots.map((s) => s.idle()));
      onNs = Math.min(onNs, timeLoop(BATCH, 1, () => b.dispatcher.fire('bench', 'AuthFailure', meta)));
      await Promise.all(b.generation.slots.map((s) => s.idle()));
    }
    results.push({
      name: `fire() with ${n} matched handler${n === 1 ? '' : 's'}, metrics on`,
      value: onNs, unit: 'ns/event',
      baseline: { name: 'same, metrics off', value: offNs },
      ratio: onNs / offNs,
      target: `< 1000 ns per matched handler enqueue (got ${(onNs / n).toFixed(0)} ns)`, met: onNs / n < 1000,
    });
  }
  observed.dispatcher.fire('bench', 'AuthFailure', meta);
  const text = await observed.metrics!.render();
  if (!text.body.includes('firehook_events_total{api_id="bench",type="AuthFailure"}')) throw new Error('metrics did not count the fired events');
  return results;
}

if (import.meta.main) report('core/metrics/fire-observer', await run());
