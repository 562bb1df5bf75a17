/**
 * createSandbox: isolate generations in a supervised child process. Loads build a generation
 * file by file (each in its own context unless the shared context is asked for); a plain load
 * swaps the new generation in only when every file loaded, and the old one drains before it is
 * disposed. Events cross in batches (sandbox/host/scheduler.ts); bindings that reach the outside are
 * served here (sandbox/host/host-ops.ts). When the child dies it is restarted and every live
 * generation is rebuilt from the sources kept here.
 */
import { createHash } from 'node:crypto';
import { SandboxError } from './errors.ts';
import { newGenState, settle, type GenState, type LoadedFile, type Pending, type RunBatch } from './generation-state.ts';
import { HostOps } from './host-ops.ts';
import { HostRouter } from './host-router.ts';
import { resolveLimits } from './limits.ts';
import { LogGate } from './log-gate.ts';
import { Scheduler } from './scheduler.ts';
import { Strikes } from './strikes.ts';
import { ChildHost } from './child-host.ts';
import { loadError, readSource } from './sources.ts';
import { WorkerGoneError } from './supervisor.ts';
import type {
  FileReport,
  GenerationOptions,
  LoadOptions,
  LoadReport,
  RunItem,
  RunResult,
  Sandbox,
  SandboxFile,
  SandboxLimits,
  SandboxOptions,
  SandboxStats,
  SandboxWarning,
  SelfRegistration,
} from './types.ts';

export function createSandbox(options: SandboxOptions): Sandbox {
  return new SandboxRuntime(options);
}

class SandboxRuntime implements Sandbox {
  private readonly options: SandboxOptions;
  private readonly limits: SandboxLimits;
  private readonly gens = new Map<number, GenState>();
  private readonly strikes: Strikes;
  private readonly scheduler: Scheduler;
  private readonly child: ChildHost;
  private readonly router: HostRouter;
  private current: GenState | undefined;
  private genSeq = 0;
  private closed = false;
  private lastPrefix = { name: '', apiId: '', orgId: '', text: '["","","",' };

  constructor(options: SandboxOptions) {
    this.options = options;
    this.limits = resolveLimits(options.timeoutMs, options.limits);
    this.strikes = new Strikes(this.limits.maxStrikes, (file, handler, reason) =>
      this.warn({
        code: 'FH_SANDBOX_QUARANTINED',
        message: `${handler === '*' ? 'every handler in the file' : `handler ${handler}`} quarantined after ${this.limits.maxStrikes} strikes (last: ${reason}); fix or change the file to clear it`,
        file,
        handler,
      }),
    );
    this.scheduler = new Scheduler({
      worker: () => this.child.worker,
      limits: this.limits,
      strikes: this.strikes,
      warn: (w) => this.warn(w),
      rebuild: (gen) => void this.child.rebuild(gen),
    });
    this.router = new HostRouter(
      this.scheduler,
      new HostOps(options.host, this.limits),
      new LogGate(this.limits.logLinesPerSecond, this.limits.maxLogChars, (line) => options.onLog?.(line)),
      (id) => this.child.loadingFiles.get(id),
    );
    this.child = new ChildHost({
      gens: this.gens,
      scheduler: this.scheduler,
      strikes: this.strikes,
      limits: this.limits,
      warn: (w) => this.warn(w),
      onHost: (worker, message) => void this.router.serveHost(worker, message),
      onLogs: (lines) => this.router.routeLogs(lines),
    });
  }

  private warn(warning: SandboxWarning): void {
    this.options.onWarning?.(warning);
  }

  // ---- loading -------------------------------------------------------------------------------

  async load(files: readonly SandboxFile[], options: LoadOptions = {}): Promise<LoadReport> {
    const started = performance.now();
    await this.child.ensureUp();
    const sources = await Promise.all(files.map((f) => readSource(f)));
    return this.child.serial(async () => {
      await this.child.up;
      let gen: GenState;
      const warnings: SandboxWarning[] = [];
      if (options.into !== undefined) {
        const existing = this.gens.get(options.into);
        if (!existing || existing.released) throw new SandboxError('FH_SANDBOX_NOT_LOADED', `sandbox generation ${options.into} does not exist`);
        gen = existing;
      } else {
        gen = await this.createGeneration({ ...(pickGenerationOptions(this.options) as GenerationOptions), ...pickGenerationOptions(options) });
      }
      const reports: FileReport[] = [];
      for (const [i, file] of files.entries()) {
        const source = sources[i]!;
        reports.push(await this.loadFile(gen, file.path, source, warnings));
      }
      gen.building = false;
      const ok = reports.every((r) => r.ok);
      let activated = false;
      if (options.into === undefined) {
        if (options.activate === false) {
          gen.refs++;
        } else if (ok) {
          const previous = this.current;
          this.current = gen;
          gen.refs++;
          activated = true;
          if (previous) void this.release(previous.id);
        } else {
          void this.dispose(gen);
        }
      }
      this.scheduler.pump(gen);
      const errors = reports.flatMap((r) => (r.error ? [r.error] : []));
      return { generation: gen.id, ok, activated, files: reports, errors, warnings, durationMs: performance.now() - started };
    });
  }

