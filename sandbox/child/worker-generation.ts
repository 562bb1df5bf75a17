/**
 * Child-process side: one isolate generation (an isolated-vm Isolate with its memory limit) and
 * its contexts, one per handler file (or a single shared one). Work on an isolate is serialised:
 * one load or crossing at a time, so the progress buffer always describes the current call.
 * Only async isolated-vm calls are used (the isolate must be entered asynchronously for
 * applySyncPromise, and a *Sync call would freeze this process's event loop).
 */
import ivm from 'isolated-vm';
import { BOOTSTRAP_SOURCE } from './bootstrap.ts';
import { HOST_OP_TABLE, REPLY_TEXT, thrownReply } from '../shared/host-ops-table.ts';
import { BOOTSTRAP_FILENAME, STATUS_OFFSET } from '../shared/isolate-contract.ts';
import type { Abort, GenerationSpec, LoadOutcome, RunOutcome } from '../shared/protocol.ts';

export interface GenerationHooks {
  /** A binding call from the isolate; resolves with the reply envelope (`v<json>`, `u`, `e<message>`). */
  host(gen: number, crossing: number, index: number, op: string, args: unknown[]): Promise<string>;
  log(gen: number, crossing: number, index: number, kind: string, text: string): void;
  catastrophic(gen: number, message: string): void;
}

interface ContextHandle {
  context: ivm.Context;
  dispatch: ivm.Reference;
  details: ivm.Reference;
  loadFile: ivm.Reference;
}

/** What the watchdog reads: the call in progress and how long it has waited on the host. */
export interface ActiveCall {
  crossing: number;
  started: number;
  /** ms the call may run, excluding time blocked in host calls, before it counts as wedged. */
  limitMs: number;
  hostWaitMs: number;
  hostWaitSince: number;
}

const TIMED_OUT = 'Script execution timed out.';
/** The host-op table for the bootstrap (`$4`). */
const HOST_OP_TABLE_JSON = JSON.stringify(HOST_OP_TABLE);
const MEMORY = 'memory limit';

export class WorkerGeneration {
  readonly isolate: ivm.Isolate;
  readonly progress: Int32Array;
  active: ActiveCall | undefined;
  private readonly sab: SharedArrayBuffer;
  private readonly contexts = new Map<string, ContextHandle>();
  private readonly hostRef: ivm.Reference;
  private chain: Promise<unknown> = Promise.resolve();
  readonly spec: GenerationSpec;
  private readonly hooks: GenerationHooks;

  private constructor(spec: GenerationSpec, hooks: GenerationHooks) {
    this.spec = spec;
    this.hooks = hooks;
    this.isolate = new ivm.Isolate({
      memoryLimit: spec.memoryLimitMb,
      onCatastrophicError: (message: string) => hooks.catastrophic(spec.gen, message),
    });
    this.sab = new SharedArrayBuffer(4 * (STATUS_OFFSET + spec.maxBatch));
    this.progress = new Int32Array(this.sab);
    this.hostRef = new ivm.Reference((op: string, crossing: number, index: number, a: unknown, b: unknown, c: unknown) =>
      this.hostCall(op, crossing, index, [a, b, c]),
    );
  }

