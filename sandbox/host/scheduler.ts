/**
 * Events to crossings: per-generation, per-context FIFO queues; up to `maxBatch` events per
 * crossing and `maxInflight` crossings per generation (pipelined, so the child starts the next
 * batch the moment one ends). Outcomes are mapped back per event: script errors stay with their
 * event, a timed-out event fails alone and the rest of its batch runs again, an isolate death
 * fails only the event that was running (the ones before it keep their result) and rebuilds.
 */
import { SandboxError, type SandboxErrorCode } from './errors.ts';
import { contextKey, settle as deliver, type GenState, type Pending } from './generation-state.ts';
import { Fifo } from './fifo.ts';
import { EVENT_STATUS } from '../shared/isolate-contract.ts';
import type { Abort, RunOutcome } from '../shared/protocol.ts';
import { locateError } from './stack.ts';
import type { Strikes } from './strikes.ts';
import type { WorkerProcess, ExitInfo } from './supervisor.ts';
import type { SandboxLimits, SandboxWarning } from './types.ts';

export interface Crossing {
  id: number;
  gen: GenState;
  ctx: string;
  items: Pending[];
}

export interface SchedulerDeps {
  worker(): WorkerProcess | undefined;
  limits: SandboxLimits;
  strikes: Strikes;
  warn(warning: SandboxWarning): void;
  /** The generation's isolate died: rebuild it in the child, then pump again. */
  rebuild(gen: GenState): void;
}

const MAX_CROSSING_CHARS = 8 << 20;

