import type { ErrorCode } from '../errors/codes.ts';
import { FirehookError } from '../errors/firehook-error.ts';

type TemplateErrorCode = Extract<ErrorCode, 'FH_TEMPLATE_INVALID' | 'FH_TEMPLATE_RENDER_FAILED' | 'FH_TEMPLATE_UNREADABLE'>;

/** A template could not be read, compiled or rendered; names the file and, when known, the line. */
export class TemplateError extends FirehookError {
  /** The template file, or the name given to `compile`. */
  readonly file: string;
  readonly line: number | undefined;

  constructor(code: TemplateErrorCode, info: { file: string; line?: number | undefined; message: string }, options?: { cause?: unknown }) {
    super(code, `${info.file}${info.line !== undefined ? `:${info.line}` : ''}: ${info.message}`, options);
    this.name = 'TemplateError';
    this.file = info.file;
    this.line = info.line;
  }
}
