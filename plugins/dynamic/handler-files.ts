/**
 * Where handler files come from: `handler_meta.path` resolved against the working directory,
 * then `event_handlers_path` (then the config's directory); only `.js` files; and the `.js` files
 * of `event_handlers_path` that may register themselves.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

export interface HandlerFile {
  path: string;
  source: string;
}

/** Candidate absolute paths for a configured handler path, in lookup order. */
export function candidatePaths(path: string, eventHandlersDir: string, configDir: string): string[] {
  if (isAbsolute(path)) return [path];
  return [...new Set([resolve(process.cwd(), path), resolve(eventHandlersDir, path), resolve(configDir, path)])];
}

/** The first candidate that is a file, or undefined. */
export async function findHandlerFile(candidates: readonly string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Every `.js` file directly inside `dir`, sorted by name, with its source; none when `dir` is missing. */
export async function listHandlerFiles(dir: string): Promise<HandlerFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: HandlerFile[] = [];
  for (const name of names.filter((n) => n.endsWith('.js')).sort()) {
    const path = join(dir, name);
    try {
      if (!(await stat(path)).isFile()) continue;
      files.push({ path, source: await readFile(path, 'utf8') });
    } catch {
      // vanished or unreadable: not a candidate
    }
  }
  return files;
}

/**
 * Cheap pre-filter before running a file to see whether it registers itself: outside comments,
 * the file must name `NewEventHandler` and set an `events` key (`events: [...]` or `x.events = ...`).
 * Files that cannot register are not loaded unless an API definition references them, so a
 * runtime without self-registering files never starts the sandbox process.
 */
export function mayRegisterItself(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
  return code.includes('NewEventHandler') && /\bevents['"]?\s*:|\.events\s*=/.test(code);
}