export class Scheduler {
  readonly crossings = new Map<number, Crossing>();
  crossingCount = 0;
  eventCount = 0;
  private readonly deps: SchedulerDeps;

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
  }

  enqueue(gen: GenState, pending: Pending): void {
    const key = contextKey(gen, pending.item.file);
    let queue = gen.queues.get(key);
    if (queue === undefined) {
      queue = new Fifo<Pending>();
      gen.queues.set(key, queue);
    }
    if (queue.length === 0) gen.order.push(key);
    queue.push(pending);
    this.schedule(gen);
  }

  /** Pump once at the end of this tick, so a burst of submissions fills whole batches. */
  schedule(gen: GenState): void {
    if (gen.pumpScheduled) return;
    gen.pumpScheduled = true;
    queueMicrotask(() => {
      gen.pumpScheduled = false;
      this.pump(gen);
    });
  }

  pump(gen: GenState): void {
    const worker = this.deps.worker();
    if (!worker?.alive || gen.building) return;
    const { maxBatch, maxInflight } = this.deps.limits;
    while (gen.inflight < maxInflight && gen.order.length > 0) {
      const key = gen.order.shift()!;
      const queue = gen.queues.get(key)!;
      let chars = 2;
      let n = 0;
      while (n < queue.length && n < maxBatch && (n === 0 || chars + queue.at(n)!.frag.length < MAX_CROSSING_CHARS)) chars += queue.at(n++)!.frag.length + 1;
      const items = queue.take(n);
      if (queue.length > 0) gen.order.push(key);
      this.send(worker, gen, key, items);
    }
    if (gen.inflight === 0 && gen.order.length === 0) this.notifyDrained(gen);
  }

  private send(worker: WorkerProcess, gen: GenState, ctx: string, items: Pending[]): void {
    const { timeoutMs } = gen.options;
    const { budgetMs, graceMs } = this.deps.limits;
    const batch = '[' + items.map((p) => p.frag).join(',') + ']';
    const { id, reply } = worker.request({ t: 'run', gen: gen.id, ctx, batch, count: items.length, timeoutMs, budgetMs, graceMs });
    const crossing: Crossing = { id, gen, ctx, items };
    gen.inflight++;
    this.crossingCount++;
    if (id >= 0) this.crossings.set(id, crossing);
    reply.then(
      (message) => {
        this.crossings.delete(id);
        gen.inflight--;
        if (message.t === 'ran') this.finish(crossing, message.outcome);
        this.pump(gen);
      },
      () => {
        // The process is gone: workerLost() accounts for this crossing.
        if (id < 0) {
          gen.inflight--;
          this.requeueFront(gen, ctx, items);
        }
      },
    );
  }

  private finish(crossing: Crossing, outcome: RunOutcome): void {
    const { items, gen } = crossing;
    if (outcome.retry) {
      // Queued behind a crossing that killed the isolate: nothing ran; the rebuild re-sends it.
      this.requeueFront(gen, crossing.ctx, items);
      return;
    }
    if (outcome.missing) {
      for (const p of items)
        deliver(p, {
          ok: false,
          error: new SandboxError('FH_SANDBOX_NOT_LOADED', `${p.item.file} is not loaded in sandbox generation ${gen.id}`, {
            file: p.item.file,
            handler: p.item.name,
          }),
        });
      return;
    }
    const errors = new Map(outcome.errors.map(([i, kind, text]) => [i, { kind, text }]));
    const ok = Object.freeze({ ok: true as const, startedAt: outcome.startedAt ?? Date.now() });
    const settle = (p: Pending, i: number, status?: number): void => {
      const failure = errors.size > 0 ? errors.get(i) : undefined;
      if (failure) deliver(p, { ok: false, error: scriptError(p, failure.kind, failure.text) });
      else if (status === EVENT_STATUS.failed)
        deliver(p, {
          ok: false,
          error: new SandboxError('FH_SANDBOX_SCRIPT_ERROR', 'the handler threw (details were lost with the isolate)', {
            file: p.item.file,
            handler: p.item.name,
          }),
        });
      else deliver(p, ok);
      this.eventCount++;
    };
    if (outcome.rejection !== undefined) {
      this.deps.warn({
        code: 'FH_SANDBOX_UNHANDLED_REJECTION',
        message: `unhandled promise rejection after a batch: ${locateError(outcome.rejection).message}`,
        file: crossing.ctx,
      });
    }
    const abort = outcome.abort;
    if (abort === undefined) {
      for (let i = 0; i < outcome.done; i++) settle(items[i]!, i);
      if (outcome.done < items.length) this.requeueFront(gen, crossing.ctx, items.slice(outcome.done));
      return;
    }
    this.aborted(crossing, abort, settle, outcome.done);
  }

  /** Map an abnormal end onto the events: before the culprit settled, culprit failed, rest again. */
  private aborted(crossing: Crossing, abort: Abort, settle: (p: Pending, i: number, status?: number) => void, done: number): void {
    const { items, gen } = crossing;
    const statuses = 'statuses' in abort ? abort.statuses : undefined;
    const culprit = abort.index >= 0 && abort.index < items.length ? abort.index : -1;
    if (abort.kind === 'timeout') {
      if (culprit < 0) {
        items.slice(0, done).forEach((p, i) => settle(p, i));
        this.strikeFile(crossing, 'work left running after the batch (promises or microtasks) overran the time limit');
        if (done < items.length) this.requeueFront(gen, crossing.ctx, items.slice(done));
        return;
      }
      items.slice(0, culprit).forEach((p, i) => settle(p, i));
      this.culprit(items[culprit]!, 'FH_SANDBOX_TIMEOUT', `the handler ran longer than ${gen.options.timeoutMs} ms and was stopped`);
      this.requeueFront(gen, crossing.ctx, items.slice(culprit + 1));
      return;
    }
    // memory or crash: the isolate is gone and must be rebuilt.
    const code: SandboxErrorCode = abort.kind === 'memory' ? 'FH_SANDBOX_MEMORY_LIMIT' : 'FH_SANDBOX_CRASHED';
    const what = abort.kind === 'memory' ? `the isolate exceeded its ${gen.options.memoryLimitMb} MB memory limit` : `the isolate failed (${abort.message})`;
    if (culprit < 0) {
      // Died outside any event: after the batch (work left behind) or before the first one started.
      const ran = statuses?.some((s) => s === EVENT_STATUS.ok || s === EVENT_STATUS.failed) ?? false;
      items.forEach((p, i) => {
        const status = statuses?.[i];
        if (ran && (status === EVENT_STATUS.ok || status === EVENT_STATUS.failed)) settle(p, i, status);
        else if (ran) this.requeueFront(gen, crossing.ctx, [p]);
        else
          deliver(p, {
            ok: false,
            error: new SandboxError(code, `${what} before the event started; it was not run`, { file: p.item.file, handler: p.item.name }),
          });
      });
      this.strikeFile(crossing, `${what} after its events returned (work left running)`);
    } else {
      items.slice(0, culprit).forEach((p, i) => settle(p, i, statuses?.[i]));
      this.culprit(items[culprit]!, code, `${what} while this handler ran`);
      this.requeueFront(gen, crossing.ctx, items.slice(culprit + 1));
    }
    this.deps.rebuild(gen);
  }

  private culprit(p: Pending, code: SandboxErrorCode, message: string): void {
    this.eventCount++;
    deliver(p, { ok: false, error: new SandboxError(code, message, { file: p.item.file, handler: p.item.name }) });
    this.deps.strikes.strike(p.item.file, p.item.name, message);
  }

  private strikeFile(crossing: Crossing, reason: string): void {
    const file = crossing.ctx === '*' ? crossing.items[0]?.item.file : crossing.ctx;
    if (file !== undefined) this.deps.strikes.strike(file, '*', reason);
  }

  requeueFront(gen: GenState, key: string, items: Pending[]): void {
    if (items.length === 0) return;
    let queue = gen.queues.get(key);
    if (queue === undefined) {
      queue = new Fifo<Pending>();
      gen.queues.set(key, queue);
    }
    if (queue.length === 0 && !gen.order.includes(key)) gen.order.unshift(key);
    queue.unshift(items);
    this.schedule(gen);
  }

  /**
   * The child process died. A crossing it reported as wedged fails only its culprit; the oldest
   * crossing of each generation may have been running and fails; the others never started and
   * run again after the restart.
   */
  workerLost(info: ExitInfo): void {
    const lost = [...this.crossings.values()].sort((a, b) => a.id - b.id);
    this.crossings.clear();
    const seen = new Set<GenState>();
    for (const crossing of lost) {
      const { gen, items } = crossing;
      gen.inflight--;
      const first = !seen.has(gen);
      seen.add(gen);
      if (info.wedged && info.wedged.crossing === crossing.id) {
        const statuses = info.wedged.statuses;
        const settle = (p: Pending, i: number): void => {
          this.eventCount++;
          if (statuses[i] === EVENT_STATUS.failed)
            deliver(p, {
              ok: false,
              error: new SandboxError('FH_SANDBOX_SCRIPT_ERROR', 'the handler threw (details were lost with the sandbox process)', {
                file: p.item.file,
                handler: p.item.name,
              }),
            });
          else deliver(p, { ok: true, startedAt: Date.now() });
        };
        const culprit = info.wedged.index;
        const done = culprit >= 0 ? culprit : items.length;
        this.aborted(crossing, { kind: 'timeout', index: culprit }, settle, done);
        continue;
      }
      if (first) {
        for (const p of items)
          deliver(p, {
            ok: false,
            error: new SandboxError('FH_SANDBOX_CRASHED', `the sandbox process was replaced while this event was in flight (${info.reason})`, {
              file: p.item.file,
              handler: p.item.name,
            }),
          });
        if (info.catastrophic || !info.wedged) this.strikeFile(crossing, info.reason);
      } else {
        this.requeueFront(gen, crossing.ctx, items);
      }
    }
  }

  /** Fail everything queued for a generation (released or closed). */
  failQueued(gen: GenState, code: SandboxErrorCode, message: string): void {
    for (const queue of gen.queues.values()) {
      for (const p of queue.drain()) deliver(p, { ok: false, error: new SandboxError(code, message, { file: p.item.file, handler: p.item.name }) });
    }
    gen.order = [];
    if (gen.inflight === 0) this.notifyDrained(gen);
  }

  /** Resolve when nothing is queued or in flight for the generation. */
  drained(gen: GenState): Promise<void> {
    if (gen.inflight === 0 && gen.order.length === 0) return Promise.resolve();
    return new Promise((resolve) => gen.drained.push(resolve));
  }

  private notifyDrained(gen: GenState): void {
    for (const resolve of gen.drained.splice(0)) resolve();
  }
}

function scriptError(p: Pending, kind: string, text: string): SandboxError {
  if (kind === 'N') return new SandboxError('FH_SANDBOX_HANDLER_NOT_FOUND', text, { file: p.item.file, handler: p.item.name });
  const loc = locateError(text, p.item.file);
  const where = loc.file === undefined ? '' : ` (${loc.file}:${loc.line}:${loc.column})`;
  return new SandboxError('FH_SANDBOX_SCRIPT_ERROR', `${loc.message}${where}`, {
    file: loc.file ?? p.item.file,
    handler: p.item.name,
    ...(loc.line !== undefined ? { line: loc.line, column: loc.column ?? 0 } : {}),
  });
}
