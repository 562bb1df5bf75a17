/** Reading handler sources and turning load failures into located errors. */
import { readFile } from 'node:fs/promises';
import { SandboxError } from './errors.ts';
import type { LoadOutcome } from '../shared/protocol.ts';
import { locateError } from './stack.ts';
import type { SandboxFile } from './types.ts';

const MAX_SOURCE_CHARS = 4 << 20;

export async function readSource(file: SandboxFile): Promise<string | SandboxError> {
  if (file.source !== undefined)
    return file.source.length > MAX_SOURCE_CHARS
      ? new SandboxError('FH_SANDBOX_LOAD_FAILED', `${file.path} is larger than ${MAX_SOURCE_CHARS} characters`, { file: file.path })
      : file.source;
  try {
    const source = await readFile(file.path, 'utf8');
    if (source.length > MAX_SOURCE_CHARS)
      return new SandboxError('FH_SANDBOX_LOAD_FAILED', `${file.path} is larger than ${MAX_SOURCE_CHARS} characters`, { file: file.path });
    return source;
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'read error';
    return new SandboxError('FH_SANDBOX_LOAD_FAILED', `cannot read ${file.path} (${code})`, { file: file.path });
  }
}

export function loadError(path: string, outcome: LoadOutcome): SandboxError {
  const loc = locateError(outcome.error ?? 'failed to load', path);
  const where = loc.file !== undefined && loc.line !== undefined ? `${loc.file}:${loc.line}:${loc.column}` : path;
  return new SandboxError('FH_SANDBOX_LOAD_FAILED', `${where}: ${loc.message}`, {
    file: loc.file ?? path,
    ...(loc.line !== undefined ? { line: loc.line, column: loc.column ?? 0 } : {}),
  });
}
