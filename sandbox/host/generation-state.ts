/**
 * Host-side record of one isolate generation: its options, the files it loaded (kept with their
 * source so the generation can be rebuilt after an isolate death or a process restart), its
 * per-context event queues and its crossings in flight.
 */
import { STATUS_OFFSET } from '../shared/isolate-contract.ts';
import type { SandboxError } from './errors.ts';
import { MAX_ERROR_CHARS, MAX_SESSION_KEY_CHARS, STORAGE_LIMITS } from './limits.ts';
import type { GenerationSpec } from '../shared/protocol.ts';
import { Fifo } from './fifo.ts';
import type { FileReport, GenerationOptions, RunItem, RunResult, SandboxLimits } from './types.ts';

export interface LoadedFile {
  path: string;
  source: string;
  hash: string;
  report: FileReport;
}

/** One event waiting for, or inside, a crossing. */
export interface Pending {
  item: RunItem;
  /** `[name, apiId, orgId, event]` as JSON text. */
  frag: string;
  /** Outbound requests made so far by this invocation. */
  http: number;
  batch: RunBatch;
  index: number;
}

/** The results of one `run` call, filled in as its events finish. */
export interface RunBatch {
  results: RunResult[];
  left: number;
  resolve(results: RunResult[]): void;
}

export function settle(p: Pending, result: RunResult): void {
  const batch = p.batch;
  batch.results[p.index] = result;
  if (--batch.left === 0) batch.resolve(batch.results);
}

export interface GenState {
  id: number;
  options: GenerationOptions;
  spec: GenerationSpec;
  files: LoadedFile[];
  byPath: Map<string, LoadedFile>;
  failed: Map<string, SandboxError>;
  refs: number;
  released: boolean;
  /** True while the child builds or rebuilds it: crossings wait. */
  building: boolean;
  queues: Map<string, Fifo<Pending>>;
  /** Context keys with queued events, in round-robin order. */
  order: string[];
  inflight: number;
  pumpScheduled: boolean;
  drained: Array<() => void>;
}

export function newGenState(id: number, options: GenerationOptions, limits: SandboxLimits, extra: { path: string; source: string } | undefined): GenState {
  const spec: GenerationSpec = {
    gen: id,
    memoryLimitMb: options.memoryLimitMb,
    sharedContext: options.sharedContext,
    ...(extra ? { extra } : {}),
    limits: {
      statusOffset: STATUS_OFFSET,
      shared: options.sharedContext,
      maxLogLines: limits.maxLogLinesPerInvocation,
      maxLogChars: limits.maxLogChars,
      maxErrorChars: MAX_ERROR_CHARS,
      maxArgChars: limits.maxArgChars,
      maxKeyChars: MAX_SESSION_KEY_CHARS,
      maxHostCalls: limits.maxHostCallsPerInvocation,
      maxStorageKeyChars: STORAGE_LIMITS.maxKeyBytes,
      maxStorageValueChars: STORAGE_LIMITS.maxValueBytes,
    },
    loadTimeoutMs: limits.loadTimeoutMs,
    maxBatch: limits.maxBatch,
    hostTimeoutMs: Math.max(limits.httpTimeoutMs, limits.storageTimeoutMs) + 1_000,
  };
  return {
    id,
    options,
    spec,
    files: [],
    byPath: new Map(),
    failed: new Map(),
    refs: 0,
    released: false,
    building: true,
    queues: new Map(),
    order: [],
    inflight: 0,
    pumpScheduled: false,
    drained: [],
  };
}

/** The context a file's events cross into. */
export function contextKey(gen: GenState, file: string): string {
  return gen.options.sharedContext ? '*' : file;
}
