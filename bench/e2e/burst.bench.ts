/**
 * A 1,000,000-event burst into a slow webhook target (answers after 20 ms), in-process runtime,
 * memory mode, default limits (dispatch queue 10,000 per handler, drop-oldest; delivery queue
 * 100,000; 32 connections per target). Fired in chunks of 1,000 with an event-loop turn between
 * chunks, as a gateway serving requests would. Reported: peak RSS and heap during the burst and
 * the 10 s after it, events fired and queued by fire(), dropped by the dispatcher's overflow
 * policy, refused by the full delivery queue (FH_DELIVERY_QUEUE_FULL), delivered within the
 * window, still queued at the end. Baselines in the same run: the idle runtime's RSS and heap, and
 * the same burst into a fast target (answers at once).
 * Run (after `npm run build`): node_modules/.bin/node --no-node-snapshot bench/e2e/burst.bench.ts
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { createLogger } from '../../dist/core/logger.js';
import { Runtime } from '../../dist/core/runtime.js';
import { report, type BenchResult } from '../bench-format.ts';
import { benchWorkspace, collectGarbage, MB, startSink } from './bench-runtime.ts';

const EVENTS = Number(process.env.BENCH_BURST_EVENTS ?? 1_000_000);
const CHUNK = 1_000;
const WINDOW_MS = Number(process.env.BENCH_BURST_WINDOW_MS ?? 10_000);
const SLOW_MS = 20;

interface BurstRun {
  idleRssMb: number;
  idleHeapMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  fired: number;
  queuedByFire: number;
  burstMs: number;
  dropped: number;
  refused: number;
  handled: number;
  delivered: number;
  stillQueued: number;
}

/** One burst in a fresh process (so the idle baseline and the peak are this run's own). */
function burstInChild(delayMs: number, chunk: number): BurstRun {
  const child = spawnSync(process.execPath, ['--no-node-snapshot', import.meta.filename, 'child', String(delayMs), String(chunk)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60_000,
  });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) throw new Error(`burst child failed (exit ${child.status})`);
  return JSON.parse(last) as BurstRun;
}

