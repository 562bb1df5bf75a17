/**
 * createSandbox: isolate generations in a supervised child process. Loads build a generation
 * file by file (each in its own context unless the shared context is asked for); a plain load
 * swaps the new generation in only when every file loaded, and the old one drains before it is
 * disposed. Events cross in batches (sandbox/scheduler.ts); bindings that reach the outside are
 * served here (sandbox/host-ops.ts). When the child dies it is restarted and every live
 * generation is rebuilt from the sources kept here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SandboxError } from './errors.ts';
import { newGenState, settle, type GenState, type LoadedFile, type Pending, type RunBatch } from './generation-state.ts';
import { HostOps, type HostCallContext } from './host-ops.ts';
import { resolveLimits } from './limits.ts';
import { LogGate } from './log-gate.ts';
import type { ChildMessage, LoadOutcome } from './protocol.ts';
import { Scheduler } from './scheduler.ts';
import { locateError } from './stack.ts';
import { Strikes } from './strikes.ts';
import { WorkerGoneError, WorkerProcess, type ExitInfo } from './supervisor.ts';
import type { FileReport, GenerationOptions, LoadOptions, LoadReport, RunItem, RunResult, Sandbox, SandboxFile, SandboxLimits, SandboxOptions, SandboxStats, SandboxWarning, SelfRegistration } from './types.ts';

const MAX_SOURCE_CHARS = 4 << 20;

export function createSandbox(options: SandboxOptions): Sandbox {
  return new SandboxRuntime(options);
}

class SandboxRuntime implements Sandbox {
  private readonly options: SandboxOptions;
  private readonly limits: SandboxLimits;
  private readonly gens = new Map<number, GenState>();
  private readonly strikes: Strikes;
  private readonly scheduler: Scheduler;
  private readonly hostOps: HostOps;
  private readonly logs: LogGate;
  private worker: WorkerProcess | undefined;
  /** Resolves when a child is up and every live generation is built in it. */
  private up: Promise<void> | undefined;
  /** Serialises structural work in the child: generation builds, file loads, rebuilds. */
  private structure: Promise<unknown> = Promise.resolve();
  private current: GenState | undefined;
  private genSeq = 0;
  private restarts = 0;
  private recentRestarts: number[] = [];
  private closed = false;
  /** Load requests in flight: request id -> file path (log attribution). */
  private readonly loadingFiles = new Map<number, string>();
  private lastPrefix = { name: '', apiId: '', orgId: '', text: '["","","",' };

  constructor(options: SandboxOptions) {
    this.options = options;
    this.limits = resolveLimits(options.timeoutMs, options.limits);
    this.strikes = new Strikes(this.limits.maxStrikes, (file, handler, reason) =>
      this.warn({ code: 'FH_SANDBOX_QUARANTINED', message: `${handler === '*' ? 'every handler in the file' : `handler ${handler}`} quarantined after ${this.limits.maxStrikes} strikes (last: ${reason}); fix or change the file to clear it`, file, handler }),
    );
    this.hostOps = new HostOps(options.host, this.limits);
    this.logs = new LogGate(this.limits.logLinesPerSecond, this.limits.maxLogChars, (line) => options.onLog?.(line));
    this.scheduler = new Scheduler({
      worker: () => this.worker,
      limits: this.limits,
      strikes: this.strikes,
      warn: (w) => this.warn(w),
      rebuild: (gen) => void this.rebuild(gen),
    });
  }

  private warn(warning: SandboxWarning): void {
    this.options.onWarning?.(warning);
  }

  // ---- child process -------------------------------------------------------------------------

  private ensureUp(): Promise<void> {
    if (this.closed) return Promise.reject(new SandboxError('FH_SANDBOX_CLOSED', 'the sandbox is closed'));
    this.up ??= this.startWorker().catch((error: unknown) => this.startFailed(error));
    return this.up;
  }

  /** The child could not be started: fail what waits for it; the next load or event tries again. */
  private startFailed(error: unknown): never {
    this.up = undefined;
    const message = `the sandbox process could not be started: ${String((error as Error)?.message ?? error)}`;
    this.warn({ code: 'FH_SANDBOX_UNAVAILABLE', message });
    for (const gen of this.gens.values()) this.scheduler.failQueued(gen, 'FH_SANDBOX_UNAVAILABLE', message);
    throw new SandboxError('FH_SANDBOX_UNAVAILABLE', message);
  }

  private async startWorker(): Promise<void> {
    const worker = new WorkerProcess({
      hardening: this.limits.processHardening,
      maxRssMb: this.limits.maxProcessRssMb,
      onHost: (m) => void this.serveHost(worker, m),
      onLogs: (lines) => this.routeLogs(lines),
      onExit: (info) => this.workerExited(worker, info),
      onStderr: (text) => this.warn({ code: 'FH_SANDBOX_CRASHED', message: `sandbox process stderr: ${text.trim().slice(0, 500)}` }),
    });
    this.worker = worker;
    await worker.start();
    for (const gen of [...this.gens.values()].sort((a, b) => a.id - b.id)) {
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
    this.scheduler.failQueued(gen, 'FH_SANDBOX_CRASHED', message);
  }

  private workerExited(worker: WorkerProcess, info: ExitInfo): void {
    if (worker !== this.worker) return;
    this.scheduler.workerLost(info);
    if (this.closed) return;
    this.restarts++;
    const now = Date.now();
    this.recentRestarts = [...this.recentRestarts.filter((t) => now - t < 30_000), now];
    this.warn({ code: 'FH_SANDBOX_RESTARTED', message: `sandbox process restarted: ${info.reason}` });
    const delay = this.recentRestarts.length > 3 ? Math.min(5_000, 100 * 2 ** (this.recentRestarts.length - 3)) : 0;
    for (const gen of this.gens.values()) gen.building = true;
    // Not under `serial`: a load in progress waits on `up` before its next file.
    this.up = (async () => {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      await this.startWorker();
      for (const gen of this.gens.values()) this.scheduler.pump(gen);
    })().catch((error: unknown) => this.startFailed(error));
    this.up.catch(() => undefined);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.structure.then(task, task);
    this.structure = next.catch(() => undefined);
    return next;
  }

  /** (Re)create a generation in the child and replay its files; files that now fail are dropped. */
  private async buildInChild(gen: GenState): Promise<void> {
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
      this.warn({ code: 'FH_SANDBOX_LOAD_FAILED', message: `a file that loaded before failed when its generation was rebuilt: ${outcome.error ?? ''}`, file: file.path });
      // The isolate died with it: start over without that file.
      if (outcome.abort && outcome.abort.kind !== 'timeout') return this.buildInChild(gen);
    }
    gen.building = false;
  }

  private async rebuild(gen: GenState): Promise<void> {
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
    this.scheduler.pump(gen);
  }

  private async loadInChild(worker: WorkerProcess, gen: GenState, path: string, source: string): Promise<LoadOutcome> {
    const { id, reply } = worker.request<Extract<ChildMessage, { t: 'loaded' }>>({ t: 'load', gen: gen.id, path, source });
    this.loadingFiles.set(id, path);
    try {
      return (await reply).outcome;
    } catch (error) {
      if (!(error instanceof WorkerGoneError)) throw error;
      const wedged = error.info.wedged?.crossing === id;
      this.strikes.strike(path, '*', 'the sandbox process died while the file loaded');
      return { ok: false, error: wedged ? 'loading never finished (uninterruptible work); the sandbox process was replaced' : `the sandbox process died while the file loaded (${error.info.reason})`, handlers: [], registrations: [], collisions: [] };
    } finally {
      this.loadingFiles.delete(id);
    }
  }

  // ---- loading -------------------------------------------------------------------------------

  async load(files: readonly SandboxFile[], options: LoadOptions = {}): Promise<LoadReport> {
    const started = performance.now();
    await this.ensureUp();
    const sources = await Promise.all(files.map((f) => readSource(f)));
    return this.serial(async () => {
      await this.up;
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
      await this.up;
      await this.buildInChild(gen).catch(async (error: unknown) => {
        // The process died meanwhile; its restart builds every generation, this one included.
        if (!(error instanceof WorkerGoneError)) throw error;
        await this.up;
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
    await this.up;
    const outcome = await this.loadInChild(this.worker!, gen, path, source);
    for (const [name, previous] of outcome.collisions) {
      warnings.push({ code: 'FH_SANDBOX_GLOBAL_COLLISION', message: `global "${name}" defined in ${previous} is replaced by ${path} (shared context: the last file wins)`, file: path, handler: name });
    }
    if (!outcome.ok) {
      const error = loadError(path, outcome);
      gen.failed.set(path, error);
      if (outcome.abort && outcome.abort.kind !== 'timeout' && this.worker?.alive) await this.buildInChild(gen);
      return { path, ok: false, error, handlers: [], registrations: [] };
    }
    const registrations: SelfRegistration[] = outcome.registrations.map((r) => ({ file: path, name: r.name || r.ref, globalName: r.name, events: r.events, apis: r.apis }));
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
    const fail = (code: SandboxError['code'], message: string): void => settle(pending, { ok: false, error: new SandboxError(code, message, { file: item.file, handler: item.name }) });
    if (this.closed) return fail('FH_SANDBOX_CLOSED', 'the sandbox is closed');
    if (!gen || gen.released) return fail('FH_SANDBOX_NOT_LOADED', 'no sandbox generation is loaded for this event');
    if (!gen.byPath.has(item.file)) {
      const failed = gen.failed.get(item.file);
      if (failed) return settle(pending, { ok: false, error: failed });
      return fail('FH_SANDBOX_NOT_LOADED', `${item.file} is not loaded in sandbox generation ${gen.id}`);
    }
    if (this.strikes.isQuarantined(item.file, item.name)) return fail('FH_SANDBOX_QUARANTINED', `handler ${item.name} in ${item.file} is quarantined after repeated timeouts, memory blow-ups or crashes`);
    let eventJson: string | undefined;
    try {
      eventJson = JSON.stringify(item.event);
    } catch {
      eventJson = undefined;
    }
    if (eventJson === undefined || eventJson.length > this.limits.maxEventBytes) return fail('FH_SANDBOX_INVALID_EVENT', 'the event is not JSON-serialisable or is too large');
    pending.frag = this.prefix(item) + eventJson + ']';
    this.scheduler.enqueue(gen, pending);
    if (this.up === undefined) void this.ensureUp().catch(() => undefined);
  }

  /** `[name,apiId,orgId,` as JSON; a handler usually sends the same three, so the last one is kept. */
  private prefix(item: RunItem): string {
    const last = this.lastPrefix;
    if (last.name === item.name && last.apiId === item.context.APIID && last.orgId === item.context.OrgID) return last.text;
    const text = `[${JSON.stringify(item.name)},${JSON.stringify(item.context.APIID)},${JSON.stringify(item.context.OrgID)},`;
    this.lastPrefix = { name: item.name, apiId: item.context.APIID, orgId: item.context.OrgID, text };
    return text;
  }

  private async serveHost(worker: WorkerProcess, message: Extract<ChildMessage, { t: 'host' }>): Promise<void> {
    const crossing = this.scheduler.crossings.get(message.crossing);
    const pending = crossing && message.index >= 0 ? crossing.items[message.index] : undefined;
    let reply: string;
    if (!pending) {
      reply = `e${message.op}: not available outside an event`;
    } else {
      const ctx: HostCallContext = {
        scope: pending.item.scope,
        get http() {
          return pending.http;
        },
        set http(n: number) {
          pending.http = n;
        },
        warn: (text) => this.logs.push(`${pending.item.file}#${pending.item.name}`, lineFor(pending.item, 'warn', text)),
      };
      reply = await this.hostOps.call(message.op, message.args, ctx);
    }
    worker.send({ t: 'host-reply', id: message.id, reply });
  }

  private routeLogs(lines: Extract<ChildMessage, { t: 'logs' }>['lines']): void {
    for (const [, crossingId, index, kind, text] of lines) {
      const crossing = this.scheduler.crossings.get(crossingId);
      const pending = crossing && index >= 0 ? crossing.items[index] : undefined;
      const logKind = kind === 'raw' ? 'raw' : kind === 'warn' ? 'warn' : 'log';
      if (pending) {
        this.logs.push(`${pending.item.file}#${pending.item.name}`, lineFor(pending.item, logKind, text));
      } else {
        const file = this.loadingFiles.get(crossingId) ?? (crossing?.ctx !== '*' ? crossing?.ctx : undefined);
        this.logs.push(file ?? '?', { kind: logKind, message: text, ...(file ? { file } : {}) });
      }
    }
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
    this.gens.delete(gen.id);
    this.worker?.send({ t: 'drop', gen: gen.id });
  }

  stats(): SandboxStats {
    let queued = 0;
    let inflight = 0;
    for (const gen of this.gens.values()) {
      inflight += gen.inflight;
      for (const q of gen.queues.values()) queued += q.length;
    }
    return {
      pid: this.worker?.pid,
      restarts: this.restarts,
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
    for (const gen of this.gens.values()) this.scheduler.failQueued(gen, 'FH_SANDBOX_CLOSED', 'the sandbox is closed');
    const worker = this.worker;
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

async function readSource(file: SandboxFile): Promise<string | SandboxError> {
  if (file.source !== undefined) return file.source.length > MAX_SOURCE_CHARS ? new SandboxError('FH_SANDBOX_LOAD_FAILED', `${file.path} is larger than ${MAX_SOURCE_CHARS} characters`, { file: file.path }) : file.source;
  try {
    const source = await readFile(file.path, 'utf8');
    if (source.length > MAX_SOURCE_CHARS) return new SandboxError('FH_SANDBOX_LOAD_FAILED', `${file.path} is larger than ${MAX_SOURCE_CHARS} characters`, { file: file.path });
    return source;
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'read error';
    return new SandboxError('FH_SANDBOX_LOAD_FAILED', `cannot read ${file.path} (${code})`, { file: file.path });
  }
}

function loadError(path: string, outcome: LoadOutcome): SandboxError {
  const loc = locateError(outcome.error ?? 'failed to load', path);
  const where = loc.file !== undefined && loc.line !== undefined ? `${loc.file}:${loc.line}:${loc.column}` : path;
  return new SandboxError('FH_SANDBOX_LOAD_FAILED', `${where}: ${loc.message}`, { file: loc.file ?? path, ...(loc.line !== undefined ? { line: loc.line, column: loc.column ?? 0 } : {}) });
}

function lineFor(item: RunItem, kind: 'log' | 'raw' | 'warn', message: string) {
  const event = item.event as { Type?: unknown } | null;
  return {
    kind,
    message,
    file: item.file,
    handler: item.name,
    ...(item.label !== undefined ? { label: item.label } : {}),
    apiId: item.context.APIID,
    ...(typeof event?.Type === 'string' ? { eventType: event.Type } : {}),
  };
}
