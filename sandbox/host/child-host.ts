/**
 * The sandbox child process as the sandbox sees it: started on first use, restarted with backoff
 * when it dies (every live generation rebuilt from the sources kept host-side), and one lock for
 * structural work in it (generation builds, file loads, rebuilds) so they never interleave.
 */
import { SandboxError } from './errors.ts';
import type { GenState } from './generation-state.ts';
import type { ChildMessage, LoadOutcome } from '../shared/protocol.ts';
import type { Scheduler } from './scheduler.ts';
import { loadError } from './sources.ts';
import type { Strikes } from './strikes.ts';
import { WorkerGoneError, WorkerProcess, type ExitInfo } from './supervisor.ts';
import type { SandboxLimits, SandboxWarning } from './types.ts';

export interface ChildHostDeps {
  gens: Map<number, GenState>;
  scheduler: Scheduler;
  strikes: Strikes;
  limits: SandboxLimits;
  warn(warning: SandboxWarning): void;
  onHost(worker: WorkerProcess, message: Extract<ChildMessage, { t: 'host' }>): void;
  onLogs(lines: Extract<ChildMessage, { t: 'logs' }>['lines']): void;
}

export class ChildHost {
  worker: WorkerProcess | undefined;
  /** Resolves when a child is up and every live generation is built in it. */
  up: Promise<void> | undefined;
  restarts = 0;
  closed = false;
  /** Load requests in flight: request id -> file path (log attribution). */
  readonly loadingFiles = new Map<number, string>();
  private structure: Promise<unknown> = Promise.resolve();
  private recentRestarts: number[] = [];
  private readonly deps: ChildHostDeps;

  constructor(deps: ChildHostDeps) {
    this.deps = deps;
  }

  private warn(warning: SandboxWarning): void {
    this.deps.warn(warning);
  }

  ensureUp(): Promise<void> {
    if (this.closed) return Promise.reject(new SandboxError('FH_SANDBOX_CLOSED', 'the sandbox is closed'));
    this.up ??= this.startWorker().catch((error: unknown) => this.startFailed(error));
    return this.up;
  }

  /** The child could not be started: fail what waits for it; the next load or event tries again. */
  private startFailed(error: unknown): never {
    this.up = undefined;
    const message = `the sandbox process could not be started: ${String((error as Error)?.message ?? error)}`;
    this.warn({ code: 'FH_SANDBOX_UNAVAILABLE', message });
    for (const gen of this.deps.gens.values()) this.deps.scheduler.failQueued(gen, 'FH_SANDBOX_UNAVAILABLE', message);
    throw new SandboxError('FH_SANDBOX_UNAVAILABLE', message);
  }

  private async startWorker(): Promise<void> {
    const worker = new WorkerProcess({
      hardening: this.deps.limits.processHardening,
      maxRssMb: this.deps.limits.maxProcessRssMb,
      onHost: (m) => this.deps.onHost(worker, m),
      onLogs: (lines) => this.deps.onLogs(lines),
      onExit: (info) => this.workerExited(worker, info),
      onStderr: (text) => this.warn({ code: 'FH_SANDBOX_CRASHED', message: `sandbox process stderr: ${text.trim().slice(0, 500)}` }),
    });
    this.worker = worker;
    await worker.start();
    for (const gen of [...this.deps.gens.values()].sort((a, b) => a.id - b.id)) {
      try {
        await this.buildInChild(gen);
      } catch (error) {
        if (error instanceof WorkerGoneError) throw error;
        this.generationLost(gen, error);
      }
    }
  }

  /** A generation could not be rebuilt: its queued events fail; later ones find it missing. */
  private generationLost(gen: GenState, error: unknown): void {
    gen.building = false;
    const message = `sandbox generation ${gen.id} could not be rebuilt: ${String((error as Error)?.message ?? error)}`;
    this.warn({ code: 'FH_SANDBOX_CRASHED', message });
    this.deps.scheduler.failQueued(gen, 'FH_SANDBOX_CRASHED', message);
  }

  private workerExited(worker: WorkerProcess, info: ExitInfo): void {
    if (worker !== this.worker) return;
    this.deps.scheduler.workerLost(info);
    if (this.closed) return;
    this.restarts++;
    const now = Date.now();
    this.recentRestarts = [...this.recentRestarts.filter((t) => now - t < 30_000), now];
    this.warn({ code: 'FH_SANDBOX_RESTARTED', message: `sandbox process restarted: ${info.reason}` });
    const delay = this.recentRestarts.length > 3 ? Math.min(5_000, 100 * 2 ** (this.recentRestarts.length - 3)) : 0;
    for (const gen of this.deps.gens.values()) gen.building = true;
    // Not under `serial`: a load in progress waits on `up` before its next file.
    this.up = (async () => {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      await this.startWorker();
      for (const gen of this.deps.gens.values()) this.deps.scheduler.pump(gen);
    })().catch((error: unknown) => this.startFailed(error));
    this.up.catch(() => undefined);
  }

  serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.structure.then(task, task);
    this.structure = next.catch(() => undefined);
    return next;
  }

  /** (Re)create a generation in the child and replay its files; files that now fail are dropped. */
  async buildInChild(gen: GenState): Promise<void> {
    gen.building = true;
    const worker = this.worker!;
    const created = await worker.request({ t: 'gen', spec: gen.spec }).reply;
    if (created.t === 'gen-done' && !created.ok) throw new SandboxError('FH_SANDBOX_LOAD_FAILED', created.error ?? 'generation failed');
    for (const file of gen.files) {
      const outcome = await this.loadInChild(worker, gen, file.path, file.source);
      if (outcome.ok) continue;
      gen.files = gen.files.filter((f) => f !== file);
      gen.byPath.delete(file.path);
      gen.failed.set(file.path, loadError(file.path, outcome));
      this.warn({
        code: 'FH_SANDBOX_LOAD_FAILED',
        message: `a file that loaded before failed when its generation was rebuilt: ${outcome.error ?? ''}`,
        file: file.path,
      });
      // The isolate died with it: start over without that file.
      if (outcome.abort && outcome.abort.kind !== 'timeout') return this.buildInChild(gen);
    }
    gen.building = false;
  }

  async rebuild(gen: GenState): Promise<void> {
    gen.building = true;
    try {
      await this.serial(async () => {
        await this.up;
        if (gen.released || !gen.building) return;
        await this.buildInChild(gen);
      });
    } catch (error) {
      if (!(error instanceof WorkerGoneError)) this.generationLost(gen, error);
    }
    this.deps.scheduler.pump(gen);
  }

  async loadInChild(worker: WorkerProcess, gen: GenState, path: string, source: string): Promise<LoadOutcome> {
    const { id, reply } = worker.request<Extract<ChildMessage, { t: 'loaded' }>>({ t: 'load', gen: gen.id, path, source });
    this.loadingFiles.set(id, path);
    try {
      return (await reply).outcome;
    } catch (error) {
      if (!(error instanceof WorkerGoneError)) throw error;
      const wedged = error.info.wedged?.crossing === id;
      this.deps.strikes.strike(path, '*', 'the sandbox process died while the file loaded');
      return {
        ok: false,
        error: wedged
          ? 'loading never finished (uninterruptible work); the sandbox process was replaced'
          : `the sandbox process died while the file loaded (${error.info.reason})`,
        handlers: [],
        registrations: [],
        collisions: [],
      };
    } finally {
      this.loadingFiles.delete(id);
    }
  }
}