  static async create(spec: GenerationSpec, hooks: GenerationHooks): Promise<WorkerGeneration> {
    const generation = new WorkerGeneration(spec, hooks);
    if (spec.sharedContext) {
      const failure = await generation.serial(async () => {
        const handle = await generation.newContext();
        generation.contexts.set('*', handle);
        return generation.loadExtra(handle);
      });
      if (failure !== undefined) {
        generation.dispose();
        throw new Error(failure);
      }
    }
    return generation;
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async hostCall(op: string, crossing: number, index: number, args: unknown[]): Promise<string> {
    const active = this.active;
    if (active) active.hostWaitSince = Date.now();
    try {
      return await this.hooks.host(this.spec.gen, crossing, index, op, args);
    } catch {
      return thrownReply(op + REPLY_TEXT.hostCallFailed);
    } finally {
      if (active && active.hostWaitSince > 0) {
        active.hostWaitMs += Date.now() - active.hostWaitSince;
        active.hostWaitSince = 0;
      }
    }
  }

  private async newContext(): Promise<ContextHandle> {
    const context = await this.isolate.createContext();
    const log = new ivm.Callback((kind: string, crossing: number, index: number, text: string) => this.hooks.log(this.spec.gen, crossing, index, kind, text), {
      ignored: true,
    });
    const api = (await context.evalClosure(
      BOOTSTRAP_SOURCE,
      [this.hostRef, log, new ivm.ExternalCopy(this.sab).copyInto(), JSON.stringify(this.spec.limits), HOST_OP_TABLE_JSON],
      {
        filename: BOOTSTRAP_FILENAME,
        timeout: this.spec.loadTimeoutMs,
        result: { reference: true },
      },
    )) as ivm.Reference;
    const handle: ContextHandle = {
      context,
      dispatch: await api.get('dispatch', { reference: true }),
      details: await api.get('details', { reference: true }),
      loadFile: await api.get('loadFile', { reference: true }),
    };
    api.release();
    return handle;
  }

  /** Run `tyk_js_path` in a fresh context; an error text when it fails. */
  private async loadExtra(handle: ContextHandle): Promise<string | undefined> {
    const extra = this.spec.extra;
    if (!extra) return undefined;
    const outcome = await this.runLoader(handle, -1, extra.path, extra.source);
    return outcome.ok ? undefined : `${extra.path}: ${outcome.error ?? 'failed to load'}`;
  }

  /** Load one handler file into its own context (or the shared one). */
  load(crossing: number, path: string, source: string): Promise<LoadOutcome> {
    return this.serial(async () => {
      if (this.disposed) return failedLoad('the isolate is gone', { kind: 'crash', index: -1, statuses: [], message: 'disposed' });
      try {
        const script = await this.isolate.compileScript(source, { filename: path });
        script.release();
      } catch (error) {
        if (this.disposed) return failedLoad(String((error as Error).message), { kind: 'memory', index: -1, statuses: [] });
        return failedLoad(String((error as Error).message));
      }
      const shared = this.spec.sharedContext ? this.contexts.get('*') : undefined;
      let handle = shared;
      try {
        if (handle === undefined) {
          handle = await this.newContext();
          const extraError = await this.loadExtra(handle);
          if (extraError !== undefined) {
            handle.context.release();
            return failedLoad(extraError);
          }
        }
        const outcome = await this.runLoader(handle, crossing, path, source);
        if (shared === undefined) {
          if (outcome.ok) this.contexts.set(path, handle);
          else handle.context.release();
        }
        return outcome;
      } catch (error) {
        return failedLoad(String((error as Error).message), this.abortOf(error, -1, 0));
      }
    });
  }

  private async runLoader(handle: ContextHandle, crossing: number, path: string, source: string): Promise<LoadOutcome> {
    this.progress[0] = -1;
    this.begin(crossing, this.spec.loadTimeoutMs);
    let text: unknown;
    try {
      text = await handle.loadFile.apply(undefined, [path, source, crossing], { timeout: this.spec.loadTimeoutMs });
    } catch (error) {
      const abort = this.abortOf(error, -1, 0);
      if (abort.kind === 'timeout') return failedLoad(`loading took longer than ${this.spec.loadTimeoutMs} ms`, abort);
      if (abort.kind !== 'crash' || this.disposed) return failedLoad(String((error as Error).message), abort);
      // A stray unhandled rejection after the file ran: the loader's report is still there.
      text = await handle.details.apply(undefined, ['load'], { timeout: this.spec.loadTimeoutMs });
    } finally {
      this.active = undefined;
    }
    const report = JSON.parse(String(text)) as {
      error: string;
      handlers: string[];
      registrations: LoadOutcome['registrations'];
      collisions: LoadOutcome['collisions'];
    };
    return {
      ok: report.error === '',
      ...(report.error ? { error: report.error } : {}),
      handlers: report.handlers,
      registrations: report.registrations,
      collisions: report.collisions,
    };
  }

  /** One crossing: a batch of events for one context. */
  run(crossing: number, ctxKey: string, batch: string, count: number, timeoutMs: number, budgetMs: number, graceMs: number): Promise<RunOutcome> {
    return this.serial(async () => {
      const handle = this.contexts.get(this.spec.sharedContext ? '*' : ctxKey);
      if (this.disposed) return { done: 0, errors: [], retry: true };
      if (handle === undefined) return { done: 0, errors: [], missing: true };
      this.progress.fill(0, 0, STATUS_OFFSET + count);
      this.progress[0] = -1;
      this.begin(crossing, timeoutMs + budgetMs + graceMs);
      const startedAt = performance.timeOrigin + performance.now();
      try {
        const text = await handle.dispatch.apply(undefined, [batch, budgetMs, crossing], { timeout: timeoutMs + budgetMs });
        return { ...(JSON.parse(String(text)) as RunOutcome), startedAt };
      } catch (error) {
        const abort = this.abortOf(error, Atomics.load(this.progress, 0), count);
        if (abort.kind === 'memory' || this.disposed) return { done: 0, errors: [], abort };
        if (abort.kind === 'crash') {
          // A stray unhandled rejection surfaced after the batch: the results are intact.
          const outcome = await this.details(handle);
          return outcome ? { ...outcome, rejection: abort.message } : { done: 0, errors: [], abort };
        }
        const outcome = await this.details(handle);
        if (!outcome)
          return {
            done: 0,
            errors: [],
            abort: { kind: 'crash', index: abort.index, statuses: this.statuses(count), message: 'the isolate stopped answering after a timeout' },
          };
        const statuses = this.statuses(count);
        // The timer can fire just after the last event finished: then the overrun is post-event work.
        const index = abort.index >= 0 && statuses[abort.index] === 1 ? abort.index : -1;
        return { ...outcome, abort: { kind: 'timeout', index } };
      } finally {
        this.active = undefined;
      }
    });
  }

  private async details(handle: ContextHandle): Promise<RunOutcome | undefined> {
    try {
      return JSON.parse(String(await handle.details.apply(undefined, ['run'], { timeout: 1_000 }))) as RunOutcome;
    } catch {
      return undefined;
    }
  }

  private begin(crossing: number, limitMs: number): void {
    this.active = { crossing, started: Date.now(), limitMs, hostWaitMs: 0, hostWaitSince: 0 };
  }

  statuses(count: number): number[] {
    return Array.from({ length: count }, (_, i) => Atomics.load(this.progress, STATUS_OFFSET + i));
  }

  private abortOf(error: unknown, index: number, count: number): Abort {
    const message = error instanceof Error ? error.message : String(error);
    if (message === TIMED_OUT) return { kind: 'timeout', index };
    if (message.includes(MEMORY)) return { kind: 'memory', index, statuses: this.statuses(count) };
    return { kind: 'crash', index, statuses: this.statuses(count), message: message.slice(0, 500) };
  }

  /** Milliseconds the current call has run, not counting time blocked in host calls. */
  runningMs(now: number): number {
    const a = this.active;
    if (!a) return 0;
    const waiting = a.hostWaitSince > 0 ? now - a.hostWaitSince : 0;
    return now - a.started - a.hostWaitMs - waiting;
  }

  /** Dispose once the current call (if any) has finished. */
  disposeWhenIdle(): Promise<void> {
    return this.serial(async () => this.dispose());
  }

  dispose(): void {
    for (const handle of this.contexts.values()) {
      for (const ref of [handle.dispatch, handle.details, handle.loadFile]) ref.release();
    }
    this.contexts.clear();
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

function failedLoad(error: string, abort?: Abort): LoadOutcome {
  return { ok: false, error, ...(abort ? { abort } : {}), handlers: [], registrations: [], collisions: [] };
}
