/**
 * What the runtime does with configuration files, as plain functions: load the API set, report
 * problems, notice restart-only changes, and list what the hot-reload watcher watches.
 */
import type { ApiDefinition } from './config/api-definition.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import { listApiFiles, loadApiDefinitions } from './config/load-api-definitions.ts';
import { resolveConfigPath } from './config/load-gateway-config.ts';
import { ConfigError, formatProblem, type ConfigProblem } from './errors/firehook-error.ts';
import type { Generation } from './generation.ts';
import type { Logger } from './logger.ts';

/** The API definitions in the config's `app_path`; a ConfigError when any file has an error. */
export async function loadApiSet(config: GatewayConfig): Promise<ApiDefinition[]> {
  const files = await listApiFiles(resolveConfigPath(config, config.app_path));
  const { apis, problems } = await loadApiDefinitions(files);
  if (problems.some((p) => p.severity === 'error')) throw new ConfigError(problems);
  return apis;
}

/** Log handler-level problems of an accepted generation: warnings, and handlers left out. */
export function reportProblems(logger: Logger, problems: readonly ConfigProblem[]): void {
  for (const p of problems) {
    if (p.severity === 'warning') logger.warn({ file: p.file, pointer: p.pointer }, formatProblem(p));
    else logger.error({ code: 'FH_HANDLER_DISABLED', file: p.file, pointer: p.pointer }, formatProblem(p));
  }
}

const RESTART_ONLY = ['storage', 'listen', 'log_level', 'log_transports', 'plugins', 'ingest_secret'] as const;
/** `webhooks` keys read by the delivery service, which lives as long as the runtime. */
const WEBHOOKS_RESTART_ONLY = ['max_concurrency_per_target', 'breaker', 'claim_idle', 'durable'] as const;

/** Gateway config keys that changed but take effect only on restart. */
export function restartOnlyChanges(previous: GatewayConfig, next: GatewayConfig): string[] {
  const changed = (a: unknown, b: unknown): boolean => JSON.stringify(a) !== JSON.stringify(b);
  return [
    ...RESTART_ONLY.filter((key) => changed(next[key], previous[key])),
    ...WEBHOOKS_RESTART_ONLY.filter((key) => changed(next.webhooks[key], previous.webhooks[key])).map((key) => `webhooks.${key}`),
  ];
}

/** Files and directories whose change triggers a hot reload for this configuration and generation. */
export function watchPathsFor(config: GatewayConfig, configFile: string | undefined, generation: Generation): string[] {
  const paths = [
    resolveConfigPath(config, config.app_path),
    resolveConfigPath(config, config.template_path),
    resolveConfigPath(config, config.event_handlers_path),
  ];
  if (configFile) paths.push(resolveConfigPath(config, configFile));
  if (config.tyk_js_path) paths.push(resolveConfigPath(config, config.tyk_js_path));
  for (const api of generation.apis) paths.push(api.file);
  for (const plugin of generation.plugins) paths.push(...(plugin.watchPaths?.() ?? []));
  return [...new Set(paths)];
}
