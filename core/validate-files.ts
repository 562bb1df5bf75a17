import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { listApiFiles, loadApiDefinitions } from './config/load-api-definitions.ts';
import { loadGatewayConfig, resolveConfigPath } from './config/load-gateway-config.ts';
import { builtinPlugins } from './container.ts';
import type { ConfigProblem } from './errors/firehook-error.ts';
import { buildGeneration, disposeGeneration } from './generation.ts';
import { createLogger } from './logger.ts';
import { createDefaultServices } from './runtime-defaults.ts';
import { SharedObjects } from './runtime-services.ts';
import { loadPluginPackages } from './plugin-loader.ts';
import { MemoryStore } from './store/memory-store.ts';
import { ProvidedStatsRegistry } from './stats-registry.ts';

/**
 * Validate a gateway config and API definitions as the runtime would load them (handlers are
 * built, then disposed). Returns every problem found.
 */
export async function validateFiles(configFile: string | undefined, paths: string[]): Promise<ConfigProblem[]> {
  const { config, problems } = await loadGatewayConfig(configFile);
  if (config === undefined) return problems;
  const files: string[] = [];
  const targets = paths.length > 0 ? paths.map((p) => resolve(p)) : [resolveConfigPath(config, config.app_path)];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) files.push(...(await listApiFiles(target)));
    else files.push(target);
  }
  const loaded = await loadApiDefinitions(files);
  const all = [...problems, ...loaded.problems];
  let packages;
  try {
    packages = await loadPluginPackages(config.plugins, config.base_dir);
  } catch (error) {
    return [
      ...all,
      {
        file: config.file,
        pointer: '/plugins',
        message: `${(error as Error).message} [${(error as { code?: string }).code ?? 'FH_PLUGIN_INVALID'}]`,
        severity: 'error',
      },
    ];
  }
  const logger = createLogger({ level: 'silent' });
  const shared = new SharedObjects();
  const services = await createDefaultServices(config, logger, { store: new MemoryStore() }, { fire() {}, fireSystem() {} });
  all.push(...services.globalWebhooks.seedProblems);
  try {
    const built = await buildGeneration({
      number: 0,
      gateway: config,
      apis: loaded.apis,
      plugins: [...(await builtinPlugins()), ...packages.flatMap((p) => p.exports)],
      services: { ...services, logger, shared, stats: new ProvidedStatsRegistry(), fire() {}, fireSystem() {} },
    });
    all.push(...built.problems);
    if (built.generation) await disposeGeneration(built.generation, 0);
  } finally {
    await services.closeServices(0);
    await shared.disposeAll();
  }
  return all;
}
