import { FirehookError, type ErrorCode } from '../../core/plugin-api.ts';
import type { SandboxError } from '../../sandbox/index.ts';

/** A sandbox failure as a Firehook error: the FH_SANDBOX_* code plus file, line and column. */
export class ScriptError extends FirehookError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly handler: string | undefined;

  constructor(error: SandboxError) {
    super(error.code as ErrorCode, error.message, { cause: error });
    this.name = 'ScriptError';
    this.file = error.file;
    this.line = error.line;
    this.column = error.column;
    this.handler = error.handler;
  }
}
