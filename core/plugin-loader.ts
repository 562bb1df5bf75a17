import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveImport } from 'import-meta-resolve';
import semver from 'semver';
import { FirehookError } from './errors/firehook-error.ts';
import { packageVersion } from './package-root.ts';
import type { HandlerPlugin, PluginExport } from './plugin.ts';
import { builtinPlugins } from './container.ts';
import { checkContract } from './handler-registry.ts';

/** A plugin package as loaded: where from, and what it exports. */
export interface LoadedPlugin {
  spec: string;
  path: string;
  version: string | undefined;
  exports: PluginExport[];
  /** Handler names and aliases its plugins claim. */
  names: string[];
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
  if (loaded.length > 0) {
    const builtins = (await builtinPlugins()).map((e) => (typeof e === 'function' ? (e as () => HandlerPlugin)() : (e as HandlerPlugin)));
    checkPluginNames(
      builtins.flatMap((p) => [p.name, ...(p.aliases ?? [])]),
      loaded,
    );
  }
  return loaded;
}

const ORIGINS = new WeakMap<object, string>();

/** The plugin package a plugin object came from; `undefined` for built-ins and embedding code's plugins. */
export function pluginOrigin(plugin: object): string | undefined {
  return ORIGINS.get(plugin);
}

/** Mark every plugin a package export produces with the package's spec (factories: each instance). */
function stamp(exported: PluginExport, spec: string): PluginExport {
  if (typeof exported !== 'function') {
    ORIGINS.set(exported, spec);
    return exported;
  }
  const factory = exported as () => HandlerPlugin;
  return (() => {
    const plugin = factory();
    ORIGINS.set(plugin, spec);
    return plugin;
  }) as PluginExport;
}

async function loadOne(spec: string, baseDir: string): Promise<LoadedPlugin> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  let url: string;
  try {
    url = isPath ? pathToFileURL(resolve(baseDir, spec)).href : resolveImport(spec, pathToFileURL(join(baseDir, 'package.json')).href);
    if (isPath) url = resolveImport(url, pathToFileURL(join(baseDir, 'package.json')).href);
  } catch (error) {
    throw new FirehookError('FH_PLUGIN_NOT_FOUND', `plugin package "${spec}" cannot be resolved from ${baseDir}: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
  const path = fileURLToPath(url);
  const manifest = await findManifest(path);
  const version = manifest?.version;
  const range = manifest?.peerDependencies?.firehook;
  const running = packageVersion();
  if (range !== undefined && !semver.satisfies(running, range, { includePrerelease: true })) {
    throw new FirehookError(
      'FH_PLUGIN_INCOMPATIBLE',
      `plugin package "${spec}"${version ? `@${version}` : ''} requires firehook ${range}; this is firehook ${running}`,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new FirehookError('FH_PLUGIN_INVALID', `plugin package "${spec}" failed to load: ${(error as Error).message}`, { cause: error });
  }
  const candidates = pluginExports(module);
  if (candidates.length === 0) {
    throw new FirehookError(
      'FH_PLUGIN_INVALID',
      `plugin package "${spec}" exports no plugin: export "plugin" (or "plugins", or a default export) made with definePlugin()`,
    );
  }
  const names: string[] = [];
  for (const candidate of candidates) {
    const plugin = typeof candidate === 'function' ? (candidate as () => HandlerPlugin)() : candidate;
    checkContract(plugin, `plugin package "${spec}":`);
    names.push(plugin.name, ...(plugin.aliases ?? []));
  }
  return { spec, path, version, exports: candidates.map((c) => stamp(c, spec)), names };
}

/**
 * Refuse two packages (or a package and a built-in) claiming one handler name, naming both; returns
 * handler name -> package spec for the packages' names.
 */
function checkPluginNames(builtinNames: readonly string[], packages: readonly LoadedPlugin[]): Map<string, string> {
  const owner = new Map<string, string>(builtinNames.map((n) => [n, 'the built-in handlers']));
  const origins = new Map<string, string>();
  for (const pkg of packages) {
    for (const name of pkg.names) {
      const previous = owner.get(name);
      if (previous !== undefined) {
        const other = previous === 'the built-in handlers' ? previous : `plugin package "${previous}"`;
        throw new FirehookError('FH_PLUGIN_DUPLICATE', `handler name "${name}" is claimed by both plugin package "${pkg.spec}" and ${other}`);
      }
      owner.set(name, pkg.spec);
      origins.set(name, pkg.spec);
    }
  }
  return origins;
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
