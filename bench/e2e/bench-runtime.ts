/**
 * Shared parts of the end-to-end benches: a receiver in its own process, a throw-away workspace
 * (gateway config + one Classic API definition) and an in-process runtime (built `dist/`).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

export const ROOT = join(import.meta.dirname, '../..');

/** Start `slow-sink.ts` answering after `delayMs`. */
export async function startSink(delayMs: number): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', join(import.meta.dirname, 'slow-sink.ts'), String(delayMs)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, stop: () => child.kill('SIGTERM') };
}

export interface BenchWorkspace {
  dir: string;
  configFile: string;
  writeApi(events: Record<string, unknown[]>, name?: string): Promise<void>;
  remove(): Promise<void>;
}

/** A workspace whose one API (`bench`, org `bench-org`) has the given event handlers. */
export async function benchWorkspace(
  gateway: Record<string, unknown>,
  events: Record<string, unknown[]>,
  handlers: Record<string, string> = {},
): Promise<BenchWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-bench-e2e-'));
  await mkdir(join(dir, 'apps'));
  await mkdir(join(dir, 'handlers'));
  for (const [file, source] of Object.entries(handlers)) await writeFile(join(dir, 'handlers', file), source);
  const configFile = join(dir, 'gateway.json');
  await writeFile(configFile, JSON.stringify({ app_path: 'apps', template_path: join(ROOT, 'templates'), event_handlers_path: 'handlers', ...gateway }));
  const writeApi = (evts: Record<string, unknown[]>, name = 'bench'): Promise<void> =>
    writeFile(join(dir, 'apps', 'bench.json'), JSON.stringify({ api_id: 'bench', org_id: 'bench-org', name, event_handlers: { events: evts } }));
  await writeApi(events);
  return { dir, configFile, writeApi, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A full garbage collection (the bench process is not started with --expose-gc). */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

export const MB = 1024 * 1024;
