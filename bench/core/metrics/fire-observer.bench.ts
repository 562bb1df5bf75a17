/**
 * fire() with the runtime's metrics observer attached (events counted by API and type, handler
 * outcomes), against fire() without it and EventEmitter.emit, in the same run. Targets are the
 * dispatcher's (bench/core/dispatcher.bench.ts): <= 3x emit with no handler, < 1 µs per matched
 * handler enqueue.
 */
import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { MetricsService } from '../../../dist/core/metrics/metrics-service.js';
import { report, timeLoop, type BenchResult } from '../../bench-format.ts';
import { drainAll, noopDispatcher } from '../../noop-dispatcher.ts';

const BATCH = 5_000;
const ROUNDS = 7;

async function dispatcherWith(handlers: number, observed: boolean) {
  const { dispatcher, generation } = await noopDispatcher(handlers, BATCH * 2);
  const metrics = observed
    ? new MetricsService(
        { dispatch: () => undefined, generation: () => undefined, deliveries: () => undefined, sandbox: () => undefined, globalWebhooks: () => undefined },
        { default_metrics: false },
      )
    : undefined;
  if (metrics) dispatcher.observe(metrics.fired, metrics.slots);
  dispatcher.use(generation);
  return { dispatcher, generation, metrics };
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
  results.push({
    name: 'fire() with no handler, metrics on',
    value: observedNone,
    unit: 'ns/event',
    baseline: { name: 'EventEmitter.emit, no listener', value: emitNone },
    ratio: observedNone / emitNone,
    target: `<= 3x (metrics off: ${plainNone.toFixed(1)} ns)`,
    met: observedNone / emitNone <= 3,
  });

  for (const n of [1, 16]) {
    const a = await dispatcherWith(n, false);
    const b = await dispatcherWith(n, true);
    let offNs = Number.POSITIVE_INFINITY;
    let onNs = Number.POSITIVE_INFINITY;
    for (let r = 0; r < ROUNDS * 3; r++) {
      offNs = Math.min(
        offNs,
        timeLoop(BATCH, 1, () => a.dispatcher.fire('bench', 'AuthFailure', meta)),
      );
      await drainAll(a.generation);
      onNs = Math.min(
        onNs,
        timeLoop(BATCH, 1, () => b.dispatcher.fire('bench', 'AuthFailure', meta)),
      );
      await drainAll(b.generation);
    }
    results.push({
      name: `fire() with ${n} matched handler${n === 1 ? '' : 's'}, metrics on`,
      value: onNs,
      unit: 'ns/event',
      baseline: { name: 'same, metrics off', value: offNs },
      ratio: onNs / offNs,
      target: `< 1000 ns per matched handler enqueue (got ${(onNs / n).toFixed(0)} ns)`,
      met: onNs / n < 1000,
    });
  }
  observed.dispatcher.fire('bench', 'AuthFailure', meta);
  const text = await observed.metrics!.render();
  if (!text.body.includes('firehook_events_total{api_id="bench",type="AuthFailure"}')) throw new Error('metrics did not count the fired events');
  return results;
}

if (import.meta.main) report('core/metrics/fire-observer', await run());
