/**
 * Errors the sandbox reports. The sandbox knows nothing about the core, so it carries the
 * catalogue codes (core/errors/codes.ts, FH_SANDBOX_*) as plain strings; callers match on `.code`.
 * Errors from user code carry the handler file, line and column.
 */
export type SandboxErrorCode =
  | 'FH_SANDBOX_CLOSED'
  | 'FH_SANDBOX_CRASHED'
  | 'FH_SANDBOX_HANDLER_NOT_FOUND'
  | 'FH_SANDBOX_INVALID_EVENT'
  | 'FH_SANDBOX_LOAD_FAILED'
  | 'FH_SANDBOX_MEMORY_LIMIT'
  | 'FH_SANDBOX_NOT_LOADED'
  | 'FH_SANDBOX_QUARANTINED'
  | 'FH_SANDBOX_SCRIPT_ERROR'
  | 'FH_SANDBOX_TIMEOUT'
  | 'FH_SANDBOX_UNAVAILABLE';

export interface SandboxErrorDetails {
  file?: string;
  line?: number;
  column?: number;
  /** Handler name (global variable or `#n` self-registration reference). */
  handler?: string;
}

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly handler: string | undefined;

  constructor(code: SandboxErrorCode, message: string, details: SandboxErrorDetails = {}) {
    super(message);
    this.name = 'SandboxError';
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.handler = details.handler;
  }

  /** `file:line:col` when known, else the file, else `""`. */
  get location(): string {
    if (this.file === undefined) return '';
    return this.line === undefined ? this.file : `${this.file}:${this.line}:${this.column ?? 0}`;
  }
}
