/**
 * The sandbox child process. Runs isolate generations for the parent (sandbox/host/supervisor.ts),
 * forwards binding calls and log lines over IPC, and watches for calls that overrun their limit
 * (a long native operation the per-call timeout cannot interrupt): those are reported as
 * wedged and the parent kills this process. It never calls isolated-vm *Sync APIs.
 * Runnable by Node 24 directly from source (erasable TypeScript only) and from dist.
 */
import { hostTimeoutReply } from '../shared/host-ops-table.ts';
import type { ChildMessage, ParentMessage } from '../shared/protocol.ts';
import { WorkerGeneration } from './worker-generation.ts';

const generations = new Map<number, WorkerGeneration>();
const pendingHost = new Map<number, { resolve: (reply: string) => void; timer: NodeJS.Timeout }>();
const wedgedReported = new Set<WorkerGeneration>();
let hostSeq = 0;
let logLines: Extract<ChildMessage, { t: 'logs' }>['lines'] = [];
let logFlush: NodeJS.Immediate | undefined;
const MAX_BUFFERED_LOG_LINES = 10_000;

function send(message: ChildMessage): void {
  if (process.connected) process.send!(message);
}

function flushLogs(): void {
  logFlush = undefined;
  if (logLines.length === 0) return;
  const lines = logLines;
  logLines = [];
  send({ t: 'logs', lines });
}

const hooks = {
  host(gen: number, crossing: number, index: number, op: string, args: unknown[]): Promise<string> {
    const generation = generations.get(gen);
    const timeoutMs = generation?.spec.hostTimeoutMs ?? 10_000;
    return new Promise<string>((resolve) => {
      const id = ++hostSeq;
      const timer = setTimeout(() => {
        pendingHost.delete(id);
        resolve(hostTimeoutReply(op, timeoutMs));
      }, timeoutMs);
      pendingHost.set(id, { resolve, timer });
      send({ t: 'host', id, gen, crossing, index, op, args });
    });
  },
  log(gen: number, crossing: number, index: number, kind: string, text: string): void {
    if (logLines.length >= MAX_BUFFERED_LOG_LINES) return;
    logLines.push([gen, crossing, index, kind, text]);
    logFlush ??= setImmediate(flushLogs);
  },
  catastrophic(gen: number, message: string): void {
    send({ t: 'catastrophic', gen, message: String(message).slice(0, 500) });
    // isolated-vm's advice after a catastrophic error: stop and let the supervisor restart us.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200).unref();
  },
};

async function handle(message: ParentMessage): Promise<void> {
  switch (message.t) {
    case 'gen': {
      const previous = generations.get(message.spec.gen);
      if (previous) {
        generations.delete(message.spec.gen);
        if (previous.disposed) previous.dispose();
        else await previous.disposeWhenIdle();
      }
      try {
        generations.set(message.spec.gen, await WorkerGeneration.create(message.spec, hooks));
        send({ t: 'gen-done', id: message.id, ok: true });
      } catch (error) {
        send({ t: 'gen-done', id: message.id, ok: false, error: String((error as Error).message ?? error) });
      }
      return;
    }
    case 'load': {
      const generation = generations.get(message.gen);
      const outcome = generation
        ? await generation.load(message.id, message.path, message.source)
        : { ok: false, error: 'unknown generation', handlers: [], registrations: [], collisions: [] };
      // lines logged while the file loaded go first: the host names their file only while the load is open
      flushLogs();
      send({ t: 'loaded', id: message.id, outcome });
      return;
    }
    case 'run': {
      const generation = generations.get(message.gen);
      const outcome = generation
        ? await generation.run(message.id, message.ctx, message.batch, message.count, message.timeoutMs, message.budgetMs, message.graceMs)
        : { done: 0, errors: [], missing: true };
      flushLogs();
      send({ t: 'ran', id: message.id, outcome });
      return;
    }
    case 'drop': {
      const generation = generations.get(message.gen);
      generations.delete(message.gen);
      if (generation) await generation.disposeWhenIdle();
      return;
    }
    case 'host-reply': {
      const pending = pendingHost.get(message.id);
      if (!pending) return;
      pendingHost.delete(message.id);
      clearTimeout(pending.timer);
      pending.resolve(message.reply);
      return;
    }
    case 'ping':
      send({ t: 'pong', id: message.id, rss: process.memoryUsage.rss() });
      return;
  }
}

function watchdog(): void {
  const now = Date.now();
  for (const generation of generations.values()) {
    const active = generation.active;
    if (!active || wedgedReported.has(generation)) continue;
    if (generation.runningMs(now) <= active.limitMs) continue;
    wedgedReported.add(generation);
    flushLogs();
    const count = generation.spec.maxBatch;
    send({
      t: 'wedged',
      gen: generation.spec.gen,
      crossing: active.crossing,
      index: Atomics.load(generation.progress, 0),
      statuses: generation.statuses(count),
    });
    // The parent kills this process; if it cannot, do it ourselves (disposing a busy isolate can crash).
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 5_000).unref();
  }
}

process.on('message', (message: ParentMessage) => {
  handle(message).catch((error: unknown) => process.stderr.write(`firehook sandbox worker: ${String((error as Error)?.stack ?? error)}\n`));
});
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
process.on('unhandledRejection', (reason) => process.stderr.write(`firehook sandbox worker: unhandled rejection ${String(reason)}\n`));
setInterval(watchdog, 100);
send({ t: 'ready', pid: process.pid });
