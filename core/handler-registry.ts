import { injectAll, injectable } from 'tsyringe';
import { FirehookError } from './errors/firehook-error.ts';
import { HANDLER_PLUGIN, PLUGIN_CONTRACT_VERSION, type HandlerPlugin } from './plugin.ts';

/** Handler names Tyk knows that Firehook refuses on purpose, with the reason. */
const UNSUPPORTED: Record<string, string> = {
  cp_dynamic_handler: 'out-of-process (coprocess) event handlers are not supported; use eh_dynamic_handler or a handler plugin package',
};

/** The handler plugins of one configuration generation, by name and alias. */
@injectable()
export class HandlerRegistry {
  private readonly byName = new Map<string, HandlerPlugin>();
  readonly plugins: readonly HandlerPlugin[];

  constructor(@injectAll(HANDLER_PLUGIN) plugins: HandlerPlugin[]) {
    this.plugins = plugins;
    for (const plugin of plugins) {
      checkContract(plugin);
      for (const name of [plugin.name, ...(plugin.aliases ?? [])]) {
        const existing = this.byName.get(name);
        if (existing !== undefined) {
          throw new FirehookError('FH_PLUGIN_DUPLICATE', `handler name "${name}" is claimed by both ${existing.name} and ${plugin.name}`);
        }
        this.byName.set(name, plugin);
      }
    }
  }

  /** The plugin for a handler name or alias; a coded error listing the known names otherwise. */
  resolve(name: string): HandlerPlugin {
    const plugin = this.byName.get(name);
    if (plugin !== undefined) return plugin;
    const reason = UNSUPPORTED[name];
    if (reason !== undefined) throw new FirehookError('FH_HANDLER_UNSUPPORTED', `${name}: ${reason}`);
    throw new FirehookError('FH_PLUGIN_NOT_FOUND', `unknown handler "${name}"; known handlers: ${this.names().join(', ')}`);
  }

  /** Every accepted name and alias, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Custom event names declared by plugins. */
  declaredEvents(): Set<string> {
    return new Set(this.plugins.flatMap((p) => p.events ?? []));
  }
}

/** Check a plugin object against the contract before it runs. */
export function checkContract(plugin: unknown, origin = 'plugin'): asserts plugin is HandlerPlugin {
  const p = plugin as Partial<HandlerPlugin> | null;
  const problems: string[] = [];
  if (p === null || typeof p !== 'object') throw new FirehookError('FH_PLUGIN_INVALID', `${origin}: export is not a plugin object`);
  if (typeof p.name !== 'string' || p.name.length === 0) problems.push('name must be a non-empty string');
  if (p.aliases !== undefined && (!Array.isArray(p.aliases) || p.aliases.some((a) => typeof a !== 'string')))
    problems.push('aliases must be an array of strings');
  if (p.contractVersion !== PLUGIN_CONTRACT_VERSION) problems.push(`contractVersion must be ${PLUGIN_CONTRACT_VERSION} (got ${String(p.contractVersion)})`);
  if (p.optionsSchema === null || typeof p.optionsSchema !== 'object') problems.push('optionsSchema must be a JSON Schema object');
  if (typeof p.create !== 'function') problems.push('create must be a function');
  if (p.normalize !== undefined && typeof p.normalize !== 'function') problems.push('normalize must be a function');
  if (p.dispose !== undefined && typeof p.dispose !== 'function') problems.push('dispose must be a function');
  if (problems.length > 0) throw new FirehookError('FH_PLUGIN_INVALID', `${origin} ${p.name ?? '<unnamed>'}: ${problems.join('; ')}`);
}