  private async createGeneration(options: GenerationOptions): Promise<GenState> {
    let extra: { path: string; source: string } | undefined;
    if (options.bootstrapExtraPath) {
      const source = await readSource({ path: options.bootstrapExtraPath });
      if (source instanceof SandboxError) throw source;
      extra = { path: options.bootstrapExtraPath, source };
    }
    const gen = newGenState(++this.genSeq, options, this.limits, extra);
    this.gens.set(gen.id, gen);
    try {
      await this.child.up;
      await this.child.buildInChild(gen).catch(async (error: unknown) => {
        // The process died meanwhile; its restart builds every generation, this one included.
        if (!(error instanceof WorkerGoneError)) throw error;
        await this.child.up;
      });
    } catch (error) {
      this.gens.delete(gen.id);
      throw error instanceof SandboxError ? error : new SandboxError('FH_SANDBOX_LOAD_FAILED', `building a sandbox generation failed: ${String(error)}`);
    }
    gen.building = true;
    return gen;
  }

  private async loadFile(gen: GenState, path: string, source: string | SandboxError, warnings: SandboxWarning[]): Promise<FileReport> {
    if (source instanceof SandboxError) {
      gen.failed.set(path, source);
      return { path, ok: false, error: source, handlers: [], registrations: [] };
    }
    const hash = createHash('sha256').update(source).digest('hex');
    const present = gen.byPath.get(path);
    if (present) {
      if (present.hash === hash) return present.report;
      const error = new SandboxError('FH_SANDBOX_LOAD_FAILED', `${path} is already loaded in this generation with other content`, { file: path });
      return { path, ok: false, error, handlers: [], registrations: [] };
    }
    this.strikes.noteContent(path, hash);
    await this.child.up;
    const outcome = await this.child.loadInChild(this.child.worker!, gen, path, source);
    for (const [name, previous] of outcome.collisions) {
      warnings.push({
        code: 'FH_SANDBOX_GLOBAL_COLLISION',
        message: `global "${name}" defined in ${previous} is replaced by ${path} (shared context: the last file wins)`,
        file: path,
        handler: name,
      });
    }
    if (!outcome.ok) {
      const error = loadError(path, outcome);
      gen.failed.set(path, error);
      if (outcome.abort && outcome.abort.kind !== 'timeout' && this.child.worker?.alive) await this.child.buildInChild(gen);
      return { path, ok: false, error, handlers: [], registrations: [] };
    }
    const registrations: SelfRegistration[] = outcome.registrations.map((r) => ({
      file: path,
      name: r.name || r.ref,
      globalName: r.name,
      events: r.events,
      apis: r.apis,
    }));
    const report: FileReport = { path, ok: true, handlers: outcome.handlers, registrations };
    const loaded: LoadedFile = { path, source, hash, report };
    gen.files.push(loaded);
    gen.byPath.set(path, loaded);
    gen.failed.delete(path);
    return report;
  }

  registrations(generation?: number): SelfRegistration[] {
    const gen = generation === undefined ? this.current : this.gens.get(generation);
    return gen ? gen.files.flatMap((f) => f.report.registrations) : [];
  }

  // ---- running -------------------------------------------------------------------------------

  run(items: readonly RunItem[], options: { generation?: number } = {}): Promise<RunResult[]> {
    if (items.length === 0) return Promise.resolve([]);
    const gen = options.generation === undefined ? this.current : this.gens.get(options.generation);
    return new Promise((resolve) => {
      const batch: RunBatch = { results: Array.from({ length: items.length }), left: items.length, resolve };
      for (let i = 0; i < items.length; i++) this.submit(gen, items[i]!, batch, i);
    });
  }

