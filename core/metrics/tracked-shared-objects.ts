import { SharedObjects } from '../runtime-services.ts';

/**
 * The runtime's SharedScope, remembering what plugins created in it so metrics can read stats
 * from runtime-long objects (the JS sandbox) without the core knowing any plugin.
 */
export class TrackedSharedObjects extends SharedObjects {
  private readonly created = new Map<string, unknown>();

  override getOrCreate<T>(key: string, create: () => T, dispose?: (value: T) => Promise<void> | void): T {
    const value = super.getOrCreate(key, create, dispose);
    this.created.set(key, value);
    return value;
  }

  override async disposeAll(): Promise<void> {
    this.created.clear();
    await super.disposeAll();
  }

  /** Values created so far, in creation order. */
  values(): unknown[] {
    return [...this.created.values()];
  }
}

/**
 * Stats of the JS sandbox, if a plugin created one: any shared object exposing `sandbox.stats()`
 * (the dynamic plugin's shared sandbox does). Undefined when JS handlers are not in use.
 */
export function findSandboxStats<T>(shared: TrackedSharedObjects): T | undefined {
  for (const value of shared.values()) {
    const sandbox = (value as { sandbox?: { stats?: unknown } } | null)?.sandbox;
    if (sandbox && typeof sandbox.stats === 'function') return (sandbox.stats as () => T).call(sandbox);
  }
  return undefined;
}
