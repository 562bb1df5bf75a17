/**
 * Turn error text from the isolate (a V8 stack, or isolated-vm's `message [file:line:col]` for
 * syntax errors) into a one-line message plus the location in the handler file.
 */
import { BOOTSTRAP_FILENAME } from '../shared/isolate-contract.ts';

export interface ScriptLocation {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+):(\d+)\)?\s*$/;
const SUFFIX = /^(.*) \[(.+):(\d+):(\d+)\]$/s;
const MAX_MESSAGE = 1_000;

/** Locate an error in user code; `preferFile` wins when several user frames are present. */
export function locateError(text: string, preferFile?: string): ScriptLocation {
  const lines = text.split('\n');
  const head = (lines[0] ?? '').trim();
  const suffix = SUFFIX.exec(head);
  if (suffix) {
    return { message: clip(suffix[1]!), file: suffix[2]!, line: Number(suffix[3]), column: Number(suffix[4]) };
  }
  let first: ScriptLocation | undefined;
  for (const line of lines.slice(1)) {
    const frame = FRAME.exec(line);
    if (!frame) continue;
    const file = frame[1]!;
    if (file === BOOTSTRAP_FILENAME || file.startsWith('<isolated-vm')) continue;
    const found = { message: clip(head), file, line: Number(frame[2]), column: Number(frame[3]) };
    if (preferFile === undefined || file === preferFile) return found;
    first ??= found;
  }
  return first ?? { message: clip(head || 'uncaught exception') };
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
}
