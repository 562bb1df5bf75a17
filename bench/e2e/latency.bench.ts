/**
 * End-to-end latency through an in-process runtime (built `dist/`), each figure against a baseline
 * measured in the same run under the same steady load:
 * - fire() -> handler start (an in-process probe plugin), p50/p99 at ~18k events/s; baseline: a
 *   bare setImmediate hop at the same rate (the least any asynchronous dispatch costs);
 * - fire() -> JS handler finished (eh_dynamic_handler, trivial handler, fireAndWait), p50/p99 at
 *   ~4.5k events/s; baseline: fire() -> probe handler finished, same rate;
 * - fire() -> webhook request arrives at a receiver in its own process (memory mode), p50/p99 at
 *   ~1.8k events/s; baseline: a raw undici POST sent at the same moments to the same receiver;
 * - API definition saved -> new generation handling events through the watcher, p95 of 30;
 *   baseline: runtime.reload() alone (the rebuild without the file watcher).
 * Run (after `npm run build`): node_modules/.bin/node --no-node-snapshot bench/e2e/latency.bench.ts
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from 'undici';
import { createLogger } from '../../dist/core/logger.js';
import { definePlugin, PLUGIN_CONTRACT_VERSION } from '../../dist/core/plugin.js';
import { Runtime } from '../../dist/core/runtime.js';
import { report, type BenchResult } from '../bench-format.ts';
import { percentile } from '../bench-format.ts';
import { benchWorkspace } from './bench-runtime.ts';

const LOAD_MS = 2_000;
const RELOADS = 30;
const HANDLER = `var trivial = new TykJS.TykEventHandlers.NewEventHandler({});\ntrivial.NewHandler(function (event, context) { if (event.Type !== 'QuotaExceeded') throw new Error('unexpected'); });\n`;
const wall = (): number => performance.timeOrigin + performance.now();
/** Meta with fields of our own beside the event's Tyk fields. */
const extra = (meta: Record<string, unknown>): never => meta as never;
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

const probe = { started: [] as number[], revision: -1 };
const probePlugin = definePlugin<{ revision?: number }>({
  name: 'eh_probe',
  contractVersion: PLUGIN_CONTRACT_VERSION,
  optionsSchema: { type: 'object' },
  create: (options) => ({
    handle(event) {
      const firedAt = event.Meta.FiredAt;
      if (typeof firedAt === 'number') probe.started.push(performance.now() - firedAt);
      probe.revision = options.revision ?? 0;
    },
  }),
});

/** Call `each` `perTick` times per ~1 ms timer tick for `ms`; returns the promises it made. */
async function steady(ms: number, perTick: number, each: () => Promise<unknown> | void): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (let i = 0; i < perTick; i++) {
      const p = each();
      if (p) pending.push(p);
    }
    await tick();
  }
  await Promise.all(pending);
}

async function startLatencySink(): Promise<{ url: string; report(): Promise<{ count: number; p50: number; p99: number }>; stop(): void }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', join(import.meta.dirname, 'latency-sink.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [port] = (await once(lines, 'line')) as [string];
  return {
    url: `http://127.0.0.1:${port.trim()}`,
    async report() {
      child.stdin!.write('report\n');
      const [line] = (await once(lines, 'line')) as [string];
      return JSON.parse(line) as { count: number; p50: number; p99: number };
    },
    stop: () => child.kill('SIGTERM'),
  };
}