async function burst(delayMs: number, chunk: number): Promise<BurstRun> {
  const sink = await startSink(delayMs);
  const ws = await benchWorkspace(
    {},
    {
      AuthFailure: [
        { handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${sink.url}/hook`, template_path: '', event_timeout: 0 } },
      ],
    },
  );
  const runtime = await Runtime.create({ configFile: ws.configFile, logger: createLogger({ level: 'silent' }) });
  try {
    // warm the path (JIT, connection pool) with a few events, then measure the idle footprint
    for (let i = 0; i < 200; i++) runtime.fire('bench', 'AuthFailure', { Message: 'warm', Path: '/w', Origin: '10.0.0.1', Key: `w${i}` });
    while ((runtime.deliveries?.stats().delivered ?? 0) < 200) await new Promise((resolve) => setTimeout(resolve, 5));
    collectGarbage();
    const idle = process.memoryUsage();
    let peakRss = idle.rss;
    let peakHeap = idle.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);

    let queuedByFire = 0;
    const started = performance.now();
    for (let i = 0; i < EVENTS; i += chunk) {
      for (let k = i; k < Math.min(EVENTS, i + chunk); k++) {
        queuedByFire += runtime.fire('bench', 'AuthFailure', { Message: 'Auth failure', Path: '/orders', Origin: '10.0.0.1', Key: `key-${k}` }) > 0 ? 1 : 0;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const burstMs = performance.now() - started;
    const end = Date.now() + WINDOW_MS;
    while (Date.now() < end) {
      const d = runtime.deliveries!.stats();
      const slot = runtime.stats().handlers[0]!;
      if (slot.queued + slot.running === 0 && d.queued + d.inFlight + d.scheduled === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    clearInterval(sampler);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    const slot = runtime.stats().handlers[0]!;
    const d = runtime.deliveries!.stats();
    return {
      idleRssMb: idle.rss / MB,
      idleHeapMb: idle.heapUsed / MB,
      peakRssMb: peakRss / MB,
      peakHeapMb: peakHeap / MB,
      fired: EVENTS,
      queuedByFire,
      burstMs,
      dropped: slot.dropped,
      refused: slot.failed,
      handled: slot.completed,
      delivered: d.delivered - 200,
      stillQueued: d.queued + d.inFlight + d.scheduled + slot.queued + slot.running,
    };
  } finally {
    await runtime.close(0);
    sink.stop();
    await ws.remove();
  }
}

export async function run(): Promise<BenchResult[]> {
  const fast = burstInChild(0, CHUNK);
  const slow = burstInChild(SLOW_MS, CHUNK);
  const tight = burstInChild(SLOW_MS, EVENTS);
  const label = `${(EVENTS / 1e6).toLocaleString('en-US')}M-event burst into a ${SLOW_MS} ms target`;
  const events = (n: number): string => `${n.toLocaleString('en-US')}`;
  process.stderr.write(`burst: slow ${JSON.stringify(slow)}\nburst: fast ${JSON.stringify(fast)}\nburst: one loop ${JSON.stringify(tight)}\n`);
  const tightLabel = `${label}, fired in one synchronous loop`;
  return [
    {
      name: `${label}: peak RSS`,
      value: slow.peakRssMb,
      unit: 'MB',
      baseline: { name: 'idle runtime RSS', value: slow.idleRssMb },
      ratio: slow.peakRssMb / slow.idleRssMb,
    },
    {
      name: `${label}: peak heap used`,
      value: slow.peakHeapMb,
      unit: 'MB',
      baseline: { name: 'idle runtime heap', value: slow.idleHeapMb },
      ratio: slow.peakHeapMb / slow.idleHeapMb,
    },
    {
      name: `${label}: peak RSS vs the same burst into a fast target`,
      value: slow.peakRssMb,
      unit: 'MB',
      baseline: { name: 'fast target (0 ms)', value: fast.peakRssMb },
      ratio: slow.peakRssMb / fast.peakRssMb,
    },
    {
      name: `${label}: fire() rate during the burst`,
      value: slow.fired / (slow.burstMs / 1000),
      unit: 'events/s',
      baseline: { name: 'fast target', value: fast.fired / (fast.burstMs / 1000) },
      ratio: slow.burstMs > 0 ? fast.burstMs / slow.burstMs : undefined,
    },
    {
      name: `${label}: accepted by fire() (queued for the handler)`,
      value: slow.queuedByFire,
      unit: 'events',
      baseline: { name: 'fired', value: slow.fired },
      ratio: slow.queuedByFire / slow.fired,
    },
    {
      name: `${label}: dropped by the dispatch queue (drop-oldest, 10,000)`,
      value: slow.dropped,
      unit: 'events',
      baseline: { name: 'fast target', value: fast.dropped },
      ratio: fast.dropped > 0 ? slow.dropped / fast.dropped : undefined,
    },
    {
      name: `${label}: refused by the full delivery queue (100,000)`,
      value: slow.refused,
      unit: 'events',
      baseline: { name: 'fast target', value: fast.refused },
    },
    {
      name: `${label}: delivered within ${WINDOW_MS / 1000} s after the burst`,
      value: slow.delivered,
      unit: 'events',
      baseline: { name: 'fast target', value: fast.delivered },
      ratio: fast.delivered > 0 ? slow.delivered / fast.delivered : undefined,
    },
    {
      name: `${label}: still queued at the end (memory mode: lost on close)`,
      value: slow.stillQueued,
      unit: 'events',
      baseline: { name: 'fast target', value: fast.stillQueued },
    },
    {
      name: `${label}: accounted (dropped + refused + delivered + queued) of ${events(slow.fired)}`,
      value: slow.dropped + slow.refused + slow.delivered + slow.stillQueued,
      unit: 'events',
      baseline: { name: 'fired', value: slow.fired },
      ratio: (slow.dropped + slow.refused + slow.delivered + slow.stillQueued) / slow.fired,
      target: '1.00 (every event accounted for)',
      met: slow.dropped + slow.refused + slow.delivered + slow.stillQueued === slow.fired,
    },
    {
      name: `${tightLabel}: peak RSS`,
      value: tight.peakRssMb,
      unit: 'MB',
      baseline: { name: 'idle runtime RSS', value: tight.idleRssMb },
      ratio: tight.peakRssMb / tight.idleRssMb,
    },
    {
      name: `${tightLabel}: dropped by the dispatch queue (drop-oldest, 10,000)`,
      value: tight.dropped,
      unit: 'events',
      baseline: { name: 'fired', value: tight.fired },
      ratio: tight.dropped / tight.fired,
    },
    {
      name: `${tightLabel}: delivered within ${WINDOW_MS / 1000} s after the burst`,
      value: tight.delivered,
      unit: 'events',
      baseline: { name: 'queued (not dropped)', value: tight.fired - tight.dropped },
    },
    {
      name: `${tightLabel}: accounted of ${events(tight.fired)}`,
      value: tight.dropped + tight.refused + tight.delivered + tight.stillQueued,
      unit: 'events',
      baseline: { name: 'fired', value: tight.fired },
      ratio: (tight.dropped + tight.refused + tight.delivered + tight.stillQueued) / tight.fired,
      target: '1.00',
      met: tight.dropped + tight.refused + tight.delivered + tight.stillQueued === tight.fired,
    },
  ];
}

if (import.meta.main) {
  if (process.argv[2] === 'child') {
    process.stdout.write(`${JSON.stringify(await burst(Number(process.argv[3]), Number(process.argv[4])))}\n`);
    process.exit(0);
  }
  report('e2e/burst', await run());
}
