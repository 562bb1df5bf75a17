import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { HANDLER_PLUGIN, type HandlerPlugin, type PluginExport } from './plugin.ts';
import { HandlerRegistry } from './handler-registry.ts';

/**
 * The composition root: the only place that registers. Each configuration generation gets one
 * fresh child container holding every plugin (a child's list would hide its parent's, so plugins
 * are never split between parent and child).
 */
export function createGenerationContainer(
  exports: readonly PluginExport[],
  parent: DependencyContainer = rootContainer,
): {
  container: DependencyContainer;
  registry: HandlerRegistry;
} {
  const child = parent.createChildContainer();
  for (const exported of exports) {
    const plugin = (typeof exported === 'function' ? exported() : exported) as HandlerPlugin;
    child.register(HANDLER_PLUGIN, { useValue: plugin });
  }
  child.registerSingleton(HandlerRegistry);
  return { container: child, registry: child.resolve(HandlerRegistry) };
}

/** The built-in handler plugins, loaded through the same path as npm plugin packages. */
export async function builtinPlugins(): Promise<PluginExport[]> {
  const module = (await import('../plugins/builtin.ts')) as { BUILTIN_PLUGINS: PluginExport[] };
  return module.BUILTIN_PLUGINS;
}
