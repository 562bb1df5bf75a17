/** A real runtime (config files on disk, memory store) with eh_dynamic_handler registered. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlugins } from '../../../core/container.ts';
import type { PluginExport } from '../../../core/plugin.ts';
import { Runtime } from '../../../core/runtime.ts';
import { createDynamicPlugin } from '../../../plugins/dynamic/index.ts';
import { captureLogger } from '../../helpers/capture-logger.ts';

export interface JsRuntime {
  runtime: Runtime;
  dir: string;
  lines: Record<string, unknown>[];
  writeHandler(name: string, source: string): Promise<string>;
  close(): Promise<void>;
}

/** eh_dynamic_handler unless the built-ins already carry it. */
export async function dynamicPlugins(): Promise<PluginExport[]> {
  const names = (await builtinPlugins()).map((p) => (typeof p === 'function' ? p() : p).name);
  return names.includes('eh_dynamic_handler') ? [] : [createDynamicPlugin];
}

export async function startJsRuntime(options: {
  apis: Record<string, unknown>[];
  handlers?: Record<string, string>;
  gateway?: Record<string, unknown>;
  watch?: boolean;
}): Promise<JsRuntime> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-js-runtime-'));
  await mkdir(join(dir, 'apps'));
  await mkdir(join(dir, 'handlers'));
  for (const [name, source] of Object.entries(options.handlers ?? {})) await writeFile(join(dir, 'handlers', name), source);
  for (const [i, api] of options.apis.entries()) await writeFile(join(dir, 'apps', `api-${i}.json`), JSON.stringify(api));
  await writeFile(
    join(dir, 'gateway.json'),
    JSON.stringify({ app_path: 'apps', event_handlers_path: 'handlers', jsvm_timeout: 2, dispatch: { concurrency: 256 }, ...options.gateway }),
  );
  const { logger, lines } = captureLogger('info');
  const runtime = await Runtime.create({
    configFile: join(dir, 'gateway.json'),
    logger,
    plugins: await dynamicPlugins(),
    ...(options.watch ? { watch: true, watchDebounceMs: 5 } : {}),
  });
  return {
    runtime,
    dir,
    lines,
    async writeHandler(name, source) {
      const path = join(dir, 'handlers', name);
      await writeFile(path, source);
      return path;
    },
    async close() {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function classicApi(apiId: string, orgId: string, events: Record<string, Array<Record<string, unknown>>>): Record<string, unknown> {
  return { api_id: apiId, org_id: orgId, name: apiId, event_handlers: { events } };
}

export function jsHandler(name: string, path: string): Record<string, unknown> {
  return { handler_name: 'eh_dynamic_handler', handler_meta: { name, path } };
}

export function jsLines(lines: Record<string, unknown>[]): string[] {
  return lines.filter((l) => l.type === 'log-msg').map((l) => String(l.msg));
}