const apiEvents = (sinkUrl: string, revision: number): Record<string, unknown[]> => ({
  AuthFailure: [{ handler_name: 'eh_probe', handler_meta: { revision } }],
  QuotaExceeded: [{ handler_name: 'eh_dynamic_handler', handler_meta: { name: 'trivial', path: 'trivial.js' } }],
  RatelimitExceeded: [
    { handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${sinkUrl}/hook`, template_path: 'timed.json', event_timeout: 0 } },
  ],
});

export async function run(): Promise<BenchResult[]> {
  const sink = await startLatencySink();
  const ws = await benchWorkspace({ jsvm_timeout: 5 }, apiEvents(sink.url, 0), { 'trivial.js': HANDLER });
  await writeFile(join(ws.dir, 'timed.json'), '{"t": "{{.Meta.T}}"}');
  const runtime = await Runtime.create({ configFile: ws.configFile, logger: createLogger({ level: 'silent' }), plugins: [probePlugin as never], watch: true });
  const results: BenchResult[] = [];
  try {
    // warm-up: JIT, isolate, connection pool
    await steady(500, 5, () => void runtime.fire('bench', 'AuthFailure', extra({ FiredAt: performance.now() })));
    await steady(500, 2, () => runtime.fireAndWait('bench', 'QuotaExceeded', {}));
    await steady(500, 2, () => void runtime.fire('bench', 'RatelimitExceeded', extra({ T: wall() })));
    await sink.report();

    // fire() -> handler start, against a setImmediate hop
    probe.started = [];
    await steady(LOAD_MS, 20, () => void runtime.fire('bench', 'AuthFailure', extra({ FiredAt: performance.now() })));
    const hops: number[] = [];
    await steady(LOAD_MS, 20, () => {
      const t = performance.now();
      setImmediate(() => hops.push(performance.now() - t));
    });
    const started = probe.started;
    results.push(
      {
        name: `fire() -> handler start, p50 (${started.length} events, ~${Math.round(started.length / (LOAD_MS / 1000) / 1000)}k/s)`,
        value: percentile(started, 50) * 1000,
        unit: 'µs',
        baseline: { name: 'a bare setImmediate hop, same load', value: percentile(hops, 50) * 1000 },
        ratio: percentile(started, 50) / percentile(hops, 50),
      },
      {
        name: 'fire() -> handler start, p99',
        value: percentile(started, 99) * 1000,
        unit: 'µs',
        baseline: { name: 'a bare setImmediate hop, same load', value: percentile(hops, 99) * 1000 },
        ratio: percentile(started, 99) / percentile(hops, 99),
      },
    );

    // fire() -> JS handler done, against fire() -> probe handler done
    const timed = async (type: 'QuotaExceeded' | 'AuthFailure', into: number[]): Promise<void> => {
      const t = performance.now();
      await runtime.fireAndWait('bench', type, {});
      into.push(performance.now() - t);
    };
    const js: number[] = [];
    const plain: number[] = [];
    await steady(LOAD_MS, 5, () => timed('QuotaExceeded', js));
    await steady(LOAD_MS, 5, () => timed('AuthFailure', plain));
    results.push(
      {
        name: `fire() -> JS handler done (sandbox), p50 (~${Math.round(js.length / (LOAD_MS / 1000) / 100) / 10}k events/s)`,
        value: percentile(js, 50),
        unit: 'ms',
        baseline: { name: 'fire() -> in-process handler done', value: percentile(plain, 50) },
        ratio: percentile(js, 50) / percentile(plain, 50),
      },
      {
        name: 'fire() -> JS handler done (sandbox), p99',
        value: percentile(js, 99),
        unit: 'ms',
        baseline: { name: 'fire() -> in-process handler done', value: percentile(plain, 99) },
        ratio: percentile(js, 99) / percentile(plain, 99),
      },
    );

    // fire() -> webhook arrives, against a raw undici POST sent at the same moments
    await steady(LOAD_MS, 2, () => void runtime.fire('bench', 'RatelimitExceeded', extra({ T: wall() })));
    await waitDelivered(runtime);
    const viaFirehook = await sink.report();
    const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 });
    const { origin } = new URL(sink.url);
    await steady(LOAD_MS, 2, async () => {
      const res = await agent.request({
        origin,
        path: '/hook',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ t: String(wall()) }),
      });
      await res.body.text();
    });
    const raw = await sink.report();
    await agent.close();
    results.push(
      {
        name: `fire() -> webhook arrives at the receiver (memory mode), p50 (${viaFirehook.count} events)`,
        value: viaFirehook.p50,
        unit: 'ms',
        baseline: { name: 'raw undici POST -> arrives', value: raw.p50 },
        ratio: viaFirehook.p50 / raw.p50,
      },
      {
        name: 'fire() -> webhook arrives at the receiver (memory mode), p99',
        value: viaFirehook.p99,
        unit: 'ms',
        baseline: { name: 'raw undici POST -> arrives', value: raw.p99 },
        ratio: viaFirehook.p99 / raw.p99,
      },
    );

    // reload: API definition saved -> the new generation handles events
    const saved: number[] = [];
    for (let v = 1; v <= RELOADS; v++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      const t = performance.now();
      await ws.writeApi(apiEvents(sink.url, v));
      while (probe.revision !== v) {
        runtime.fire('bench', 'AuthFailure', {});
        if (performance.now() - t > 10_000) throw new Error(`revision ${v} never became active`);
        await tick();
      }
      saved.push(performance.now() - t);
    }
    const direct: number[] = [];
    for (let i = 0; i < RELOADS; i++) {
      const t = performance.now();
      const result = await runtime.reload();
      if (!result.ok) throw new Error('reload failed');
      direct.push(performance.now() - t);
    }
    results.push({
      name: `API definition saved -> new generation handling events (watcher), p95 of ${RELOADS}`,
      value: percentile(saved, 95),
      unit: 'ms',
      baseline: { name: 'runtime.reload() alone, p95', value: percentile(direct, 95) },
      ratio: percentile(saved, 95) / percentile(direct, 95),
      target: '< 250 ms',
      met: percentile(saved, 95) < 250,
    });
  } finally {
    await runtime.close();
    sink.stop();
    await ws.remove();
  }
  return results;
}

async function waitDelivered(runtime: Runtime): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = runtime.deliveries!.stats();
    if (s.queued + s.inFlight + s.scheduled === 0) return;
    if (Date.now() > deadline) throw new Error('deliveries did not drain');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

if (import.meta.main) report('e2e/latency', await run());