  private submit(gen: GenState | undefined, item: RunItem, batch: RunBatch, index: number): void {
    const pending: Pending = { item, frag: '', http: 0, batch, index };
    const fail = (code: SandboxError['code'], message: string): void =>
      settle(pending, { ok: false, error: new SandboxError(code, message, { file: item.file, handler: item.name }) });
    if (this.closed) return fail('FH_SANDBOX_CLOSED', 'the sandbox is closed');
    if (!gen || gen.released) return fail('FH_SANDBOX_NOT_LOADED', 'no sandbox generation is loaded for this event');
    if (!gen.byPath.has(item.file)) {
      const failed = gen.failed.get(item.file);
      if (failed) return settle(pending, { ok: false, error: failed });
      return fail('FH_SANDBOX_NOT_LOADED', `${item.file} is not loaded in sandbox generation ${gen.id}`);
    }
    if (this.strikes.isQuarantined(item.file, item.name))
      return fail('FH_SANDBOX_QUARANTINED', `handler ${item.name} in ${item.file} is quarantined after repeated timeouts, memory blow-ups or crashes`);
    let eventJson: string | undefined;
    try {
      eventJson = JSON.stringify(item.event);
    } catch {
      eventJson = undefined;
    }
    if (eventJson === undefined || eventJson.length > this.limits.maxEventBytes)
      return fail('FH_SANDBOX_INVALID_EVENT', 'the event is not JSON-serialisable or is too large');
    pending.frag = this.prefix(item) + eventJson + ']';
    this.scheduler.enqueue(gen, pending);
    if (this.child.up === undefined) void this.child.ensureUp().catch(() => undefined);
  }

  /** `[name,apiId,orgId,` as JSON; a handler usually sends the same three, so the last one is kept. */
  private prefix(item: RunItem): string {
    const last = this.lastPrefix;
    if (last.name === item.name && last.apiId === item.context.APIID && last.orgId === item.context.OrgID) return last.text;
    const text = `[${JSON.stringify(item.name)},${JSON.stringify(item.context.APIID)},${JSON.stringify(item.context.OrgID)},`;
    this.lastPrefix = { name: item.name, apiId: item.context.APIID, orgId: item.context.OrgID, text };
    return text;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  async release(generation: number): Promise<void> {
    const gen = this.gens.get(generation);
    if (!gen || gen.released) return;
    gen.refs--;
    if (gen.refs > 0) return;
    await this.scheduler.drained(gen);
    if (gen.refs > 0) return;
    await this.dispose(gen);
  }

  private async dispose(gen: GenState): Promise<void> {
    gen.released = true;
    if (this.current === gen) this.current = undefined;
    this.scheduler.failQueued(gen, 'FH_SANDBOX_NOT_LOADED', `sandbox generation ${gen.id} was released`);
    await this.scheduler.drained(gen);
    // Let a rebuild of this generation that is under way finish first, so the drop comes last.
    await this.child.serial(async () => undefined);
    this.gens.delete(gen.id);
    this.child.worker?.send({ t: 'drop', gen: gen.id });
  }

  stats(): SandboxStats {
    let queued = 0;
    let inflight = 0;
    for (const gen of this.gens.values()) {
      inflight += gen.inflight;
      for (const q of gen.queues.values()) queued += q.length;
    }
    return {
      pid: this.child.worker?.pid,
      restarts: this.child.restarts,
      generations: this.gens.size,
      current: this.current?.id,
      queued,
      inflightCrossings: inflight,
      crossings: this.scheduler.crossingCount,
      events: this.scheduler.eventCount,
      quarantined: this.strikes.quarantined(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.child.closed = true;
    for (const gen of this.gens.values()) this.scheduler.failQueued(gen, 'FH_SANDBOX_CLOSED', 'the sandbox is closed');
    const worker = this.child.worker;
    if (worker?.alive) {
      const exited = new Promise<void>((resolve) => {
        const poll = setInterval(() => !worker.alive && (clearInterval(poll), resolve()), 10);
      });
      worker.kill({ reason: 'sandbox closed' });
      await exited;
    }
    for (const gen of this.gens.values()) {
      gen.released = true;
      this.scheduler.failQueued(gen, 'FH_SANDBOX_CLOSED', 'the sandbox is closed');
    }
    this.gens.clear();
    this.current = undefined;
  }
}

function pickGenerationOptions(o: Partial<GenerationOptions>): Partial<GenerationOptions> {
  const out: Partial<GenerationOptions> = {};
  if (o.timeoutMs !== undefined) out.timeoutMs = o.timeoutMs;
  if (o.memoryLimitMb !== undefined) out.memoryLimitMb = o.memoryLimitMb;
  if (o.sharedContext !== undefined) out.sharedContext = o.sharedContext;
  if (o.bootstrapExtraPath !== undefined) out.bootstrapExtraPath = o.bootstrapExtraPath;
  return out;
}
