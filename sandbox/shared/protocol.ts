/**
 * Messages between the sandbox supervisor (parent) and the sandbox worker (child process).
 * The parent drives everything at fine grain (one message per generation, file load and
 * crossing) so that when the child dies it knows exactly what was in flight.
 */

/** In-isolate limits handed to the bootstrap as JSON. */
interface IsolateLimits {
  statusOffset: number;
  shared: boolean;
  maxLogLines: number;
  maxLogChars: number;
  maxErrorChars: number;
  maxArgChars: number;
  maxKeyChars: number;
  maxHostCalls: number;
  maxStorageKeyChars: number;
  maxStorageValueChars: number;
}

export interface GenerationSpec {
  gen: number;
  memoryLimitMb: number;
  sharedContext: boolean;
  /** `tyk_js_path`, run in every context after the bootstrap. */
  extra?: { path: string; source: string };
  limits: IsolateLimits;
  loadTimeoutMs: number;
  maxBatch: number;
  /** ms the worker waits for the parent to answer one binding call. */
  hostTimeoutMs: number;
}

export type ParentMessage =
  | { t: 'gen'; id: number; spec: GenerationSpec }
  | { t: 'load'; id: number; gen: number; path: string; source: string }
  | { t: 'run'; id: number; gen: number; ctx: string; batch: string; count: number; timeoutMs: number; budgetMs: number; graceMs: number }
  | { t: 'drop'; gen: number }
  | { t: 'host-reply'; id: number; reply: string }
  | { t: 'ping'; id: number };

/** Why a crossing or load ended abnormally. */
export type Abort =
  /** The per-call timeout fired; `index` was running (-1: microtasks after the last event). */
  | { kind: 'timeout'; index: number }
  /** The isolate was disposed for exceeding its memory limit while `index` was running. */
  | { kind: 'memory'; index: number; statuses: number[] }
  /** The isolate failed in another way (catastrophic error, disposed). */
  | { kind: 'crash'; index: number; statuses: number[]; message: string };

export interface LoadOutcome {
  ok: boolean;
  /** Error text (`SyntaxError: ... [file:line:col]` or a stack). */
  error?: string;
  abort?: Abort;
  handlers: string[];
  registrations: Array<{ ref: string; name: string; events: string[]; apis: string[] }>;
  collisions: Array<[name: string, previousFile: string]>;
}

export interface RunOutcome {
  /** Events [0, done) ran (ok unless listed in `errors`). */
  done: number;
  /** [index, kind ('S' script error, 'N' handler not found), text]. */
  errors: Array<[number, string, string]>;
  abort?: Abort;
  /** The context for this file does not exist in the generation. */
  missing?: boolean;
  /** The isolate had already died when this crossing's turn came: nothing ran; send it again. */
  retry?: boolean;
  /** An unhandled promise rejection surfaced after the batch (results above are intact). */
  rejection?: string;
  /** Epoch ms (fractional) at which the crossing started. */
  startedAt?: number;
}

export type ChildMessage =
  | { t: 'ready'; pid: number }
  | { t: 'gen-done'; id: number; ok: boolean; error?: string }
  | { t: 'loaded'; id: number; outcome: LoadOutcome }
  | { t: 'ran'; id: number; outcome: RunOutcome }
  | { t: 'host'; id: number; gen: number; crossing: number; index: number; op: string; args: unknown[] }
  | { t: 'logs'; lines: Array<[gen: number, crossing: number, index: number, kind: string, text: string]> }
  | { t: 'wedged'; gen: number; crossing: number; index: number; statuses: number[] }
  | { t: 'catastrophic'; gen: number; message: string }
  | { t: 'pong'; id: number; rss: number };
