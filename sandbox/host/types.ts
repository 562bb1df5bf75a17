/**
 * Public types of the sandbox. The sandbox runs Tyk-style JavaScript event handlers in one
 * isolated-vm isolate per generation, inside a supervised child process; the host side of the
 * bindings (storage, sessions, HTTP) runs in this process through a {@link SandboxHost}.
 */
import type { Dispatcher } from 'undici';
import type { SandboxError, SandboxErrorCode } from './errors.ts';

/** A handler file; `source` is read from `path` when omitted. */
export interface SandboxFile {
  path: string;
  source?: string;
}

/**
 * Who a handler acts for: an organisation (API-level handlers reach only that organisation's
 * sessions and storage) or the gateway (every session; its own storage namespace).
 */
export type SandboxScope = { kind: 'org'; orgId: string } | { kind: 'gateway' };

/** One event for one handler. */
export interface RunItem {
  /** The handler file, as loaded. */
  file: string;
  /** Global variable holding the handler object, or a self-registration reference (`#n`). */
  name: string;
  /** The Tyk view of the event: `{Type, Meta, TimeStamp}` (JSON-serialisable). */
  event: unknown;
  context: { APIID: string; OrgID: string };
  scope: SandboxScope;
  /** Label for logs (the runtime's handler id). */
  label?: string;
}

export type RunResult =
  { ok: true; /** Epoch ms (fractional) at which the crossing that ran the event started. */ startedAt: number } | { ok: false; error: SandboxError };

export interface SelfRegistration {
  file: string;
  /** What to put in `handler_meta.name`: the global name, or `#n` when no global holds it. */
  name: string;
  /** Global name holding the handler (`""` when none). */
  globalName: string;
  events: string[];
  /** `["*"]` for every API. */
  apis: string[];
}

export interface FileReport {
  path: string;
  ok: boolean;
  error?: SandboxError;
  /** Global names holding objects with a `DoProcessEvent` function. */
  handlers: string[];
  registrations: SelfRegistration[];
}

export interface SandboxWarning {
  code: SandboxErrorCode | 'FH_SANDBOX_GLOBAL_COLLISION' | 'FH_SANDBOX_RESTARTED' | 'FH_SANDBOX_UNHANDLED_REJECTION';
  message: string;
  file?: string;
  handler?: string;
}

export interface LoadReport {
  generation: number;
  /** Every file loaded. */
  ok: boolean;
  /** The generation became the current one (plain `load` with every file loaded). */
  activated: boolean;
  files: FileReport[];
  errors: SandboxError[];
  warnings: SandboxWarning[];
  durationMs: number;
}

/** Options fixed per generation (the gateway config may change them on reload). */
export interface GenerationOptions {
  /** Per-event CPU limit in ms (`jsvm_timeout` * 1000). */
  timeoutMs: number;
  /** Isolate memory limit in MB (`jsvm_memory_limit`). */
  memoryLimitMb: number;
  /** Tyk's single global environment instead of a context per file (`jsvm_shared_context`). */
  sharedContext: boolean;
  /** `tyk_js_path`: JavaScript run in every context after the bootstrap. */
  bootstrapExtraPath?: string;
}

export interface LoadOptions extends Partial<GenerationOptions> {
  /** Add files to this existing generation instead of building a new one. */
  into?: number;
  /**
   * Default true: the new generation replaces the current one when every file loads (the old
   * one drains, then is disposed); otherwise it is discarded and the current one keeps serving.
   * False: keep the generation whatever failed; the caller owns it and must `release` it.
   */
  activate?: boolean;
}

interface SandboxStorageHost {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  setNX(key: string, value: string, ttlMs?: number): Promise<boolean>;
  del(key: string): Promise<boolean>;
  pttl(key: string): Promise<number>;
  incr(key: string, ttlMs?: number): Promise<number>;
}

export type SandboxSession = Record<string, unknown>;

interface SandboxSessionHost {
  get(key: string): Promise<SandboxSession | undefined>;
  set(key: string, session: SandboxSession, options?: { suppressReset?: boolean }): Promise<void>;
  /** Atomic org-scoped write when the store offers it (fills org_id; refuses another org's key). */
  setForOrg?(key: string, session: SandboxSession, orgId: string, options?: { suppressReset?: boolean }): Promise<void>;
}

/** The outside world the bindings reach, implemented in the host process. */
export interface SandboxHost {
  storage: SandboxStorageHost;
  sessions: SandboxSessionHost;
  /** Dispatcher for script HTTP: it must enforce the egress (private network) policy. */
  http: { dispatcher: Dispatcher };
}

export interface SandboxLogLine {
  /** `log` (binding `log`), `raw` (`rawlog`), `warn` (sandbox notices about this handler). */
  kind: 'log' | 'raw' | 'warn';
  message: string;
  file?: string;
  handler?: string;
  label?: string;
  apiId?: string;
  eventType?: string;
}

/** Tunables; defaults in sandbox/host/limits.ts. */
export interface SandboxLimits {
  /** Events per crossing. */
  maxBatch: number;
  /** Crossings in flight per generation (pipelining). */
  maxInflight: number;
  /** A crossing stops starting new events after this many ms (the rest go in the next one). */
  budgetMs: number;
  /** Extra ms past timeout + budget before a call counts as wedged and the process is replaced. */
  graceMs: number;
  loadTimeoutMs: number;
  /** Strikes (timeouts, memory blow-ups, wedges) before a handler is quarantined. */
  maxStrikes: number;
  maxLogLinesPerInvocation: number;
  maxLogChars: number;
  /** Log lines per second per handler (excess dropped and counted). */
  logLinesPerSecond: number;
  maxArgChars: number;
  maxHostCallsPerInvocation: number;
  maxHttpPerInvocation: number;
  httpTimeoutMs: number;
  maxHttpConcurrency: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
  storageTimeoutMs: number;
  maxEventBytes: number;
  /** The child process is replaced when its resident memory exceeds this. */
  maxProcessRssMb: number;
  /** Run the child under Node's permission model (no fs writes, child processes or workers). */
  processHardening: boolean;
}

export interface SandboxOptions extends GenerationOptions {
  host: SandboxHost;
  onLog?: (line: SandboxLogLine) => void;
  onWarning?: (warning: SandboxWarning) => void;
  limits?: Partial<SandboxLimits>;
}

export interface SandboxStats {
  pid: number | undefined;
  restarts: number;
  generations: number;
  current: number | undefined;
  queued: number;
  inflightCrossings: number;
  crossings: number;
  events: number;
  quarantined: string[];
}

export interface Sandbox {
  load(files: readonly SandboxFile[], options?: LoadOptions): Promise<LoadReport>;
  run(items: readonly RunItem[], options?: { generation?: number }): Promise<RunResult[]>;
  /** Self-registrations of a generation (default: the current one). */
  registrations(generation?: number): SelfRegistration[];
  /** Drop the caller's hold on a generation; it is disposed after its queued events ran. */
  release(generation: number): Promise<void>;
  stats(): SandboxStats;
  /** Stop the child process; queued events fail with FH_SANDBOX_CLOSED. Idempotent. */
  close(): Promise<void>;
}
