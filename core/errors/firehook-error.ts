import type { ErrorCode } from './codes.ts';

/** Base of every error Firehook raises; callers match on `.code`, never on wording. */
export class FirehookError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'FirehookError';
  }
}

/** One configuration problem: where it is (`file#pointer`) and what is wrong. */
export interface ConfigProblem {
  file: string;
  /** RFC 6901 JSON pointer into the document; `""` for the whole document. */
  pointer: string;
  message: string;
  severity: 'error' | 'warning';
  /** The error code behind the problem, when it came from a coded error. */
  code?: string;
}

/** Render a problem as `<file>#<json-pointer>: <message>`. */
export function formatProblem(problem: ConfigProblem): string {
  const tag = problem.severity === 'warning' ? 'warning: ' : '';
  return `${problem.file}#${problem.pointer}: ${tag}${problem.message}`;
}

/** A document (or set of documents) failed validation; carries every problem found. */
export class ConfigError extends FirehookError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], code: 'FH_CONFIG_INVALID' | 'FH_CONFIG_UNREADABLE' = 'FH_CONFIG_INVALID') {
    super(code, problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A handler failed on an event; names the plugin, handler and event. */
export class HandlerError extends FirehookError {
  readonly plugin: string;
  readonly handler: string;
  readonly eventType: string;
  readonly apiId: string;

  constructor(info: { plugin: string; handler: string; eventType: string; apiId: string }, cause: unknown, code: ErrorCode = 'FH_HANDLER_FAILED') {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(code, `${info.plugin} handler ${info.handler} failed on ${info.eventType} (api ${info.apiId || '<system>'}): ${reason}`, { cause });
    this.name = 'HandlerError';
    this.plugin = info.plugin;
    this.handler = info.handler;
    this.eventType = info.eventType;
    this.apiId = info.apiId;
  }
}

/** A store operation failed. */
export class StoreError extends FirehookError {
  constructor(code: 'FH_STORE_UNAVAILABLE' | 'FH_STORE_INVALID_ARGUMENT', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** Escape one JSON pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Build a JSON pointer from path segments. */
export function toPointer(...segments: (string | number)[]): string {
  return segments.length === 0 ? '' : '/' + segments.map(pointerSegment).join('/');
}
