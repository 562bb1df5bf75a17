import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveImport } from 'import-meta-resolve';
import semver from 'semver';
import { FirehookError } from './errors/firehook-error.ts';
import { packageVersion } from './package-root.ts';
import type { HandlerPlugin, PluginExport } from './plugin.ts';
import { checkContract } from './registry.ts';

/** A plugin package as loaded: where from, and what it exports. */
export interface LoadedPlugin {
  spec: string;
  path: string;
  version: string | undefined;
  exports: PluginExport[];
}

/**
 * Load handler plugin packages named in the gateway config's `plugins` (npm names, scoped names or
 * paths), resolved from `baseDir` (the project running Firehook). Each package's peer range on
 * `firehook` and each plugin's contract are checked before anything runs; any failure is a coded
 * error naming the package, and nothing is loaded.
 */
export async function loadPluginPackages(specs: readonly string[], baseDir: string): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const spec of specs) loaded.push(await loadOne(spec, baseDir));
  return loaded;
}

async function loadOne(spec: string, baseDir: string): Promise<LoadedPlugin> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  let url: string;
  try {
    url = isPath ? pathToFileURL(resolve(baseDir, spec)).href : resolveImport(spec, pathToFileURL(join(baseDir, 'package.json')).href);
    if (isPath) url = resolveImport(url, pathToFileURL(join(baseDir, 'package.json')).href);
  } catch (error) {
    throw new FirehookError('FH_PLUGIN_NOT_FOUND', `plugin package "${spec}" cannot be resolved from ${baseDir}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const path = fileURLToPath(url);
  const manifest = await findManifest(path);
  const version = manifest?.version;
  const range = manifest?.peerDependencies?.firehook;
  const running = packageVersion();
  if (range !== undefined && !semver.satisfies(running, range, { includePrerelease: true })) {
    throw new FirehookError('FH_PLUGIN_INCOMPATIBLE', `plugin package "${spec}"${version ? `@${version}` : ''} requires firehook ${range}; this is firehook ${running}`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new FirehookError('FH_PLUGIN_INVALID', `plugin package "${spec}" failed to load: ${(error as Error).message}`, { cause: error });
  }
  const candidates = pluginExports(module);
  if (candidates.length === 0) {
    throw new FirehookError('FH_PLUGIN_INVALID', `plugin package "${spec}" exports no plugin: export "plugin" (or "plugins", or a default export) made with definePlugin()`);
  }
  for (const candidate of candidates) {
    const plugin = typeof candidate === 'function' ? (candidate as () => HandlerPlugin)() : candidate;
    checkContract(plugin, `plugin package "${spec}":`);
  }
  return { spec, path, version, exports: candidates };
}

/** Accept `plugin`, `plugins` (array) or a default export (also CommonJS `module.exports`). */
function pluginExports(module: Record<string, unknown>): PluginExport[] {
  const pick = (value: unknown): PluginExport[] => {
    if (Array.isArray(value)) return value as PluginExport[];
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      const v = value as Record<string, unknown>;
      if (typeof value === 'object' && ('plugin' in v || 'plugins' in v) && !('create' in v)) return pick(v.plugins ?? v.plugin);
      return [value as PluginExport];
    }
    return [];
  };
  if (module.plugins !== undefined) return pick(module.plugins);
  if (module.plugin !== undefined) return pick(module.plugin);
  if (module.default !== undefined) return pick(module.default);
  return [];
}

interface Manifest {
  name?: string;
  version?: string;
  peerDependencies?: Record<string, string>;
}

async function findManifest(entry: string): Promise<Manifest | undefined> {
  let dir = resolve(entry, '..');
  for (;;) {
    try {
      return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    const parent = resolve(dir, '..');
    if (parent === dir) return undefined;
    dir = parent;
  }
}
